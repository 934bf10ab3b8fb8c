"""The "please wait" page a flood gets (HTTP 429) is read by residents too: in a real browser,
in both languages and in standard and largest text, at a phone's 390 and 320 px, it passes axe
and the layout rules, and its "Try again" sends the resident's answer once the wait is over."""

from __future__ import annotations

import pytest

from surveys.models import Kind, Progress, Purpose, Status, Survey
from tests.browser.a11y import Rules, layout_problems
from tests.surveys.conftest import add_question

pytestmark = pytest.mark.browser

WIDTHS = [390, 320]
TITLE = {"zh-hans": "请稍等片刻", "en": "Please wait a moment"}


@pytest.fixture
def survey(team) -> Survey:
    s = Survey.objects.create(team=team, slug="bus-stops", title_zh="公交站台需求调查", title_en="Bus stop needs",
                              purpose=Purpose.NEEDS, status=Status.OPEN)
    for key in ("q01", "q02", "q03"):
        add_question(s, key, Kind.YES_NO, f"问题 {key}？", f"Question {key}?")
    return s


@pytest.mark.parametrize(("size", "language"), [("standard", "zh-hans"), ("largest", "zh-hans"), ("largest", "en")])
def test_the_429_page_is_accessible_and_try_again_keeps_the_answer(settings, new_session, axe, survey, size, language):
    rules = settings.CITYLAB_RATE_LIMITS
    settings.CITYLAB_RATE_LIMITS = {**rules, "survey": {**rules["survey"], "limit": 1, "window": 3600}}
    session = new_session(width=390)
    session.text_size(size)
    session.language(language)
    page = session.page()
    page.goto("/s/bus-stops/q/q01/")
    page.check("input[value=yes]")
    page.click("main button[type=submit]")
    page.check("input[value=no]")
    with page.expect_navigation() as navigation:
        page.click("main button[type=submit]")
    assert navigation.value.status == 429
    assert page.locator("h1").inner_text() == TITLE[language] and page.title().startswith(TITLE[language])

    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        found = axe.check(page) + layout_problems(page, Rules.for_step(size, "public"), check_scroll=True)
        problems += [f"[{width}px] {problem}" for problem in found]
    assert not problems, f"429 page in {size} text, {language}:\n" + "\n".join(problems)

    # The wait is over (here: the limit is lifted); "Try again" sends the "no" chosen before.
    settings.CITYLAB_RATE_LIMITS = {**rules, "survey": {**rules["survey"], "limit": 0}}
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.url.endswith("/s/bus-stops/q/q03/")
    assert Progress.objects.get(survey=survey).answers == {"q01": "yes", "q02": "no"}
