"""Exports: one row per response, the same columns in CSV (streamed, with a second header row
of question texts) and XLSX (with a codebook), from the web and from the command line."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from openpyxl import load_workbook

from citylab.models import AuditEvent
from surveys import exports
from surveys.models import Channel, Response
from surveys.services import response_record

CSV_URL = "/staff/surveys/door-access/export.csv"
XLSX_URL = "/staff/surveys/door-access/export.xlsx"

HEADER = [
    "id", "channel", "submitted", "age_band", "district", "community", "occupation",
    "age", "district_answer", "community_answer", "occupation_answer", "uses_phone", "entry",
    "problems.slow", "problems.glasses", "problems.small", "problems.prefer_not_to_say",
    "ease", "trips", "app_name", "story",
]


@pytest.fixture
def recorded(survey, full_answers) -> Response:
    response = response_record(survey=survey, answers=full_answers, channel=Channel.ASSISTED)
    # 02:30 UTC is 10:30 in the project's time zone (Asia/Shanghai).
    Response.objects.filter(pk=response.pk).update(submitted_at=datetime(2025, 3, 1, 2, 30, tzinfo=UTC))
    return response


@pytest.fixture
def sparse(survey, recorded) -> Response:
    """A second response: age withheld, no problems ticked, no smartphone (so no app name)."""
    answers = {"age": "prefer_not_to_say", "district": "xingang", "uses_phone": "no", "entry": "guard", "ease": "5",
               "trips": "2.5", "story": "=HYPERLINK(\"http://example.com\")"}
    response = response_record(survey=survey, answers=answers, channel=Channel.WEB)
    Response.objects.filter(pk=response.pk).update(submitted_at=datetime(2025, 3, 2, 16, 0, tzinfo=UTC))
    return response


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")  # the byte-order mark Excel and WPS need
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("planner", HTTPStatus.OK),
        ("clerk", HTTPStatus.OK),
        # Row-level answers (texts included) are for those who work with them; a viewer sees
        # the results page, where small counts are suppressed.
        ("viewer", HTTPStatus.FORBIDDEN),
        ("other_planner", HTTPStatus.NOT_FOUND),
        ("outsider", HTTPStatus.NOT_FOUND),
    ],
)
def test_who_may_download(client, request, survey, url, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url).status_code == status


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_anonymous_is_sent_to_sign_in(client, survey, url):
    response = client.get(url)
    assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/accounts/login/")


def test_other_formats_do_not_exist(client, planner, survey):
    client.force_login(planner)
    assert client.get("/staff/surveys/door-access/export.pdf").status_code == HTTPStatus.NOT_FOUND


def test_csv_is_streamed_cell_by_cell(client, planner, recorded, sparse):
    client.force_login(planner)
    response = client.get(CSV_URL)
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="door-access-responses-')
    header, labels, first, second = read_csv(b"".join(response.streaming_content))
    assert header == HEADER
    assert labels[:8] == ["答卷编号", "渠道", "提交时间", "年龄段", "区", "社区", "职业", "您的年龄段是？"]
    assert labels[13] == "使用新门禁时遇到过哪些困难？：识别太慢"
    assert dict(zip(header, first, strict=True)) == {
        "id": str(recorded.pk), "channel": "assisted", "submitted": "2025-03-01T10:30:00+08:00",
        "age_band": "70+", "district": "laocheng", "community": "dengta", "occupation": "retired",
        "age": "70+", "district_answer": "laocheng", "community_answer": "dengta", "occupation_answer": "retired",
        "uses_phone": "yes", "entry": "face",
        "problems.slow": "0", "problems.glasses": "1", "problems.small": "1", "problems.prefer_not_to_say": "0",
        "ease": "2", "trips": "4", "app_name": "社区通", "story": "字太小，看不清。",
    }
    assert dict(zip(header, second, strict=True)) == {
        "id": str(sparse.pk), "channel": "web", "submitted": "2025-03-03T00:00:00+08:00",
        "age_band": "", "district": "xingang", "community": "", "occupation": "",
        "age": "prefer_not_to_say", "district_answer": "xingang", "community_answer": "", "occupation_answer": "",
        "uses_phone": "no", "entry": "guard",
        # Not answered is empty, not 0: nobody said "none of these".
        "problems.slow": "", "problems.glasses": "", "problems.small": "", "problems.prefer_not_to_say": "",
        "ease": "5", "trips": "2.5", "app_name": "",
        # A resident's text never runs as a spreadsheet formula.
        "story": "'=HYPERLINK(\"http://example.com\")",
    }


def test_csv_labels_follow_the_page_language(client, planner, recorded):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    _header, labels, _row = read_csv(b"".join(client.get(CSV_URL).streaming_content))
    assert labels[:3] == ["Response number", "Channel", "Submitted"]
    assert labels[13] == "Which problems have you had?: Too slow"


def test_xlsx_has_responses_and_a_codebook(client, clerk, recorded, sparse):
    client.force_login(clerk)
    response = client.get(XLSX_URL)
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert 'filename="door-access-responses-' in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert book.sheetnames == ["responses", "codebook"]
    rows = list(book["responses"].iter_rows(values_only=True))
    assert list(rows[0]) == HEADER and len(rows) == 3
    first = dict(zip(HEADER, rows[1], strict=True))
    assert first == {
        "id": recorded.pk, "channel": "assisted", "submitted": "2025-03-01T10:30:00+08:00",
        "age_band": "70+", "district": "laocheng", "community": "dengta", "occupation": "retired",
        "age": "70+", "district_answer": "laocheng", "community_answer": "dengta", "occupation_answer": "retired",
        "uses_phone": "yes", "entry": "face",
        "problems.slow": 0, "problems.glasses": 1, "problems.small": 1, "problems.prefer_not_to_say": 0,
        "ease": 2, "trips": 4, "app_name": "社区通", "story": "字太小，看不清。",
    }
    second = dict(zip(HEADER, rows[2], strict=True))
    assert second["trips"] == 2.5 and second["age"] == "prefer_not_to_say" and second["problems.slow"] is None
    cell = book["responses"].cell(row=3, column=HEADER.index("story") + 1)
    assert cell.data_type == "s" and cell.value.startswith("=HYPERLINK")

    codebook = list(book["codebook"].iter_rows(values_only=True))
    assert codebook[0] == ("column", "question_zh", "question_en", "kind", "value", "label_zh", "label_en")
    entries = [tuple("" if v is None else v for v in row) for row in codebook[1:]]
    assert ("channel", "渠道", "Channel", "", "assisted", "代填", "Assisted") in entries
    assert ("entry", "您现在怎样进出小区大门？", "How do you get through the gate now?", "single", "face", "刷脸", "Face recognition") in entries
    assert ("problems.glasses", "使用新门禁时遇到过哪些困难？", "Which problems have you had?", "multiple", "1", "戴眼镜认不出", "Fails with glasses") in entries
    assert ("age", "您的年龄段是？", "Your age band?", "age_band", "prefer_not_to_say", "不愿透露", "Prefer not to say") in entries
    assert ("uses_phone", "您平时用智能手机吗？", "Do you use a smartphone?", "yes_no", "yes", "是", "Yes") in entries
    assert ("ease", "新门禁好用吗？", "How easy is the new door?", "scale", "1", "1 – 很难用", "1 – Very hard") in entries
    assert ("district", "区", "District", "district", "laocheng", "老城区", "Old Town") in entries
    assert ("trips", "您每天进出几次？", "How many times a day do you go in or out?", "number", "", "", "") in entries
    assert {row[0] for row in entries} == set(HEADER)


def test_answers_are_read_one_query_per_chunk(survey, full_answers):
    for _ in range(5):
        response_record(survey=survey, answers=full_answers, channel=Channel.WEB)
    table = exports.table(survey)
    with CaptureQueriesContext(connection) as queries:
        rows = list(exports.rows(table, chunk_size=2))
    assert len(rows) == 5 and [row[0] for row in rows] == sorted(row[0] for row in rows)
    answer_queries = [q for q in queries if 'FROM "surveys_answer"' in q["sql"]]
    assert len(answer_queries) == 3  # chunks of 2, 2 and 1
    assert rows == list(exports.rows(table, chunk_size=2000))


def test_command_writes_csv_to_stdout(recorded):
    out = io.StringIO()
    call_command("export_responses", "door-access", stdout=out)
    text = out.getvalue()
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == HEADER and rows[2][:3] == [str(recorded.pk), "assisted", "2025-03-01T10:30:00+08:00"]


def test_command_writes_files(recorded, tmp_path):
    out = io.StringIO()
    call_command("export_responses", "door-access", "--format", "csv", "--output", str(tmp_path / "a.csv"), stdout=out)
    assert read_csv((tmp_path / "a.csv").read_bytes())[0] == HEADER
    assert "wrote 1 responses" in out.getvalue()
    call_command("export_responses", "door-access", "--format", "xlsx", "--output", str(tmp_path / "a.xlsx"), stdout=out)
    book = load_workbook(tmp_path / "a.xlsx")
    assert book["responses"].cell(row=2, column=1).value == recorded.pk


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nowhere"], "no survey has the slug 'nowhere'"),
        (["door-access", "--format", "xlsx"], "--format xlsx needs --output FILE"),
        (["door-access", "--output", "/nonexistent/dir/a.csv"], "/nonexistent/dir/a.csv: No such file or directory"),
    ],
)
def test_command_errors_say_what_to_do(survey, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_responses", *arguments, stdout=io.StringIO())


def test_an_empty_survey_exports_its_headers(survey):
    with translation.override("en"):
        text = "".join(exports.csv_stream(survey))
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0] == HEADER and len(rows) == 2


@pytest.mark.parametrize("url", [CSV_URL, XLSX_URL])
def test_every_download_is_in_the_audit_trail(client, clerk, survey, url):
    client.force_login(clerk)
    response = client.get(url)
    b"".join(response.streaming_content) if response.streaming else response.content
    event = AuditEvent.objects.get(action="survey.responses_exported")
    assert event.actor == clerk and event.team == survey.team and event.target == f"surveys.Survey:{survey.pk}"
    assert event.detail == {"format": url.rsplit(".", 1)[-1]}


def test_refused_downloads_leave_no_trail(client, viewer, survey):
    client.force_login(viewer)
    assert client.get(CSV_URL).status_code == HTTPStatus.FORBIDDEN
    assert not AuditEvent.objects.exists()


def test_command_exports_are_in_the_audit_trail(recorded, tmp_path):
    call_command("export_responses", "door-access", "--output", str(tmp_path / "a.csv"), stdout=io.StringIO())
    event = AuditEvent.objects.get(action="survey.responses_exported")
    assert event.actor is None and event.detail == {"format": "csv", "by": "command", "output": str(tmp_path / "a.csv")}
    with pytest.raises(CommandError):
        call_command("export_responses", "door-access", "--output", "/nonexistent/dir/a.csv")
    assert AuditEvent.objects.count() == 1  # a failed export is not recorded as one
