"""Stages move forward only, or to stopped; a new cycle follows one being optimized."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from citylab.models import AuditEvent
from pilots import services
from pilots.models import Cycle, Stage


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    # The services speak the active language (zh-Hans by default); these tests read English.
    with translation.override("en"):
        yield



def test_every_forward_move_is_allowed_and_audited(cycle):
    for stage in (Stage.OPTIMIZING, Stage.READY_TO_SCALE, Stage.ROLLED_OUT):
        services.stage_change(cycle=cycle, stage=stage)
        cycle.refresh_from_db()
        assert cycle.stage == stage
    assert AuditEvent.objects.filter(action="pilot.stage").count() == 3


@pytest.mark.parametrize(("start", "target"), [
    (Stage.OPTIMIZING, Stage.PILOTING),
    (Stage.READY_TO_SCALE, Stage.OPTIMIZING),
    (Stage.PILOTING, Stage.ROLLED_OUT),  # only a cycle ready to scale is rolled out
    (Stage.STOPPED, Stage.PILOTING),
    (Stage.ROLLED_OUT, Stage.STOPPED),
    (Stage.PILOTING, Stage.PILOTING),
    (Stage.PILOTING, "launched"),
])
def test_backward_and_unknown_moves_are_refused(cycle, start, target):
    Cycle.objects.filter(pk=cycle.pk).update(stage=start)
    with pytest.raises(services.WorkflowError, match="stages only move forward"):
        services.stage_change(cycle=cycle, stage=target)
    cycle.refresh_from_db()
    assert cycle.stage == start and not AuditEvent.objects.exists()


def test_any_stage_before_rolled_out_may_stop(cycle):
    services.stage_change(cycle=cycle, stage=Stage.STOPPED)
    cycle.refresh_from_db()
    assert cycle.stage == Stage.STOPPED


def test_a_stage_form_lists_only_the_next_stages(client, planner, cycle):
    client.cookies["django_language"] = "en"
    client.force_login(planner)
    form = client.get(cycle.get_absolute_url()).context["stage_form"]
    assert [value for value, _label in form.fields["stage"].choices] == [
        "", Stage.OPTIMIZING, Stage.READY_TO_SCALE, Stage.STOPPED,
    ]


def test_a_final_stage_has_no_stage_form(client, planner, cycle):
    Cycle.objects.filter(pk=cycle.pk).update(stage=Stage.ROLLED_OUT)
    client.force_login(planner)
    assert client.get(cycle.get_absolute_url()).context["stage_form"] is None


def test_cycles_are_numbered_after_the_last(pilot):
    first = services.cycle_start(pilot=pilot)
    assert first.number == 1
    with pytest.raises(services.WorkflowError):
        services.cycle_start(pilot=pilot)  # planned, not optimizing
    services.stage_change(cycle=first, stage=Stage.OPTIMIZING)
    assert services.cycle_start(pilot=pilot).number == 2
    assert AuditEvent.objects.filter(action="pilot.cycle_start").count() == 2


@pytest.mark.parametrize("stage", [Stage.PLANNED, Stage.PILOTING, Stage.READY_TO_SCALE, Stage.ROLLED_OUT, Stage.STOPPED])
def test_no_new_cycle_unless_the_last_is_optimizing(cycle, stage):
    Cycle.objects.filter(pk=cycle.pk).update(stage=stage)
    with pytest.raises(services.WorkflowError):
        services.cycle_start(pilot=cycle.pilot)


def test_posting_no_stage_says_what_to_do(client, planner, cycle):
    client.cookies["django_language"] = "en"
    client.force_login(planner)
    url = cycle.get_absolute_url() + "stage/"
    response = client.post(url, {"stage": ""}, follow=True)
    assert "Choose the stage to move the cycle to." in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.stage == Stage.PILOTING
