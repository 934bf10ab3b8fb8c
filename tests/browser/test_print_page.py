"""The paper print page in a real browser: the form, a small batch with one PDF and a large one
in parts, with zero axe violations in both languages, on a phone and a desktop, in every text
size. Screenshots go to CITYLAB_SCREENSHOTS when it is set."""

from __future__ import annotations

import pytest

from surveys.paper.printing import print_batch
from tests.browser.screenshots import keep_screenshot
from tests.surveys.conftest import occupations, survey  # noqa: F401 - the survey's fixtures

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("language", "width", "size"),
                         [("en", 1280, "standard"), ("zh-hans", 390, "large"), ("zh-hans", 320, "largest")])
def test_the_print_page_with_a_batch_in_parts_passes_axe(new_session, sign_in, axe, clerk, survey, monkeypatch,  # noqa: F811
                                                         language, width, size):
    monkeypatch.setattr("surveys.paper.printing.PART_COPIES", 2)
    monkeypatch.setattr("surveys.views.paper_print.PART_COPIES", 2)
    print_batch(survey=survey, copies=2, user=clerk)
    print_batch(survey=survey, copies=5, user=clerk)
    session = new_session(width=width)
    session.language(language)
    session.text_size(size)
    sign_in(session, clerk)
    page = session.page()
    assert page.goto(f"/staff/surveys/{survey.slug}/paper/print/").status == 200
    links = page.locator(".batch .link-list a")
    assert links.count() == 1 + 3  # the small batch's file, then the large one's three parts
    problems = axe.check(page)
    keep_screenshot(page, f"print-page-{language}-{width}-{size}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not problems, "\n".join(problems)
    hrefs = [links.nth(n).get_attribute("href") for n in range(links.count())]
    assert [h.rsplit("?", 1)[-1] for h in hrefs[:3]] == ["part=1", "part=2", "part=3"]  # the newest batch first
    opened = page.request.get(hrefs[2])
    assert opened.status == 200 and opened.headers["content-type"] == "application/pdf"
