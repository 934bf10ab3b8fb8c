"""The review queue: one held question at a time, decided by a clerk or planner, looked at by a
viewer, invisible to other teams; every decision recorded and audited; crops behind access."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils import translation

from citylab.models import AuditEvent
from surveys.models import Response
from surveys.paper.models import ReviewItem
from surveys.paper.scanning import accept_upload, process_batch
from tests.surveys.paper_scan_helpers import (
    Hold, Result, ScriptedReader, answers_page_1, page_of, print_sheets, tiff_pages, upload,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def held(survey, team, clerk):
    """A two-page sheet with a double mark on "entry", two faint ones on "problems" and writing."""
    print_sheets(survey, copies=1)
    answers = answers_page_1()
    del answers["entry"]
    script = {
        1: Result(page_of(survey, 1001, 1), status="review", reason="1 question needs a clerk", answers=answers,
                  holds=[Hold("entry", machine_read={"darkness": {"card": 0.61, "face": 0.58, "guard": 0.02},
                                                     "guess": ["card"]})]),
        2: Result(page_of(survey, 1001, 2), status="review", answers={"ease": ["4"]},
                  holds=[Hold("problems", reason="a faint mark", machine_read={"darkness": {"slow": 0.15}, "guess": []}),
                         Hold("story", kind="text", reason="writing to type", machine_read={"ink": 0.08})]),
    }
    outcome = accept_upload(team=team, user=clerk, files=[upload("held.tif", tiff_pages(1, 2))])
    process_batch(outcome.batch, read=ScriptedReader(script))
    items = {item.question_key: item for item in ReviewItem.objects.all()}
    return outcome.batch, items


def url(name: str, pk: int) -> str:
    return reverse(f"surveys:{name}", kwargs={"pk": pk})


def test_next_goes_to_the_first_open_item(client, clerk, held):
    batch, items = held
    client.force_login(clerk)
    response = client.get(url("review_next", batch.pk))
    assert response.status_code == HTTPStatus.FOUND and response.url == url("review_item", items["entry"].pk)


def test_item_page_shows_crop_choices_and_the_machines_reading(client, clerk, held):
    _, items = held
    client.force_login(clerk)
    response = client.get(url("review_item", items["entry"].pk))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert url("review_crop", items["entry"].pk) in html
    assert "How do you get through the gate now?" in html
    assert "3 questions left to review in this batch" in html
    assert "The machine read" in html and "Key card: 0.61" in html and "(its guess)" in html
    for value in ("card", "face", "guard"):
        assert f'name="value" value="{value}"' in html
    assert 'name="blank"' in html and 'data-review-choice="1"' in html
    assert "js/review.js" in html and "<script>" not in html  # no inline script


def test_choosing_a_value_records_who_when_and_moves_on(client, clerk, held):
    batch, items = held
    client.force_login(clerk)
    response = client.post(url("review_item", items["entry"].pk), {"value": "face"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == url("review_item", items["problems"].pk)
    item = ReviewItem.objects.get(pk=items["entry"].pk)
    assert item.decision == {"values": ["face"]} and item.decided_by == clerk and item.decided_at is not None
    event = AuditEvent.objects.get(action="paper.review_decided")
    assert event.actor == clerk and event.team == batch.team
    assert event.detail["decision"] == {"values": ["face"]}
    assert event.detail["machine_read"]["darkness"]["card"] == 0.61


def test_last_decision_writes_the_response(client, planner, held):
    batch, items = held
    client.force_login(planner)
    client.post(url("review_item", items["entry"].pk), {"value": "card"})
    client.post(url("review_item", items["problems"].pk), {"value": ["slow", "small"]})
    response = client.post(url("review_item", items["story"].pk), {"text": "  字太小，看不清。 "}, follow=True)
    assert response.redirect_chain[-1][0] == url("scan_batch", batch.pk)
    paper = Response.objects.get()
    assert "Sheet 1001 is complete: response #%s." % paper.pk in response.content.decode()
    answers = {(a.question.key, a.value or a.text) for a in paper.answers.all()}
    assert {("entry", "card"), ("problems", "slow"), ("problems", "small"), ("story", "字太小，看不清。")} <= answers
    assert paper.entered_by == planner


def test_blank_and_errors(client, clerk, held):
    _, items = held
    client.force_login(clerk)
    response = client.post(url("review_item", items["entry"].pk), {})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose the answer the resident marked" in response.content.decode()
    assert "<title>Error:" in response.content.decode()
    response = client.post(url("review_item", items["entry"].pk), {"value": ["card", "face"]})
    assert "This question takes one answer" in response.content.decode()
    response = client.post(url("review_item", items["entry"].pk), {"value": "bogus"})
    assert "Choose one of the answers shown" in response.content.decode()
    response = client.post(url("review_item", items["story"].pk), {"text": "   "})
    assert "Type what is written" in response.content.decode()
    assert ReviewItem.objects.filter(decided_at=None).count() == 3
    client.post(url("review_item", items["story"].pk), {"blank": "1"})
    assert ReviewItem.objects.get(pk=items["story"].pk).decision == {"blank": True}


def test_a_decided_item_is_not_decided_again(client, clerk, planner, held):
    _, items = held
    client.force_login(clerk)
    client.post(url("review_item", items["entry"].pk), {"value": "card"})
    client.force_login(planner)
    response = client.post(url("review_item", items["entry"].pk), {"value": "face"}, follow=True)
    assert "already decided" in response.content.decode()
    assert "Decided by 李明" in response.content.decode()
    assert ReviewItem.objects.get(pk=items["entry"].pk).decision == {"values": ["card"]}


def test_viewers_see_no_scanned_handwriting(client, viewer, held):
    """A crop is part of one resident's form: row-level data, like the response exports."""
    batch, items = held
    client.force_login(viewer)
    for address in (url("review_item", items["entry"].pk), url("review_crop", items["entry"].pk),
                    url("review_next", batch.pk)):
        assert client.get(address).status_code == HTTPStatus.FORBIDDEN
    assert client.post(url("review_item", items["entry"].pk), {"value": "card"}).status_code == HTTPStatus.FORBIDDEN
    assert ReviewItem.objects.get(pk=items["entry"].pk).decided_at is None
    # The batch's progress and counts stay readable, without links into the forms.
    page = client.get(reverse("surveys:scan_batch", kwargs={"pk": batch.pk})).content.decode()
    assert reverse("surveys:review_next", kwargs={"pk": batch.pk}) not in page
    listing = client.get(reverse("surveys:scan_list")).content.decode()
    assert f"Batch {batch.pk}" in listing or str(batch.pk) in listing
    assert reverse("surveys:review_next", kwargs={"pk": batch.pk}) not in listing


@pytest.mark.parametrize("persona", ["other_planner", "outsider"])
def test_other_teams_get_404(client, request, persona, held):
    batch, items = held
    client.force_login(request.getfixturevalue(persona))
    item = items["entry"]
    for address in (url("review_item", item.pk), url("review_crop", item.pk), url("review_next", batch.pk)):
        assert client.get(address).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url("review_item", item.pk), {"value": "card"}).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_is_sent_to_sign_in(client, held):
    _, items = held
    for address in (url("review_item", items["entry"].pk), url("review_crop", items["entry"].pk)):
        response = client.get(address)
        assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response.url


def test_crop_is_a_png_served_privately(client, clerk, held):
    _, items = held
    client.force_login(clerk)
    response = client.get(url("review_crop", items["entry"].pk))
    assert response["Content-Type"] == "image/png" and response["Cache-Control"].startswith("private")
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
