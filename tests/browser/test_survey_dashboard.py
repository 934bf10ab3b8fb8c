"""A planner reads the survey dashboard in a real browser: charts drawn from our own plotly,
filters that update the figures in place with htmx (the URL follows) and that work as a plain
form without JavaScript. Zero axe violations at 390 and 1280 px, standard and largest text.

Set CITYLAB_SCREENSHOTS=<folder> to keep a screenshot of every state checked.
"""

from __future__ import annotations

import pytest

from tests.browser.a11y import Rules, layout_problems
from tests.browser.screenshots import keep_screenshot
from tests.surveys.conftest import occupations, survey  # noqa: F401  (fixtures)
from tests.surveys.test_dashboard import population  # noqa: F401  (fixture)
from tests.surveys.test_results import make_responses
from surveys.models import Channel

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]
URL = "/staff/surveys/door-access/dashboard/"


@pytest.fixture
def answered(survey, population):  # noqa: F811
    make_responses(survey, 30)
    make_responses(survey, 6, start=30, channel=Channel.PAPER)
    return survey


def check(page, axe, size: str, name: str) -> list[str]:
    rules = Rules.for_step(size, "staff")
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.reload()  # charts are laid out for the width they are drawn at, as on a phone
        page.wait_for_load_state("networkidle")
        found = axe.check(page) + layout_problems(page, rules, check_scroll=width == min(WIDTHS))
        problems += [f"[{width}px] {problem}" for problem in found]
        keep_screenshot(page, f"{name}-{size}-{width}")
    return problems


@pytest.mark.parametrize("size", ["standard", "largest"])
def test_filters_update_the_charts_in_place(new_session, sign_in, axe, planner, answered, size):
    session = new_session(width=1280)
    session.text_size(size)
    session.language("en")
    sign_in(session, planner)
    page = session.page()
    assert page.goto(URL).status == 200
    page.wait_for_selector("#chart-coverage .chart-plot .main-svg")  # plotly drew it
    assert "36 responses match" in page.locator("#dashboard-figures").inner_text()
    problems = check(page, axe, size, "dashboard")

    page.evaluate("window.__same_page = true")
    with page.expect_response(lambda r: "district=xingang" in r.url):
        page.select_option("select[name=district]", "xingang")
    page.wait_for_function("document.querySelector('#dashboard-figures').innerText.includes('18 responses match')")
    assert page.evaluate("window.__same_page") is True  # swapped in place, not a new page
    assert "district=xingang" in page.url  # the URL holds the filter, to share
    page.wait_for_selector("#chart-coverage .chart-plot .main-svg")  # drawn again after the swap
    assert "district=xingang" in page.locator("#chart-channels .chart-download a").get_attribute("href")
    problems += check(page, axe, size, "dashboard-filtered")
    assert not problems, f"{size} text:\n" + "\n".join(problems)


def test_filters_work_without_javascript(new_session, sign_in, axe, viewer, answered):
    session = new_session(width=390, javascript=False)
    session.language("en")
    sign_in(session, viewer)
    page = session.page()
    assert page.goto(URL).status == 200
    page.select_option("select[name=channel]", "paper")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "channel=paper" in page.url
    figures = page.locator("#dashboard-figures").inner_text()
    assert "6 responses match" in figures
    assert "<5" in figures  # a reader sees small cells hidden
    assert page.locator("#chart-channels table").is_visible()  # without JS the table is the chart
    keep_screenshot(page, "dashboard-nojs-390")
    # axe runs as a script, so the same page is checked in a browser with JavaScript.
    checker = new_session(width=390)
    checker.language("en")
    sign_in(checker, viewer)
    page = checker.page()
    assert page.goto(f"{URL}?channel=paper").status == 200
    problems = check(page, axe, "standard", "dashboard-viewer")
    assert not problems, "\n".join(problems)
