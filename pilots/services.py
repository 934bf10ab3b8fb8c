"""Workflows that span several records: a new cycle, a stage change, a decision.

Each is one transaction with its audit event, so a stage never moves without the record of who
moved it, and a decision is never written without its stage change (or the other way round).
Refusals are `WorkflowError`s with a sentence the planner can act on.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext as _

from citylab import audit
from pilots.evaluation import evaluate_cycle, segment_labels
from pilots.models import DECISION_STAGE, FINAL_STAGES, Cycle, Decision, DecisionKind, Pilot, Stage, next_stages
from pilots.verdict_types import Verdict


class WorkflowError(Exception):
    """A step the pilot's state does not allow; the message is shown as it is."""


def stage_label(stage: str) -> str:
    return str(Stage(stage).label)


def can_start_cycle(latest: Cycle | None) -> bool:
    """A new cycle follows a cycle being optimized: the next round tries the improved service."""
    return latest is None or latest.stage == Stage.OPTIMIZING


@transaction.atomic
def cycle_start(*, pilot: Pilot, request: HttpRequest | None = None) -> Cycle:
    """The next cycle, numbered after the last, at the sites of the last (or the pilot's)."""
    pilot = Pilot.objects.select_for_update().get(pk=pilot.pk)  # one new cycle at a time
    latest = pilot.cycles.order_by("-number").first()
    if not can_start_cycle(latest):
        raise WorkflowError(
            _("A new cycle starts only after the last one is being optimized; cycle %(number)s is “%(stage)s”.")
            % {"number": latest.number, "stage": stage_label(latest.stage)}
        )
    number = (pilot.cycles.aggregate(last=Max("number"))["last"] or 0) + 1
    cycle = Cycle.objects.create(pilot=pilot, number=number)
    cycle.sites.set(latest.sites.all() if latest is not None else pilot.communities.all())
    audit.record(request, "pilot.cycle_start", cycle, team=pilot.team, pilot=pilot.pk, number=number)
    return cycle


def _move(cycle: Cycle, stage: str, request: HttpRequest | None, *, by_decision: bool) -> None:
    previous = cycle.stage
    cycle.stage = stage
    cycle.save(update_fields=["stage"])
    audit.record(request, "pilot.stage", cycle, team=cycle.pilot.team, pilot=cycle.pilot_id, cycle=cycle.number,
                 previous=previous, stage=str(stage), by_decision=by_decision)


@transaction.atomic
def stage_change(*, cycle: Cycle, stage: str, request: HttpRequest | None = None) -> Cycle:
    """Move a cycle forward (or to stopped), never back."""
    locked = Cycle.objects.select_for_update(of=("self",)).select_related("pilot__team").get(pk=cycle.pk)
    if stage not in next_stages(locked.stage):
        raise WorkflowError(
            _("Cycle %(number)s cannot move from “%(current)s” to “%(stage)s”: stages only move forward.")
            % {"number": locked.number, "current": stage_label(locked.stage),
               "stage": stage_label(stage) if stage in Stage.values else stage}
        )
    _move(locked, stage, request, by_decision=False)
    return locked


@transaction.atomic
def decision_record(
    *, cycle: Cycle, kind: str, rationale: str, override_reason: str = "", user,
    request: HttpRequest | None = None,
) -> Decision:
    """Record a decision with the verdict it was made on, and move the cycle's stage to match.

    The verdict is computed here, inside the transaction, rather than taken from the form: the
    snapshot must be what the figures said when the decision was written. The reasons are kept
    as sentences in the decider's language, as they read them.
    """
    # The form asks for a rationale too, but every caller (the demo seed, a script) comes
    # through here: a decision that cannot be edited later must say why it was made.
    rationale = rationale.strip()
    if not rationale:
        raise WorkflowError(_("Write why you decide this."))
    locked = Cycle.objects.select_for_update(of=("self",)).select_related(
        "pilot__team", "survey", "adoption_question", "satisfaction_question"
    ).get(pk=cycle.pk)
    kind = DecisionKind(kind)
    target = DECISION_STAGE[kind]
    if locked.stage in FINAL_STAGES:
        raise WorkflowError(
            _("Cycle %(number)s is “%(current)s”: it takes no more decisions.")
            % {"number": locked.number, "current": stage_label(locked.stage)}
        )
    # A decision at the stage it leads to (optimize again on a cycle being optimized) keeps
    # the stage; any other move must be one the stage order allows.
    if locked.stage != target and target not in next_stages(locked.stage):
        raise WorkflowError(
            _("Cycle %(number)s is “%(current)s”: a decision to “%(decision)s” cannot move it to “%(stage)s”.")
            % {"number": locked.number, "current": stage_label(locked.stage), "decision": kind.label,
               "stage": stage_label(target)}
        )
    previous = locked.pilot.cycles.filter(number__lt=locked.number).order_by("-number").first()
    result = evaluate_cycle(locked, previous)
    evaluation = result.evaluation
    verdict = str(evaluation.verdict) if evaluation is not None else ""
    override_reason = override_reason.strip()
    if kind == DecisionKind.SCALE and verdict != Verdict.READY_TO_SCALE and not override_reason:
        raise WorkflowError(_("The verdict is not “Ready to scale”: write why you scale up anyway."))
    if evaluation is not None:
        labels = segment_labels()
        snapshot = evaluation.as_dict()
        snapshot["reasons"] = evaluation.sentences(_, lambda code: labels.get(code, code))
    else:
        snapshot = {"verdict": None, "reasons": [_("The cycle had no figures yet.")]}
    snapshot.update({
        "verdict": verdict or None,
        "sources": {"adoption": result.sources.adoption, "satisfaction": result.sources.satisfaction},
        "previous_cycle": previous.number if previous is not None else None,
        "decided_by": {"id": user.pk, "email": user.email, "name": user.get_full_name()},
    })
    decision = Decision.objects.create(
        cycle=locked, kind=kind, rationale=rationale,
        override_reason=override_reason if kind == DecisionKind.SCALE else "",
        verdict=verdict, snapshot=snapshot, decided_by=user,
    )
    audit.record(request, "pilot.decision", decision, team=locked.pilot.team, pilot=locked.pilot_id,
                  cycle=locked.number, kind=str(kind), verdict=verdict, override=bool(decision.override_reason))
    if locked.stage != target:
        _move(locked, target, request, by_decision=True)
    return decision
