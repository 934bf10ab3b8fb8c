"""Decisions on a cycle: who may record one, the override rule, the snapshot of the verdict it
was made on, the stage it moves the cycle to, the audit trail, and that it is never changed."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from citylab.models import AuditEvent
from pilots import services
from pilots.models import Cycle, Decision, DecisionKind, Stage
from tests.pilots.test_views import GOOD, LOW, cycle_url


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.cookies["django_language"] = "en"


def decide(client, cycle: Cycle, **data: str):
    return client.post(cycle_url("decision_create", cycle), {"rationale": "Figures are clear", **data})


@pytest.mark.parametrize(("persona", "status"), [
    ("clerk", HTTPStatus.FORBIDDEN), ("viewer", HTTPStatus.FORBIDDEN), ("other_planner", HTTPStatus.NOT_FOUND),
])
def test_only_the_teams_planners_decide(client, request, persona, status, cycle, add_counts):
    add_counts(cycle, GOOD)
    client.force_login(request.getfixturevalue(persona))
    assert decide(client, cycle, kind=DecisionKind.SCALE).status_code == status
    assert not Decision.objects.exists()


def test_anonymous_is_sent_to_sign_in(client, cycle):
    response = decide(client, cycle, kind=DecisionKind.STOP)
    assert response.status_code == HTTPStatus.FOUND and response["Location"].startswith(reverse("account_login"))


def test_scaling_on_a_ready_verdict(client, planner, cycle, add_counts):
    add_counts(cycle, GOOD)
    client.force_login(planner)
    response = decide(client, cycle, kind=DecisionKind.SCALE)
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == cycle.get_absolute_url()
    decision = Decision.objects.get()
    assert decision.verdict == "READY_TO_SCALE" and decision.override_reason == ""
    assert decision.decided_by == planner and decision.rationale == "Figures are clear"
    snapshot = decision.snapshot
    assert snapshot["verdict"] == "READY_TO_SCALE"
    assert snapshot["decided_by"]["email"] == planner.email
    assert snapshot["reasons"][0].startswith("Overall adoption")
    assert {s["age_band"] for s in snapshot["segments"]} == {"60-69", "70+"}
    assert snapshot["sources"] == {"adoption": "counts", "satisfaction": "counts"}
    cycle.refresh_from_db()
    assert cycle.stage == Stage.READY_TO_SCALE


def test_snapshot_reasons_are_in_the_deciders_language(client, planner, cycle, add_counts):
    add_counts(cycle, LOW)
    client.cookies["django_language"] = "zh-hans"
    client.force_login(planner)
    decide(client, cycle, kind=DecisionKind.OPTIMIZE)
    reasons = Decision.objects.get().snapshot["reasons"]
    assert any("老城区" in reason for reason in reasons)  # the district's Chinese name


def test_scaling_against_the_verdict_needs_a_reason(client, planner, cycle, add_counts):
    add_counts(cycle, LOW)
    client.force_login(planner)
    response = decide(client, cycle, kind=DecisionKind.SCALE)
    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors["override_reason"]
    assert errors == ["The verdict is not “Ready to scale”: write why you scale up anyway, or choose another decision."]
    text = response.content.decode()
    assert "There is a problem" in text and "Figures are clear" in text  # the rationale is kept
    assert not Decision.objects.exists()
    response = decide(client, cycle, kind=DecisionKind.SCALE, override_reason="   ")
    assert "override_reason" in response.context["form"].errors
    response = decide(client, cycle, kind=DecisionKind.SCALE, override_reason="The council funds it anyway")
    assert response.status_code == HTTPStatus.FOUND
    decision = Decision.objects.get()
    assert decision.verdict == "KEEP_OPTIMIZING" and decision.override_reason == "The council funds it anyway"
    assert AuditEvent.objects.get(action="pilot.decision").detail["override"] is True


def test_scaling_with_no_figures_needs_a_reason_too(client, planner, cycle):
    client.force_login(planner)
    assert "override_reason" in decide(client, cycle, kind=DecisionKind.SCALE).context["form"].errors


def test_override_reason_is_not_kept_for_other_decisions(client, planner, cycle, add_counts):
    add_counts(cycle, LOW)
    client.force_login(planner)
    decide(client, cycle, kind=DecisionKind.OPTIMIZE, override_reason="leftover")
    assert Decision.objects.get().override_reason == ""


def test_rationale_is_required(client, planner, cycle):
    client.force_login(planner)
    response = client.post(cycle_url("decision_create", cycle), {"kind": DecisionKind.STOP, "rationale": ""})
    assert response.context["form"].errors["rationale"] == ["Write why you decide this."]


def test_decision_moves_the_stage_and_is_audited(client, planner, cycle, add_counts):
    add_counts(cycle, LOW)
    client.force_login(planner)
    decide(client, cycle, kind=DecisionKind.OPTIMIZE)
    cycle.refresh_from_db()
    assert cycle.stage == Stage.OPTIMIZING
    decision = Decision.objects.get()
    event = AuditEvent.objects.get(action="pilot.decision")
    assert event.actor == planner and event.target == f"pilots.Decision:{decision.pk}"
    assert event.detail["verdict"] == "KEEP_OPTIMIZING" and event.detail["kind"] == "optimize"
    stage = AuditEvent.objects.get(action="pilot.stage")
    assert stage.detail["by_decision"] is True and stage.detail["stage"] == Stage.OPTIMIZING


def test_decision_that_would_move_the_stage_back_is_refused(client, planner, cycle, add_counts):
    add_counts(cycle, GOOD)
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.READY_TO_SCALE)
    client.force_login(planner)
    response = decide(client, cycle, kind=DecisionKind.OPTIMIZE)
    assert response.status_code == HTTPStatus.OK
    assert "cannot move it to “Optimizing”" in response.content.decode()
    assert not Decision.objects.exists() and not AuditEvent.objects.filter(action="pilot.decision").exists()


def test_a_decision_at_the_stage_it_leads_to_keeps_the_stage(client, planner, cycle, add_counts):
    add_counts(cycle, LOW)
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.OPTIMIZING)
    client.force_login(planner)
    assert decide(client, cycle, kind=DecisionKind.OPTIMIZE).status_code == HTTPStatus.FOUND
    assert not AuditEvent.objects.filter(action="pilot.stage").exists()


def test_no_decision_on_a_stopped_cycle(client, planner, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.STOPPED)
    client.force_login(planner)
    assert decide(client, cycle, kind=DecisionKind.STOP).status_code == HTTPStatus.OK
    assert not Decision.objects.exists()


def test_decisions_are_never_changed_or_deleted(planner, cycle):
    decision = services.decision_record(cycle=cycle, kind=DecisionKind.STOP, rationale="No one uses it", user=planner)
    decision.rationale = "Something else"
    with pytest.raises(ValidationError):
        decision.save()
    with pytest.raises(ValidationError):
        decision.delete()
    assert Decision.objects.get().rationale == "No one uses it"


def test_there_is_no_page_to_edit_or_delete_a_decision(client, planner, cycle):
    client.force_login(planner)
    for suffix in ("decisions/1/edit/", "decisions/1/delete/"):
        assert client.get(cycle.get_absolute_url() + suffix).status_code == HTTPStatus.NOT_FOUND


def test_the_service_refuses_a_missing_override_too(planner, cycle, add_counts):
    add_counts(cycle, LOW)
    with pytest.raises(services.WorkflowError):
        services.decision_record(cycle=cycle, kind=DecisionKind.SCALE, rationale="r", user=planner)
    assert not Decision.objects.exists()


def test_the_decision_and_its_verdict_show_in_the_history(client, planner, viewer, cycle, add_counts):
    add_counts(cycle, LOW)
    client.force_login(planner)
    decide(client, cycle, kind=DecisionKind.SCALE, override_reason="Mayor's priority")
    client.force_login(viewer)
    text = client.get(cycle.get_absolute_url()).content.decode()
    assert "Scale up" in text and "Mayor&#x27;s priority" in text and "Keep optimizing" in text
    assert planner.get_full_name() in text
