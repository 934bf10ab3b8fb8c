"""The demo panel: about sixty officers with the deliberate gaps, tasks in both cycles of the
community app pilot, and a second seed that changes nothing."""

from __future__ import annotations

import datetime
import re

import pytest
from django.apps import apps
from django.utils import timezone

from citylab import demo as city
from citylab.models import Team
from pilots import demo
from pilots.demo_feedback import DEMO_OFFICER_EMAIL, seed_feedback
from pilots.demo_panels import MONTHLY_LIMIT, PANEL_NAME, seed_panels
from pilots.models import Assignment, Cycle, Notice, Officer, OfficerStatus, Panel, Quota, Task
from pilots.panels import coverage_report


@pytest.fixture
def team(db) -> Team:
    city.seed_demo()
    team = Team.objects.get(code=city.TEAM.code)
    demo.seed_demo(team=team)
    return team


def snapshot() -> dict[str, object]:
    return {
        "officers": list(Officer.objects.order_by("pk").values()),
        "quotas": list(Quota.objects.order_by("pk").values()),
        "tasks": list(Task.objects.order_by("pk").values()),
        "assignments": list(Assignment.objects.order_by("pk").values()),
        "notices": Notice.objects.count(),
        "panels": list(Panel.objects.values()),
    }


def test_seeding_twice_changes_nothing(team):
    first = seed_panels(team=team)
    before = snapshot()
    assert seed_panels(team=team) == first
    assert snapshot() == before


def test_a_demo_seeded_with_dashed_phones_keeps_its_officers(team):
    """Phones were once seeded as 170-xxxx-xxxx: seeding again takes those rows over."""
    seed_panels(team=team)
    count = Officer.objects.count()
    for officer in Officer.objects.filter(phone__startswith="170"):
        p = officer.phone
        Officer.objects.filter(pk=officer.pk).update(phone=f"{p[:3]}-{p[3:7]}-{p[7:]}")
    seed_panels(team=team)
    assert Officer.objects.count() == count
    assert not Officer.objects.filter(phone__contains="-").exists()


def test_the_panel_has_about_sixty_officers_and_the_gaps(team):
    seed_panels(team=team)
    panel = Panel.objects.get(name=PANEL_NAME)
    report = coverage_report(panel)
    assert 55 <= report.member_total <= 65
    gaps = {(row.age_band.code, row.occupation.code): row for row in report.gaps}
    assert set(gaps) == {("70+", "manual"), ("70+", "fishing-farming"), ("60-69", "manual")}
    # A few 70+ manual workers: one of the three wanted.
    assert (gaps[("70+", "manual")].coverage.members, gaps[("70+", "manual")].shortfall) == (1, 2)
    # Pending applications fill two of the three gaps.
    assert {key: len(row.applicants) for key, row in gaps.items()} == {
        ("70+", "manual"): 1, ("60-69", "manual"): 1, ("70+", "fishing-farming"): 0}
    assert report.index is not None and 0 < report.index < 1
    # Every age band, district and occupation is on the panel.
    officers = Officer.objects.filter(panel_memberships__panel=panel)
    assert officers.values("age_band").distinct().count() == 5
    assert officers.values("district").distinct().count() == 6
    assert officers.values("occupation").distinct().count() == 8
    assert Officer.objects.filter(status=OfficerStatus.PENDING).count() == 3
    # stored normalised, as a sign-up or a clerk's entry would be: a demo officer who signs up
    # again is found as a duplicate
    phones = list(Officer.objects.values_list("phone", flat=True))
    assert all(re.fullmatch(r"170\d{8}", phone) for phone in phones) and len(set(phones)) == len(phones)


def most_asked_in_a_month() -> int:
    """The most tasks any officer was given in one calendar month (the city's time zone)."""
    per_month: dict[tuple[int, int, int], int] = {}
    for a in Assignment.objects.all():
        when = timezone.localtime(a.assigned_at)
        key = (a.officer_id, when.year, when.month)
        per_month[key] = per_month.get(key, 0) + 1
    return max(per_month.values())


def test_tasks_in_both_cycles_respect_the_limit(team):
    seed_panels(team=team)
    tasks = Task.objects.select_related("cycle").order_by("cycle__number", "pk")
    assert [(t.cycle.number, t.title) for t in tasks][2:] == [(2, "用长辈版报修一次"), (2, "在帮办台登记访客通行")]
    assert all(t.assignments.count() == 12 for t in tasks)
    assert most_asked_in_a_month() == MONTHLY_LIMIT
    assert Notice.objects.count() == Assignment.objects.count()


def test_the_full_seed_respects_the_limit(team):
    """Pilots, panel, feedback and the demo officer's login, as `manage.py seed_demo` runs them:
    the feedback and the login add assignments of their own, within the limit too."""
    apps.get_app_config("pilots").seed_demo(team=team)
    assert most_asked_in_a_month() <= Panel.objects.get(name=PANEL_NAME).monthly_limit == MONTHLY_LIMIT
    login = Officer.objects.get(user__email=DEMO_OFFICER_EMAIL)
    assert login.assignments.filter(task__cycle__number=2, status="assigned").exists()  # a task still to do


def test_officers_standing_in_for_the_older_ones_stay_within_the_limit(team):
    """When cycle 1's tasks chose nobody over 60, the feedback demo gives the first task to older
    officers itself: never to one already asked as often as the limit allows that month."""
    seed_panels(team=team)
    first = Cycle.objects.get(pilot__name=demo.APP.name, number=1)
    Assignment.objects.filter(task__cycle=first, officer__age_band__min_age__gte=60).delete()
    busy = Officer.objects.filter(panel_memberships__panel__name=PANEL_NAME, age_band__code="70+").order_by("pk")[0]
    parking = Cycle.objects.get(pilot__name=demo.PARKING.name, number=1)
    when = timezone.make_aware(datetime.datetime.combine(first.starts_on, datetime.time(8)))
    for n in range(MONTHLY_LIMIT):  # asked as often as the limit allows, that month, by another pilot
        other = Task.objects.create(cycle=parking, title=f"看一看停车诱导屏 {n + 1}", due_on=first.ends_on)
        Assignment.objects.create(task=other, officer=busy, assigned_at=when)
    seed_feedback(team=team)
    stand_ins = Assignment.objects.filter(task__cycle=first, officer__age_band__min_age__gte=60)
    assert stand_ins.exists() and not stand_ins.filter(officer=busy).exists()
    assert most_asked_in_a_month() == MONTHLY_LIMIT


def test_without_the_pilots_there_is_no_panel(db):
    city.seed_demo()
    assert seed_panels(team=Team.objects.get(code=city.TEAM.code)).startswith("no demo panel")
    assert not Panel.objects.exists()
