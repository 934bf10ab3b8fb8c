"""Panel pages as each persona sees them: planners change them, clerks and viewers read them,
an officer (who is not staff) and another team's planner find nothing, and an anonymous visitor
is sent to sign in. Also the fixtures the other panel tests import."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from citylab.models import AuditEvent, PopulationFigure
from pilots.models import OfficerStatus, Panel, PanelMember, Task
from tests.pilots.officer_factories import make_occupations, make_officer, make_officer_user

PERSONAS = ["planner", "clerk", "viewer", "officer_user", "other_planner", "anonymous"]
READERS = {"planner", "clerk", "viewer"}


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.fixture
def occupations(db):
    return make_occupations()


@pytest.fixture
def population(places):
    """Old Town 300 residents in every band, New Harbour 100: Old Town is three quarters."""
    for district, n in zip(places["districts"], (300, 100), strict=True):
        for band in places["bands"]:
            PopulationFigure.objects.create(district=district, age_band=band, population=n)


@pytest.fixture
def panel(team, pilot, occupations) -> Panel:
    return Panel.objects.create(team=team, pilot=pilot, name="App testers", monthly_limit=2)


@pytest.fixture
def other_panel(other_team, other_pilot) -> Panel:
    return Panel.objects.create(team=other_team, pilot=other_pilot, name="Parking testers")


@pytest.fixture
def officer_user(team, places, occupations):
    user, _officer = make_officer_user(team)
    return user


@pytest.fixture
def task(panel, cycle, planner) -> Task:
    import datetime

    from django.utils import timezone

    return Task.objects.create(cycle=cycle, panel=panel, title="Report a repair", place="Lighthouse",
                               due_on=timezone.localdate() + datetime.timedelta(days=7), created_by=planner)


def sign_in(client, request, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


def expected(persona: str, allowed: set[str]) -> int:
    if persona == "anonymous":
        return HTTPStatus.FOUND
    if persona in ("other_planner", "officer_user"):
        return HTTPStatus.NOT_FOUND
    return HTTPStatus.OK if persona in allowed else HTTPStatus.FORBIDDEN


def url(name: str, **kwargs) -> str:
    return reverse(f"pilots:{name}", kwargs=kwargs)


def member(panel: Panel, **fields):
    officer = make_officer(panel.team, **fields)
    PanelMember.objects.create(panel=panel, officer=officer)
    return officer


# --- Who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_reading_pages_are_for_the_team(client, request, persona, panel, task):
    sign_in(client, request, persona)
    for address in (url("panel_detail", pk=panel.pk), url("panel_coverage", pk=panel.pk),
                    url("task_detail", pk=task.pk)):
        response = client.get(address)
        assert response.status_code == expected(persona, READERS), address
        if persona == "anonymous":
            assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_design_pages_are_for_planners(client, request, persona, panel, task):
    sign_in(client, request, persona)
    for address in (url("panel_edit", pk=panel.pk), url("panel_members_add", pk=panel.pk),
                    url("panel_quotas", pk=panel.pk), url("panel_quotas_derive", pk=panel.pk),
                    url("task_create", pk=panel.pk), url("task_assign", pk=task.pk)):
        assert client.get(address).status_code == expected(persona, {"planner"}), address


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_shows_only_the_teams_panels(client, request, persona, panel, other_panel):
    sign_in(client, request, persona)
    response = client.get(url("panel_list"))
    if persona == "anonymous":
        assert response.status_code == HTTPStatus.FOUND
        return
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert ("App testers" in text) == (persona in READERS)
    assert ("Parking testers" in text) == (persona == "other_planner")
    assert ("New panel" in text) == (persona in ("planner", "other_planner"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_panel_pages_lead_to_the_officer_list(client, request, persona, panel, task):
    """The officers themselves (applications to approve, registration in person) are one click
    from the panels, for every member of the team; the list is a 404 for anyone else."""
    sign_in(client, request, persona)
    officers = f'href="{url("officer_list")}"'
    listing = client.get(url("panel_list"))
    if persona == "anonymous":
        assert listing.status_code == HTTPStatus.FOUND
        return
    member_of_a_team = persona in READERS or persona == "other_planner"
    assert (officers in listing.content.decode()) == member_of_a_team
    assert client.get(url("officer_list")).status_code == (HTTPStatus.OK if member_of_a_team else HTTPStatus.NOT_FOUND)
    if persona in READERS:
        assert officers in client.get(url("panel_detail", pk=panel.pk)).content.decode()


def test_coverage_gaps_lead_to_the_applications_waiting(client, clerk, panel, places, occupations):
    panel.quotas.create(age_band=places["bands"][4], occupation=occupations[2], target=1)  # nobody in it yet
    client.force_login(clerk)
    text = client.get(url("panel_coverage", pk=panel.pk)).content.decode()
    assert f'href="{url("officer_list")}?status=pending"' in text


def test_staff_landing_links_to_the_officer_list(client, clerk):
    client.force_login(clerk)
    assert f'href="{url("officer_list")}"' in client.get(reverse("staff_home")).content.decode()


@pytest.mark.parametrize("persona", PERSONAS)
def test_panel_create_is_for_planners(client, request, persona, team, pilot):
    sign_in(client, request, persona)
    response = client.get(url("panel_create"))
    assert response.status_code == {"planner": 200, "other_planner": 200, "anonymous": 302}.get(persona, 403)


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "planner"])
def test_only_a_planner_of_the_team_creates_its_panels(client, request, persona, team, pilot):
    sign_in(client, request, persona)
    response = client.post(url("panel_create"), {"team": team.pk, "pilot": pilot.pk, "name": "Taken over",
                                                 "monthly_limit": 2})
    # Another team's planner may create panels, for their own team only: the form refuses this one.
    assert response.status_code == {"other_planner": 200, "anonymous": 302}.get(persona, 403)
    if persona == "other_planner":
        assert "There is a problem" in response.content.decode()
    assert not Panel.objects.exists()


@pytest.mark.parametrize("persona", PERSONAS)
def test_removing_a_member_is_for_planners(client, request, persona, panel):
    officer = member(panel)
    sign_in(client, request, persona)
    response = client.post(url("panel_member_remove", pk=panel.pk, officer_pk=officer.pk))
    assert response.status_code == (HTTPStatus.FOUND if persona in ("planner", "anonymous") else expected(persona, set()))
    assert PanelMember.objects.filter(panel=panel).exists() == (persona != "planner")


def test_viewers_do_not_see_officers_names(client, viewer, clerk, panel):
    member(panel, full_name="王秀英")
    client.force_login(viewer)
    assert "王秀英" not in client.get(url("panel_detail", pk=panel.pk)).content.decode()
    client.force_login(clerk)
    assert "王秀英" in client.get(url("panel_detail", pk=panel.pk)).content.decode()


# --- Creating and editing panels ----------------------------------------------------------------


def test_planner_creates_a_panel(client, planner, team, pilot):
    client.force_login(planner)
    response = client.post(url("panel_create"), {"team": team.pk, "pilot": pilot.pk, "name": "Over-60s",
                                                 "description": "", "monthly_limit": 3})
    panel = Panel.objects.get(name="Over-60s")
    assert response["Location"] == panel.get_absolute_url()
    assert (panel.team, panel.pilot, panel.monthly_limit, panel.quota_by_district) == (team, pilot, 3, False)


@pytest.mark.parametrize("limit", ["0", "32", "-1", "two", ""])
def test_a_bad_limit_is_refused(client, planner, team, limit):
    client.force_login(planner)
    response = client.post(url("panel_create"), {"team": team.pk, "name": "X", "monthly_limit": limit})
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert "There is a problem" in text and "<title>Error:" in text
    assert not Panel.objects.exists()


def test_another_teams_pilot_is_refused(client, planner, team, other_pilot):
    client.force_login(planner)
    response = client.post(url("panel_create"), {"team": team.pk, "pilot": other_pilot.pk, "name": "X",
                                                 "monthly_limit": 2})
    assert "Choose one of your team&#x27;s pilots, or none." in response.content.decode()
    assert not Panel.objects.exists()


def test_another_team_is_refused(client, planner, other_team):
    client.force_login(planner)
    response = client.post(url("panel_create"), {"team": other_team.pk, "name": "X", "monthly_limit": 2})
    assert response.status_code == HTTPStatus.OK
    assert not Panel.objects.exists()


def test_editing_keeps_the_team_and_clears_quotas_split_differently(client, planner, panel, places, occupations):
    panel.quotas.create(age_band=places["bands"][0], occupation=occupations[0], target=3)
    client.force_login(planner)
    response = client.post(url("panel_edit", pk=panel.pk), {"pilot": "", "name": "Renamed", "monthly_limit": 4,
                                                             "quota_by_district": "on"})
    assert response.status_code == HTTPStatus.FOUND
    panel.refresh_from_db()
    assert (panel.name, panel.pilot, panel.monthly_limit, panel.quota_by_district) == ("Renamed", None, 4, True)
    assert not panel.quotas.exists()


# --- Members ------------------------------------------------------------------------------------


def test_planner_adds_approved_officers(client, planner, panel, places):
    officers = [make_officer(panel.team) for _ in range(2)]
    pending = make_officer(panel.team, status=OfficerStatus.PENDING)
    client.force_login(planner)
    page = client.get(url("panel_members_add", pk=panel.pk)).content.decode()
    assert str(officers[0]) in page and str(pending) not in page
    response = client.post(url("panel_members_add", pk=panel.pk), {"officers": [o.pk for o in officers]})
    assert response.status_code == HTTPStatus.FOUND
    assert set(panel.members.all()) == set(officers)


@pytest.mark.parametrize("status,message", [
    (OfficerStatus.PENDING, "still waiting for approval: approve it first."),
    (OfficerStatus.DECLINED, "is not an approved officer (Declined)."),
    (OfficerStatus.WITHDRAWN, "is not an approved officer (Withdrawn)."),
])
def test_an_officer_not_approved_is_refused_by_name(client, planner, panel, places, status, message):
    good = make_officer(panel.team)
    bad = make_officer(panel.team, status=status)
    client.force_login(planner)
    response = client.post(url("panel_members_add", pk=panel.pk), {"officers": [good.pk, bad.pk]})
    assert response.status_code == HTTPStatus.OK
    assert message in response.content.decode().replace("&#x27;", "'")
    assert not panel.members.exists()  # nothing half-saved


def test_another_teams_officer_is_refused(client, planner, panel, other_team, places):
    foreign = make_officer(other_team)
    client.force_login(planner)
    response = client.post(url("panel_members_add", pk=panel.pk), {"officers": [foreign.pk]})
    assert "Choose officers of your own team." in response.content.decode()
    assert not panel.members.exists()


def test_choosing_nobody_says_so(client, planner, panel):
    client.force_login(planner)
    response = client.post(url("panel_members_add", pk=panel.pk), {})
    assert "Choose at least one officer to add." in response.content.decode()


def test_removing_a_member_is_audited(client, planner, panel):
    officer = member(panel)
    client.force_login(planner)
    client.post(url("panel_member_remove", pk=panel.pk, officer_pk=officer.pk))
    assert not panel.members.exists()
    event = AuditEvent.objects.get(action="panel.member_removed")
    assert event.detail == {"officer": officer.pk} and event.team == panel.team


def test_removing_someone_not_on_the_panel_says_so(client, planner, panel, places):
    outsider = make_officer(panel.team)
    client.force_login(planner)
    response = client.post(url("panel_member_remove", pk=panel.pk, officer_pk=outsider.pk), follow=True)
    assert "That officer is not a member of this panel." in response.content.decode()


def test_other_teams_panel_cannot_be_changed(client, planner, other_panel):
    client.force_login(planner)
    assert client.post(url("panel_edit", pk=other_panel.pk), {"name": "Mine"}).status_code == HTTPStatus.NOT_FOUND
    other_panel.refresh_from_db()
    assert other_panel.name == "Parking testers"



@pytest.mark.parametrize("persona", ["clerk", "viewer", "officer_user", "other_planner", "anonymous"])
def test_no_one_but_the_planner_changes_anything(client, request, persona, panel, cycle, places, occupations):
    candidate = make_officer(panel.team)
    sign_in(client, request, persona)
    posts = {
        url("panel_edit", pk=panel.pk): {"name": "Taken over", "monthly_limit": 9},
        url("panel_members_add", pk=panel.pk): {"officers": [candidate.pk]},
        url("panel_quotas", pk=panel.pk): {f"t-{places['bands'][0].pk}-{occupations[0].pk}-0": "4"},
        url("panel_quotas_derive", pk=panel.pk): {"size": 10, "occupations": [occupations[0].pk]},
        url("task_create", pk=panel.pk): {"cycle": cycle.pk, "title": "Mine", "due_on": "2099-01-01"},
    }
    for address, data in posts.items():
        assert client.post(address, data).status_code == expected(persona, set()), address
    panel.refresh_from_db()
    assert panel.name == "App testers" and not panel.members.exists() and not panel.quotas.exists()
    assert not Task.objects.exists()


def test_with_nobody_left_to_add_the_page_says_so(client, planner, panel):
    member(panel)
    client.force_login(planner)
    text = client.get(url("panel_members_add", pk=panel.pk)).content.decode()
    assert "Every approved officer of your team is on this panel already." in text
    assert "Add to the panel" not in text
