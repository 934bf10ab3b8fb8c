"""One city, built once per test module: two teams, every kind of object the
URLconf reaches, and a signed-in browser (its cookies) for each persona.

Building it for each of the several hundred requests of the access matrix would cost minutes;
so it is written inside a transaction that stays open for the module and is rolled back at its
end (module scope, not package: the package's other modules make their own teams), and every
test runs in a savepoint inside it (pytest-django's `db`), rolled back after the test. A request
that publishes, closes or deletes something therefore changes nothing for the next one.

Personas (columns of the matrix, in this order):
- anonymous: a visitor with no cookies;
- resident: an anonymous visitor who opened a single-use invitation link (a survey progress cookie);
- officer: an approved experience officer with an account, assigned to two of the team's tasks;
- viewer, clerk, planner: members of the first team ("digital"), one role each; the planner
  has an authenticator app, as the role requires (force_login then passes the MFA middleware,
  as in every other test of the project);
- other_planner: a planner of another team ("transport").
An administrator (staff) exists for the admin's own pages, which the CSRF test posts to.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from citylab.models import AgeBand, Community, District, Membership, Role, Team, User
from pilots.models import Assignment, Cycle, CycleChange, OfficerStatus, Panel, PanelMember, Pilot, Stage, Task
from pilots.photos import clean_photo
from surveys.export_tasks import build_response_export
from surveys.invitations import create_batch
from surveys.models import Channel, InvitationBatch, ResponseExport, Status, Survey
from surveys.paper.models import PrintBatch, ReviewItem, ScanPage
from surveys.paper.scanning import accept_upload, process_batch
from surveys.services import response_record
from tests.conftest import make_user
from tests.pilots.feedback_factories import jpeg_upload, make_feedback
from tests.pilots.officer_factories import make_occupations, make_officer, make_officer_user
from tests.surveys.conftest import make_door_access_survey
from tests.surveys.paper_scan_helpers import (
    Hold, Result, ScriptedReader, answers_page_1, page_of, print_real, print_sheets, tiff_pages, upload,
)

PERSONAS = ("anonymous", "resident", "officer", "viewer", "clerk", "planner", "other_planner")


@dataclass
class World:
    """The first team's objects, by the names the matrix's URL arguments use."""

    team: Team
    other_team: Team
    users: dict[str, User]
    survey: object
    question: object
    invitation: object
    invitation_batch: object
    print_batch: object
    scan_batch: object
    scan_page: object
    review_item: object
    pilot: object
    cycle: object
    panel: object
    officer: object  # approved, with an account: the officer persona
    applicant: object  # a pending application, for the planner's decision page
    task: object
    open_assignment: object  # the officer's, not reported yet
    reported_assignment: object  # the officer's, with feedback
    feedback: object
    change: object
    response_export: object  # a file of the survey's answers, prepared and ready
    other_survey: object  # the other team's own, to reach the first team's objects through
    other_pilot: object
    other_panel: object
    cookies: dict[str, SimpleCookie]  # each persona's browser, to start every request from

    def client(self, persona: str, **options) -> Client:
        """A fresh browser holding the persona's cookies: what one request leaves (a message,
        a new progress cookie) does not reach the next test."""
        client = Client(**options)
        for morsel in self.cookies[persona].values():
            client.cookies[morsel.key] = morsel.value
        return client


def _places() -> None:
    """The districts, communities and age bands of tests/conftest.py's `places`."""
    old = District.objects.create(code="laocheng", name_zh="老城区", name_en="Old Town")
    port = District.objects.create(code="xingang", name_zh="新港区", name_en="New Harbour")
    Community.objects.create(code="dengta", name_zh="灯塔社区", name_en="Lighthouse", district=old)
    Community.objects.create(code="chuanchang", name_zh="船厂社区", name_en="Shipyard", district=port)
    for code, low, high in [("18-29", 18, 29), ("30-44", 30, 44), ("45-59", 45, 59), ("60-69", 60, 69), ("70+", 70, None)]:
        AgeBand.objects.create(code=code, min_age=low, max_age=high)


def _member(team: Team, role: Role, email: str, *, totp: bool = False) -> User:
    user = make_user(email, name=email.split("@")[0], totp=totp)
    Membership.objects.create(team=team, user=user, role=role)
    return user


def _paper(survey, team: Team, clerk: User) -> tuple[PrintBatch, object, ScanPage, ReviewItem]:
    """A printed batch (real layout, so its PDF draws again) and a scanned one whose sheet has a
    double mark held for review (read by the scripted reader of the scanning tests)."""
    print_real(survey, [5001])
    printed = PrintBatch.objects.get(first_serial=5001)
    print_sheets(survey, copies=1, first=1001)
    answers = answers_page_1()
    del answers["entry"]
    script = {
        1: Result(page_of(survey, 1001, 1), status="review", answers=answers,
                  holds=[Hold("entry", machine_read={"darkness": {"card": 0.61, "face": 0.58}, "guess": ["card"]})]),
        2: Result(page_of(survey, 1001, 2), status="ok", answers={"ease": ["4"]}),
    }
    outcome = accept_upload(team=team, user=clerk, files=[upload("held.tif", tiff_pages(1, 2))])
    process_batch(outcome.batch, read=ScriptedReader(script))
    item = ReviewItem.objects.get(page__batch=outcome.batch)
    return printed, outcome.batch, item.page, item


def build_world() -> World:
    team = Team.objects.create(code="digital", name_zh="数字城市办公室", name_en="Digital City Office")
    other_team = Team.objects.create(code="transport", name_zh="交通局", name_en="Transport Bureau")
    _places()
    make_occupations()
    users = {
        "planner": _member(team, Role.PLANNER, "planner@lanhai.example", totp=True),
        "clerk": _member(team, Role.CLERK, "clerk@lanhai.example"),
        "viewer": _member(team, Role.VIEWER, "viewer@lanhai.example"),
        "other_planner": _member(other_team, Role.PLANNER, "planner@transport.example", totp=True),
        "admin": make_user("admin@lanhai.example", staff=True, totp=True),
    }
    users["officer"], officer = make_officer_user(team)
    applicant = make_officer(team, status=OfficerStatus.PENDING)

    survey = make_door_access_survey(team)
    response_record(survey=survey, channel=Channel.ASSISTED, entered_by=users["clerk"], answers={
        "age": "70+", "district": "laocheng", "uses_phone": "no", "entry": "guard", "ease": "2", "trips": "4",
    })
    batch = create_batch(survey=survey, label="Lighthouse notice board", audience=InvitationBatch.Audience.MAILING,
                         size=2, created_by=users["clerk"])
    printed, scanned, page, item = _paper(survey, team, users["clerk"])
    export = ResponseExport.objects.create(survey=survey, format="csv", requested_by=users["clerk"])
    build_response_export.call(export.pk)

    pilot = Pilot.objects.create(team=team, name="Community app, large-font edition", service="Community services app",
                                 adoption_target=50, equity_floor=40, satisfaction_target=70, viability_floor=15)
    pilot.communities.set(Community.objects.all())
    cycle = Cycle.objects.create(pilot=pilot, number=1, stage=Stage.PILOTING)
    panel = Panel.objects.create(team=team, pilot=pilot, name="App testers", monthly_limit=4)
    PanelMember.objects.create(panel=panel, officer=officer)
    due = timezone.localdate() + datetime.timedelta(days=7)
    task = Task.objects.create(cycle=cycle, panel=panel, title="Book a repair", due_on=due, created_by=users["planner"])
    reported_task = Task.objects.create(cycle=cycle, panel=panel, title="Read a notice", due_on=due)
    open_assignment = Assignment.objects.create(task=task, officer=officer)
    reported_assignment = Assignment.objects.create(task=reported_task, officer=officer)
    change = CycleChange.objects.create(cycle=cycle, what="Larger buttons", reason="Officers missed them")
    feedback = make_feedback(reported_assignment, problems=[("major", "The button is too small.")],
                             photo=clean_photo(jpeg_upload()), change=change, status="planned")

    other_survey = Survey.objects.create(team=other_team, slug="parking-needs", title_zh="停车需求",
                                         title_en="Parking needs", status=Status.OPEN)
    other_pilot = Pilot.objects.create(team=other_team, name="Parking guidance", service="Parking guidance signs")
    Cycle.objects.create(pilot=other_pilot, number=1, stage=Stage.PILOTING)
    other_panel = Panel.objects.create(team=other_team, pilot=other_pilot, name="Drivers")

    world = World(
        team=team, other_team=other_team, users=users, survey=survey, question=survey.questions.get(key="entry"),
        invitation=batch.invitations.order_by("pk").first(), invitation_batch=batch, print_batch=printed,
        scan_batch=scanned, scan_page=page, review_item=item, pilot=pilot, cycle=cycle, panel=panel,
        officer=officer, applicant=applicant, task=task, open_assignment=open_assignment,
        reported_assignment=reported_assignment, feedback=feedback, change=change, response_export=export,
        other_survey=other_survey,
        other_pilot=other_pilot, other_panel=other_panel, cookies={},
    )
    for persona in (*PERSONAS, "admin"):
        client = Client()
        client.cookies["django_language"] = "en"  # messages in English, to read failures by
        if persona in users:
            client.force_login(users[persona])
        elif persona == "resident":
            opened = client.get(reverse("surveys:invitation", kwargs={"slug": survey.slug, "token": world.invitation.token}))
            assert opened.status_code == 302, opened
        world.cookies[persona] = client.cookies
    return world


def every_row() -> dict[str, list[tuple]]:
    """Every row of every model (many-to-many tables included), in primary-key order: compared
    before and after a request, it shows an update as well as a new or deleted row."""
    return {
        model._meta.label: list(model._base_manager.order_by("pk").values_list())
        for model in apps.get_models(include_auto_created=True)
    }


def changed(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list[str]:
    """The models whose rows differ."""
    return [label for label in before if before[label] != after[label]]


@pytest.fixture(scope="module")
def world_once(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    media = tmp_path_factory.mktemp("security-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # as tests/conftest.py does per test
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast):
        with transaction.atomic():
            world = build_world()
            yield world
            transaction.set_rollback(True)


@pytest.fixture
def world(world_once, db) -> World:
    """The module's city, inside this test's savepoint (rolled back after the test)."""
    return world_once
