"""The officer's own page and withdrawal: an officer sees their tasks, feedback and notices;
withdrawing (by themselves or by a planner) erases every piece of personal data and keeps their
segment and feedback without a name."""

from __future__ import annotations

import datetime
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from citylab.audit import record
from citylab.models import AuditEvent
from pilots.models import CycleChange
from pilots.models.panels import (
    Assignment,
    AssignmentStatus,
    Feedback,
    FeedbackStatus,
    Notice,
    Officer,
    OfficerStatus,
    Panel,
    PanelMember,
    Task,
)
from tests.pilots.officer_factories import make_officer, make_officer_user

PERSONAS = ["planner", "clerk", "viewer", "officer", "other_planner", "anonymous"]
SECRETS = ("周秀英", "13912345678", "zhou@example.com", "Large print")


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.fixture
def officer_pair(team, places):
    return make_officer_user(team, full_name="周秀英", phone="13912345678", email="zhou@example.com",
                             accessibility_needs="Large print", availability=["weekend"])


@pytest.fixture
def officer_user(officer_pair):
    return officer_pair[0]


@pytest.fixture
def officer(officer_pair) -> Officer:
    return officer_pair[1]


@pytest.fixture
def task(cycle) -> Task:
    return Task.objects.create(cycle=cycle, title="Book a repair in the app", place="Lighthouse community centre",
                               due_on=datetime.date(2026, 12, 15))


@pytest.fixture
def feedback(officer, task, cycle) -> Feedback:
    """Reported, accepted, and answered by the large-font change."""
    done = Task.objects.create(cycle=cycle, title="Read a notice", due_on=datetime.date(2026, 11, 1))
    assignment = Assignment.objects.create(task=done, officer=officer, status=AssignmentStatus.REPORTED)
    change = CycleChange.objects.create(cycle=cycle, what="Text is twice as large", reason="Officers over 70 could not read it")
    return Feedback.objects.create(
        assignment=assignment, task=done, cycle=cycle, officer=officer, age_band=officer.age_band,
        district=officer.district, occupation=officer.occupation, managed="with_help", ease=2, usefulness=4,
        accessibility=1, suggestion="Bigger letters", status=FeedbackStatus.DONE, change=change,
    )


def sign_in(client, request, persona: str) -> None:
    if persona == "officer":
        client.force_login(request.getfixturevalue("officer_user"))
    elif persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


# --- Home page -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_officer_home_by_persona(client, request, persona, officer):
    sign_in(client, request, persona)
    response = client.get(reverse("pilots:officer_home"))
    if persona == "anonymous":
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith(reverse("account_login"))
        return
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    if persona == "officer":
        assert "Hello, 周秀英" in page
    else:  # staff are not officers: a friendly page, nobody's data
        assert "This page is for experience officers" in page
        assert "周秀英" not in page


def test_home_shows_open_tasks_feedback_and_changes(client, officer_user, officer, task, feedback, team, places):
    Assignment.objects.create(task=task, officer=officer)
    other = make_officer(team)
    other_task = Task.objects.create(cycle=task.cycle, title="Someone else's task", due_on=task.due_on)
    Assignment.objects.create(task=other_task, officer=other)
    client.force_login(officer_user)
    page = client.get(reverse("pilots:officer_home")).content.decode()
    assert "Book a repair in the app" in page and "Lighthouse community centre" in page and "2026-12-15" in page
    assert "Someone else&#x27;s task" not in page and "Someone else's task" not in page
    assert "Read a notice" in page  # the feedback they gave
    assert "Text is twice as large" in page and "Officers over 70 could not read it" in page
    assert "Done" in page


def test_each_open_task_links_to_its_report_form(client, officer_user, officer, task):
    assignment = Assignment.objects.create(task=task, officer=officer)
    reported = Assignment.objects.create(task=Task.objects.create(cycle=task.cycle, title="Done already",
                                                                  due_on=task.due_on),
                                         officer=officer, status="reported")
    client.force_login(officer_user)
    page = client.get(reverse("pilots:officer_home")).content.decode()
    url = reverse("pilots:feedback_report", kwargs={"assignment": assignment.pk})
    assert f'href="{url}"' in page and page.count("Report back") == 1
    assert reverse("pilots:feedback_report", kwargs={"assignment": reported.pk}) not in page


def test_notices_are_marked_read_when_shown(client, officer_user, officer):
    notice = Notice.objects.create(officer=officer, text="Your feedback led to a change.")
    client.force_login(officer_user)
    page = client.get(reverse("pilots:officer_home")).content.decode()
    assert "Your feedback led to a change." in page and ">New<" in page
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert ">New<" not in client.get(reverse("pilots:officer_home")).content.decode()


# --- Withdrawal ----------------------------------------------------------------------------------


def assert_erased(officer: Officer, user) -> None:
    """No personal data left on the officer, their account, or in the audit trail."""
    officer.refresh_from_db()
    assert officer.status == OfficerStatus.WITHDRAWN and officer.withdrawn_at is not None
    for name in Officer.PERSONAL_FIELDS:
        assert getattr(officer, name) in ("", []), name
    assert officer.user is None
    assert officer.age_band_id and officer.district_id and officer.occupation_id  # the segment stays
    user.refresh_from_db()
    assert not user.is_active and not user.has_usable_password()
    assert user.email.endswith("@invalid.example") and user.full_name == ""
    assert not EmailAddress.objects.filter(user=user).exists()
    assert not Notice.objects.filter(officer=officer).exists()
    trail = " ".join(f"{e.actor_email} {e.target} {e.detail}" for e in AuditEvent.objects.all())
    for secret in SECRETS:
        assert secret not in trail
    event = AuditEvent.objects.get(action="officer.withdrawn")
    assert event.target == f"pilots.Officer:{officer.pk}"


@pytest.mark.parametrize("persona", PERSONAS)
def test_self_withdraw_page_by_persona(client, request, persona, officer):
    sign_in(client, request, persona)
    response = client.get(reverse("pilots:officer_withdraw"))
    if persona == "anonymous":
        assert response.status_code == HTTPStatus.FOUND
    else:
        assert response.status_code == (HTTPStatus.OK if persona == "officer" else HTTPStatus.NOT_FOUND)


def test_officer_withdraws_themselves(client, officer_user, officer, feedback, team):
    panel = Panel.objects.create(team=team, name="Older residents")
    PanelMember.objects.create(panel=panel, officer=officer)
    Notice.objects.create(officer=officer, text="Thanks, 周秀英")
    client.force_login(officer_user)
    record(None, "feedback.reported", feedback, user=officer_user)  # any event they caused loses their email
    response = client.post(reverse("pilots:officer_withdraw"))
    assert response["Location"] == reverse("pilots:officer_withdrawn")
    assert_erased(officer, officer_user)
    assert AuditEvent.objects.get(action="officer.withdrawn").detail == {"by": "officer"}
    # Signed out, and can't come back.
    assert client.get(reverse("pilots:officer_home")).status_code == HTTPStatus.FOUND
    assert "stopped being an experience officer" in client.get(response["Location"]).content.decode()
    # Feedback stays, anonymised; the panel row stays (coverage counts approved officers only).
    feedback.refresh_from_db()
    assert feedback.officer == officer and str(officer) == f"Officer {officer.pk}"
    assert PanelMember.objects.filter(officer=officer).exists()
    assert not Officer.objects.active().filter(pk=officer.pk).exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_staff_withdraw_by_persona(client, request, persona, officer):
    sign_in(client, request, persona)
    url = reverse("pilots:officer_withdraw_staff", kwargs={"pk": officer.pk})
    get = client.get(url)
    response = client.post(url)
    officer.refresh_from_db()
    if persona == "planner":
        assert get.status_code == HTTPStatus.OK
        assert response["Location"] == officer.get_absolute_url()
        assert officer.status == OfficerStatus.WITHDRAWN
        return
    assert officer.status == OfficerStatus.APPROVED
    if persona == "anonymous":
        assert response.status_code == HTTPStatus.FOUND
    else:
        expected = {"clerk": 403, "viewer": 403, "officer": 404, "other_planner": 404}[persona]
        assert get.status_code == response.status_code == expected


def test_planner_withdraws_an_officer_on_request(client, planner, officer_user, officer, feedback):
    client.force_login(planner)
    client.get(officer.get_absolute_url())  # an audited look at the contacts first
    client.post(reverse("pilots:officer_withdraw_staff", kwargs={"pk": officer.pk}))
    assert_erased(officer, officer_user)
    event = AuditEvent.objects.get(action="officer.withdrawn")
    assert event.actor == planner and event.detail == {"by": "staff"}
    # Nothing personal on any page afterwards.
    page = client.get(officer.get_absolute_url()).content.decode()
    assert "Withdrawn on" in page
    for secret in SECRETS:
        assert secret not in page
    list_page = client.get(reverse("pilots:officer_list")).content.decode()
    assert f"Officer {officer.pk}" in list_page and "周秀英" not in list_page


def test_withdrawing_an_officer_without_account(client, planner, team, places):
    officer = make_officer(team, full_name="刘大爷", user=None)
    client.force_login(planner)
    client.post(reverse("pilots:officer_withdraw_staff", kwargs={"pk": officer.pk}))
    officer.refresh_from_db()
    assert officer.status == OfficerStatus.WITHDRAWN and officer.full_name == ""


def test_withdrawn_page_is_public(client):
    assert client.get(reverse("pilots:officer_withdrawn")).status_code == HTTPStatus.OK


def test_an_officer_lands_on_their_own_page_after_signing_in(client, officer_user, officer):
    """Officers are not team members: "My work" and the landing after sign-in take them home."""
    client.force_login(officer_user)
    response = client.get(reverse("staff_home"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("pilots:officer_home")
    assert client.get(reverse("pilots:officer_list")).status_code == HTTPStatus.NOT_FOUND


def test_a_user_with_no_team_and_no_officer_record_sees_the_staff_landing(client, outsider):
    client.force_login(outsider)
    assert client.get(reverse("staff_home")).status_code == HTTPStatus.OK


def test_home_says_what_happened_to_declined_feedback(client, officer_user, feedback):
    feedback.status, feedback.change, feedback.decline_reason = FeedbackStatus.DECLINED, None, "Already fixed in cycle 2"
    feedback.save()
    client.force_login(officer_user)
    page = client.get(reverse("pilots:officer_home")).content.decode()
    assert "decided not to change this" in page and "Already fixed in cycle 2" in page


def test_list_shows_the_public_signup_link(client, clerk, team, places):
    client.force_login(clerk)
    page = client.get(reverse("pilots:officer_list")).content.decode()
    assert "http://testserver/join/digital/" in page


def test_withdrawing_a_staff_member_who_is_also_an_officer_keeps_their_staff_account(client, planner, clerk,
                                                                                  team, places):
    officer = make_officer(team, user=clerk, email=clerk.email)
    client.force_login(planner)
    client.post(reverse("pilots:officer_withdraw_staff", kwargs={"pk": officer.pk}))
    officer.refresh_from_db()
    clerk.refresh_from_db()
    assert officer.status == OfficerStatus.WITHDRAWN and officer.user is None and officer.email == ""
    assert clerk.is_active and clerk.email == "clerk@lanhai.example"
