"""A resident signs up as an experience officer on a phone in the largest text size: the form,
its error state and the confirmation pass axe and the layout rules, and the application arrives."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilots.models.panels import Officer, OfficerStatus
from tests.browser.a11y import Rules, layout_problems
from tests.browser.screenshots import keep_screenshot
from tests.pilots.officer_factories import make_occupations

pytestmark = pytest.mark.browser

# Unlike the other browser tests, these pages are always pictured, into a folder of their own,
# whether or not CITYLAB_SCREENSHOTS is set.
SHOTS = Path("/tmp/citylab-shots/officers")


def check_page(page, axe, rules: Rules, label: str) -> list[str]:
    return [f"{label}: {p}" for p in axe.check(page) + layout_problems(page, rules, check_scroll=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_officer_signs_up_in_the_largest_text(new_session, axe, team, places, language):
    make_occupations()
    session = new_session(width=390)
    session.text_size("largest")
    session.language(language)
    rules = Rules.for_step("largest", "public")
    page = session.page()
    problems: list[str] = []

    page.goto(f"/join/{team.code}/")
    assert page.locator("h1").count() == 1
    assert page.locator("input:checked").count() == 0, "something is pre-selected"
    problems += check_page(page, axe, rules, "form")
    keep_screenshot(page, f"signup-{language}-390", folder=SHOTS)

    # The error state: a wrong community for the district, and no consent.
    page.fill("[name=full_name]", "周秀英")
    page.fill("[name=phone]", "139 1234 5678")
    page.get_by_label("70+", exact=True).check()
    page.locator("input[name=district]").nth(1).check()  # New Harbour
    page.select_option("[name=community]", label="灯塔社区" if language == "zh-hans" else "Lighthouse")
    page.locator("input[name=occupation]").first.check()
    page.check("input[name=smartphone][value=none]")
    page.check("input[name=availability][value=weekend]")
    page.click("button.button-continue")
    page.wait_for_load_state()
    assert page.title().startswith("错误：" if language == "zh-hans" else "Error:")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    assert page.locator(".error-summary li").count() == 2
    assert page.input_value("[name=full_name]") == "周秀英"  # answers kept
    problems += check_page(page, axe, rules, "form (error)")
    keep_screenshot(page, f"signup-error-{language}-390", folder=SHOTS)

    page.select_option("[name=community]", index=0)  # "Not sure"
    page.check("input[name=consent]")
    page.click("button.button-continue")
    page.wait_for_url(f"**/join/{team.code}/thank-you/")
    problems += check_page(page, axe, rules, "confirmation")
    keep_screenshot(page, f"signup-done-{language}-390", folder=SHOTS)

    assert not problems, "\n".join(problems)
    officer = Officer.objects.get()
    assert officer.status == OfficerStatus.PENDING and officer.phone == "13912345678"
    assert officer.age_band.code == "70+" and officer.district.code == "xingang" and officer.community is None


def test_officer_home_and_withdrawal_in_the_largest_text(new_session, axe, sign_in, team, places):
    """The officer's own page (a task, a notice) and the withdrawal confirmation, then withdrawal."""
    import datetime

    from pilots.models import Cycle, Pilot, Stage
    from pilots.models.panels import Assignment, Notice, Task
    from tests.pilots.officer_factories import make_officer_user

    pilot = Pilot.objects.create(team=team, name="Community app, large-font edition", service="Community app")
    cycle = Cycle.objects.create(pilot=pilot, number=1, stage=Stage.PILOTING)
    user, officer = make_officer_user(team, full_name="周秀英")
    task = Task.objects.create(cycle=cycle, title="用大字版应用预约一次维修", place="灯塔社区服务中心",
                               due_on=datetime.date(2026, 12, 15))
    Assignment.objects.create(task=task, officer=officer)
    Notice.objects.create(officer=officer, text="谢谢！您的反馈让应用的字体变大了。")
    session = new_session(width=390)
    session.text_size("largest")
    sign_in(session, user)
    rules = Rules.for_step("largest", "public")
    page = session.page()
    problems: list[str] = []

    page.goto("/officer/")
    assert page.locator("h1").count() == 1
    problems += check_page(page, axe, rules, "officer home")
    keep_screenshot(page, "officer-home-390", folder=SHOTS)
    page.goto("/officer/withdraw/")
    problems += check_page(page, axe, rules, "withdraw")
    page.click("button.button-warning")
    page.wait_for_url("**/officer/withdrawn/")
    problems += check_page(page, axe, rules, "withdrawn")
    keep_screenshot(page, "officer-withdrawn-390", folder=SHOTS)
    assert not problems, "\n".join(problems)
    officer.refresh_from_db()
    assert officer.full_name == "" and officer.user is None


@pytest.mark.parametrize("size", ["standard", "largest"])
def test_staff_officer_pages(new_session, axe, sign_in, planner, team, places, size):
    """The planner's list, an application's decision page (and its error), registration's error
    state and an officer's page, at a phone's width."""
    from django.urls import reverse

    from tests.pilots.officer_factories import make_officer

    applicant = make_officer(team, status=OfficerStatus.PENDING, full_name="周秀英", accessibility_needs="大字")
    session = new_session(width=390)
    session.text_size(size)
    sign_in(session, planner)
    rules = Rules.for_step(size, "staff")
    page = session.page()
    problems: list[str] = []

    page.goto(reverse("pilots:officer_list"))
    problems += check_page(page, axe, rules, "list")
    keep_screenshot(page, f"staff-list-{size}-390", folder=SHOTS)
    page.goto(applicant.get_absolute_url())
    problems += check_page(page, axe, rules, "detail")
    keep_screenshot(page, f"staff-detail-{size}-390", folder=SHOTS)
    page.goto(reverse("pilots:officer_decide", kwargs={"pk": applicant.pk}))
    page.check("input[name=decision][value=decline]")
    page.click("form.stack-form button[type=submit]")
    page.wait_for_load_state()
    problems += check_page(page, axe, rules, "decide (error)")
    keep_screenshot(page, f"staff-decide-error-{size}-390", folder=SHOTS)
    page.goto(reverse("pilots:officer_register"))
    page.click("form.stack-form button[type=submit]")
    page.wait_for_load_state()
    problems += check_page(page, axe, rules, "register (error)")
    keep_screenshot(page, f"staff-register-error-{size}-390", folder=SHOTS)
    assert not problems, "\n".join(problems)
