"""Changing a pilot's cycles: a new cycle, its settings, changes, variants, counts, stage and
decisions. Planners only; every change is a plain form post answered by a redirect to the
cycle's page, so it all works without JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from citylab.access import Action, get_for_member_or_404
from pilots import services
from pilots.evaluation import evaluate_cycle, segment_labels
from pilots.forms import ChangeForm, CountsForm, CycleForm, DecisionForm, StageForm, VariantForm
from pilots.imports import CountImportError, import_counts
from pilots.models import Cycle, next_stages
from pilots.views.display import cycle_page
from pilots.views.pilots import pilot_for, posted

# A count file has one line per segment: a whole city is a few thousand lines, far below this.
MAX_COUNTS_BYTES = 5 * 1024 * 1024


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


def cycle_for(request: HttpRequest, pk: int, number: int, action: Action) -> Cycle:
    """A cycle of a pilot of the user's teams: 404 for anyone else's, 403 for a role that may not."""
    return get_for_member_or_404(
        Cycle.objects.select_related("pilot__team", "survey", "adoption_question", "satisfaction_question"),
        request.user, action, pilot_id=pk, number=number,
    )


@require_POST
@login_required
def cycle_start(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = pilot_for(request, pk, Action.DESIGN)
    try:
        cycle = services.cycle_start(pilot=pilot, request=request)
    except services.WorkflowError as error:
        messages.error(request, str(error))
        return redirect(pilot)
    messages.success(request, _("Cycle %(number)s started. Set its dates and how it is evaluated.") % {"number": cycle.number})
    return redirect("pilots:cycle_edit", pk=pilot.pk, number=cycle.number)


def _refresh_initial(form_class, data) -> dict[str, object]:
    """The posted values as a fresh form's starting values: re-drawn, not validated."""
    fields = form_class.base_fields
    return {name: data.getlist(name) if getattr(fields[name].widget, "allow_multiple_selected", False)
            else data.get(name) for name in fields if name in data}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def cycle_edit(request: HtmxRequest, pk: int, number: int) -> HttpResponse:
    """Sites, dates and the evaluation survey. Choosing a survey or a question re-draws the form
    with that survey's questions, or that question's answers (htmx: only that part)."""
    cycle = cycle_for(request, pk, number, Action.DESIGN)
    template = "pilots/cycle_form.html"
    url = request.path
    if request.method == "POST" and "refresh" in request.POST:
        form = CycleForm(initial=_refresh_initial(CycleForm, request.POST), instance=cycle, pilot=cycle.pilot,
                         refresh_url=url)
        if request.htmx and not request.htmx.boosted:
            template += "#survey-fields"
        return TemplateResponse(request, template, {"form": form, "cycle": cycle})
    form = CycleForm(posted(request), instance=cycle, pilot=cycle.pilot, refresh_url=url)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Cycle %(number)s saved.") % {"number": cycle.number})
        return redirect(cycle)
    return TemplateResponse(request, template, {"form": form, "cycle": cycle})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def change_create(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    cycle = cycle_for(request, pk, number, Action.DESIGN)
    form = ChangeForm(posted(request))
    if request.method == "POST" and form.is_valid():
        change = form.save(commit=False)
        change.cycle, change.created_by = cycle, request.user
        change.save()
        messages.success(request, _("Change recorded."))
        return redirect(cycle)
    return TemplateResponse(request, "pilots/change_form.html", {"form": form, "cycle": cycle})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def variant_create(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    cycle = cycle_for(request, pk, number, Action.DESIGN)
    form = VariantForm(posted(request))
    if request.method == "POST" and form.is_valid():
        variant = form.save(commit=False)
        variant.cycle = cycle
        variant.save()
        messages.success(request, _("Variant added."))
        return redirect(cycle)
    return TemplateResponse(request, "pilots/variant_form.html", {"form": form, "cycle": cycle})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def counts_upload(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """The operator's counts for the cycle. Every problem in the file is listed at once, and a
    file with any problem changes nothing."""
    cycle = cycle_for(request, pk, number, Action.DESIGN)
    form = CountsForm(posted(request), request.FILES if request.method == "POST" else None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > MAX_COUNTS_BYTES:
            form.add_error("file", _("The file is larger than 5 MB; a count file has one line per segment."))
        else:
            try:
                # import_counts writes the audit event itself, in its transaction.
                summary = import_counts(cycle, upload.read(), user=request.user, file_name=upload.name)
            except CountImportError as error:
                problems = list(error.problems)
                form.add_error("file", _("The file has problems, listed below; nothing was imported."))
            else:
                messages.success(request, _("%(rows)s segments imported from %(name)s.")
                                 % {"rows": summary.rows, "name": summary.file_name})
                return redirect(cycle)
    return TemplateResponse(request, "pilots/counts_form.html", {"form": form, "cycle": cycle, "problems": problems})


@require_POST
@login_required
def stage_change(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    cycle = cycle_for(request, pk, number, Action.DECIDE)
    form = StageForm(request.POST, choices=[(s.value, s.label) for s in next_stages(cycle.stage)])
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["stage"]))
        return redirect(cycle)
    try:
        cycle = services.stage_change(cycle=cycle, stage=form.cleaned_data["stage"], request=request)
    except services.WorkflowError as error:  # the stage moved meanwhile
        messages.error(request, str(error))
    else:
        messages.success(request, _("Cycle %(number)s is now “%(stage)s”.")
                         % {"number": cycle.number, "stage": cycle.get_stage_display()})
    return redirect(cycle)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def decision_create(request: HttpRequest, pk: int, number: int) -> HttpResponse:
    """Record a decision on the cycle, with the verdict it is made on. Never edited afterwards."""
    cycle = cycle_for(request, pk, number, Action.DECIDE)
    previous = cycle.pilot.cycles.filter(number__lt=cycle.number).order_by("-number").first()
    page = cycle_page(evaluate_cycle(cycle, previous), segment_labels())
    form = DecisionForm(posted(request), verdict=page["verdict"])
    if request.method == "POST" and form.is_valid():
        try:
            services.decision_record(
                cycle=cycle, kind=form.cleaned_data["kind"], rationale=form.cleaned_data["rationale"],
                override_reason=form.cleaned_data["override_reason"], user=request.user, request=request,
            )
        except services.WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Decision recorded."))
            return redirect(cycle)
    return TemplateResponse(request, "pilots/decision_form.html", {"form": form, "cycle": cycle, "page": page})
