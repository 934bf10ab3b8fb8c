"""Pages the machine could not place (no readable code, too few markers): in the batch's review
queue with their reason and picture; a clerk names the sheet and page, answers the page's
questions from the picture, and the sheet becomes one response; or sets the page aside.
Checked per persona, with every wrong identification refused and nothing changed by it."""

from __future__ import annotations

from html import unescape
from http import HTTPStatus

import pytest
from django.core.files import File
from django.urls import reverse
from django.utils import translation

from citylab.models import AuditEvent
from surveys.models import Purpose, Response, Status, Survey
from surveys.paper.models import PageStatus, ReviewItem, ReviewKind, ScanPage
from surveys.paper.scanning import accept_upload, process_batch
from tests.surveys.paper_scan_helpers import (
    DPI, MARKS, PAGE_2, Result, ScriptedReader, answers_page_1, answers_page_2, marked_pages, page_of, print_real,
    print_sheets, save_tiff, tiff_pages, upload,
)

NO_MARKERS = "Too few corner markers (found 2 of 4)."


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


def scan(team, clerk, script, numbers, name="a.tif"):
    outcome = accept_upload(team=team, user=clerk, files=[upload(name, tiff_pages(*numbers))])
    process_batch(outcome.batch, read=ScriptedReader(script))
    return outcome.batch


@pytest.fixture
def lost(survey, team, clerk):
    """Sheet 1001: page 1 read cleanly, page 2 with too few markers (no code read)."""
    print_sheets(survey, copies=2)
    script = {1: Result(page_of(survey, 1001, 1), answers=answers_page_1()),
              9: Result(None, status="unreadable", reason=NO_MARKERS)}
    batch = scan(team, clerk, script, [1, 9])
    return batch, ReviewItem.objects.get(kind=ReviewKind.PAGE)


def url(name: str, pk: int) -> str:
    return reverse(f"surveys:{name}", kwargs={"pk": pk})


def identify(client, item, serial="1001", page="2"):
    return client.post(url("review_item", item.pk), {"serial": serial, "page": page})


def test_the_page_waits_in_the_queue_with_its_reason_and_picture(client, clerk, lost):
    batch, item = lost
    page = item.page
    assert (page.status, page.reason, page.sheet) == (PageStatus.UNREADABLE, NO_MARKERS, None)
    assert item.reason == NO_MARKERS and item.question_key == "" and page.image and not page.aligned
    client.force_login(clerk)
    assert client.get(url("review_next", batch.pk)).url == url("review_item", item.pk)
    html = client.get(url("review_item", item.pk)).content.decode()
    assert "<h1>Which form is this page?</h1>" in html and NO_MARKERS in html
    assert url("scan_page_image", page.pk) in html
    assert 'name="serial"' in html and 'name="page"' in html and 'name="rescan"' in html
    assert "1 question left to review in this batch" in html
    batch_html = client.get(url("scan_batch", batch.pk)).content.decode()
    assert "1 question awaits a clerk." in batch_html and "1 to decide" in batch_html


@pytest.mark.parametrize("persona", ["clerk", "planner"])
def test_named_and_answered_the_sheet_becomes_one_response(client, request, persona, team, survey, lost):
    batch, item = lost
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = identify(client, item)
    questions = list(ReviewItem.objects.filter(page=item.page).exclude(kind=ReviewKind.PAGE).order_by("pk"))
    assert [q.question_key for q in questions] == PAGE_2
    assert [q.kind for q in questions] == ["choice", "choice", "text", "text", "text"]
    assert response.status_code == HTTPStatus.FOUND and response.url == url("review_item", questions[0].pk)
    item.refresh_from_db()
    assert item.decision == {"sheet": 1001, "page": 2} and item.decided_by == user and item.decided_at
    page = ScanPage.objects.get(pk=item.page_id)
    assert (page.sheet.serial, page.page, page.status) == (1001, 2, PageStatus.REVIEW)
    event = AuditEvent.objects.get(action="paper.review_decided")
    assert event.actor == user and event.team == team
    assert event.detail["decision"] == {"sheet": 1001, "page": 2} and event.detail["reason"] == NO_MARKERS

    # The questions are answered as any review item, shown on the whole picture.
    first = client.get(url("review_item", questions[0].pk)).content.decode()
    assert url("scan_page_image", page.pk) in first and "The machine read" not in first
    assert 'data-review-choice="1"' in first
    answers = [{"value": ["slow", "glasses"]}, {"value": "4"}, {"text": "3"}, {"blank": "1"}]
    for question, answer in zip(questions[:-1], answers, strict=True):
        client.post(url("review_item", question.pk), answer)
        assert Response.objects.count() == 0
    done = client.post(url("review_item", questions[-1].pk), {"text": "字太小。"}, follow=True)
    paper = Response.objects.get()
    assert f"Sheet 1001 is complete: response #{paper.pk}." in done.content.decode()
    assert paper.submission_key == "paper:1001" and paper.sheet.serial == 1001
    stored = {(a.question.key, a.value or a.text or a.number) for a in paper.answers.all()}
    assert {("age", "70+"), ("problems", "slow"), ("problems", "glasses"), ("ease", "4"), ("trips", 3),
            ("story", "字太小。")} <= stored
    assert "app_name" not in {key for key, _ in stored}

    # The same page scanned again later is a duplicate, never a second response.
    script = {2: Result(page_of(survey, 1001, 2), answers=answers_page_2())}
    again = scan(team, user, script, [2], name="again.tif")
    assert again.pages.get().status == PageStatus.DUPLICATE and Response.objects.count() == 1


def test_a_page_named_last_completes_its_sheet_when_its_questions_are_answered(client, clerk, team, survey):
    """The other way round: the lost page is page 1, and page 2 was read before."""
    print_sheets(survey, copies=1)
    script = {9: Result(None, status="unreadable", reason=NO_MARKERS),
              2: Result(page_of(survey, 1001, 2), answers=answers_page_2())}
    scan(team, clerk, script, [9, 2])
    item = ReviewItem.objects.get(kind=ReviewKind.PAGE)
    client.force_login(clerk)
    identify(client, item, page="1")
    for question in ReviewItem.objects.filter(decided_at=None).order_by("pk"):
        assert Response.objects.count() == 0
        client.post(url("review_item", question.pk), {"blank": "1"})
    paper = Response.objects.get()
    assert {a.question.key for a in paper.answers.all()} >= {"problems", "ease"}


@pytest.mark.parametrize(
    ("serial", "page", "field", "message"),
    [
        ("999999", "2", "serial", "No sheet 999999 was printed for this team's surveys."),
        ("5001", "2", "serial", "No sheet 5001 was printed for this team's surveys."),  # another team's sheet
        ("1001", "3", "page", "Sheet 1001 has 2 pages: give a page number from 1 to 2."),
        ("1001", "0", "page", "Enter the page number in digits, like 2."),
        ("1001", "1", "page", "Page 1 of sheet 1001 is already stored (page 1 of “a.tif”, scan batch"),
        ("", "2", "serial", "Enter the sheet number printed on the page."),
        ("10O1", "2", "serial", "Enter the sheet number in digits, like 100231."),
    ],
)
def test_a_wrong_identification_is_refused_and_changes_nothing(client, clerk, other_team, lost, serial, page, field,
                                                               message):
    other = Survey.objects.create(team=other_team, slug="bus-stops", title_zh="公交站", title_en="Bus stops",
                                  purpose=Purpose.NEEDS, status=Status.OPEN)
    print_sheets(other, copies=1, first=5001)
    _, item = lost
    client.force_login(clerk)
    response = identify(client, item, serial, page)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = unescape(response.content.decode())
    assert "<title>Error:" in html and message in html
    assert f'<a href="#id_{field}">' in html  # the summary links to the box to correct
    item.refresh_from_db()
    assert item.decided_at is None and item.decision is None
    page_row = ScanPage.objects.get(pk=item.page_id)
    assert (page_row.status, page_row.sheet, page_row.page) == (PageStatus.UNREADABLE, None, None)
    assert ReviewItem.objects.count() == 1 and not AuditEvent.objects.filter(action="paper.review_decided").exists()
    assert f'value="{serial}"' in html  # what was typed is kept


def test_two_lost_pages_cannot_both_be_the_same_sheet_page(client, clerk, team, survey):
    print_sheets(survey, copies=1)
    scan(team, clerk, {9: Result(None, status="unreadable", reason=NO_MARKERS)}, [9, 9])
    first, second = ReviewItem.objects.filter(kind=ReviewKind.PAGE).order_by("pk")
    client.force_login(clerk)
    identify(client, first, page="2")
    response = identify(client, second, page="2")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Page 2 of sheet 1001 is already stored (page 1 of “a.tif”" in response.content.decode()
    assert ScanPage.objects.filter(sheet__serial=1001, page=2).count() == 1


def test_not_a_form_is_set_aside_and_recorded(client, clerk, lost):
    batch, item = lost
    client.force_login(clerk)
    response = client.post(url("review_item", item.pk), {"rescan": "1"}, follow=True)
    assert response.redirect_chain[-1][0] == url("scan_batch", batch.pk)
    assert "Set aside: page 2 of “a.tif” is not counted. Scan it again if it is a form." in response.content.decode()
    item.refresh_from_db()
    assert item.decision == {"rescan": True} and item.decided_by == clerk and item.decided_at
    assert ScanPage.objects.get(pk=item.page_id).status == PageStatus.UNREADABLE
    assert AuditEvent.objects.get(action="paper.review_decided").detail["decision"] == {"rescan": True}
    html = client.get(url("review_item", item.pk)).content.decode()
    assert "Decided by 李明" in html and "Set aside: not a form, or to be scanned again" in html
    again = client.post(url("review_item", item.pk), {"serial": "1001", "page": "2"}, follow=True)
    assert "This page was already dealt with; nothing was changed." in again.content.decode()
    assert ScanPage.objects.get(pk=item.page_id).sheet is None and Response.objects.count() == 0


def test_a_code_read_without_markers_is_offered_not_taken(client, clerk, team, survey):
    print_sheets(survey, copies=1)
    script = {9: Result(page_of(survey, 1001, 2), status="unreadable", reason=NO_MARKERS, looks_up=False)}
    scan(team, clerk, script, [9])
    item = ReviewItem.objects.get(kind=ReviewKind.PAGE)
    assert item.machine_read["suggested"] == {"serial": 1001, "page": 2}
    assert ScanPage.objects.get().sheet is None
    client.force_login(clerk)
    html = client.get(url("review_item", item.pk)).content.decode()
    assert "it says sheet 1001, page 2. Check it against the picture." in html
    assert 'name="serial" id="id_serial" value="1001"' in html and 'id="id_page" value="2"' in html


def test_viewer_neither_sees_nor_identifies_the_page(client, viewer, lost):
    _, item = lost
    client.force_login(viewer)
    assert client.get(url("review_item", item.pk)).status_code == HTTPStatus.FORBIDDEN
    assert client.get(url("scan_page_image", item.page_id)).status_code == HTTPStatus.FORBIDDEN
    for data in ({"serial": "1001", "page": "2"}, {"rescan": "1"}):
        assert client.post(url("review_item", item.pk), data).status_code == HTTPStatus.FORBIDDEN
    item.refresh_from_db()
    assert item.decided_at is None


@pytest.mark.parametrize("persona", ["other_planner", "outsider"])
def test_other_teams_get_404(client, request, persona, lost):
    batch, item = lost
    client.force_login(request.getfixturevalue(persona))
    for address in (url("review_item", item.pk), url("scan_page_image", item.page_id), url("review_next", batch.pk)):
        assert client.get(address).status_code == HTTPStatus.NOT_FOUND
    assert identify(client, item).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url("review_item", item.pk), {"rescan": "1"}).status_code == HTTPStatus.NOT_FOUND
    item.refresh_from_db()
    assert item.decided_at is None


def test_anonymous_is_sent_to_sign_in(client, lost):
    _, item = lost
    for response in (client.get(url("review_item", item.pk)), identify(client, item)):
        assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response.url
    item.refresh_from_db()
    assert item.decided_at is None


def test_pages_of_other_cities_and_teams_are_reported_not_queued(team, clerk, survey):
    print_sheets(survey, copies=1)
    script = {1: Result(page_of(survey, 1001, 1, site="0badc0de")), 2: Result(page_of(survey, 1001, 1, version=9))}
    batch = scan(team, clerk, script, [1, 2])
    assert set(batch.pages.values_list("status", flat=True)) == {PageStatus.UNREADABLE}
    assert not ReviewItem.objects.exists()


# --- Real printed forms, read by the real reader -----------------------------------------------


def blank_out(image, x: float, y: float, w: float, h: float, dpi: int = DPI) -> None:
    """Paint a region (in points) white: a code torn off, a corner folded away."""
    s = dpi / 72
    image[int(y * s) - 3:int((y + h) * s) + 3, int(x * s) - 3:int((x + w) * s) + 3] = 255


def lost_real_page(survey, team, clerk, tmp_path, spoil) -> tuple[dict, ReviewItem]:
    layout, pdf = print_real(survey, [8001])
    pages = marked_pages(layout, pdf, 0, MARKS)
    spoil(layout["pages"][0], pages[0])
    path = save_tiff(tmp_path / "spoilt.tif", pages)
    with path.open("rb") as handle:
        outcome = accept_upload(team=team, user=clerk, files=[File(handle, name="spoilt.tif")])
    process_batch(outcome.batch)
    return layout, ReviewItem.objects.get(kind=ReviewKind.PAGE)


def no_code(page: dict, image) -> None:
    qr = page["qr"]
    blank_out(image, qr["x"], qr["y"], qr["size"], qr["size"])


def two_markers_gone(page: dict, image) -> None:
    for marker in page["markers"][1::2]:
        (x0, y0), _, (x1, y1), _ = marker["corners"]
        blank_out(image, x0, y0, x1 - x0, y1 - y0)


def test_a_page_whose_code_is_torn_off_is_named_then_answered_from_its_question_crops(client, clerk, team, survey,
                                                                                     tmp_path):
    layout, item = lost_real_page(survey, team, clerk, tmp_path, no_code)
    page = item.page
    assert page.status == PageStatus.UNREADABLE and page.reason == "The page's code (QR) cannot be read."
    assert page.aligned  # straightened on its markers: questions can be cut from it
    assert item.machine_read["suggested"] is None and item.machine_read["markers"] == 4
    client.force_login(clerk)
    identify(client, item, "8001", "1")
    questions = list(ReviewItem.objects.filter(page=page).exclude(kind=ReviewKind.PAGE).order_by("pk"))
    printed = [q["key"] for q in layout["pages"][0]["questions"]]
    assert [q.question_key for q in questions] == printed
    for question in questions:
        assert question.crop, question.question_key
        response = client.get(url("review_crop", question.pk))
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    # The clerk answers what the resident marked; page 2's own holds are decided as usual.
    for question in ReviewItem.objects.filter(decided_at=None).order_by("pk"):
        marked = MARKS.get(question.question_key)
        data = {"value": marked} if marked and question.kind == "choice" else {"blank": "1"}
        client.post(url("review_item", question.pk), data)
    paper = Response.objects.get()
    assert paper.submission_key == "paper:8001"
    assert paper.age_band.code == "60-69" and paper.district.code == "xingang"
    assert set(paper.answers.filter(question__key="problems").values_list("value", flat=True)) == {"slow", "small"}


def test_a_page_missing_two_markers_is_shown_whole_to_answer(client, clerk, team, survey, tmp_path):
    _, item = lost_real_page(survey, team, clerk, tmp_path, two_markers_gone)
    page = item.page
    assert page.reason == "Too few corner markers (found 2 of 4)." and not page.aligned
    # The code was still read: offered to the clerk, who confirms it.
    assert item.machine_read["suggested"] == {"serial": 8001, "page": 1}
    client.force_login(clerk)
    response = identify(client, item, "8001", "1")
    first = ReviewItem.objects.filter(page=page, kind=ReviewKind.CHOICE).order_by("pk").first()
    assert response.url == url("review_item", first.pk) and not first.crop
    assert url("scan_page_image", page.pk) in client.get(response.url).content.decode()
