"""An officer reports on a task in the largest text size on a phone: the form, its error state
and the confirmation pass axe and the layout rules, and the report arrives."""

from __future__ import annotations

import pytest
from django.urls import reverse

from pilots.models import Feedback
from tests.browser.a11y import Rules, layout_problems
from tests.browser.screenshots import keep_screenshot
from tests.pilots.conftest import cycle, pilot  # noqa: F401 - fixtures used by name
from tests.pilots.feedback_factories import make_assignment, make_task
from tests.pilots.officer_factories import make_officer_user

pytestmark = pytest.mark.browser


@pytest.fixture
def assignment(team, cycle, places):
    user, officer = make_officer_user(team, age_band=places["bands"][4])
    return user, make_assignment(make_task(cycle, "用社区通报修一次"), officer)


def check(page, axe, rules: Rules, label: str, width: int) -> list[str]:
    keep_screenshot(page, f"{label}-{width}")
    return [f"{label} [{width}px] {p}" for p in axe.check(page) + layout_problems(page, rules, check_scroll=True)]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_officer_reports_in_the_largest_text(new_session, sign_in, axe, assignment, language):
    user, task = assignment
    session = new_session(width=390, height=844)
    session.text_size("largest")
    session.language(language)
    sign_in(session, user)
    rules = Rules.for_step("largest", "public")
    page = session.page()
    problems: list[str] = []

    page.goto(reverse("pilots:feedback_report", kwargs={"assignment": task.pk}))
    assert page.locator("h1").count() == 1
    assert page.locator("input:checked").count() == 0, "something is pre-selected"
    problems += check(page, axe, rules, f"form-{language}", 390)

    # The error state: send without answering.
    page.click("button.button-continue")
    page.wait_for_load_state()
    assert page.title().startswith("错误：" if language == "zh-hans" else "Error:")
    assert page.evaluate("document.activeElement.classList.contains('error-summary')")
    problems += check(page, axe, rules, f"error-{language}", 390)

    page.check("input[name=managed][value=with_help]")
    page.check("input[name=ease][value='2']")
    page.check("input[name=usefulness][value='4']")
    page.check("input[name=accessibility][value='1']")
    page.check("input[name='problem-0-severity'][value=blocker]")
    page.fill("[name='problem-0-description']", "字太小，看不清")
    page.fill("[name=suggestion]", "字再大一点")
    page.click("button.button-continue")
    page.wait_for_load_state()
    assert page.url.endswith(reverse("pilots:feedback_report_done", kwargs={"assignment": task.pk}))
    problems += check(page, axe, rules, f"sent-{language}", 390)
    assert not problems, "\n".join(problems)

    feedback = Feedback.objects.get()
    assert feedback.managed == "with_help" and feedback.accessibility == 1
    assert list(feedback.problems.values_list("severity", "description")) == [("blocker", "字太小，看不清")]


def test_add_another_problem_without_javascript(new_session, sign_in, assignment):
    user, task = assignment
    session = new_session(width=390, javascript=False)
    sign_in(session, user)
    page = session.page()
    page.goto(reverse("pilots:feedback_report", kwargs={"assignment": task.pk}))
    page.fill("[name='problem-2-description']", "第三个问题")
    page.click("button[name=add_problem]")
    assert page.locator("[name='problem-3-description']").count() == 1
    assert page.locator("[name='problem-2-description']").input_value() == "第三个问题"
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("size", ["standard", "largest"])
def test_you_said_we_did_and_triage_pages_pass_axe(new_session, sign_in, axe, planner, team, cycle, places, size):
    from pilots.models import CycleChange
    from tests.pilots.feedback_factories import make_feedback
    from tests.pilots.officer_factories import make_officer

    change = CycleChange.objects.create(cycle=cycle, what="推出大字版（长辈版）", reason="多数老人说字太小，看不清。")
    task = make_task(cycle)
    feedback = [make_feedback(make_assignment(task, make_officer(team, age_band=places["bands"][4])),
                              change=change, status="done", problems=[("blocker", "字太小，看不清")]) for _ in range(6)]
    problems: list[str] = []
    public = new_session(width=390)
    public.text_size(size)
    page = public.page()
    page.goto(reverse("pilots:you_said_we_did", kwargs={"pk": cycle.pilot_id}))
    problems += check(page, axe, Rules.for_step(size, "public"), f"you-said-we-did-{size}", 390)

    staff = new_session(width=390)
    staff.text_size(size)
    sign_in(staff, planner)
    page = staff.page()
    open_one = make_feedback(make_assignment(task, make_officer(team)), problems=[("minor", "慢")])
    page.goto(reverse("pilots:feedback_detail", kwargs={"pk": open_one.pk}))
    problems += check(page, axe, Rules.for_step(size, "staff"), f"detail-{size}", 390)
    page.click("form[action$='triage/'] button[type=submit]")  # nothing chosen: the error state
    page.wait_for_load_state()
    assert page.title().startswith(("错误：", "Error:"))
    problems += check(page, axe, Rules.for_step(size, "staff"), f"detail-error-{size}", 390)
    page.goto(reverse("pilots:feedback_list", kwargs={"pk": cycle.pilot_id}))
    problems += check(page, axe, Rules.for_step(size, "staff"), f"list-{size}", 390)
    page.goto(reverse("pilots:feedback_change_create", kwargs={"pk": open_one.pk}))
    problems += check(page, axe, Rules.for_step(size, "staff"), f"change-{size}", 390)
    page.click("main form button[type=submit]")  # what changes is left for the planner: the error state
    page.wait_for_load_state()
    assert page.title().startswith(("错误：", "Error:"))
    problems += check(page, axe, Rules.for_step(size, "staff"), f"change-error-{size}", 390)
    assert not problems, "\n".join(problems)
    assert len(feedback) == 6


def test_add_another_problem_in_place_keeps_the_photo(new_session, sign_in, assignment, tmp_path):
    from tests.pilots.feedback_factories import jpeg_upload

    user, task = assignment
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(jpeg_upload().read())
    session = new_session(width=390)
    sign_in(session, user)
    page = session.page()
    page.goto(reverse("pilots:feedback_report", kwargs={"assignment": task.pk}))
    page.set_input_files("[name=photo]", str(photo))
    page.fill("[name=suggestion]", "更大的字")
    page.fill("[name='problem-0-description']", "第一个问题")
    url = page.url
    page.click("button[name=add_problem]")
    page.wait_for_selector("[name='problem-3-description']")
    assert page.url == url
    assert page.locator("[name=photo]").evaluate("input => input.files.length") == 1  # not re-drawn
    assert page.locator("[name=suggestion]").input_value() == "更大的字"
    assert page.locator("[name='problem-0-description']").input_value() == "第一个问题"
    assert page.evaluate("document.activeElement.matches('fieldset.problem:last-of-type')")
