"""Pilot pages as each persona sees them: planners change things, clerks and viewers read,
another team's planner finds nothing, and an anonymous visitor is sent to sign in."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.urls import reverse

from citylab.models import AuditEvent, Community
from pilots.models import Cycle, CycleChange, Decision, DecisionKind, Pilot, Stage, Variant
from surveys.models import Kind, Survey
from tests.surveys.conftest import add_question

PERSONAS = ["planner", "clerk", "viewer", "other_planner", "anonymous"]
READERS = {"planner", "clerk", "viewer"}

# Segments that pass every floor, and one far below the equity floor.
GOOD = [("laocheng", "60-69", 200, 170, 180, 200), ("laocheng", "70+", 200, 160, 170, 200),
        ("xingang", "60-69", 200, 170, 175, 200)]
LOW = [("laocheng", "60-69", 200, 170, 180, 200), ("laocheng", "70+", 200, 30, 170, 200)]


@pytest.fixture(autouse=True)
def english(client) -> None:
    """Pages in English, so that tests read the sentences they check (Chinese is the default)."""
    client.cookies["django_language"] = "en"


def sign_in(client, request, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


def expected(persona: str, allowed: set[str]) -> int:
    if persona == "anonymous":
        return HTTPStatus.FOUND
    if persona == "other_planner":
        return HTTPStatus.NOT_FOUND
    return HTTPStatus.OK if persona in allowed else HTTPStatus.FORBIDDEN


def cycle_url(name: str, cycle: Cycle) -> str:
    return reverse(f"pilots:{name}", kwargs={"pk": cycle.pilot_id, "number": cycle.number})


# --- Who may do what --------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_pilot_pages_are_read_by_members_only(client, request, persona, pilot, cycle):
    sign_in(client, request, persona)
    for url in (pilot.get_absolute_url(), cycle.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == expected(persona, READERS), url
        if persona == "anonymous":
            assert response["Location"].startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", PERSONAS)
def test_design_pages_are_for_planners(client, request, persona, pilot, cycle):
    sign_in(client, request, persona)
    urls = [reverse("pilots:pilot_edit", kwargs={"pk": pilot.pk})] + [
        cycle_url(name, cycle)
        for name in ("cycle_edit", "change_create", "variant_create", "counts_upload", "decision_create")
    ]
    for url in urls:
        assert client.get(url).status_code == expected(persona, {"planner"}), url


@pytest.mark.parametrize("persona", PERSONAS)
def test_state_changes_are_for_planners(client, request, persona, pilot, cycle):
    sign_in(client, request, persona)
    response = client.post(cycle_url("stage_change", cycle), {"stage": Stage.OPTIMIZING})
    if persona == "planner":
        assert response.status_code == HTTPStatus.FOUND
    else:
        assert response.status_code == expected(persona, set())
    cycle.refresh_from_db()
    assert cycle.stage == (Stage.OPTIMIZING if persona == "planner" else Stage.PILOTING)


def test_state_changes_are_post_only(client, planner, cycle):
    client.force_login(planner)
    assert client.get(cycle_url("stage_change", cycle)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    url = reverse("pilots:cycle_start", kwargs={"pk": cycle.pilot_id})
    assert client.get(url).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_list_shows_the_teams_pilots_with_their_verdicts(client, viewer, pilot, other_pilot, cycle, add_counts):
    add_counts(cycle, GOOD)
    client.force_login(viewer)
    response = client.get(reverse("pilots:pilot_list"))
    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    assert pilot.name in text and other_pilot.name not in text
    assert "Ready to scale" in text
    assert reverse("pilots:pilot_create") not in text  # no "New pilot" for viewers


def test_planners_get_the_new_pilot_button(client, planner, pilot):
    client.force_login(planner)
    assert reverse("pilots:pilot_create") in client.get(reverse("pilots:pilot_list")).content.decode()


@pytest.mark.parametrize("persona", ["clerk", "viewer"])
def test_readers_see_no_action_buttons(client, request, persona, pilot, cycle):
    sign_in(client, request, persona)
    text = client.get(pilot.get_absolute_url()).content.decode()
    for name in ("cycle_edit", "decision_create", "stage_change", "counts_upload"):
        assert cycle_url(name, cycle) not in text
    assert reverse("pilots:pilot_edit", kwargs={"pk": pilot.pk}) not in text


def test_planner_sees_the_action_buttons(client, planner, pilot, cycle):
    client.force_login(planner)
    text = client.get(pilot.get_absolute_url()).content.decode()
    for name in ("cycle_edit", "decision_create", "stage_change", "counts_upload", "change_create", "variant_create"):
        assert cycle_url(name, cycle) in text


# --- Pilots -----------------------------------------------------------------------------------


def pilot_data(**changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "name": "Door access by face", "service": "Face-recognition doors", "scenario": "", "target_population": "",
        "adoption_target": "60", "equity_floor": "40", "satisfaction_target": "70", "viability_floor": "15",
        "min_respondents": "30", "confidence": "95",
    }
    data.update(changes)
    return data


def test_planner_creates_a_pilot(client, planner, team, places):
    client.force_login(planner)
    communities = list(Community.objects.values_list("pk", flat=True))
    response = client.post(reverse("pilots:pilot_create"), pilot_data(team=team.pk, communities=communities))
    pilot = Pilot.objects.get(name="Door access by face")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == pilot.get_absolute_url()
    assert pilot.team == team and pilot.created_by == planner and pilot.communities.count() == 2


def test_model_rules_are_shown_beside_their_fields(client, planner, team, places):
    client.force_login(planner)
    response = client.post(reverse("pilots:pilot_create"),
                           pilot_data(team=team.pk, equity_floor="70", adoption_target="120"))
    assert response.status_code == HTTPStatus.OK
    form = response.context["form"]
    assert "adoption_target" in form.errors
    text = response.content.decode()
    assert "There is a problem" in text and "<title>Error:" in text
    assert 'value="Door access by face"' in text  # nothing lost
    response = client.post(reverse("pilots:pilot_create"), pilot_data(team=team.pk, equity_floor="70"))
    assert response.context["form"].errors["equity_floor"] == ["The equity floor cannot be above the adoption target."]
    assert not Pilot.objects.exists()


def test_a_pilot_cannot_be_created_for_another_team(client, planner, other_team, places):
    client.force_login(planner)
    response = client.post(reverse("pilots:pilot_create"), pilot_data(team=other_team.pk))
    assert response.status_code == HTTPStatus.OK and "team" in response.context["form"].errors
    assert not Pilot.objects.exists()


def test_clerks_cannot_create_pilots(client, clerk):
    client.force_login(clerk)
    assert client.get(reverse("pilots:pilot_create")).status_code == HTTPStatus.FORBIDDEN


def test_planner_edits_a_pilot(client, planner, pilot):
    client.force_login(planner)
    response = client.post(reverse("pilots:pilot_edit", kwargs={"pk": pilot.pk}), pilot_data(name="Renamed"))
    assert response.status_code == HTTPStatus.FOUND
    pilot.refresh_from_db()
    assert pilot.name == "Renamed" and pilot.adoption_target == 60


# --- The page ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "words"),
    [
        (GOOD, "Ready to scale"),
        (LOW, "Keep optimizing"),
        ([("laocheng", "60-69", 10, 8, 9, 10)], "Needs more data"),
        ([("laocheng", "60-69", 400, 4, 300, 400), ("xingang", "70+", 400, 6, 300, 400)], "Not viable"),
    ],
)
def test_verdict_banner_shows_the_verdict_of_the_counts(client, clerk, cycle, add_counts, rows, words):
    add_counts(cycle, rows)
    client.force_login(clerk)
    response = client.get(cycle.pilot.get_absolute_url())
    assert response.context["page"]["verdict_words"] == words
    assert words in response.content.decode()


def test_page_shows_reasons_segments_and_sources(client, viewer, cycle, add_counts):
    add_counts(cycle, LOW)
    client.force_login(viewer)
    text = client.get(cycle.get_absolute_url()).content.decode()
    assert "70+ in Old Town: adoption 15%" in text  # the reason sentence, with the segment's name
    assert "counts imported from the operator&#x27;s system" in text
    assert '<th scope="row">70+ in Old Town</th>' in text
    assert "Below it" in text  # the state in words, not colour alone


def test_a_cycle_without_figures_says_so(client, viewer, cycle):
    client.force_login(viewer)
    text = client.get(cycle.get_absolute_url()).content.decode()
    assert "No figures yet" in text


def test_changes_since_the_previous_cycle_and_history(client, viewer, planner, pilot, add_counts):
    first = Cycle.objects.create(pilot=pilot, number=1, stage=Stage.OPTIMIZING)
    add_counts(first, LOW)
    second = Cycle.objects.create(pilot=pilot, number=2, stage=Stage.PILOTING)
    add_counts(second, GOOD)
    CycleChange.objects.create(cycle=second, what="Bigger buttons", reason="Officers over 70 missed them",
                               created_by=planner)
    Decision.objects.create(cycle=first, kind=DecisionKind.OPTIMIZE, rationale="The over-70s lag", verdict="KEEP_OPTIMIZING",
                            snapshot={}, decided_by=planner)
    client.force_login(viewer)
    response = client.get(pilot.get_absolute_url())
    assert response.context["shown"] == second
    text = response.content.decode()
    assert "Since cycle 1" in text and "Cochran–Mantel–Haenszel" in text
    assert len(response.context["page"]["changes"]) == 2
    assert "Bigger buttons" in text and "Officers over 70 missed them" in text
    assert "The over-70s lag" in text and "Keep optimizing" in text
    older = client.get(first.get_absolute_url())
    assert older.context["shown"] == first and "This is an earlier cycle" in older.content.decode()


def test_unknown_cycle_is_404(client, viewer, cycle):
    client.force_login(viewer)
    url = reverse("pilots:cycle_detail", kwargs={"pk": cycle.pilot_id, "number": 9})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND


def test_page_queries_do_not_grow_with_the_data(client, viewer, pilot, add_counts, places, planner,
                                                 django_assert_num_queries):
    from citylab.models import AgeBand, District

    first = Cycle.objects.create(pilot=pilot, number=1, stage=Stage.OPTIMIZING)
    second = Cycle.objects.create(pilot=pilot, number=2, stage=Stage.PILOTING)
    add_counts(first, LOW)
    add_counts(second, GOOD)
    client.force_login(viewer)
    client.get(pilot.get_absolute_url())  # warm the session and caches
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as small:
        client.get(pilot.get_absolute_url())
    # Many more cycles, each with changes, variants, sites and decisions, and many more segments.
    for number in range(3, 9):
        c = Cycle.objects.create(pilot=pilot, number=number, stage=Stage.OPTIMIZING)
        c.sites.set(Community.objects.all())
        CycleChange.objects.create(cycle=c, what=f"change {number}", reason="why", created_by=planner)
        Variant.objects.create(cycle=c, age_band=AgeBand.objects.first(), description="desk")
        Decision.objects.create(cycle=c, kind=DecisionKind.OPTIMIZE, rationale="r", verdict="", snapshot={},
                                decided_by=planner)
    latest = Cycle.objects.create(pilot=pilot, number=9, stage=Stage.PILOTING)
    for i in range(20):
        District.objects.create(code=f"d{i}", name_zh=f"区{i}", name_en=f"District {i}")
    add_counts(latest, [(f"d{i}", band, 100, 60, 80, 100) for i in range(20) for band in ("18-29", "60-69", "70+")])
    add_counts(Cycle.objects.get(pilot=pilot, number=8),
               [(f"d{i}", band, 100, 50, 80, 100) for i in range(20) for band in ("18-29", "60-69", "70+")])
    with django_assert_num_queries(len(small)):
        response = client.get(pilot.get_absolute_url())
    assert len(response.context["page"]["segments"]) == 60 and len(response.context["page"]["changes"]) == 60


# --- Cycles -----------------------------------------------------------------------------------


def test_planner_starts_the_first_cycle_with_the_pilots_sites(client, planner, pilot):
    client.force_login(planner)
    response = client.post(reverse("pilots:cycle_start", kwargs={"pk": pilot.pk}))
    cycle = pilot.cycles.get()
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == cycle_url("cycle_edit", cycle)
    assert cycle.number == 1 and cycle.stage == Stage.PLANNED and cycle.sites.count() == 2
    assert AuditEvent.objects.filter(action="pilot.cycle_start").count() == 1


def test_next_cycle_only_after_optimizing_and_copies_sites(client, planner, pilot, cycle):
    cycle.sites.set([Community.objects.get(code="dengta")])
    client.force_login(planner)
    url = reverse("pilots:cycle_start", kwargs={"pk": pilot.pk})
    response = client.post(url, follow=True)
    assert pilot.cycles.count() == 1
    assert "A new cycle starts only after the last one is being optimized" in response.content.decode()
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.OPTIMIZING)
    client.post(url)
    second = pilot.cycles.get(number=2)
    assert list(second.sites.values_list("code", flat=True)) == ["dengta"]


def test_clerk_cannot_start_a_cycle(client, clerk, pilot):
    client.force_login(clerk)
    assert client.post(reverse("pilots:cycle_start", kwargs={"pk": pilot.pk})).status_code == HTTPStatus.FORBIDDEN
    assert not pilot.cycles.exists()


def test_planner_adds_a_change_and_a_variant(client, planner, cycle, places):
    client.force_login(planner)
    response = client.post(cycle_url("change_create", cycle), {"what": "Staffed desk", "reason": "Residents asked"})
    assert response.status_code == HTTPStatus.FOUND
    change = cycle.changes.get()
    assert change.created_by == planner
    response = client.post(cycle_url("variant_create", cycle), {"age_band": "", "district": "", "description": "Desk"})
    assert response.status_code == HTTPStatus.OK and "age_band" in response.context["form"].errors
    band = places["bands"][-1]
    client.post(cycle_url("variant_create", cycle), {"age_band": band.pk, "district": "", "description": "Desk"})
    assert cycle.variants.get().age_band == band


def test_a_change_needs_its_reason(client, planner, cycle):
    client.force_login(planner)
    response = client.post(cycle_url("change_create", cycle), {"what": "Staffed desk", "reason": ""})
    assert response.status_code == HTTPStatus.OK and "reason" in response.context["form"].errors
    assert 'value="Staffed desk"' in response.content.decode()


# --- The cycle's evaluation survey ----------------------------------------------------------


@pytest.fixture
def evaluation(team) -> Survey:
    survey = Survey.objects.create(team=team, slug="app-check", title_zh="应用评估", title_en="App check")
    add_question(survey, "used", Kind.SINGLE, "您用过吗？", "Have you used it?",
                 choices=[("weekly", "每周", "Weekly"), ("once", "一次", "Once"), ("never", "从未", "Never")])
    add_question(survey, "satisfied", Kind.SCALE, "满意吗？", "Satisfied?", min_value=1, max_value=5)
    add_question(survey, "comment", Kind.LONG_TEXT, "意见", "Comments", required=False)
    return survey


@pytest.fixture
def other_survey(team) -> Survey:
    survey = Survey.objects.create(team=team, slug="other", title_zh="另一个", title_en="Other")
    add_question(survey, "used", Kind.YES_NO, "用过吗？", "Used?")
    return survey


def cycle_data(survey: Survey | None = None, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {"starts_on": "2026-03-01", "ends_on": "2026-05-31", "sites": []}
    if isinstance(survey, Survey):
        data.update({
            "survey": survey.pk,
            "adoption_question": survey.questions.get(key="used").pk, "adopted_values": ["weekly", "once"],
            "satisfaction_question": survey.questions.get(key="satisfied").pk, "satisfied_values": ["4", "5"],
        })
    else:
        data["survey"] = survey or ""
    data.update(changes)
    return data


def test_planner_maps_the_evaluation_survey(client, planner, cycle, evaluation):
    client.force_login(planner)
    response = client.post(cycle_url("cycle_edit", cycle), cycle_data(evaluation))
    assert response.status_code == HTTPStatus.FOUND
    cycle.refresh_from_db()
    assert cycle.survey == evaluation and cycle.adopted_values == ["weekly", "once"]
    assert cycle.satisfied_values == ["4", "5"] and str(cycle.ends_on) == "2026-05-31"


def test_survey_of_another_team_is_refused(client, planner, cycle, other_team):
    foreign = Survey.objects.create(team=other_team, slug="foreign", title_zh="外", title_en="Foreign")
    client.force_login(planner)
    response = client.post(cycle_url("cycle_edit", cycle), cycle_data(survey=foreign.pk))
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["survey"] == ["Choose one of your team's surveys."]
    assert "Foreign" not in response.content.decode()  # not even listed


def test_question_of_another_survey_is_refused(client, planner, cycle, evaluation, other_survey):
    client.force_login(planner)
    data = cycle_data(evaluation, adoption_question=other_survey.questions.get().pk, adopted_values=["yes"])
    response = client.post(cycle_url("cycle_edit", cycle), data)
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["adoption_question"] == ["This question is not in the chosen survey."]
    cycle.refresh_from_db()
    assert cycle.survey is None


def test_answers_must_belong_to_the_question(client, planner, cycle, evaluation):
    client.force_login(planner)
    response = client.post(cycle_url("cycle_edit", cycle), cycle_data(evaluation, adopted_values=["daily"],
                                                                      satisfied_values=["9"]))
    errors = response.context["form"].errors
    assert errors["adopted_values"] == ["“daily” is not an answer of the chosen question."]
    assert errors["satisfied_values"] == ["“9” is not an answer of the chosen question."]


def test_a_question_needs_its_counted_answers(client, planner, cycle, evaluation):
    client.force_login(planner)
    response = client.post(cycle_url("cycle_edit", cycle), cycle_data(evaluation, adopted_values=[]))
    assert "adopted_values" in response.context["form"].errors


def test_a_text_question_cannot_be_counted(client, planner, cycle, evaluation):
    client.force_login(planner)
    data = cycle_data(evaluation, adoption_question=evaluation.questions.get(key="comment").pk)
    response = client.post(cycle_url("cycle_edit", cycle), data)
    assert "adoption_question" in response.context["form"].errors


def test_refresh_redraws_the_form_with_the_surveys_questions_without_saving(client, planner, cycle, evaluation):
    client.force_login(planner)
    data = {"survey": evaluation.pk, "refresh": "1", "starts_on": "2026-03-01"}
    response = client.post(cycle_url("cycle_edit", cycle), data)
    assert response.status_code == HTTPStatus.OK and not response.context["form"].is_bound
    text = response.content.decode()
    assert "Have you used it?" in text and "There is a problem" not in text
    data["adoption_question"] = evaluation.questions.get(key="used").pk
    response = client.post(cycle_url("cycle_edit", cycle), data, HTTP_HX_REQUEST="true")
    text = response.content.decode()
    assert "<html" not in text and 'value="weekly"' in text
    cycle.refresh_from_db()
    assert cycle.survey is None and cycle.starts_on is None


# --- Stages -----------------------------------------------------------------------------------


def test_stage_change_is_audited(client, planner, cycle):
    client.force_login(planner)
    client.post(cycle_url("stage_change", cycle), {"stage": Stage.OPTIMIZING})
    event = AuditEvent.objects.get(action="pilot.stage")
    assert event.actor == planner and event.detail["previous"] == Stage.PILOTING
    assert event.detail["stage"] == Stage.OPTIMIZING


def test_stage_never_moves_back(client, planner, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.OPTIMIZING)
    client.force_login(planner)
    response = client.post(cycle_url("stage_change", cycle), {"stage": Stage.PILOTING}, follow=True)
    cycle.refresh_from_db()
    assert cycle.stage == Stage.OPTIMIZING
    assert "A cycle moves only forward" in response.content.decode()
    assert not AuditEvent.objects.filter(action="pilot.stage").exists()


# --- Counts -----------------------------------------------------------------------------------


def upload(client, cycle: Cycle, text: str, name: str = "counts.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(cycle_url("counts_upload", cycle),
                       {"file": SimpleUploadedFile(name, text.encode(), content_type="text/csv")})


def test_planner_uploads_counts_and_the_verdict_follows(client, planner, cycle):
    client.force_login(planner)
    rows = "\n".join(f"{d},{a},{e},{x},{s},{r}" for d, a, e, x, s, r in GOOD)
    response = upload(client, cycle, "district,age_band,eligible,adopters,satisfied,rated\n" + rows + "\n")
    assert response.status_code == HTTPStatus.FOUND
    assert cycle.segment_counts.count() == 3
    assert AuditEvent.objects.filter(action="pilot.counts_imported").count() == 1
    page = client.get(cycle.get_absolute_url())
    assert page.context["page"]["verdict_words"] == "Ready to scale" and "counts.csv" in page.content.decode()


def test_every_problem_of_a_count_file_is_shown_and_nothing_imported(client, planner, cycle, add_counts):
    add_counts(cycle, LOW)
    client.force_login(planner)
    response = upload(client, cycle, "district,age_band,eligible,adopters\nlaocheng,60-69,100,130\nnowhere,70+,10,5\n")
    assert response.status_code == HTTPStatus.OK
    problems = response.context["problems"]
    assert len(problems) >= 2
    text = response.content.decode()
    for problem in problems:
        assert problem.replace("(", "").split()[0] in text
    assert "nothing was imported" in text and "<title>Error:" in text
    assert cycle.segment_counts.count() == len(LOW)  # the old counts stand


def test_upload_needs_a_file(client, planner, cycle):
    client.force_login(planner)
    response = client.post(cycle_url("counts_upload", cycle), {})
    assert response.context["form"].errors["file"] == ["Choose the CSV file to upload."]
