"""The retention rule: an officer inactive for longer than the setting has their personal data
erased as on withdrawal; anyone active, or given a task recently, is left alone."""

from __future__ import annotations

import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from citylab.models import AuditEvent
from pilots.models import Feedback
from pilots.models.panels import Officer, OfficerStatus
from pilots.retention import erase_inactive_officers
from tests.pilots.feedback_factories import make_assignment, make_feedback, make_task
from tests.pilots.officer_factories import make_officer, make_officer_user

LONG_AGO = timezone.now() - datetime.timedelta(days=800)
RECENTLY = timezone.now() - datetime.timedelta(days=10)


@pytest.fixture(autouse=True)
def two_years(settings) -> None:
    settings.CITYLAB_OFFICER_RETENTION_DAYS = 730


def test_inactive_officer_is_erased_and_their_feedback_stays(team, cycle, places):
    user, officer = make_officer_user(team, last_active_at=LONG_AGO)
    assignment = make_assignment(make_task(cycle), officer)
    assignment.__class__.objects.filter(pk=assignment.pk).update(assigned_at=LONG_AGO)
    feedback = make_feedback(assignment, suggestion="字再大一点")

    assert erase_inactive_officers() == {team.code: 1}

    officer.refresh_from_db()
    assert officer.status == OfficerStatus.WITHDRAWN
    assert [getattr(officer, name) for name in Officer.PERSONAL_FIELDS] == ["", "", "", "", []]
    assert officer.user is None
    user.refresh_from_db()
    assert not user.is_active and "residents.example" not in user.email
    feedback.refresh_from_db()
    assert feedback.officer_id == officer.pk and feedback.age_band_id == officer.age_band_id
    event = AuditEvent.objects.get(action="officer.withdrawn")
    assert event.detail == {"by": "retention", "inactive_days": 730} and event.actor is None


def test_active_officers_and_those_given_a_task_recently_are_kept(team, cycle, places):
    active = make_officer(team, last_active_at=RECENTLY)
    tasked = make_officer(team, last_active_at=LONG_AGO)
    make_assignment(make_task(cycle), tasked)  # assigned now: they are still taking part
    pending = make_officer(team, status=OfficerStatus.PENDING, last_active_at=RECENTLY)

    assert erase_inactive_officers() == {}
    for officer in (active, tasked, pending):
        officer.refresh_from_db()
        assert officer.full_name and officer.status != OfficerStatus.WITHDRAWN


def test_an_application_nobody_decided_is_erased_too(team, places):
    stale = make_officer(team, status=OfficerStatus.PENDING, last_active_at=LONG_AGO)
    assert erase_inactive_officers() == {team.code: 1}
    stale.refresh_from_db()
    assert stale.phone == "" and stale.status == OfficerStatus.WITHDRAWN


def test_withdrawn_officers_are_not_erased_twice(team, places):
    make_officer(team, status=OfficerStatus.WITHDRAWN, last_active_at=LONG_AGO)
    assert erase_inactive_officers() == {}
    assert not AuditEvent.objects.exists()


def test_the_setting_decides_the_period(team, places, settings):
    officer = make_officer(team, last_active_at=RECENTLY)
    settings.CITYLAB_OFFICER_RETENTION_DAYS = 5
    assert erase_inactive_officers() == {team.code: 1}
    officer.refresh_from_db()
    assert officer.full_name == ""


def test_command_dry_run_changes_nothing(team, other_team, places):
    make_officer(team, last_active_at=LONG_AGO)
    make_officer(other_team, last_active_at=LONG_AGO)
    out = StringIO()
    call_command("erase_inactive_officers", "--dry-run", stdout=out)
    assert "digital: would erase 1 officer(s)" in out.getvalue()
    assert "would erase 2 officer(s) in all (inactive for more than 730 days)" in out.getvalue()
    assert Officer.objects.exclude(full_name="").count() == 2

    out = StringIO()
    call_command("erase_inactive_officers", stdout=out)
    assert "erased 2 officer(s) in all" in out.getvalue()
    assert not Officer.objects.exclude(full_name="").exists()
    assert Feedback.objects.count() == 0  # nothing invented on the way


def test_command_refuses_a_period_under_a_day(db):
    with pytest.raises(CommandError, match="--days: must be at least 1, got 0"):
        call_command("erase_inactive_officers", "--days", "0")
