"""A planner reads a pilot's dashboard, its portfolio and its report in a real browser.

Each page passes axe-core and the layout checks at 390 and 1280 px, in standard and the
largest text, with every chart drawn by plotly.js from our own static files. The filters
work both ways: with JavaScript htmx swaps the charts in place and the URL follows; without
it the same form is a plain GET.
"""

from __future__ import annotations

import pytest

from citylab.models import AgeBand, Community, District, PopulationFigure
from pilots.models import Cycle, Pilot, SegmentCount, Stage
from surveys.models import Response, Status, Survey
from tests.browser.a11y import Rules, layout_problems
from tests.browser.screenshots import keep_screenshot

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]


@pytest.fixture
def pilot(team, places) -> Pilot:
    pilot = Pilot.objects.create(team=team, name="社区通长辈版试点", service="社区服务应用",
                                 adoption_target=50, equity_floor=40, satisfaction_target=70, min_respondents=30)
    pilot.communities.set(Community.objects.all())
    districts = {d.code: d for d in District.objects.all()}
    bands = {b.code: b for b in AgeBand.objects.all()}
    for (d, a), people in {("laocheng", "18-29"): 4000, ("laocheng", "60-69"): 6000, ("xingang", "18-29"): 5000,
                           ("xingang", "70+"): 3000}.items():
        PopulationFigure.objects.create(district=districts[d], age_band=bands[a], population=people)
    cycles = [
        [("laocheng", "18-29", 143, 101, 60, 90), ("laocheng", "60-69", 437, 61, 30, 60),
         ("xingang", "18-29", 97, 65, 40, 60), ("xingang", "70+", 276, 30, 10, 30), ("xingang", "60-69", 4, 1, 1, 2)],
        [("laocheng", "18-29", 143, 109, 71, 96), ("laocheng", "60-69", 437, 196, 41, 83),
         ("xingang", "18-29", 97, 71, 49, 66), ("xingang", "70+", 276, 44, 15, 41), ("xingang", "60-69", 3, 2, 1, 2)],
    ]
    for number, rows in enumerate(cycles, start=1):
        cycle = Cycle.objects.create(pilot=pilot, number=number,
                                     stage=Stage.OPTIMIZING if number == 1 else Stage.PILOTING)
        SegmentCount.objects.bulk_create(
            SegmentCount(cycle=cycle, district=districts[d], age_band=bands[a], eligible=e, adopters=x, satisfied=s,
                         rated=r)
            for d, a, e, x, s, r in rows
        )
    # An open survey for the portfolio's second table.
    survey = Survey.objects.create(team=pilot.team, slug="door-check", title_zh="门禁使用评估", title_en="Door access check",
                                   status=Status.OPEN)
    Response.objects.bulk_create(Response(survey=survey, survey_version=1, channel=channel)
                                 for channel in ["web"] * 7 + ["paper"] * 3)
    return pilot


def check(page, axe, size: str, name: str, language: str = "en") -> list[str]:
    rules = Rules.for_step(size, "staff")
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(300)  # plotly redraws on resize
        wait_for_charts(page)
        found = axe.check(page) + layout_problems(page, rules, check_scroll=width == min(WIDTHS))
        problems += [f"[{width}px] {problem}" for problem in found]
        keep_screenshot(page, f"{name}-{language}-{size}-{width}")
    return problems


def wait_for_charts(page) -> None:
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-chart]')].every((el) => el.dataset.drawn === 'true')"
    )


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["standard", "largest"])
def test_planner_reads_the_dashboard(new_session, sign_in, axe, planner, pilot, size, language):
    session = new_session(width=390)
    session.text_size(size)
    session.language(language)
    sign_in(session, planner)
    page = session.page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    problems: list[str] = []

    assert page.goto(f"/staff/pilots/{pilot.pk}/dashboard/").status == 200
    wait_for_charts(page)
    assert page.locator(".chart-plot .main-svg").count() > 0  # plotly drew, under our CSP
    problems += [f"dashboard: {p}" for p in check(page, axe, size, "dashboard", language)]

    page.goto("/staff/portfolio/")
    problems += [f"portfolio: {p}" for p in check(page, axe, size, "portfolio", language)]

    page.goto(f"/staff/pilots/{pilot.pk}/report/")
    problems += [f"report: {p}" for p in check(page, axe, size, "report", language)]
    assert not errors, errors
    assert not problems, f"{size} text, {language}:\n" + "\n".join(problems)


def test_filters_swap_the_charts_in_place_with_javascript(new_session, sign_in, planner, pilot):
    session = new_session(width=1280)
    session.language("en")
    sign_in(session, planner)
    page = session.page()
    page.goto(f"/staff/pilots/{pilot.pk}/dashboard/")
    wait_for_charts(page)
    page.evaluate("window.notReloaded = true")
    page.select_option("select[name=district]", "xingang")
    page.wait_for_url("**district=xingang**")
    wait_for_charts(page)
    assert page.evaluate("window.notReloaded") is True  # swapped in place, not a new page
    table = page.locator("#chart-adoption table").inner_text()
    assert "New Harbour" in table and "Old Town" not in table
    assert page.locator("#chart-adoption .main-svg").count() > 0
    page.go_back()
    page.wait_for_url(f"**/staff/pilots/{pilot.pk}/dashboard/")


def test_filters_work_without_javascript(new_session, sign_in, planner, pilot):
    session = new_session(width=390, javascript=False)
    session.language("en")
    sign_in(session, planner)
    page = session.page()
    page.goto(f"/staff/pilots/{pilot.pk}/dashboard/")
    page.select_option("select[name=age_band]", "60-69")
    page.select_option("select[name=cycle]", "1")
    with page.expect_navigation():
        page.click("form.dashboard-filters button[type=submit]")
    assert "age_band=60-69" in page.url and "cycle=1" in page.url
    table = page.locator("#chart-adoption table").inner_text()
    assert "60–69 in Old Town" in table and "18–29" not in table
    assert page.locator("#chart-adoption table").is_visible()
