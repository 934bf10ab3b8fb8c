"""Printing paper forms: the print batch and its serials, the command, and the print page."""

from __future__ import annotations

import io
import json
from http import HTTPStatus

import pypdfium2 as pdfium
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from citylab.models import AuditEvent, Community
from surveys.models import Status
from surveys.paper.layout import layout_survey
from surveys.paper.models import PrintBatch, Sheet
from surveys.paper.printing import FIRST_SERIAL, MAX_COPIES, PrintRefused, print_batch, write_batch_pdf
from surveys.paper.spec import survey_spec

PAGE = "/staff/surveys/door-access/paper/print/"
MEMBERS = ["planner", "clerk"]
OTHERS = ["other_planner", "outsider"]


@pytest.fixture(autouse=True)
def _english(client):
    # The sentences below are the English ones: in pages (the cookie) and in direct calls.
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def pdf_url(batch: PrintBatch) -> str:
    return f"{PAGE}{batch.pk}.pdf"


def page_count(data: bytes) -> int:
    return len(pdfium.PdfDocument(data))


# --- The survey as the layout sees it ------------------------------------------------------------


def test_the_spec_expands_segments_and_offers_prefer_not_to_say(survey):
    spec = survey_spec(survey)
    by_key = {q["key"]: q for q in spec["questions"]}
    assert [c["value"] for c in by_key["age"]["choices"]][-1] == "prefer_not_to_say"
    community = by_key["community"]["choices"]
    assert {c["value"] for c in community} == {"dengta", "chuanchang"}
    assert community[0]["group"]["zh-hans"] in {"老城区", "新港区"}
    assert [c["value"] for c in by_key["ease"]["choices"]] == ["1", "2", "3", "4", "5"]
    assert by_key["ease"]["choices"][0]["point_label"] == {"zh-hans": "很难用", "en": "Very hard"}
    assert by_key["problems"]["choices"][-1]["value"] == "prefer_not_to_say"
    # Conditions cannot hide a question on paper: it says when to skip it, by number.
    assert any("5" in hint["en"] and "Yes" in hint["en"] for hint in by_key["app_name"]["hints"])
    assert any("all that apply" in hint["en"] for hint in by_key["problems"]["hints"])


def test_every_question_of_the_survey_is_laid_out(survey):
    layout = layout_survey(survey_spec(survey), languages=("zh-hans", "en"), site="abcd1234")
    bubbles = {(b["question"], b["value"]) for p in layout.pages for b in p["bubbles"]}
    boxes = {b["question"] for p in layout.pages for b in p["boxes"]}
    assert ("community", "dengta") in bubbles and ("uses_phone", "no") in bubbles and ("ease", "5") in bubbles
    assert boxes == {"trips", "app_name", "story"}


# --- The print batch -----------------------------------------------------------------------------


def test_a_batch_gets_contiguous_serials_new_across_the_city(survey, clerk):
    first = print_batch(survey=survey, copies=3, user=clerk)
    second = print_batch(survey=survey, copies=2, languages=("zh-hans",), user=clerk)
    assert (first.first_serial, first.last_serial) == (FIRST_SERIAL, FIRST_SERIAL + 2)
    assert (second.first_serial, second.last_serial) == (FIRST_SERIAL + 3, FIRST_SERIAL + 4)
    assert list(Sheet.objects.values_list("serial", flat=True)) == list(range(FIRST_SERIAL, FIRST_SERIAL + 5))
    assert second.languages == "zh-hans" and second.survey_version == survey.version
    assert "sheets" not in first.layout and first.layout["pages"][0]["bubbles"]
    event = AuditEvent.objects.get(action="paper.print", target=f"surveys.PrintBatch:{first.pk}")
    assert event.actor == clerk and event.detail["copies"] == 3 and event.detail["first_serial"] == FIRST_SERIAL


def test_the_pdf_is_drawn_again_from_the_stored_layout(survey):
    batch = print_batch(survey=survey, copies=2)
    survey.questions.filter(key="story").delete()  # a later change does not alter printed forms
    buffer = io.BytesIO()
    pages = write_batch_pdf(batch, buffer)
    assert pages == 2 * len(batch.layout["pages"]) == page_count(buffer.getvalue())


@pytest.mark.parametrize("status", [Status.DRAFT, Status.CLOSED])
def test_only_open_surveys_are_printed(survey, status):
    survey.status = status
    survey.save()
    with pytest.raises(PrintRefused, match="draft|closed"):
        print_batch(survey=survey, copies=1)
    assert not PrintBatch.objects.exists()


@pytest.mark.parametrize("copies", [0, -1, MAX_COPIES + 1])
def test_copies_out_of_range_are_refused(survey, copies):
    with pytest.raises(PrintRefused, match="from 1 to 5,000"):
        print_batch(survey=survey, copies=copies)
    assert not Sheet.objects.exists()


# --- The command ---------------------------------------------------------------------------------


def test_the_command_writes_the_pdf_and_the_layout(survey, tmp_path):
    out, geometry = tmp_path / "forms.pdf", tmp_path / "layout.json"
    call_command("print_survey", "door-access", "--copies", "3", "--output", str(out), "--layout", str(geometry),
                 "--community", "dengta", "--languages", "zh-hans", stdout=io.StringIO())
    data = json.loads(geometry.read_text(encoding="utf-8"))
    assert data["sheets"] == [FIRST_SERIAL, FIRST_SERIAL + 1, FIRST_SERIAL + 2]
    assert data["page_size_pt"] == [595.28, 841.89]
    assert page_count(out.read_bytes()) == 3 * len(data["pages"])
    batch = PrintBatch.objects.get()
    assert batch.community == Community.objects.get(code="dengta") and batch.languages == "zh-hans"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["nothing-here", "--copies", "1"], "no survey has the slug 'nothing-here'"),
        (["door-access", "--copies", "0"], "from 1 to 5,000 copies"),
        (["door-access", "--copies", "5001"], "from 1 to 5,000 copies"),
        (["door-access", "--copies", "1", "--community", "atlantis"], "no community has the code 'atlantis'"),
        (["door-access", "--copies", "1", "--languages", "fr"], "Unknown languages “fr”"),
    ],
)
def test_the_command_says_what_is_wrong(survey, tmp_path, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("print_survey", *arguments, "--output", str(tmp_path / "x.pdf"))
    assert not PrintBatch.objects.exists() and not (tmp_path / "x.pdf").exists()


def test_the_command_refuses_a_draft(survey, tmp_path):
    survey.status = Status.DRAFT
    survey.save()
    with pytest.raises(CommandError, match="is a draft"):
        call_command("print_survey", "door-access", "--copies", "1", "--output", str(tmp_path / "x.pdf"))


# --- The page ------------------------------------------------------------------------------------


def form_data(**changes) -> dict:
    return {"copies": "2", "languages": "zh-hans,en", "community": "", **changes}


@pytest.mark.parametrize("persona", MEMBERS)
def test_planners_and_clerks_print_from_the_page(client, request, survey, persona):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    assert 'id="id_copies"' in client.get(PAGE).text
    community = Community.objects.get(code="dengta")
    response = client.post(PAGE, form_data(community=str(community.pk)))
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == PAGE
    batch = PrintBatch.objects.get()
    assert (batch.copies, batch.community, batch.created_by) == (2, community, user)
    html = client.get(PAGE).text
    assert pdf_url(batch) in html and f"{FIRST_SERIAL} to {FIRST_SERIAL + 1}" in html and "Lighthouse" in html
    pdf = client.get(pdf_url(batch))
    assert pdf.status_code == HTTPStatus.OK and pdf["Content-Type"] == "application/pdf"
    assert page_count(pdf.content) == 2 * len(batch.layout["pages"])


def test_a_large_batch_is_offered_in_parts_that_together_are_the_whole(client, clerk, survey, monkeypatch):
    monkeypatch.setattr("surveys.paper.printing.PART_COPIES", 2)
    monkeypatch.setattr("surveys.views.paper_print.PART_COPIES", 2)
    batch = print_batch(survey=survey, copies=5)
    per_copy = len(batch.layout["pages"])
    client.force_login(clerk)
    html = client.get(PAGE).text
    for number, (first, last) in enumerate([(0, 1), (2, 3), (4, 4)], start=1):
        assert (f'{pdf_url(batch)}?part={number}">Forms to print, part {number}: '
                f"serials {FIRST_SERIAL + first} to {FIRST_SERIAL + last}") in html
    assert f'href="{pdf_url(batch)}"' not in html and "In parts of 2 copies" in html
    sizes = []
    for number in (1, 2, 3):
        response = client.get(pdf_url(batch), {"part": number})
        assert response.status_code == HTTPStatus.OK
        sizes.append(page_count(response.content))
    assert sizes == [2 * per_copy, 2 * per_copy, per_copy]
    assert f'filename="door-access-paper-{FIRST_SERIAL + 2}-{FIRST_SERIAL + 3}.pdf"' in (
        client.get(pdf_url(batch), {"part": 2})["Content-Disposition"])
    # The whole batch stays at its address, for those who script against it.
    assert page_count(client.get(pdf_url(batch)).content) == 5 * per_copy


@pytest.mark.parametrize("part", ["0", "4", "-1", "1.5", "abc", "", "²", "1" * 30])
def test_a_part_the_batch_does_not_have_is_not_found(client, clerk, survey, monkeypatch, part):
    monkeypatch.setattr("surveys.paper.printing.PART_COPIES", 2)
    batch = print_batch(survey=survey, copies=5)
    client.force_login(clerk)
    assert client.get(pdf_url(batch), {"part": part}).status_code == HTTPStatus.NOT_FOUND


def test_a_small_batch_has_one_file(client, clerk, survey):
    batch = print_batch(survey=survey, copies=2)
    client.force_login(clerk)
    html = client.get(PAGE).text
    assert f'href="{pdf_url(batch)}"' in html and "?part=" not in html and "In parts of" not in html


def test_viewers_see_the_batches_but_cannot_print(client, viewer, survey):
    batch = print_batch(survey=survey, copies=1)
    client.force_login(viewer)
    html = client.get(PAGE).text
    assert f"Print batch #{batch.pk}" in html or f"#{batch.pk}" in html
    assert 'id="id_copies"' not in html and pdf_url(batch) not in html
    assert client.post(PAGE, form_data()).status_code == HTTPStatus.FORBIDDEN
    assert client.get(pdf_url(batch)).status_code == HTTPStatus.FORBIDDEN
    assert PrintBatch.objects.count() == 1


@pytest.mark.parametrize("persona", OTHERS)
def test_other_teams_get_404(client, request, survey, persona):
    batch = print_batch(survey=survey, copies=1)
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == HTTPStatus.NOT_FOUND
    assert client.post(PAGE, form_data()).status_code == HTTPStatus.NOT_FOUND
    assert client.get(pdf_url(batch)).status_code == HTTPStatus.NOT_FOUND


def test_the_page_needs_sign_in(client, survey):
    batch = print_batch(survey=survey, copies=1)
    for response in (client.get(PAGE), client.post(PAGE, form_data()), client.get(pdf_url(batch))):
        assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith("/accounts/login/")
    assert PrintBatch.objects.count() == 1


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"copies": "0"}, "Print at least 1 copy."), ({"copies": "9000"}, "at most 5000 copies"),
     ({"copies": "abc"}, "whole number"), ({"languages": "fr"}, "Choose the languages"),
     ({"community": "999999"}, "Choose a community from the list.")],
)
def test_bad_form_input_is_explained(client, clerk, survey, changes, message):
    client.force_login(clerk)
    response = client.post(PAGE, form_data(**changes))
    assert response.status_code == HTTPStatus.OK and message in response.text
    assert "<title>Error:" in response.text
    assert not PrintBatch.objects.exists()


def test_a_draft_survey_shows_why_it_cannot_be_printed(client, clerk, survey):
    survey.status = Status.DRAFT
    survey.save()
    client.force_login(clerk)
    html = client.get(PAGE).text
    assert "is a draft" in html and 'id="id_copies"' not in html
    client.post(PAGE, form_data())
    assert not PrintBatch.objects.exists()


def test_another_teams_batch_is_not_found_through_this_survey(client, clerk, survey, other_team):
    from surveys.models import Survey

    other = Survey.objects.create(team=other_team, slug="buses", title_zh="公交", status=Status.OPEN)
    other.questions.create(key="q", kind="yes_no", text_zh="好吗？")
    batch = print_batch(survey=other, copies=1)
    client.force_login(clerk)
    assert client.get(pdf_url(batch)).status_code == HTTPStatus.NOT_FOUND
