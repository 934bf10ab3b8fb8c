"""Feedback pages: an officer reports on a task, a clerk records a report for an officer,
planners triage it, and the public reads what changed because of it.

Officers are not team members: they reach only their own assignments (anyone else's is a 404).
Staff pages follow the team rules (citylab/access.py): 404 for other teams, 403 for a role
that may not. The public page shows counts only, with small cells suppressed.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Count, Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from citylab.access import ALLOWED, Action, get_for_member_or_404
from citylab.models import Role
from pilots import feedback as workflow
from pilots.feedback_forms import (
    ChangeFromFeedbackForm,
    FeedbackFilterForm,
    FeedbackForm,
    ProblemFormSet,
    TriageForm,
    redrawn,
    report_from,
)
from pilots.models import (
    Assignment,
    AssignmentStatus,
    CycleChange,
    Feedback,
    FeedbackChannel,
    FeedbackStatus,
    Pilot,
    Severity,
    Task,
)
from pilots.views.pilots import pilot_for, posted

SMALL_CELL = 5  # counts below this are not shown beyond the owning team
PAGE_SIZE = 50


# --- Reporting: the officer, or a clerk for them -------------------------------------------------


def joined(label: object, error: object) -> str:
    """"How easy was it? Choose…", "Photo: The photo must…": a question needs no colon after it."""
    label = str(label)
    if label.endswith("？"):  # a full-width mark carries its own space
        return f"{label}{error}"
    return f"{label} {error}" if label.endswith("?") else f"{label}: {error}"


def error_list(form: FeedbackForm, problems) -> list[tuple[str, str]]:
    """(anchor, sentence) for the error summary: each links to the field it is about."""
    errors = [("report-form", str(e)) for e in form.non_field_errors()]
    for name, field_errors in form.errors.items():
        errors += [(f"field-{name}", joined(form.fields[name].label, e)) for e in field_errors if name != "__all__"]
    errors += [("problems", str(e)) for e in problems.non_form_errors()]
    for index, problem in enumerate(problems.forms):
        for name, field_errors in problem.errors.items():
            label = _("Problem %(number)s") % {"number": index + 1}
            field = problem.fields[name].label
            errors += [(f"field-{problem.prefix}-{name}", f"{label}: {field}: {e}") for e in field_errors]
    return errors


def report_page(request: HttpRequest, template: str, assignment: Assignment, *, channel: str,
                saved: Callable[[Feedback | None], HttpResponse]) -> HttpResponse:
    """The report form for one assignment, shared by the officer's page and the clerk's.
    `saved` answers a successful post (with the feedback, or None when it already existed)."""
    context: dict[str, object] = {"assignment": assignment, "errors": [], "home_url": reverse("pilots:officer_home")}
    if request.method == "POST" and "add_problem" in request.POST:
        form, problems = redrawn(request.POST)
        if getattr(request, "htmx", False) and not request.htmx.boosted:
            template = "pilots/feedback/_report_fields.html#problem-rows"  # just the problems, in place
        return TemplateResponse(request, template, {**context, "form": form, "problems": problems, "added": True})
    form = FeedbackForm(posted(request), request.FILES if request.method == "POST" else None)
    problems = ProblemFormSet(posted(request), prefix="problem")
    if request.method == "POST":
        form_ok, problems_ok = form.is_valid(), problems.is_valid()  # both, so every error shows at once
        if form_ok and problems_ok:
            try:
                feedback = workflow.submit(assignment=assignment, report=report_from(form, problems),
                                           request=request, channel=channel)
            except workflow.FeedbackError as error:
                messages.info(request, str(error))
                feedback = None
            return saved(feedback)
        context["errors"] = error_list(form, problems)
    return TemplateResponse(request, template, {**context, "form": form, "problems": problems})


def own_assignment(request: HttpRequest, pk: int) -> Assignment:
    """One of the signed-in officer's own assignments; anyone else's does not exist for them."""
    return get_object_or_404(
        Assignment.objects.select_related("task__cycle__pilot", "officer"), pk=pk, officer__user=request.user
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def feedback_report(request: HttpRequest, assignment: int) -> HttpResponse:
    task = own_assignment(request, assignment)
    done = redirect("pilots:feedback_report_done", assignment=task.pk)
    if Feedback.objects.filter(assignment=task).exists():
        # A second tab or the back button after sending: say so, don't offer a form that would fail.
        messages.info(request, workflow.already_reported_message())
        return done
    if task.status == AssignmentStatus.CANCELLED:
        raise Http404
    return report_page(request, "pilots/feedback/report_form.html", task, channel=FeedbackChannel.WEB,
                       saved=lambda feedback: done)


@require_safe
@login_required
def feedback_report_done(request: HttpRequest, assignment: int) -> HttpResponse:
    task = own_assignment(request, assignment)
    feedback = Feedback.objects.filter(assignment=task).prefetch_related("problems").first()
    if feedback is None:
        return redirect("pilots:feedback_report", assignment=task.pk)
    return TemplateResponse(request, "pilots/feedback/report_done.html",
                            {"assignment": task, "feedback": feedback, "home_url": reverse("pilots:officer_home")})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def feedback_assisted(request: HttpRequest, assignment: int) -> HttpResponse:
    """A clerk (or planner) of the owning team records feedback taken by phone or in person."""
    task = get_for_member_or_404(Task.objects.select_related("cycle__pilot"), request.user, Action.ENTER,
                                 assignments__pk=assignment)
    item = get_object_or_404(Assignment.objects.select_related("officer", "task__cycle__pilot"), pk=assignment,
                             task=task)
    existing = Feedback.objects.filter(assignment=item).first()
    if existing is not None:
        messages.info(request, workflow.already_reported_message())
        return redirect("pilots:feedback_detail", pk=existing.pk)
    if item.status == AssignmentStatus.CANCELLED:
        raise Http404

    def saved(feedback: Feedback | None) -> HttpResponse:
        if feedback is None:  # recorded meanwhile, by someone else
            return redirect("pilots:feedback_detail", pk=Feedback.objects.get(assignment=item).pk)
        messages.success(request, _("Feedback recorded for %(officer)s.") % {"officer": item.officer})
        return redirect("pilots:feedback_detail", pk=feedback.pk)

    return report_page(request, "pilots/feedback/assisted_form.html", item, channel=FeedbackChannel.ASSISTED,
                       saved=saved)


# --- Triage ------------------------------------------------------------------------------------


def feedback_for(request: HttpRequest, pk: int, action: Action) -> Feedback:
    return get_for_member_or_404(
        Feedback.objects.select_related("task__cycle__pilot__team", "cycle", "age_band", "district", "occupation",
                                        "change__cycle", "triaged_by", "entered_by"),
        request.user, action, pk=pk,
    )


@require_safe
@login_required
def feedback_list(request: HttpRequest, pk: int) -> TemplateResponse:
    pilot = pilot_for(request, pk)
    numbers = list(pilot.cycles.order_by("number").values_list("number", flat=True))
    filters = FeedbackFilterForm(request.GET or None, numbers=numbers)
    rows = (
        Feedback.objects.filter(task__cycle__pilot=pilot)
        .select_related("cycle", "task", "age_band", "district", "occupation", "change")
        .annotate(**{f"n_{s.value}": Count("problems", filter=Q(problems__severity=s)) for s in Severity})
        .order_by("-submitted_at", "-pk")  # explicit: with GROUP BY the default ordering is dropped
    )
    if filters.is_valid():
        data = filters.cleaned_data
        if data["cycle"]:
            rows = rows.filter(cycle__number=data["cycle"])
        if data["status"]:
            rows = rows.filter(status=data["status"])
        if data["severity"]:
            rows = rows.filter(pk__in=Feedback.objects.filter(problems__severity=data["severity"]).values("pk"))
        if data["age_band"]:
            rows = rows.filter(age_band=data["age_band"])
        if data["district"]:
            rows = rows.filter(district=data["district"])
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return TemplateResponse(request, "pilots/feedback/list.html", {
        "pilot": pilot, "filters": filters, "page": page, "query": query.urlencode(),
    })


def detail_context(feedback: Feedback, triage_form: TriageForm | None = None) -> dict:
    """The feedback page; planners also get the triage form (a posted one keeps its errors)."""
    pilot = feedback.task.cycle.pilot
    may_decide = Action.DECIDE in ALLOWED[Role(feedback.member_role)]
    statuses = workflow.next_statuses(feedback)
    if not (may_decide and statuses):
        triage_form = None
    elif triage_form is None:
        changes = CycleChange.objects.filter(cycle__pilot=pilot).select_related("cycle").order_by("cycle__number", "pk")
        triage_form = TriageForm(statuses=statuses, changes=changes, initial={"change": feedback.change_id})
    errors = []
    if triage_form is not None and triage_form.is_bound:
        errors = [(f"field-{name}", f"{triage_form.fields[name].label}: {e}")
                  for name, field_errors in triage_form.errors.items() if name != "__all__" for e in field_errors]
    return {"feedback": feedback, "pilot": pilot, "problems": list(feedback.problems.all()),
            "triage_form": triage_form, "errors": errors}


@require_safe
@login_required
def feedback_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    feedback = feedback_for(request, pk, Action.VIEW)
    return TemplateResponse(request, "pilots/feedback/detail.html", detail_context(feedback))


@require_POST
@login_required
def feedback_triage(request: HttpRequest, pk: int) -> HttpResponse:
    feedback = feedback_for(request, pk, Action.DECIDE)
    statuses = workflow.next_statuses(feedback)
    if not statuses:
        messages.error(request, _("This feedback is %(status)s: it is closed, and moves no further.")
                       % {"status": feedback.get_status_display()})
        return redirect("pilots:feedback_detail", pk=feedback.pk)
    changes = CycleChange.objects.filter(cycle__pilot=feedback.task.cycle.pilot).select_related("cycle")
    form = TriageForm(request.POST, statuses=statuses, changes=changes)
    if form.is_valid():
        data = form.cleaned_data
        try:
            workflow.triage(feedback=feedback, status=data["status"], reason=data["reason"], change=data["change"],
                            request=request)
        except workflow.FeedbackError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Feedback moved to “%(status)s”; the officer has been told.")
                             % {"status": FeedbackStatus(data["status"]).label})
            return redirect("pilots:feedback_detail", pk=feedback.pk)
    return TemplateResponse(request, "pilots/feedback/detail.html", detail_context(feedback, form),
                            status=400)


def change_draft(feedback: Feedback) -> dict[str, str]:
    """A neutral first draft of the change, which the public reads on "You said, we did".

    What changes is left for the planner to write: the officer's words are shown beside the
    form for reference only (a suggestion may name a neighbour). Why names the task and the
    cycle, never the officer's age band or district, which for one officer could point to them.
    """
    reason = _("Officers' feedback on “%(task)s” in cycle %(number)s.") % {
        "task": feedback.task.title, "number": feedback.cycle.number,
    }
    return {"what": "", "reason": reason}


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def feedback_change_create(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a new change in the pilot's change log, drafted from this feedback, and link it."""
    feedback = feedback_for(request, pk, Action.DECIDE)
    if feedback.status == FeedbackStatus.DECLINED:
        messages.error(request, _("Declined feedback is not linked to a change."))
        return redirect("pilots:feedback_detail", pk=feedback.pk)
    pilot = feedback.task.cycle.pilot
    cycles = pilot.cycles.order_by("-number")
    initial = {**change_draft(feedback), "cycle": cycles.first()}
    form = ChangeFromFeedbackForm(posted(request), cycles=cycles, initial=initial)
    if request.method == "POST" and form.is_valid():
        change = form.save(commit=False)
        change.created_by = request.user
        change.save()
        workflow.link_change(feedback=feedback, change=change, request=request)
        messages.success(request, _("Change recorded and linked to the feedback."))
        return redirect("pilots:feedback_detail", pk=feedback.pk)
    errors = [(f"id_{name}", f"{form.fields[name].label}: {e}") for name, es in form.errors.items() for e in es]
    return TemplateResponse(request, "pilots/feedback/change_form.html", {
        "feedback": feedback, "pilot": pilot, "form": form, "errors": errors, "problems": list(feedback.problems.all()),
    })


@require_safe
@login_required
def feedback_photo(request: HttpRequest, pk: int) -> FileResponse:
    """The photo, to the owning team only: it is not under a public media address."""
    feedback = feedback_for(request, pk, Action.VIEW)
    if not feedback.photo:
        raise Http404
    content_type = mimetypes.guess_type(feedback.photo.name)[0] or "application/octet-stream"
    response = FileResponse(feedback.photo.open("rb"), content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- You said, we did (public) ------------------------------------------------------------------


def suppressed(cells: list[dict], total: int) -> tuple[list[dict], int]:
    """The age bands to show, and how many officers to count as "other ages" (0: no such line).

    Hiding cells under five is not enough when the total is shown: total minus the shown cells
    would give the hidden one. So while the rest is 1 to 4, the smallest shown cell joins it
    (complementary suppression), and every number on the page is at least five."""
    shown = sorted((c for c in cells if c["n"] >= SMALL_CELL), key=lambda c: c["n"], reverse=True)
    rest = total - sum(c["n"] for c in shown)
    while 0 < rest < SMALL_CELL and shown:
        rest += shown.pop()["n"]
    order = [c["band"] for c in cells]
    shown.sort(key=lambda c: order.index(c["band"]))
    return shown, rest if shown else 0


@require_safe
def you_said_we_did(request: HttpRequest, pk: int) -> TemplateResponse:
    """The changes a pilot made because of officers' feedback: counts only, small cells hidden.

    Officers' own words never appear (a suggestion may name a neighbour); only the staff's
    description of each change, and how many officers' feedback led to it, by age band where
    at least five did."""
    pilot = get_object_or_404(Pilot, pk=pk)
    counted = ~Q(feedback__status=FeedbackStatus.DECLINED)
    changes = list(
        CycleChange.objects.filter(cycle__pilot=pilot)
        .annotate(officers=Count("feedback__officer", filter=counted, distinct=True))
        .filter(officers__gt=0)
        .select_related("cycle")
        .order_by("cycle__number", "created_at", "pk")
    )
    if not changes:
        raise Http404
    cells = (
        Feedback.objects.filter(change__in=changes).exclude(status=FeedbackStatus.DECLINED)
        .values("change_id", "age_band__code", "age_band__min_age")
        .annotate(n=Count("officer", distinct=True))
        .order_by("age_band__min_age")
    )
    by_change: dict[int, list[dict]] = {}
    for cell in cells:
        by_change.setdefault(cell["change_id"], []).append({"band": cell["age_band__code"], "n": cell["n"]})
    for change in changes:
        change.segments, change.other = suppressed(by_change.get(change.pk, []), change.officers)
        change.shown = change.officers >= SMALL_CELL
    return TemplateResponse(request, "pilots/feedback/you_said_we_did.html",
                            {"pilot": pilot, "changes": changes, "small_cell": SMALL_CELL})
