"""Pilots: the team's list, a pilot's details form, and a pilot's page (one cycle at a time).

Every member of the owning team reads a pilot's page; planners also see the buttons that
change it. To everyone else a pilot does not exist (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe, require_http_methods

from citylab.access import ALLOWED, Action, get_for_member_or_404, roles_allowed
from citylab.models import Community, Role, Team
from pilots.evaluation import evaluate_cycle, segment_labels
from pilots.feedback_summary import cycle_feedback_summary
from pilots.forms import PilotForm, StageForm
from pilots.models import Cycle, CycleChange, Decision, FeedbackStatus, Pilot, Variant, next_stages
from pilots.portfolio import pilot_rows
from pilots.services import can_start_cycle
from pilots.views.display import cycle_page, verdict_class, verdict_words

PAGE = "pilots/pilot_detail.html"


def posted(request: HttpRequest):
    """The posted data, or None on a GET: an empty post is still a post, and must show errors."""
    return request.POST if request.method == "POST" else None


def pilot_for(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Pilot:
    """A pilot of the user's teams: 404 for anyone else's, 403 when the role does not allow `action`."""
    return get_for_member_or_404(
        Pilot.objects.select_related("team").prefetch_related("communities"), request.user, action, pk=pk
    )


def cycles_with_history(pilot: Pilot) -> list[Cycle]:
    """Every cycle of the pilot, oldest first, with what the history shows of each: five
    queries whatever the number of cycles, variants, changes and decisions."""
    cycles = list(
        pilot.cycles.select_related("survey", "adoption_question", "satisfaction_question")
        .prefetch_related(
            Prefetch("sites", queryset=Community.objects.order_by("district__code", "code")),
            Prefetch("variants", queryset=Variant.objects.select_related("age_band", "district")),
            Prefetch("changes", queryset=CycleChange.objects.select_related("created_by")),
            Prefetch("decisions", queryset=Decision.objects.select_related("decided_by")),
        )
        .order_by("number")
    )
    for cycle in cycles:
        cycle.pilot = pilot  # the one already checked; the verdict reads its thresholds
        cycle.decision_rows = [
            {"decision": d, "verdict_words": verdict_words(d.verdict), "verdict_class": verdict_class(d.verdict)}
            for d in cycle.decisions.all()
        ]
    return cycles


@require_safe
@login_required
def pilot_list(request: HttpRequest) -> TemplateResponse:
    # Every pilot's current verdict in a fixed number of queries (pilots/portfolio.py reads all
    # current cycles' figures together), whatever the number of pilots.
    rows = [
        {"pilot": row.pilot, "cycle": row.cycle, "verdict_words": verdict_words(row.verdict),
         "verdict_class": verdict_class(row.verdict)}
        for row in pilot_rows(request.user)
    ]
    can_create = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN)).exists()
    return TemplateResponse(request, "pilots/pilot_list.html", {"rows": rows, "can_create": can_create})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def pilot_create(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN))
    if not teams.exists():
        raise PermissionDenied
    form = PilotForm(posted(request), teams=teams)
    if request.method == "POST" and form.is_valid():
        pilot = form.save(commit=False)
        pilot.created_by = request.user
        pilot.save()
        form.save_m2m()
        messages.success(request, _("Pilot created. Start its first cycle when you are ready."))
        return redirect(pilot)
    return TemplateResponse(request, "pilots/pilot_form.html", {"form": form, "pilot": None})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def pilot_edit(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = pilot_for(request, pk, Action.DESIGN)
    form = PilotForm(posted(request), instance=pilot)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Pilot details saved."))
        return redirect(pilot)
    return TemplateResponse(request, "pilots/pilot_form.html", {"form": form, "pilot": pilot})


def _page(request: HttpRequest, pilot: Pilot, number: int | None) -> TemplateResponse:
    cycles = cycles_with_history(pilot)
    if number is None:
        shown = cycles[-1] if cycles else None
    else:
        shown = next((c for c in cycles if c.number == number), None)
        if shown is None:
            raise Http404
    previous = None
    if shown is not None:
        index = cycles.index(shown)
        previous = cycles[index - 1] if index > 0 else None
    allowed = ALLOWED[Role(pilot.member_role)]
    context: dict[str, object] = {
        "pilot": pilot,
        "cycles": list(reversed(cycles)),
        "shown": shown,
        "latest": cycles[-1] if cycles else None,
        "previous": previous,
        "can_design": Action.DESIGN in allowed,
        "can_decide": Action.DECIDE in allowed,
        "can_start_cycle": can_start_cycle(cycles[-1] if cycles else None),
    }
    if shown is not None:
        context["page"] = cycle_page(evaluate_cycle(shown, previous), segment_labels())
        context["feedback_summary"] = cycle_feedback_summary(shown)
        # The public page exists once a change answers feedback that was not declined.
        context["has_public_changes"] = (
            CycleChange.objects.filter(cycle__pilot=pilot, feedback__isnull=False)
            .exclude(feedback__status=FeedbackStatus.DECLINED)
            .exists()
        )
        stages = next_stages(shown.stage)
        context["stage_form"] = StageForm(choices=[(s.value, s.label) for s in stages]) if stages else None
    return TemplateResponse(request, PAGE, context)


@require_safe
@login_required
def pilot_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    """The pilot with its latest cycle's verdict."""
    return _page(request, pilot_for(request, pk), None)


@require_safe
@login_required
def cycle_detail(request: HttpRequest, pk: int, number: int) -> TemplateResponse:
    """The same page for any cycle, the older ones included."""
    return _page(request, pilot_for(request, pk), number)

