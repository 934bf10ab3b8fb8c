"""The panel pages in a real browser: zero axe-core violations, no horizontal scroll at 320 px,
text and targets big enough, in the largest text size and both languages, error states included."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from citylab.models import AgeBand, District, PopulationFigure
from pilots.models import Assignment, Cycle, OfficerStatus, Panel, PanelMember, Pilot, Quota, Stage, Task
from tests.browser.a11y import Rules, layout_problems
from tests.pilots.feedback_factories import make_feedback
from tests.pilots.officer_factories import make_occupations, make_officer

pytestmark = pytest.mark.browser

WIDTHS = [320, 1280]


@pytest.fixture
def task(team, planner) -> Task:
    """A panel with quotas, members in some cells, a pending applicant for a gap, and a task."""
    district = District.objects.create(code="laocheng", name_zh="老城区", name_en="Old Town")
    bands = [AgeBand.objects.create(code=c, min_age=lo, max_age=hi) for c, lo, hi in
             [("18-44", 18, 44), ("45-69", 45, 69), ("70+", 70, None)]]
    occupations = make_occupations()
    for band, n in zip(bands, (500, 300, 200), strict=True):
        PopulationFigure.objects.create(district=district, age_band=band, population=n)
    pilot = Pilot.objects.create(team=team, name="社区通（长辈版）", service="社区服务应用")
    cycle = Cycle.objects.create(pilot=pilot, number=1, stage=Stage.PILOTING)
    panel = Panel.objects.create(team=team, pilot=pilot, name="社区通体验官小组", monthly_limit=1)
    for band in bands:
        for occupation in occupations:
            Quota.objects.create(panel=panel, age_band=band, occupation=occupation, target=2)
    names = iter(["王秀英", "李建国", "张桂兰", "刘志强", "陈丽娟", "杨国华", "黄淑珍"])
    for band in bands[:2]:
        for occupation in occupations:
            officer = make_officer(team, age_band=band, occupation=occupation, district=district, full_name=next(names, "赵海燕"))
            PanelMember.objects.create(panel=panel, officer=officer)
    make_officer(team, age_band=bands[2], occupation=occupations[2], district=district, status=OfficerStatus.PENDING,
                 full_name="周卫东")
    task = Task.objects.create(cycle=cycle, panel=panel, title="用长辈版报修一次", place="社区活动中心",
                               due_on=timezone.localdate() + datetime.timedelta(days=7))
    Assignment.objects.create(task=task, officer=panel.members.first())  # to do: "record feedback"
    make_feedback(Assignment.objects.create(task=task, officer=panel.members.last()))  # reported: "read it"
    return task


def pages(task: Task) -> dict[str, str]:
    panel = task.panel
    return {
        "list": reverse("pilots:panel_list"),
        "detail": panel.get_absolute_url(),
        "coverage": reverse("pilots:panel_coverage", kwargs={"pk": panel.pk}),
        "quotas": reverse("pilots:panel_quotas", kwargs={"pk": panel.pk}),
        "derive": reverse("pilots:panel_quotas_derive", kwargs={"pk": panel.pk}),
        "members": reverse("pilots:panel_members_add", kwargs={"pk": panel.pk}),
        "task-new": reverse("pilots:task_create", kwargs={"pk": panel.pk}),
        "task": reverse("pilots:task_detail", kwargs={"pk": task.pk}),
        "assign": reverse("pilots:task_assign", kwargs={"pk": task.pk}) + "?wanted=4",
    }


def check(page, axe) -> list[str]:
    rules = Rules.for_step("largest", "staff")
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found = axe.check(page) + layout_problems(page, rules, check_scroll=width == min(WIDTHS))
        problems += [f"[{width}px] {problem}" for problem in found]
    return problems


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_panel_pages_pass_the_checklist(new_session, sign_in, axe, planner, task, language):
    session = new_session(width=WIDTHS[0])
    session.text_size("largest")
    session.language(language)
    sign_in(session, planner)
    page = session.page()
    problems = []
    for page_id, path in pages(task).items():
        response = page.goto(path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        problems += [f"{page_id}: {p}" for p in check(page, axe)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_error_states_pass_the_checklist(new_session, sign_in, axe, planner, task, language):
    session = new_session(width=WIDTHS[0])
    session.text_size("largest")
    session.language(language)
    sign_in(session, planner)
    page = session.page()
    problems = []
    # A negative target in the grid, then a task due yesterday: error summary, message by the box.
    page.goto(pages(task)["quotas"])
    page.locator("input.quota-input").first.fill("-1")
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    problems += [f"quotas: {p}" for p in check(page, axe)]
    page.goto(pages(task)["task-new"])
    page.fill("input[name=title]", "报修")
    page.fill("input[name=due_on]", (timezone.localdate() - datetime.timedelta(days=1)).isoformat())
    with page.expect_navigation():
        page.click("main button[type=submit]")
    assert page.locator(".error-summary").is_visible()
    problems += [f"task-new: {p}" for p in check(page, axe)]
    assert not problems, "\n".join(problems)
    assert not Task.objects.filter(title="报修").exists()
