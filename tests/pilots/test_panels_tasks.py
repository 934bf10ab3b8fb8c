"""Test tasks and assigning officers to them: balanced, within the monthly limit, all at once."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from citylab.models import AuditEvent
from pilots.models import Assignment, Cycle, Notice, Task
from pilots.panels import month_start
from tests.pilots.test_panels_views import (  # noqa: F401  (fixtures)
    english,
    member,
    occupations,
    officer_user,
    other_panel,
    panel,
    task,
    url,
)

TOMORROW = timezone.localdate() + datetime.timedelta(days=1)


def task_data(cycle, **changes) -> dict:
    return {"cycle": cycle.pk, "title": "Book a repair", "instructions": "Use the large-font app.",
            "place": "Drum Tower", "due_on": TOMORROW.isoformat()} | changes


def test_planner_creates_a_task_and_goes_on_to_choose_officers(client, planner, panel, cycle):
    client.force_login(planner)
    response = client.post(url("task_create", pk=panel.pk), task_data(cycle))
    task = Task.objects.get()
    assert response["Location"] == url("task_assign", pk=task.pk)
    assert (task.panel, task.cycle, task.created_by, task.due_on) == (panel, cycle, planner, TOMORROW)


@pytest.mark.parametrize("changes,message", [
    ({"due_on": (timezone.localdate() - datetime.timedelta(days=1)).isoformat()}, "The date is in the past"),
    ({"due_on": "31/12"}, "Enter a date such as 2026-12-31."),
    ({"title": ""}, "Enter what the officers should try."),
])
def test_bad_task_input_is_refused(client, planner, panel, cycle, changes, message):
    client.force_login(planner)
    response = client.post(url("task_create", pk=panel.pk), task_data(cycle, **changes))
    assert response.status_code == HTTPStatus.OK and message in response.content.decode()
    assert not Task.objects.exists()


def test_another_teams_cycle_is_refused(client, planner, panel, other_pilot):
    foreign = Cycle.objects.create(pilot=other_pilot, number=1)
    client.force_login(planner)
    response = client.post(url("task_create", pk=panel.pk), task_data(foreign))
    assert "Choose a cycle of this panel" in response.content.decode()
    assert not Task.objects.exists()


def test_only_the_panels_pilots_cycles_are_offered(client, planner, team, panel, cycle):
    from pilots.models import Pilot

    elsewhere = Cycle.objects.create(pilot=Pilot.objects.create(team=team, name="Other pilot", service="x"), number=1)
    client.force_login(planner)
    response = client.post(url("task_create", pk=panel.pk), task_data(elsewhere))
    assert "Choose a cycle of this panel" in response.content.decode()


def test_task_page_lists_assignments_with_status(client, clerk, viewer, task, panel):
    officer = member(panel, full_name="王秀英")
    Assignment.objects.create(task=task, officer=officer, status="reported")
    client.force_login(clerk)
    text = client.get(url("task_detail", pk=task.pk)).content.decode()
    assert "王秀英" in text and "Reported" in text and "1 reported, 0 still to do" in text
    client.force_login(viewer)
    assert "王秀英" not in client.get(url("task_detail", pk=task.pk)).content.decode()


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer"])
def test_task_page_offers_to_record_feedback_to_those_who_enter_data(client, request, persona, task, panel):
    from tests.pilots.feedback_factories import make_feedback

    open_one = Assignment.objects.create(task=task, officer=member(panel, full_name="王秀英", email=""))
    reported = Assignment.objects.create(task=task, officer=member(panel, full_name="李建国"))
    feedback = make_feedback(reported)
    cancelled = Assignment.objects.create(task=task, officer=member(panel, full_name="张桂兰"), status="cancelled")
    client.force_login(request.getfixturevalue(persona))
    text = client.get(url("task_detail", pk=task.pk)).content.decode()
    record = url("feedback_assisted", assignment=open_one.pk)
    assert (f'href="{record}"' in text) == (persona != "viewer")
    assert ("Record feedback for 王秀英" in text) == (persona != "viewer")
    assert text.count("Record feedback for") == (0 if persona == "viewer" else 1)  # not for the others
    assert url("feedback_assisted", assignment=cancelled.pk) not in text
    assert f'href="{url("feedback_detail", pk=feedback.pk)}"' in text  # every member reads what was said


def test_clerk_records_feedback_from_the_task_page(client, clerk, task, panel):
    from tests.pilots.feedback_factories import report

    officer = member(panel, full_name="王秀英", email="")
    assignment = Assignment.objects.create(task=task, officer=officer)
    client.force_login(clerk)
    page = client.get(url("task_detail", pk=task.pk)).content.decode()
    record = url("feedback_assisted", assignment=assignment.pk)
    assert f'href="{record}"' in page
    form = client.get(record)
    assert form.status_code == HTTPStatus.OK
    assert f'href="{url("task_detail", pk=task.pk)}"' in form.content.decode()  # back where the clerk came from
    response = client.post(record, report())
    feedback = assignment.feedback
    assert response["Location"] == url("feedback_detail", pk=feedback.pk)
    assert (feedback.channel, feedback.entered_by, feedback.officer) == ("assisted", clerk, officer)
    page = client.get(url("task_detail", pk=task.pk)).content.decode()
    assert record not in page and url("feedback_detail", pk=feedback.pk) in page
    assert "1 reported, 0 still to do" in page


# --- Assigning -----------------------------------------------------------------------------------


@pytest.fixture
def cells(panel, places, occupations):
    """Six members: three young office workers, two 70+ manual workers, one 60-69 retired."""
    young, sixties, old = places["bands"][0], places["bands"][3], places["bands"][4]
    retired, office, manual = occupations
    return {
        "office": [member(panel, age_band=young, occupation=office, email="") for _ in range(3)],
        "manual": [member(panel, age_band=old, occupation=manual, email="") for _ in range(2)],
        "retired": [member(panel, age_band=sixties, occupation=retired, email="r@residents.example")],
    }


def busy(officer, times: int, cycle, panel) -> None:
    """Give the officer `times` assignments this month, on other tasks."""
    for i in range(times):
        other = Task.objects.create(cycle=cycle, panel=panel, title=f"Earlier {i}", due_on=TOMORROW)
        Assignment.objects.create(task=other, officer=officer)


def test_the_proposal_takes_turns_across_cells_and_skips_the_busy(client, planner, task, cells, cycle, panel):
    busy(cells["manual"][0], 2, cycle, panel)  # at the limit of 2
    client.force_login(planner)
    response = client.get(url("task_assign", pk=task.pk), {"wanted": 4})
    proposal = response.context["proposal"]
    # Cells take turns along the diagonals of the band × occupation grid (3 occupations):
    # 60-69 retired (0 − 3 mod 3 = 0), 18-29 office (1 − 0 = 1, band 0), 70+ manual (2 − 4 mod 3 = 1,
    # band 4); then office again. The busy manual worker is skipped for the other.
    assert proposal.chosen == [cells["retired"][0], cells["office"][0], cells["manual"][1], cells["office"][1]]
    assert proposal.at_limit == [cells["manual"][0]]
    assert "Skipped: already at the monthly limit" in response.content.decode()


def test_assigning_creates_assignments_notices_emails_and_an_audit_event(
        client, planner, task, cells, django_capture_on_commit_callbacks):
    chosen = [cells["office"][0], cells["retired"][0]]
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("task_assign", pk=task.pk), {"wanted": 2, "officers": [o.pk for o in chosen]})
    assert response["Location"] == url("task_detail", pk=task.pk)
    assert set(task.assignments.values_list("officer", flat=True)) == {o.pk for o in chosen}
    assert all(a.assigned_by == planner for a in task.assignments.all())
    notice = Notice.objects.get(officer=chosen[0])
    assert "Report a repair" in notice.text and "Lighthouse" in notice.text and task.due_on.isoformat() in notice.text
    assert [m.to for m in mail.outbox] == [["r@residents.example"]]  # only the one with an address
    event = AuditEvent.objects.get(action="panel.assign")
    assert sorted(event.detail["officers"]) == sorted(o.pk for o in chosen)


def test_unticking_leaves_someone_out(client, planner, task, cells):
    client.force_login(planner)
    client.post(url("task_assign", pk=task.pk), {"wanted": 3, "officers": [cells["office"][0].pk]})
    assert list(task.assignments.values_list("officer", flat=True)) == [cells["office"][0].pk]


def test_a_tampered_post_cannot_go_beyond_the_limit(client, planner, task, cells, cycle, panel):
    busy(cells["manual"][0], 2, cycle, panel)
    client.force_login(planner)
    response = client.post(url("task_assign", pk=task.pk),
                           {"wanted": 2, "officers": [cells["office"][0].pk, cells["manual"][0].pk]})
    assert response.status_code == HTTPStatus.OK
    assert "already has 2 task(s) this month, the panel&#x27;s limit" in response.content.decode()
    assert not task.assignments.exists() and not Notice.objects.exists()  # all or nothing


def test_last_months_tasks_do_not_count(client, planner, task, cells, cycle, panel):
    busy(cells["manual"][0], 2, cycle, panel)
    Assignment.objects.filter(officer=cells["manual"][0]).update(assigned_at=month_start() - datetime.timedelta(hours=1))
    client.force_login(planner)
    client.post(url("task_assign", pk=task.pk), {"wanted": 1, "officers": [cells["manual"][0].pk]})
    assert task.assignments.count() == 1


def test_officers_outside_the_panel_are_refused(client, planner, task, cells, other_team, places):
    from tests.pilots.officer_factories import make_officer

    foreign, stranger = make_officer(other_team), make_officer(task.panel.team)  # not a member
    client.force_login(planner)
    for officer in (foreign, stranger):
        response = client.post(url("task_assign", pk=task.pk), {"wanted": 1, "officers": [officer.pk]})
        assert "Choose officers from the proposal." in response.content.decode()
    assert not task.assignments.exists()


def test_an_officer_is_not_asked_twice_for_one_task(client, planner, task, cells):
    Assignment.objects.create(task=task, officer=cells["office"][0])
    client.force_login(planner)
    response = client.get(url("task_assign", pk=task.pk), {"wanted": 10})
    assert cells["office"][0] not in response.context["proposal"].chosen
    response = client.post(url("task_assign", pk=task.pk), {"wanted": 1, "officers": [cells["office"][0].pk]})
    assert "Choose officers from the proposal." in response.content.decode()
    assert task.assignments.count() == 1


@pytest.mark.parametrize("wanted", ["0", "-3", "many", "501"])
def test_a_bad_number_is_refused(client, planner, task, cells, wanted):
    client.force_login(planner)
    response = client.get(url("task_assign", pk=task.pk), {"wanted": wanted})
    assert response.status_code == HTTPStatus.OK and "There is a problem" in response.content.decode()
    assert response.context["proposal"] is None


def test_nobody_ticked_is_refused(client, planner, task, cells):
    client.force_login(planner)
    response = client.post(url("task_assign", pk=task.pk), {"wanted": 2})
    assert "Tick at least one officer." in response.content.decode()


@pytest.mark.parametrize("persona,status", [
    ("clerk", HTTPStatus.FORBIDDEN), ("viewer", HTTPStatus.FORBIDDEN),
    ("other_planner", HTTPStatus.NOT_FOUND), ("officer_user", HTTPStatus.NOT_FOUND), ("anonymous", HTTPStatus.FOUND),
])
def test_only_the_planner_assigns(client, request, persona, status, task, cells):
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.post(url("task_assign", pk=task.pk), {"wanted": 1, "officers": [cells["office"][0].pk]})
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    assert not task.assignments.exists() and not Notice.objects.exists()


def test_another_teams_task_is_not_found(client, planner, other_panel, other_pilot):
    foreign = Task.objects.create(cycle=Cycle.objects.create(pilot=other_pilot, number=1), panel=other_panel,
                                  title="Theirs", due_on=TOMORROW)
    client.force_login(planner)
    assert client.get(url("task_detail", pk=foreign.pk)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url("task_assign", pk=foreign.pk)).status_code == HTTPStatus.NOT_FOUND


def test_the_assign_page_takes_the_same_queries_whatever_the_panel_size(client, planner, task, panel, places,
                                                                         occupations, cycle, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def grow(n: int) -> None:
        for i in range(n):
            officer = member(panel, age_band=places["bands"][i % 5], occupation=occupations[i % 3])
            busy(officer, i % 3, cycle, panel)

    client.force_login(planner)
    grow(3)
    client.get(url("task_assign", pk=task.pk), {"wanted": 2})
    with CaptureQueriesContext(connection) as small:
        client.get(url("task_assign", pk=task.pk), {"wanted": 2})
    grow(30)
    with django_assert_num_queries(len(small)):
        client.get(url("task_assign", pk=task.pk), {"wanted": 20})
