"""Scanning workflows: accepting an upload, reading a batch page by page, duplicates, unknown
forms, resuming after a crash, and sheets becoming responses (with a scripted reader)."""

from __future__ import annotations

import pytest
from django.utils import translation

from citylab.models import Community
from surveys.models import Channel, Response
from surveys.paper import scanfiles
from surveys.paper.completion import decide
from surveys.paper.models import PageStatus, ReviewItem, ScanBatch, ScanPage, ScanStatus
from surveys.paper.scanning import accept_upload, process_batch
from tests.surveys.paper_scan_helpers import (
    Hold, Result, ScriptedReader, answers_page_1, answers_page_2, page_of, pdf_pages, png_bomb, png_page,
    print_sheets, tiff_pages, upload,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


@pytest.fixture
def sheets(survey):
    return print_sheets(survey, copies=3)


def clean_sheet(survey, serial: int, first: int = 1) -> dict[int, Result]:
    """Two scripted pages of one sheet, every mark clear."""
    return {
        first: Result(page_of(survey, serial, 1), answers=answers_page_1()),
        first + 1: Result(page_of(survey, serial, 2), answers=answers_page_2()),
    }


def scan(team, clerk, files, script, **kwargs):
    outcome = accept_upload(team=team, user=clerk, files=files)
    reader = ScriptedReader(script)
    result = process_batch(outcome.batch, read=reader, **kwargs)
    outcome.batch.refresh_from_db()
    return outcome, result, reader


# --- Upload -----------------------------------------------------------------------------------


def test_good_files_are_stored_and_counted(team, clerk):
    outcome = accept_upload(team=team, user=clerk, files=[upload("a.png", png_page(1)), upload("b.tif", tiff_pages(1, 2, 3)),
                                                           upload("c.pdf", pdf_pages(2))])
    assert [f.pages for f in outcome.accepted] == [1, 3, 2]
    assert outcome.batch.pages_total == 6
    assert outcome.batch.status == ScanStatus.QUEUED
    assert outcome.batch.uploaded_by == clerk


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.pdf", b"", "The file is empty (0 bytes)"),
        ("notes.txt", b"minutes of the meeting", "This is not a scan: upload PDF, TIFF, PNG or JPEG files."),
        ("fake.png", b"MZ\x90\x00 an exe renamed", "This is not a scan"),
        ("broken.pdf", b"%PDF-1.4\n1 0 obj garbage", "The PDF is damaged"),
        ("secret.pdf", None, "protected with a password"),
        ("bomb.png", png_bomb(), "far larger than a scanned page"),
        ("wide.png", png_bomb(9000, 9000), "The picture is 9,000 × 9,000 pixels, far larger than a scanned page"),
        ("broken.png", png_page(1)[:40], "The picture is damaged"),
    ],
)
def test_bad_file_is_refused_with_a_reason_and_the_rest_goes_through(team, clerk, name, content, message):
    if content is None:
        content = pdf_pages(1, password="s3cret")
    outcome = accept_upload(team=team, user=clerk, files=[upload(name, content), upload("good.png", png_page(1))])
    assert [f.name for f in outcome.accepted] == ["good.png"]
    [refused] = outcome.refused
    assert refused.name == name and message in refused.problem
    assert not refused.upload  # nothing unreadable is kept
    assert outcome.batch.pages_total == 1


def test_a_ten_thousand_page_pdf_is_refused_naming_the_limit(team, clerk):
    outcome = accept_upload(team=team, user=clerk, files=[upload("archive.pdf", pdf_pages(10_000))])
    [refused] = outcome.refused
    assert refused.problem == (
        "The file has 10,000 pages; at most 2,000 pages per file can be read. Split it into smaller files."
    )
    assert outcome.batch.status == ScanStatus.DONE and outcome.batch.message == "No file could be read."


def test_a_file_over_the_size_limit_is_refused(team, clerk, monkeypatch):
    monkeypatch.setattr(scanfiles, "MAX_FILE_BYTES", 100)
    outcome = accept_upload(team=team, user=clerk, files=[upload("big.pdf", pdf_pages(3))])
    assert outcome.refused[0].problem.endswith("MB per file can be uploaded. Split it into smaller files.")


# --- Reading a batch --------------------------------------------------------------------------


def test_a_clean_sheet_becomes_one_paper_response(team, clerk, survey, sheets):
    outcome, result, _ = scan(team, clerk, [upload("s.tif", tiff_pages(1, 2))], clean_sheet(survey, 1001))
    assert outcome.batch.status == ScanStatus.DONE
    assert (outcome.batch.pages_done, outcome.batch.pages_total) == (2, 2)
    assert result.responses_created == 1
    sheets[0].refresh_from_db()
    response = sheets[0].response
    assert response.channel == Channel.PAPER and response.submission_key == "paper:1001"
    assert response.entered_by == clerk
    stored = {(a.question.key, a.value) for a in response.answers.all()}
    assert {("age", "70+"), ("entry", "guard"), ("problems", "slow"), ("ease", "4")} <= stored
    assert response.age_band.code == "70+"  # segments copied onto the response as on the web
    assert [p.status for p in ScanPage.objects.order_by("index")] == [PageStatus.OK, PageStatus.OK]


def test_a_sheet_waits_for_its_other_pages(team, clerk, survey, sheets):
    script = clean_sheet(survey, 1001)
    scan(team, clerk, [upload("p1.png", png_page(1))], script)
    assert Response.objects.count() == 0
    _, result, _ = scan(team, clerk, [upload("p2.png", png_page(2))], script)
    assert result.responses_created == 1 and Response.objects.count() == 1


def test_pages_in_any_order_and_sheets_interleaved(team, clerk, survey, sheets):
    script = {**clean_sheet(survey, 1001, first=1), **clean_sheet(survey, 1002, first=3)}
    _, result, _ = scan(team, clerk, [upload("mixed.tif", tiff_pages(4, 2, 1, 3))], script)
    assert result.responses_created == 2


def test_a_sheet_scanned_twice_in_a_row_is_a_duplicate_and_counted_once(team, clerk, survey, sheets):
    script = clean_sheet(survey, 1001)
    _, result, _ = scan(team, clerk, [upload("twice.tif", tiff_pages(1, 2, 1, 2))], script)
    statuses = [p.status for p in ScanPage.objects.order_by("index")]
    assert statuses == [PageStatus.OK, PageStatus.OK, PageStatus.DUPLICATE, PageStatus.DUPLICATE]
    duplicate = ScanPage.objects.get(index=3)
    assert duplicate.reason.startswith("Sheet 1001 page 1 was scanned before; it is not counted again.")
    assert "page 1 of “twice.tif”" in duplicate.reason
    assert result.responses_created == 1 and Response.objects.count() == 1


def test_a_sheet_rescanned_in_another_batch_creates_no_second_response(team, clerk, survey, sheets):
    script = clean_sheet(survey, 1001)
    scan(team, clerk, [upload("monday.tif", tiff_pages(1, 2))], script)
    outcome, result, _ = scan(team, clerk, [upload("tuesday.tif", tiff_pages(1, 2))], script)
    assert set(outcome.batch.pages.values_list("status", flat=True)) == {PageStatus.DUPLICATE}
    assert result.responses_created == 0 and Response.objects.count() == 1


def test_a_page_from_another_city_is_unreadable_with_the_reason(team, clerk, survey, sheets):
    script = {1: Result(page_of(survey, 1001, 1, site="0badc0de"), answers=answers_page_1())}
    outcome, _, _ = scan(team, clerk, [upload("x.png", png_page(1))], script)
    page = outcome.batch.pages.get()
    assert page.status == PageStatus.UNREADABLE
    assert page.reason == "Not a form printed by this CityLab: the page comes from another city's survey."
    assert page.sheet is None and page.image  # kept for a person to look at


def test_an_unknown_survey_version_is_reported(team, clerk, survey, sheets):
    script = {1: Result(page_of(survey, 1001, 1, version=7), answers=answers_page_1())}
    outcome, _, _ = scan(team, clerk, [upload("x.png", png_page(1))], script)
    assert outcome.batch.pages.get().reason == "Survey version 7 is unknown: no forms of that version were printed."


def test_an_unknown_serial_and_another_teams_survey_are_reported(team, other_team, clerk, survey, sheets):
    survey.team = other_team
    script = {1: Result(page_of(survey, 1001, 1))}
    outcome, _, _ = scan(other_team, clerk, [upload("x.png", png_page(1))], script)
    assert "belongs to another team's survey" in outcome.batch.pages.get().reason
    script = {1: Result(page_of(survey, 999_999, 1))}
    outcome, _, _ = scan(team, clerk, [upload("x.png", png_page(1))], script)
    assert outcome.batch.pages.get().reason == "Sheet 999999 was not printed for this survey and version."


def test_a_page_without_a_code_is_unreadable_and_the_batch_goes_on(team, clerk, survey, sheets):
    script = {9: Result(None, status="unreadable", reason="No QR code was found on the page."), **clean_sheet(survey, 1001)}
    outcome, result, _ = scan(team, clerk, [upload("a.tif", tiff_pages(9, 1, 2))], script)
    assert [p.status for p in outcome.batch.pages.order_by("index")] == ["unreadable", "ok", "ok"]
    assert outcome.batch.pages.get(index=1).reason == "No QR code was found on the page."
    assert result.responses_created == 1
    assert "3 pages read: 2 read, 0 for review, 0 scanned before, 1 unreadable." == outcome.batch.message


def test_a_page_failing_before_the_lookup_keeps_its_own_reason_not_the_previous_pages(team, clerk, survey, sheets):
    script = {
        1: Result(page_of(survey, 1001, 1, site="0badc0de"), answers=answers_page_1()),
        2: Result(page_of(survey, 1001, 2), status="unreadable", reason="Too few corner markers (found 2 of 4).",
                  looks_up=False),
        **clean_sheet(survey, 1002, first=3),
        5: Result(page_of(survey, 1002, 1), status="unreadable", reason="The corner markers do not line up.",
                  looks_up=False),
    }
    outcome, _, _ = scan(team, clerk, [upload("a.tif", tiff_pages(1, 2, 3, 5))], script)
    pages = {p.index: p for p in outcome.batch.pages.all()}
    assert pages[1].reason.startswith("Not a form printed by this CityLab")
    assert (pages[2].status, pages[2].reason, pages[2].sheet) == ("unreadable", "Too few corner markers (found 2 of 4).", None)
    assert pages[3].sheet.serial == 1002
    # After a page that was placed, the next one failing early is not taken for that sheet.
    assert (pages[4].status, pages[4].reason, pages[4].sheet) == ("unreadable", "The corner markers do not line up.", None)


# --- Review and responses ---------------------------------------------------------------------


def held_sheet(survey, serial=1001):
    return {
        1: Result(page_of(survey, serial, 1), status="review", reason="1 question needs a clerk.",
                  answers=answers_page_1(entry=[]) | {"entry": []}, holds=[Hold("entry")]),
        2: Result(page_of(survey, serial, 2), status="review", reason="Writing to type.",
                  answers=answers_page_2(), holds=[Hold("story", kind="text", machine_read={})]),
    }


def test_held_items_wait_for_a_clerk_then_the_sheet_becomes_a_response(team, clerk, survey, sheets):
    script = held_sheet(survey)
    del script[1].answers["entry"]
    outcome, result, _ = scan(team, clerk, [upload("a.tif", tiff_pages(1, 2))], script)
    assert result.responses_created == 0
    items = list(ReviewItem.objects.order_by("pk"))
    assert [(i.question_key, i.kind) for i in items] == [("entry", "choice"), ("story", "text")]
    assert items[0].crop.name.endswith(".png") and items[0].machine_read["darkness"]["card"] == 0.61
    assert decide(items[0], {"values": ["card"]}, user=clerk) is None
    response = decide(items[1], {"text": "字太小"}, user=clerk)
    assert response is not None and response.submission_key == "paper:1001"
    answers = {a.question.key: a.value or a.text for a in response.answers.all()}
    assert answers["entry"] == "card" and answers["story"] == "字太小"
    items[1].refresh_from_db()
    assert items[1].decided_by == clerk and items[1].decided_at is not None


def test_blank_decision_leaves_the_question_unanswered(team, clerk, survey, sheets):
    script = held_sheet(survey)
    scan(team, clerk, [upload("a.tif", tiff_pages(1, 2))], script)
    entry, story = ReviewItem.objects.order_by("pk")
    decide(entry, {"blank": True}, user=clerk)
    response = decide(story, {"blank": True}, user=clerk)
    keys = set(response.answers.values_list("question__key", flat=True))
    assert "entry" not in keys and "story" not in keys  # required on the web, optional on paper


def test_an_answer_that_does_not_fit_goes_back_to_the_queue(team, clerk, survey, sheets):
    script = clean_sheet(survey, 1001)
    script[2] = Result(page_of(survey, 1001, 2), status="review", answers=answers_page_2(),
                       holds=[Hold("trips", kind="text", machine_read={})])
    scan(team, clerk, [upload("a.tif", tiff_pages(1, 2))], script)
    trips = ReviewItem.objects.get()
    assert decide(trips, {"text": "about forty"}, user=clerk) is None
    again = ReviewItem.objects.get(decided_at=None)
    assert again.question_key == "trips" and again.kind == "text"
    assert again.reason == "The answer does not fit the question: Enter a number, like 3."
    response = decide(again, {"text": "4"}, user=clerk)
    assert response.answers.get(question__key="trips").number == 4


def test_the_print_batch_community_fills_the_community_question(team, clerk, survey):
    community = Community.objects.get(code="dengta")
    print_sheets(survey, copies=1, first=5001, community=community)
    _, result, _ = scan(team, clerk, [upload("a.tif", tiff_pages(1, 2))], clean_sheet(survey, 5001))
    response = Response.objects.get()
    assert response.community == community


# --- Crashes and restarts ---------------------------------------------------------------------


def test_a_restarted_task_goes_on_with_the_pages_not_yet_stored(team, clerk, survey, sheets):
    script = {**clean_sheet(survey, 1001, first=1), **clean_sheet(survey, 1002, first=3)}
    outcome = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2, 3, 4))])

    class Crash(Exception):
        pass

    def crashing(gray, layout_for):
        if int(gray[0, 0]) == 3:
            raise Crash("worker killed")
        return ScriptedReader(script)(gray, layout_for)

    with pytest.raises(Crash):
        process_batch(outcome.batch, read=crashing)
    batch = ScanBatch.objects.get()
    assert batch.status == ScanStatus.FAILED and "start it again" in batch.message
    assert (batch.pages_done, batch.pages_total) == (2, 4)
    assert Response.objects.count() == 1  # the first sheet was complete: nothing stored is lost

    reader = ScriptedReader(script)
    process_batch(batch, read=reader)
    batch.refresh_from_db()
    assert reader.calls == [3, 4]  # pages 1 and 2 were not read again
    assert batch.status == ScanStatus.DONE and (batch.pages_done, batch.pages_total) == (4, 4)
    assert Response.objects.count() == 2


def test_progress_is_counted_page_by_page(team, clerk, survey, sheets):
    seen = []
    outcome = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2))])
    process_batch(outcome.batch, read=ScriptedReader(clean_sheet(survey, 1001)),
                  on_page=lambda page: seen.append(ScanBatch.objects.get().pages_done))
    assert seen == [1, 2]


# --- Pages: upload, batch, list, page images ---------------------------------------------------

from http import HTTPStatus  # noqa: E402

from django.urls import reverse  # noqa: E402
from django_tasks_db.models import DBTaskResult  # noqa: E402

UPLOAD = reverse("surveys:scan_upload")
LIST = reverse("surveys:scan_list")


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def batch_url(batch) -> str:
    return reverse("surveys:scan_batch", kwargs={"pk": batch.pk})


@pytest.mark.parametrize("persona", ["clerk", "planner"])
def test_clerks_and_planners_upload_and_the_batch_is_queued(english, request, persona, team):
    user = request.getfixturevalue(persona)
    english.force_login(user)
    assert english.get(UPLOAD).status_code == HTTPStatus.OK
    response = english.post(UPLOAD, {"team": team.pk, "files": [upload("a.tif", tiff_pages(1, 2)), upload("n.txt", b"hello")]},
                            follow=True)
    batch = ScanBatch.objects.get()
    assert response.redirect_chain == [(batch_url(batch), HTTPStatus.FOUND)]
    html = response.content.decode()
    assert "1 file with 2 pages is being read." in html
    assert "1 file could not be read" in html and "n.txt" in html and "This is not a scan" in html
    assert batch.uploaded_by == user and batch.team == team
    task = DBTaskResult.objects.get()
    assert task.task_path == "surveys.paper.tasks.process_scan_batch" and task.args_kwargs["args"] == [batch.pk]


def test_upload_without_files_says_so(english, clerk, team):
    english.force_login(clerk)
    response = english.post(UPLOAD, {"team": team.pk})
    assert response.status_code == HTTPStatus.OK
    assert "Choose at least one scanned file." in response.content.decode()
    assert "<title>Error:" in response.content.decode()
    assert not ScanBatch.objects.exists()


def test_upload_form_names_the_limits(english, clerk):
    english.force_login(clerk)
    assert "At most 200 MB and 2,000 pages per file." in english.get(UPLOAD).content.decode()


@pytest.mark.parametrize("persona", ["viewer", "outsider"])
def test_viewers_and_outsiders_cannot_upload(client, request, persona, team):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(UPLOAD).status_code == HTTPStatus.FORBIDDEN
    response = client.post(UPLOAD, {"team": team.pk, "files": [upload("a.png", png_page(1))]})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not ScanBatch.objects.exists()


def test_another_teams_planner_uploads_only_to_their_own_team(english, other_planner, team, other_team):
    english.force_login(other_planner)
    assert english.get(UPLOAD).status_code == HTTPStatus.OK
    response = english.post(UPLOAD, {"team": team.pk, "files": [upload("a.png", png_page(1))]})
    assert response.status_code == HTTPStatus.OK and "Select a valid choice" in response.content.decode()
    assert not ScanBatch.objects.exists()


def test_anonymous_is_sent_to_sign_in_everywhere(client, team, clerk, survey, sheets):
    outcome, _, _ = scan(team, clerk, [upload("s.tif", tiff_pages(9))],
                         {9: Result(None, status="unreadable", reason="no code")})
    page = outcome.batch.pages.get()
    for address in (LIST, UPLOAD, batch_url(outcome.batch), reverse("surveys:scan_page_image", kwargs={"pk": page.pk})):
        response = client.get(address)
        assert response.status_code == HTTPStatus.FOUND and "/accounts/login/" in response.url


@pytest.fixture
def finished(team, clerk, survey, sheets):
    script = {**clean_sheet(survey, 1001), 9: Result(None, status="unreadable", reason="No QR code was found on the page.")}
    outcome, _, _ = scan(team, clerk, [upload("monday.tif", tiff_pages(1, 2, 1, 9)), upload("bad.pdf", b"%PDF-1.4 junk")],
                         script)
    return outcome.batch


@pytest.mark.parametrize("persona", ["clerk", "planner", "viewer"])
def test_team_members_see_the_batch_and_each_pages_outcome(english, request, persona, finished):
    english.force_login(request.getfixturevalue(persona))
    response = english.get(batch_url(finished))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "4 of 4 pages read" in html and 'max="4" value="4"' in html
    assert "hx-trigger" not in html  # done: nothing polls
    assert "bad.pdf" in html and "The PDF is damaged" in html
    assert "Sheet 1001 page 1 was scanned before; it is not counted again." in html
    assert "No QR code was found on the page." in html
    # The page itself is one resident's form: linked for those who review, not for viewers.
    image = reverse("surveys:scan_page_image", kwargs={"pk": finished.pages.get(index=4).pk})
    assert (image in html) == (persona != "viewer")
    list_html = english.get(LIST).content.decode()
    assert batch_url(finished) in list_html and "4 of 4" in list_html
    assert ("Upload scans" in list_html) == (persona != "viewer")


@pytest.mark.parametrize("persona", ["other_planner", "outsider"])
def test_other_teams_do_not_see_the_batch_or_its_pages(client, request, persona, finished):
    client.force_login(request.getfixturevalue(persona))
    page = finished.pages.get(index=4)
    assert client.get(batch_url(finished)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("surveys:scan_page_image", kwargs={"pk": page.pk})).status_code == HTTPStatus.NOT_FOUND
    assert batch_url(finished) not in client.get(LIST).content.decode()


def test_page_image_is_served_to_clerks_not_viewers(client, clerk, viewer, finished):
    client.force_login(viewer)
    image = reverse("surveys:scan_page_image", kwargs={"pk": finished.pages.get(index=4).pk})
    assert client.get(image).status_code == HTTPStatus.FORBIDDEN
    assert image not in client.get(batch_url(finished)).content.decode()
    client.force_login(clerk)
    assert image in client.get(batch_url(finished)).content.decode()
    response = client.get(image)
    assert response.status_code == HTTPStatus.OK and response["Content-Type"] == "image/png"
    # A page read cleanly keeps no image of its own: the upload holds it.
    assert client.get(reverse("surveys:scan_page_image", kwargs={"pk": finished.pages.get(index=1).pk})).status_code == 404


def test_progress_polls_while_running_and_reloads_once_when_done(english, clerk, team):
    english.force_login(clerk)
    outcome = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2))])
    batch = outcome.batch
    page = english.get(batch_url(batch)).content.decode()
    assert 'hx-trigger="every 2s"' in page and "0 of 2 pages read" in page
    assert "Reload to see the progress" in page  # without JavaScript
    fragment = english.get(batch_url(batch), headers={"HX-Request": "true"})
    assert fragment.content.decode().lstrip().startswith('<div id="progress"')
    assert "HX-Refresh" not in fragment
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.DONE, pages_done=2)
    fragment = english.get(batch_url(batch), headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true" and "hx-trigger" not in fragment.content.decode()
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]


@pytest.mark.django_db(transaction=True)
def test_the_worker_reads_an_uploaded_batch(english, clerk, team):
    """The real path: the upload queues a task, the worker runs it with the real reader."""
    from django.core.management import call_command

    english.force_login(clerk)
    english.post(UPLOAD, {"team": team.pk, "files": [upload("tiny.png", png_page(1))]})
    batch = ScanBatch.objects.get()
    assert batch.status == ScanStatus.QUEUED
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    batch.refresh_from_db()
    assert batch.status == ScanStatus.DONE and (batch.pages_done, batch.pages_total) == (1, 1)
    page = batch.pages.get()
    assert page.status == PageStatus.UNREADABLE and page.reason  # a 60 px picture is no page
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_a_stopped_batch_can_be_started_again_by_a_clerk(english, clerk, viewer, team, survey, sheets):
    outcome = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2))])
    batch = outcome.batch
    restart = reverse("surveys:scan_restart", kwargs={"pk": batch.pk})
    english.force_login(clerk)
    english.post(restart)
    assert not DBTaskResult.objects.exists()  # queued and not stalled: nothing to restart
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.FAILED, message="Reading stopped")
    assert "Start reading again" in english.get(batch_url(batch)).content.decode()
    english.force_login(viewer)
    assert english.post(restart).status_code == HTTPStatus.FORBIDDEN
    english.force_login(clerk)
    response = english.post(restart, follow=True)
    assert "Reading starts again with the pages not read yet." in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == ScanStatus.QUEUED and DBTaskResult.objects.count() == 1
