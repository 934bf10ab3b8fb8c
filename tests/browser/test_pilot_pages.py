"""What a planner sees of a pilot: the verdict page and the decision form, in a real browser.

The planner opens a pilot whose cycle keeps optimizing, reads the verdict, tries to scale up
without saying why (the error summary takes focus), then records the decision with an
override reason; the history shows it. Every page passes axe-core and the layout checks at a
phone's 390 px and a desktop's 1280 px, in standard and the largest text.
"""

from __future__ import annotations

import pytest

from citylab.models import AgeBand, Community, District
from pilots.models import Cycle, Decision, Pilot, SegmentCount, Stage
from tests.browser.a11y import Rules, layout_problems

pytestmark = pytest.mark.browser

WIDTHS = [390, 1280]
ERROR_PREFIX = {"zh-hans": "错误：", "en": "Error:"}


@pytest.fixture
def pilot(team, places) -> Pilot:
    pilot = Pilot.objects.create(team=team, name="社区通长辈版试点", service="社区服务应用",
                                 adoption_target=50, equity_floor=40, satisfaction_target=70, min_respondents=30)
    pilot.communities.set(Community.objects.all())
    cycle = Cycle.objects.create(pilot=pilot, number=1, stage=Stage.PILOTING)
    cycle.sites.set(Community.objects.all())
    districts = {d.code: d for d in District.objects.all()}
    bands = {b.code: b for b in AgeBand.objects.all()}
    rows = [("laocheng", "18-29", 143, 109, 71, 96), ("laocheng", "60-69", 437, 96, 41, 83),
            ("xingang", "18-29", 97, 71, 49, 66), ("xingang", "70+", 276, 44, 15, 41)]
    SegmentCount.objects.bulk_create(
        SegmentCount(cycle=cycle, district=districts[d], age_band=bands[a], eligible=e, adopters=x, satisfied=s,
                     rated=r)
        for d, a, e, x, s, r in rows
    )
    return pilot


def check(page, axe, size: str) -> list[str]:
    rules = Rules.for_step(size, "staff")
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found = axe.check(page) + layout_problems(page, rules, check_scroll=width == min(WIDTHS))
        problems += [f"[{width}px] {problem}" for problem in found]
    return problems


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", ["standard", "largest"])
def test_planner_reads_the_verdict_and_records_an_override(new_session, sign_in, axe, planner, pilot, size,
                                                           language):
    session = new_session(width=390)
    session.text_size(size)
    session.language(language)
    sign_in(session, planner)
    page = session.page()
    problems: list[str] = []

    assert page.goto(f"/staff/pilots/{pilot.pk}/").status == 200
    banner = page.locator(".verdict")
    assert banner.is_visible()
    assert ("继续优化" if language == "zh-hans" else "Keep optimizing") in banner.inner_text()
    problems += [f"pilot page: {p}" for p in check(page, axe, size)]

    page.goto(f"/staff/pilots/{pilot.pk}/cycles/1/decide/")
    page.check("input[name=kind][value=scale]")
    page.fill("textarea[name=rationale]", "区里要求年底前在全区推广。")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.title().startswith(ERROR_PREFIX[language])
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    problems += [f"decision error: {p}" for p in check(page, axe, size)]

    page.fill("textarea[name=override_reason]", "老年人的帮办台已经安排好，先推广再改进。")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    decision = Decision.objects.get(cycle__pilot=pilot)
    assert decision.kind == "scale" and decision.verdict == "KEEP_OPTIMIZING"
    assert "帮办台" in page.locator("main").inner_text()
    problems += [f"after the decision: {p}" for p in check(page, axe, size)]
    assert not problems, f"{size} text, {language}:\n" + "\n".join(problems)
