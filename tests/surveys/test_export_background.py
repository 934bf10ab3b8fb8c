"""Exports of large surveys are prepared by the task worker: the results page offers to
prepare them, lists them with their state, and serves the finished file to those who may
download the answers; the files are deleted after a week."""

from __future__ import annotations

import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from openpyxl import load_workbook

from citylab.models import AuditEvent
from citylab.worker import RESUMABLE
from surveys import exports
from surveys.export_tasks import KEEP_FOR, build_response_export, erase_old_exports
from surveys.models import Channel, ExportStatus, ResponseExport
from surveys.services import response_record
from tests.surveys.test_exports import CSV_URL, XLSX_URL, read_csv

RESULTS = "/staff/surveys/door-access/results/"
PREPARE = "/staff/surveys/door-access/exports/prepare/"
LISTED = "/staff/surveys/door-access/exports/"


@pytest.fixture
def large(monkeypatch, settings, tmp_path, survey, full_answers):
    """The door-access survey with two responses, counted as large (over the threshold)."""
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("surveys.views.results.EXPORT_IN_REQUEST", 1)
    response_record(survey=survey, answers=full_answers, channel=Channel.ASSISTED)
    response_record(survey=survey, answers={**full_answers, "story": "=HYPERLINK(\"x\")"}, channel=Channel.WEB)
    return survey


def prepare(client, format: str, django_capture_on_commit_callbacks) -> ResponseExport:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(PREPARE, {"format": format})
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == f"{RESULTS}#prepared"
    return ResponseExport.objects.latest("pk")


def test_a_small_survey_downloads_at_once(client, planner, survey):
    client.force_login(planner)
    page = client.get(RESULTS).content.decode()
    assert f'href="{CSV_URL}"' in page and "Prepare the answers" not in page


def test_a_large_survey_offers_to_prepare_the_files(client, planner, large):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    page = client.get(RESULTS).content.decode()
    assert "Prepare the answers (CSV)" in page and "Prepare the answers as a spreadsheet" in page
    assert f'href="{CSV_URL}"' not in page and 'id="prepared"' not in page  # nothing prepared yet


def test_a_prepared_csv_is_the_file_the_direct_download_gives(client, planner, large, django_capture_on_commit_callbacks):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    export = prepare(client, "csv", django_capture_on_commit_callbacks)
    assert export.status == ExportStatus.QUEUED and export.requested_by == planner and export.language == "en"
    queued = DBTaskResult.objects.get()
    assert queued.task_path == build_response_export.module_path and queued.args_kwargs["args"] == [export.pk]

    page = client.get(RESULTS).content.decode()
    assert "Answers (CSV): Waiting to start" in page and 'hx-trigger="every 3s"' in page

    assert build_response_export.call(export.pk) == 2
    export.refresh_from_db()
    assert export.status == ExportStatus.DONE and export.responses == 2 and export.finished_at
    page = client.get(RESULTS).content.decode()
    assert 'hx-trigger="every 3s"' not in page and "2 responses" in page
    url = f"/staff/surveys/door-access/exports/{export.pk}/"
    assert f'href="{url}"' in page

    response = client.get(url)
    assert response.status_code == HTTPStatus.OK and response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="door-access-responses-' in response["Content-Disposition"]
    prepared = b"".join(response.streaming_content)
    direct = b"".join(client.get(CSV_URL).streaming_content)
    assert prepared == direct
    header, labels, *rows = read_csv(prepared)
    assert labels[:3] == ["Response number", "Channel", "Submitted"] and len(rows) == 2


def test_a_prepared_spreadsheet_has_both_sheets(client, clerk, large, django_capture_on_commit_callbacks):
    client.force_login(clerk)
    export = prepare(client, "xlsx", django_capture_on_commit_callbacks)
    build_response_export.call(export.pk)
    response = client.get(f"/staff/surveys/door-access/exports/{export.pk}/")
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    direct = load_workbook(io.BytesIO(b"".join(client.get(XLSX_URL).streaming_content)))
    assert book.sheetnames == ["responses", "codebook"]
    for name in book.sheetnames:
        assert list(book[name].iter_rows(values_only=True)) == list(direct[name].iter_rows(values_only=True))


def test_pressing_twice_prepares_one_file(client, planner, large, django_capture_on_commit_callbacks):
    client.force_login(planner)
    first = prepare(client, "xlsx", django_capture_on_commit_callbacks)
    second = prepare(client, "xlsx", django_capture_on_commit_callbacks)
    assert first == second and DBTaskResult.objects.count() == 1
    assert prepare(client, "csv", django_capture_on_commit_callbacks) != first  # another format, another file


@pytest.mark.parametrize("format", ["", "pdf", "csv\x00"])
def test_an_unknown_format_prepares_nothing(client, planner, large, format):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    response = client.post(PREPARE, {"format": format}, follow=True)
    assert "Choose CSV or a spreadsheet to prepare." in response.content.decode()
    assert not ResponseExport.objects.exists() and not DBTaskResult.objects.exists()


def test_a_failed_export_says_why_and_can_be_asked_for_again(client, planner, large, monkeypatch,
                                                              django_capture_on_commit_callbacks):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    export = prepare(client, "xlsx", django_capture_on_commit_callbacks)

    def full_disk(survey, target, chunk_size=0):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(exports, "write_xlsx", full_disk)
    with pytest.raises(OSError):
        build_response_export.call(export.pk)
    export.refresh_from_db()
    assert export.status == ExportStatus.FAILED and "No space left on device" in export.message
    assert not export.file
    page = client.get(RESULTS).content.decode()
    assert "Answers as a spreadsheet: Failed" in page and "No space left on device" in page
    assert client.get(f"/staff/surveys/door-access/exports/{export.pk}/").status_code == HTTPStatus.NOT_FOUND
    assert prepare(client, "xlsx", django_capture_on_commit_callbacks) != export


def test_the_list_alone_is_what_the_page_polls(client, planner, large, django_capture_on_commit_callbacks):
    client.force_login(planner)
    export = prepare(client, "csv", django_capture_on_commit_callbacks)
    fragment = client.get(LISTED, HTTP_HX_REQUEST="true")
    text = fragment.content.decode()
    assert text.lstrip().startswith('<section id="prepared"') and "<html" not in text
    assert 'hx-trigger="every 3s"' in text and "HX-Request" in fragment["Vary"]
    build_response_export.call(export.pk)
    assert 'hx-trigger="every 3s"' not in client.get(LISTED, HTTP_HX_REQUEST="true").content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("planner", HTTPStatus.FOUND), ("clerk", HTTPStatus.FOUND), ("viewer", HTTPStatus.FORBIDDEN),
     ("other_planner", HTTPStatus.NOT_FOUND), ("outsider", HTTPStatus.NOT_FOUND)],
)
def test_who_may_prepare(client, request, large, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.post(PREPARE, {"format": "csv"}).status_code == status
    assert ResponseExport.objects.exists() == (status == HTTPStatus.FOUND)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("planner", HTTPStatus.OK), ("clerk", HTTPStatus.OK), ("viewer", HTTPStatus.FORBIDDEN),
     ("other_planner", HTTPStatus.NOT_FOUND), ("outsider", HTTPStatus.NOT_FOUND)],
)
def test_who_may_download_a_prepared_file_or_see_the_list(client, request, planner, large, persona, status,
                                                            django_capture_on_commit_callbacks):
    client.force_login(planner)
    export = prepare(client, "csv", django_capture_on_commit_callbacks)
    build_response_export.call(export.pk)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(f"/staff/surveys/door-access/exports/{export.pk}/").status_code == status
    assert client.get(LISTED).status_code == status


def test_anonymous_visitors_are_sent_to_sign_in(client, large):
    for response in [client.post(PREPARE, {"format": "csv"}), client.get(LISTED), client.get(f"{LISTED}1/")]:
        assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/accounts/login/")
    assert client.get(PREPARE).status_code in (HTTPStatus.FOUND, HTTPStatus.METHOD_NOT_ALLOWED)


def test_a_file_of_another_survey_is_not_served_under_this_one(client, planner, large, team,
                                                               django_capture_on_commit_callbacks):
    client.force_login(planner)
    export = prepare(client, "csv", django_capture_on_commit_callbacks)
    build_response_export.call(export.pk)
    from surveys.models import Survey

    other = Survey.objects.create(team=team, slug="other-survey", title_zh="另一个", title_en="Another")
    assert client.get(f"/staff/surveys/{other.slug}/exports/{export.pk}/").status_code == HTTPStatus.NOT_FOUND


def test_asking_and_downloading_are_in_the_audit_trail(client, clerk, large, django_capture_on_commit_callbacks):
    client.force_login(clerk)
    export = prepare(client, "xlsx", django_capture_on_commit_callbacks)
    build_response_export.call(export.pk)
    b"".join(client.get(f"/staff/surveys/door-access/exports/{export.pk}/").streaming_content)
    events = list(AuditEvent.objects.order_by("pk").values_list("action", "detail"))
    assert events == [("survey.responses_export_prepared", {"format": "xlsx", "export": export.pk}),
                      ("survey.responses_exported", {"format": "xlsx", "export": export.pk})]


def test_a_prepared_file_is_named_for_the_day_it_was_written(client, planner, large):
    export = ResponseExport.objects.create(survey=large, format="csv")
    build_response_export.call(export.pk)
    ResponseExport.objects.filter(pk=export.pk).update(finished_at=timezone.now() - timedelta(days=3))
    client.force_login(planner)
    response = client.get(f"/staff/surveys/door-access/exports/{export.pk}/")
    day = timezone.localdate() - timedelta(days=3)
    assert f'filename="door-access-responses-{day:%Y%m%d}.csv"' in response["Content-Disposition"]


def test_the_task_may_run_again_after_its_worker_was_lost(large):
    assert build_response_export.module_path in RESUMABLE
    export = ResponseExport.objects.create(survey=large, format="csv", status=ExportStatus.RUNNING)
    assert build_response_export.call(export.pk) == 2  # a half-written run leaves nothing behind
    first = ResponseExport.objects.get(pk=export.pk).file.name
    assert build_response_export.call(export.pk) == 2  # done: not written again
    assert ResponseExport.objects.get(pk=export.pk).file.name == first
    assert build_response_export.call(987654) == 0  # deleted meanwhile


def test_files_older_than_a_week_are_erased(large):
    old = ResponseExport.objects.create(survey=large, format="csv", requested_at=timezone.now() - KEEP_FOR - timedelta(hours=1))
    build_response_export.call(old.pk)
    new = ResponseExport.objects.create(survey=large, format="csv")
    build_response_export.call(new.pk)
    old_file = ResponseExport.objects.get(pk=old.pk).file
    assert old_file.storage.exists(old_file.name)

    out = io.StringIO()
    call_command("erase_old_exports", stdout=out)
    assert out.getvalue() == "erased 1 prepared export(s) older than 7 days\n"
    assert not old_file.storage.exists(old_file.name)
    assert list(ResponseExport.objects.values_list("pk", flat=True)) == [new.pk]
    new_file = ResponseExport.objects.get().file
    assert new_file.storage.exists(new_file.name)
    assert erase_old_exports() == 0
