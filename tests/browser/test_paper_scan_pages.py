"""Scan batch and review pages in a real browser: a real printed form with double marks, read
by the real reader; axe-core finds nothing; the keyboard decides (1-9, B blank, N next, typed
text, and on a page to identify its numbers and R to set it aside); without JavaScript the same
decisions are plain form posts. Screenshots go to CITYLAB_SCREENSHOTS when it is set."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files import File

from surveys.paper.models import ReviewItem, ScanBatch
from surveys.paper.scanning import accept_upload, process_batch
from surveys.paper.synthetic import draw_writing
from tests.browser.screenshots import keep_screenshot
from tests.surveys.conftest import occupations, survey  # noqa: F401 - the every-kind survey's fixtures
from tests.surveys.paper_scan_helpers import DPI, MARKS, marked_pages, print_real, save_tiff

pytestmark = pytest.mark.browser


@pytest.fixture
def batch(survey, team, clerk, tmp_path, settings):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    layout, pdf = print_real(survey, [8001])
    # Two marks on two single-choice questions: both held for a clerk.
    marks = {**MARKS, "entry": ["card", "guard"], "uses_phone": ["yes", "no"]}
    images = marked_pages(layout, pdf, 0, marks)
    # A word in the "story" box, for a clerk to type (empty boxes are decided blank).
    number, box = next((n, b) for n, page in enumerate(layout["pages"]) for b in page["boxes"]
                       if b["question"] == "story")
    draw_writing(images[number], box, "word", DPI, np.random.default_rng(5))
    path = save_tiff(tmp_path / "scan.tif", images)
    with path.open("rb") as handle:
        outcome = accept_upload(team=team, user=clerk, files=[File(handle, name="scan.tif")])
    process_batch(outcome.batch)
    return ScanBatch.objects.get(pk=outcome.batch.pk)


@pytest.mark.parametrize("width", [1280, 390])
def test_batch_and_review_pages_pass_axe(new_session, sign_in, axe, clerk, batch, width):
    session = new_session(width=width)
    session.language("en")
    sign_in(session, clerk)
    page = session.page()
    problems = []
    for name, path in [("upload", "/staff/paper/scans/new/"), ("list", "/staff/paper/scans/"),
                       ("batch", f"/staff/paper/scans/{batch.pk}/")]:
        assert page.goto(path).status == 200
        problems += [f"{name}: {p}" for p in axe.check(page)]
        keep_screenshot(page, f"scan-{name}-{width}")
    entry = ReviewItem.objects.get(question_key="entry")
    assert page.goto(f"/staff/paper/review/{entry.pk}/").status == 200
    assert page.locator(".review-crop img").evaluate("img => img.naturalWidth") > 100
    problems += [f"review: {p}" for p in axe.check(page)]
    keep_screenshot(page, f"review-choice-{width}")
    text = ReviewItem.objects.filter(kind="text").first()
    page.goto(f"/staff/paper/review/{text.pk}/")
    problems += [f"review text: {p}" for p in axe.check(page)]
    keep_screenshot(page, f"review-text-{width}")
    assert not problems, "\n".join(problems)


def test_keyboard_decides_a_choice_types_text_marks_blank_and_skips(new_session, sign_in, clerk, batch):
    session = new_session()
    session.language("en")
    sign_in(session, clerk)
    page = session.page()
    entry = ReviewItem.objects.get(question_key="entry")
    page.goto(f"/staff/paper/review/{entry.pk}/")
    assert page.locator("[data-review-keys]").is_visible()
    with page.expect_navigation():
        page.keyboard.press("3")  # the third answer: "The guard opens it"
    entry.refresh_from_db()
    assert entry.decision == {"values": ["guard"]} and entry.decided_by == clerk

    # N skips to the next question and decides nothing.
    phone = ReviewItem.objects.get(question_key="uses_phone")
    page.goto(f"/staff/paper/review/{phone.pk}/")
    following = page.locator("[data-review-next]").get_attribute("href")
    assert following and following != f"/staff/paper/review/{phone.pk}/"
    with page.expect_navigation():
        page.keyboard.press("n")
    assert page.url.endswith(following)
    phone.refresh_from_db()
    assert phone.decided_at is None

    # B marks it blank.
    page.goto(f"/staff/paper/review/{phone.pk}/")
    with page.expect_navigation():
        page.keyboard.press("b")
    phone.refresh_from_db()
    assert phone.decision == {"blank": True} and phone.decided_by == clerk

    # Writing: the text box has focus; type and press Enter. B and N are letters there.
    story = ReviewItem.objects.get(question_key="story")
    assert story.kind == "text"
    page.goto(f"/staff/paper/review/{story.pk}/")
    page.keyboard.type("Bus N°3 社区通")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    story.refresh_from_db()
    assert story.decision == {"text": "Bus N°3 社区通"} and story.decided_by == clerk


def test_without_javascript_buttons_decide(new_session, sign_in, clerk, batch):
    session = new_session(javascript=False)
    session.language("en")
    sign_in(session, clerk)
    page = session.page()
    entry = ReviewItem.objects.get(question_key="entry")
    page.goto(f"/staff/paper/review/{entry.pk}/")
    assert not page.locator("[data-review-keys]").is_visible()
    with page.expect_navigation():
        page.get_by_role("button", name="Key card").click()
    entry.refresh_from_db()
    assert entry.decision == {"values": ["card"]}


@pytest.fixture
def lost(survey, team, clerk, tmp_path, settings):  # noqa: F811
    """Sheet 8101 with its page 1 code torn off, and a blank sheet of paper scanned with it."""
    settings.MEDIA_ROOT = tmp_path / "media"
    layout, pdf = print_real(survey, [8101])
    pages = marked_pages(layout, pdf, 0, MARKS)
    qr, scale = layout["pages"][0]["qr"], DPI / 72
    pages[0][int(qr["y"] * scale) - 3:int((qr["y"] + qr["size"]) * scale) + 3,
             int(qr["x"] * scale) - 3:int((qr["x"] + qr["size"]) * scale) + 3] = 255
    pages.append(np.full_like(pages[0], 250))
    path = save_tiff(tmp_path / "lost.tif", pages)
    with path.open("rb") as handle:
        outcome = accept_upload(team=team, user=clerk, files=[File(handle, name="lost.tif")])
    process_batch(outcome.batch)
    torn, blank = ReviewItem.objects.filter(kind="page").order_by("page__index")
    return torn, blank


@pytest.mark.parametrize("width", [1280, 390])
def test_page_to_identify_passes_axe_also_with_an_error(new_session, sign_in, axe, clerk, lost, width):
    torn, _ = lost
    session = new_session(width=width)
    session.language("en")
    sign_in(session, clerk)
    page = session.page()
    assert page.goto(f"/staff/paper/review/{torn.pk}/").status == 200
    assert page.locator(".review-crop img").evaluate("img => img.naturalWidth") > 100
    problems = [f"identify: {p}" for p in axe.check(page)]
    keep_screenshot(page, f"review-page-{width}")
    page.fill("#id_serial", "999999")
    page.fill("#id_page", "1")
    with page.expect_navigation():
        page.get_by_role("button", name="This is the page").click()
    assert page.title().startswith("Error:")
    problems += [f"identify error: {p}" for p in axe.check(page)]
    keep_screenshot(page, f"review-page-error-{width}")
    assert not problems, "\n".join(problems)


def test_keyboard_names_a_page_and_sets_a_blank_sheet_aside(new_session, sign_in, clerk, lost):
    torn, blank = lost
    session = new_session()
    session.language("en")
    sign_in(session, clerk)
    page = session.page()
    page.goto(f"/staff/paper/review/{torn.pk}/")
    assert page.evaluate("document.activeElement.id") == "id_serial"  # ready to type
    page.keyboard.type("8101")
    page.keyboard.press("Tab")
    page.keyboard.type("1")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    torn.refresh_from_db()
    assert torn.decision == {"sheet": 8101, "page": 1} and torn.decided_by == clerk
    first = ReviewItem.objects.filter(page=torn.page).exclude(kind="page").order_by("pk").first()
    assert page.url.endswith(f"/staff/paper/review/{first.pk}/")
    assert page.locator(".review-crop img").evaluate("img => img.naturalWidth") > 50  # the question's crop

    page.goto(f"/staff/paper/review/{blank.pk}/")
    page.locator("h1").click()  # outside the number boxes
    with page.expect_navigation():
        page.keyboard.press("r")
    blank.refresh_from_db()
    assert blank.decision == {"rescan": True} and blank.decided_by == clerk
