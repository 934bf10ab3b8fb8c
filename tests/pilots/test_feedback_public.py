"""What leaves the team: the public "You said, we did" page (counts only, small cells hidden,
no officer's words), the pilot page's feedback summary (a fixed number of queries), and the
demo's feedback story."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from citylab import demo as city
from citylab.models import Team
from pilots import demo, demo_panels
from pilots.demo_feedback import LARGE_FONT, seed_feedback
from pilots.feedback_summary import cycle_feedback_summary
from pilots.models import Cycle, CycleChange, Feedback, Notice, Pilot
from tests.pilots.feedback_factories import make_assignment, make_feedback, make_task
from tests.pilots.officer_factories import make_officer, make_officer_user


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.fixture
def change(cycle) -> CycleChange:
    return CycleChange.objects.create(cycle=cycle, what="Large-font edition on by default",
                                      reason="Most officers over 70 could not read the app.")


def add(cycle, team, band, n: int, *, change=None, status="done", problems=(("blocker", "字太小"),), **kw):
    task = make_task(cycle)
    return [make_feedback(make_assignment(task, make_officer(team, age_band=band, **kw)), change=change,
                          status=status, problems=problems, suggestion="张阿姨住在3号楼") for _ in range(n)]


def url(pilot: Pilot) -> str:
    return reverse("pilots:you_said_we_did", kwargs={"pk": pilot.pk})


# --- You said, we did ---------------------------------------------------------------------------


@pytest.fixture
def officer(team, places):
    return make_officer_user(team)[0]


@pytest.mark.parametrize("persona", ["anonymous", "planner", "clerk", "viewer", "officer", "other_planner",
                                     "outsider"])
def test_public_page_is_for_everyone(client, request, persona, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 6, change=change)
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))
    response = client.get(url(pilot))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "Large-font edition on by default" in page and "Most officers over 70" in page
    assert "The feedback of 6 officers led to this change." in page
    assert "Aged 70+: 6 officers" in page
    assert 'class="ts-standard aud-public"' in page


def test_no_personal_data_or_officers_words(client, pilot, cycle, team, places, change):
    feedback = add(cycle, team, places["bands"][4], 5, change=change)
    page = client.get(url(pilot)).content.decode()
    officer = feedback[0].officer
    for private in ("张阿姨", "字太小", officer.full_name, officer.phone, officer.email):
        assert private not in page


def test_small_cells_are_suppressed(client, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 6, change=change)
    add(cycle, team, places["bands"][3], 5, change=change)
    add(cycle, team, places["bands"][2], 4, change=change)  # 45-59: only four
    page = client.get(url(pilot)).content.decode()
    assert "The feedback of 15 officers led to this change." in page
    # Four alone would be worked out from the total, so the smallest shown band joins them.
    assert "Aged 70+: 6 officers" in page and "Other ages together: 9 officers" in page
    assert "Aged 60-69" not in page and "Aged 45-59" not in page


def test_a_hidden_cell_cannot_be_worked_out_from_the_total(client, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 5, change=change)
    add(cycle, team, places["bands"][3], 1, change=change)  # total 6 - 5 shown would give this one
    page = client.get(url(pilot)).content.decode()
    assert "The feedback of 6 officers led to this change." in page
    assert "Aged 70+" not in page and "Aged 60-69" not in page


def test_the_rest_is_shown_together_when_it_is_large_enough(client, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 7, change=change)
    add(cycle, team, places["bands"][3], 3, change=change)
    add(cycle, team, places["bands"][2], 2, change=change)
    page = client.get(url(pilot)).content.decode()
    assert "Aged 70+: 7 officers" in page and "Other ages together: 5 officers" in page
    assert "Aged 60-69" not in page and "Aged 45-59" not in page


def test_a_change_from_fewer_than_five_is_counted_vaguely(client, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 2, change=change)
    page = client.get(url(pilot)).content.decode()
    assert "fewer than 5 officers" in page and "Aged 70+" not in page


def test_declined_feedback_does_not_count(client, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 5, change=change)
    Feedback.objects.filter(pk=Feedback.objects.first().pk).update(status="declined")
    assert "fewer than 5 officers" in client.get(url(pilot)).content.decode()


def test_pilot_without_changes_from_feedback_is_404(client, pilot, cycle, team, places):
    CycleChange.objects.create(cycle=cycle, what="A change nobody asked for", reason="x")
    add(cycle, team, places["bands"][4], 6)  # feedback, but linked to nothing
    assert client.get(url(pilot)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("pilots:you_said_we_did", kwargs={"pk": 99999})).status_code == HTTPStatus.NOT_FOUND


def test_public_page_in_chinese(client, pilot, cycle, team, places, change):
    add(cycle, team, places["bands"][4], 5, change=change)
    client.cookies["django_language"] = "zh-hans"
    page = client.get(url(pilot)).content.decode()
    assert 'lang="zh-Hans"' in page


# --- The pilot page's summary -------------------------------------------------------------------


def test_summary_counts_by_severity_band_and_district(cycle, team, places):
    old, port = places["districts"]
    b60, b70 = places["bands"][3], places["bands"][4]
    add(cycle, team, b70, 3, problems=[("blocker", "a"), ("major", "b")], district=old, status="new")
    add(cycle, team, b60, 2, problems=[("minor", "c")], district=port, status="new")
    Feedback.objects.filter(age_band=b60).update(managed="yes")
    summary = cycle_feedback_summary(cycle)
    assert summary.reports == 5
    assert [(r.label, [v for _, v in r.cells], r.total) for r in summary.by_band] == [
        ("60-69", [0, 0, 2], 2), ("70+", [3, 3, 0], 6)]
    assert [(r.label, r.total) for r in summary.by_district] == [(str(old), 6), (str(port), 2)]
    managed = {r.label: [(share, n) for _, share, n in r.cells] for r in summary.managed_by_band}
    assert managed == {"60-69": [(100, 2), (0, 0), (0, 0)], "70+": [(0, 0), (0, 0), (100, 3)]}


@pytest.mark.parametrize("persona", ["planner", "viewer"])
def test_pilot_page_shows_the_feedback_summary_beside_the_verdict(client, request, persona, pilot, cycle, team,
                                                                 places, change):
    add(cycle, team, places["bands"][4], 3, problems=[("blocker", "a"), ("major", "b")], status="new")
    client.force_login(request.getfixturevalue(persona))
    page = client.get(pilot.get_absolute_url()).content.decode().replace("&#x27;", "'")
    assert "Officers' feedback in cycle 1" in page
    assert "Did officers manage the tasks? 3 reports, by age band" in page
    assert "Problems reported in cycle 1, by severity and the officer's age band" in page
    assert '<tr><th scope="row">70+</th><td class="number" data-label="Blockers">3</td>' in page
    assert f'href="{reverse("pilots:feedback_list", kwargs={"pk": pilot.pk})}?cycle=1"' in page
    assert url(pilot) not in page  # no change answers the feedback yet: no public page to link
    add(cycle, team, places["bands"][3], 1, change=change)
    assert url(pilot) in client.get(pilot.get_absolute_url()).content.decode()


def test_summary_of_a_cycle_without_feedback(cycle):
    summary = cycle_feedback_summary(cycle)
    assert summary.reports == 0 and summary.by_band == [] and not summary.has_problems
    with translation.override("en"):
        html = render_to_string("pilots/feedback/_cycle_summary.html", {"feedback_summary": summary})
    assert "No officer has reported" in html


def test_summary_queries_do_not_grow(cycle, team, places, django_assert_num_queries):
    add(cycle, team, places["bands"][4], 2, status="new")
    with django_assert_num_queries(4):
        cycle_feedback_summary(cycle)
    add(cycle, team, places["bands"][3], 30, status="new", problems=[("major", "x"), ("minor", "y")])
    with django_assert_num_queries(4):
        summary = cycle_feedback_summary(cycle)
    assert summary.reports == 32


def test_summary_partial_is_an_accessible_table(cycle, team, places):
    add(cycle, team, places["bands"][4], 2, status="new")
    html = render_to_string("pilots/feedback/_cycle_summary.html",
                            {"feedback_summary": cycle_feedback_summary(cycle)})
    assert html.count("<caption>") == 3
    assert 'scope="col"' in html and 'scope="row"' in html and 'class="number"' in html
    assert 'class="pilot-table numbers"' in html


# --- Demo ---------------------------------------------------------------------------------------


@pytest.fixture
def demo_team(db) -> Team:
    city.seed_demo()
    team = Team.objects.get(code=city.TEAM.code)
    demo.seed_demo(team=team)
    return team


def test_demo_without_panel_says_so(demo_team):
    assert "seed the demo panel" in seed_feedback(team=demo_team)


def test_demo_feedback_tells_the_large_font_story(client, demo_team):
    demo_panels.seed_panels(team=demo_team)
    message = seed_feedback(team=demo_team)
    assert "reports (" in message
    pilot = Pilot.objects.get(team=demo_team, name=demo.APP.name)
    cycle = Cycle.objects.get(pilot=pilot, number=1)
    large_font = CycleChange.objects.get(cycle__pilot=pilot, what__startswith=LARGE_FONT)
    linked = Feedback.objects.filter(change=large_font, status="done")
    assert linked.exists() and all(f.age_band.min_age >= 60 for f in linked)
    assert linked.filter(problems__severity="blocker", problems__description="字太小，看不清").exists()
    assert Feedback.objects.filter(cycle=cycle, status="declined").exclude(decline_reason="").exists()
    assert Feedback.objects.filter(cycle=cycle, status="new").exists()
    assert Notice.objects.filter(feedback__in=linked).count() == linked.count()
    summary = cycle_feedback_summary(cycle)
    assert any(row.label == "70+" and row.cells[0][1] > 0 for row in summary.by_band)
    assert client.get(url(pilot)).status_code == HTTPStatus.OK
    # A second run changes nothing.
    before = (Feedback.objects.count(), Notice.objects.count())
    assert seed_feedback(team=demo_team) == message
    assert (Feedback.objects.count(), Notice.objects.count()) == before
