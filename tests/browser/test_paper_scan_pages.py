"""Scan batch and review pages in a real browser: a real printed form with a double mark, read
by the real reader; axe-core finds nothing; the keyboard decides; without JavaScript the same
decisions are plain form posts. Screenshots go to CITYLAB_SCREENSHOTS when it is set."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.core.files import File

from surveys.paper.models import ReviewItem, ScanBatch
from surveys.paper.scanning import accept_upload, process_batch
from tests.surveys.conftest import occupations, survey  # noqa: F401 - the every-kind survey's fixtures
from tests.surveys.paper_scan_helpers import MARKS, marked_pages, print_real, save_tiff

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("CITYLAB_SCREENSHOTS")


@pytest.fixture
def batch(survey, team, clerk, tmp_path, settings):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path / "media"
    layout, pdf = print_real(survey, [8001])
    marks = {**MARKS, "entry": ["card", "guard"]}  # two marks on a single-choice question
    path = save_tiff(tmp_path / "scan.tif", marked_pages(layout, pdf, 0, marks))
    with path.open("rb") as handle:
        outcome = accept_upload(team=team, user=clerk, files=[File(handle, name="scan.tif")])
    process_batch(outcome.batch)
    return ScanBatch.objects.get(pk=outcome.batch.pk)


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


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
        shot(page, f"scan-{name}-{width}")
    entry = ReviewItem.objects.get(question_key="entry")
    assert page.goto(f"/staff/paper/review/{entry.pk}/").status == 200
    assert page.locator(".review-crop img").evaluate("img => img.naturalWidth") > 100
    problems += [f"review: {p}" for p in axe.check(page)]
    shot(page, f"review-choice-{width}")
    text = ReviewItem.objects.filter(kind="text").first()
    page.goto(f"/staff/paper/review/{text.pk}/")
    problems += [f"review text: {p}" for p in axe.check(page)]
    shot(page, f"review-text-{width}")
    assert not problems, "\n".join(problems)


def test_keyboard_decides_a_choice_and_types_text(new_session, sign_in, clerk, batch):
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
    # Now on the next item: a text box has focus; type and press Enter.
    item = ReviewItem.objects.filter(decided_at=None).order_by("pk").first()
    assert page.url.endswith(f"/staff/paper/review/{item.pk}/")
    if item.kind == "text":
        page.keyboard.type("社区通")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        item.refresh_from_db()
        assert item.decision == {"text": "社区通"}


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
