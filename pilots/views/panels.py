"""Panels of experience officers: the team's list, a panel's page and settings, its members,
quotas and coverage, and its test tasks with the officers assigned to them.

Every member of the owning team reads these pages; planners change them. Officers' names are
shown to planners and clerks (who contact them), never to viewers; contact details are not on
these pages at all. To anyone outside the team a panel or task does not exist (404).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe, require_http_methods, require_POST

from citylab.access import ALLOWED, Action, get_for_member_or_404, roles_allowed
from citylab.audit import record
from citylab.models import Role, Team
from pilots import panels as workflows
from pilots.models import Officer, Panel, Task
from pilots.panel_forms import (
    ConfirmForm,
    DeriveForm,
    MembersAddForm,
    PanelForm,
    ProposeForm,
    QuotaGridForm,
    TaskForm,
    officer_label,
)
from pilots.services import WorkflowError
from pilots.views.pilots import posted


def panel_for(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Panel:
    """A panel of the user's teams: 404 for anyone else's, 403 when the role does not allow `action`."""
    return get_for_member_or_404(Panel.objects.select_related("team", "pilot"), request.user, action, pk=pk)


def task_for(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Task:
    return get_for_member_or_404(
        Task.objects.select_related("cycle__pilot__team", "panel__team"), request.user, action, pk=pk
    )


def may(obj, action: Action) -> bool:
    """Whether the role the object was fetched with allows `action` (no extra query)."""
    return action in ALLOWED[Role(obj.member_role)]


# --- Panels -----------------------------------------------------------------------------------


@require_safe
@login_required
def panel_list(request: HttpRequest) -> TemplateResponse:
    panels = (
        Panel.objects.for_member(request.user).select_related("team", "pilot")
        .annotate(member_count=Count("memberships", distinct=True), task_count=Count("tasks", distinct=True))
    )
    can_create = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN)).exists()
    return TemplateResponse(request, "pilots/panels/panel_list.html", {
        "panels": panels, "can_create": can_create, "is_member": Team.objects.for_member(request.user).exists(),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def panel_create(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN))
    if not teams.exists():
        raise PermissionDenied
    form = PanelForm(posted(request), teams=teams)
    if request.method == "POST" and form.is_valid():
        panel = form.save()
        messages.success(request, _("Panel created. Add members and set its quotas."))
        return redirect(panel)
    return TemplateResponse(request, "pilots/panels/panel_form.html", {"form": form, "panel": None})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def panel_edit(request: HttpRequest, pk: int) -> HttpResponse:
    panel = panel_for(request, pk, Action.DESIGN)
    split_before = panel.quota_by_district
    form = PanelForm(posted(request), instance=panel)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            panel = form.save()
            if panel.quota_by_district != split_before and panel.quotas.exists():
                # Quotas for the whole city and per district do not convert into each other.
                panel.quotas.all().delete()
                messages.warning(request, _("The quotas were cleared because they are now split differently: "
                                            "set them again."))
        messages.success(request, _("Panel saved."))
        return redirect(panel)
    return TemplateResponse(request, "pilots/panels/panel_form.html", {"form": form, "panel": panel})


@require_safe
@login_required
def panel_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    panel = panel_for(request, pk)
    members = (
        Officer.objects.filter(panel_memberships__panel=panel)
        .select_related("age_band", "occupation", "district")
        .order_by("age_band__min_age", "occupation__order", "district__code", "full_name", "pk")
    )
    tasks = panel.tasks.select_related("cycle__pilot").annotate(assigned=Count("assignments"))
    can_see_names = may(panel, Action.ENTER)
    return TemplateResponse(request, "pilots/panels/panel_detail.html", {
        "panel": panel, "members": members, "tasks": tasks, "can_design": may(panel, Action.DESIGN),
        "can_see_names": can_see_names,
    })


# --- Members ----------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def members_add(request: HttpRequest, pk: int) -> HttpResponse:
    panel = panel_for(request, pk, Action.DESIGN)
    form = MembersAddForm(posted(request), panel=panel)
    if request.method == "POST" and form.is_valid():
        try:
            added = workflows.members_add(panel=panel, officers=form.cleaned_data["officers"], request=request)
        except WorkflowError as error:
            form.add_error("officers", str(error))
        else:
            messages.success(request, _("%(count)s officer(s) added to the panel.") % {"count": added})
            return redirect(panel)
    return TemplateResponse(request, "pilots/panels/members_form.html", {"form": form, "panel": panel})


@require_POST
@login_required
def member_remove(request: HttpRequest, pk: int, officer_pk: int) -> HttpResponse:
    panel = panel_for(request, pk, Action.DESIGN)
    deleted, _rows = panel.memberships.filter(officer_id=officer_pk).delete()
    if deleted:
        record(request, "panel.member_removed", panel, officer=officer_pk)
        messages.success(request, _("The officer was removed from the panel. Their tasks and feedback stay."))
    else:
        messages.error(request, _("That officer is not a member of this panel."))
    return redirect(panel)


# --- Quotas and coverage ----------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def quotas_edit(request: HttpRequest, pk: int) -> HttpResponse:
    panel = panel_for(request, pk, Action.DESIGN)
    segments = workflows.Segments.load()
    form = QuotaGridForm(posted(request), panel=panel, segments=segments, targets=workflows.quota_targets(panel))
    if request.method == "POST" and form.is_valid():
        total = workflows.quotas_replace(panel=panel, targets=form.targets())
        messages.success(request, _("Quotas saved: %(total)s officers in all.") % {"total": total})
        return redirect("pilots:panel_coverage", pk=panel.pk)
    return TemplateResponse(request, "pilots/panels/quota_form.html", {
        "form": form, "panel": panel, "segments": segments, "tables": form.tables(),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def quotas_derive(request: HttpRequest, pk: int) -> HttpResponse:
    panel = panel_for(request, pk, Action.DESIGN)
    current = sum(workflows.quota_targets(panel).values())
    form = DeriveForm(posted(request), initial={"size": current or None,
                                                "occupations": list(DeriveForm.base_fields["occupations"].queryset)})
    if request.method == "POST" and form.is_valid():
        try:
            total = workflows.quotas_from_population(
                panel=panel, size=form.cleaned_data["size"], occupations=form.cleaned_data["occupations"]
            )
        except WorkflowError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Quotas set from the population figures: %(total)s officers in all.")
                             % {"total": total})
            return redirect("pilots:panel_coverage", pk=panel.pk)
    return TemplateResponse(request, "pilots/panels/quota_derive.html", {"form": form, "panel": panel})


@require_safe
@login_required
def panel_coverage(request: HttpRequest, pk: int) -> TemplateResponse:
    panel = panel_for(request, pk)
    report = workflows.coverage_report(panel)
    can_see_names = may(panel, Action.ENTER)
    return TemplateResponse(request, "pilots/panels/coverage.html", {
        "panel": panel, "report": report, "can_design": may(panel, Action.DESIGN), "can_see_names": can_see_names,
        "index_percent": None if report.index is None else round(report.index * 100),
    })


# --- Test tasks -------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def task_create(request: HttpRequest, pk: int) -> HttpResponse:
    panel = panel_for(request, pk, Action.DESIGN)
    form = TaskForm(posted(request), panel=panel)
    if request.method == "POST" and form.is_valid():
        task = form.save(commit=False)
        task.panel, task.created_by = panel, request.user
        task.save()
        messages.success(request, _("Task created. Now choose the officers to ask."))
        return redirect("pilots:task_assign", pk=task.pk)
    return TemplateResponse(request, "pilots/panels/task_form.html", {"form": form, "panel": panel})


@require_safe
@login_required
def task_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    task = task_for(request, pk)
    assignments = task.assignments.select_related("officer__age_band", "officer__occupation", "officer__district",
                                                  "assigned_by", "feedback").order_by("officer__age_band__min_age", "pk")
    counts = task.assignments.aggregate(
        todo=Count("pk", filter=Q(status="assigned")), reported=Count("pk", filter=Q(status="reported")),
    )
    # Clerks (and planners) record feedback taken by phone or in person from this page, one
    # officer at a time: many elderly officers have no account to report with themselves.
    can_enter = may(task, Action.ENTER)
    return TemplateResponse(request, "pilots/panels/task_detail.html", {
        "task": task, "assignments": assignments, "counts": counts,
        "can_design": may(task, Action.DESIGN) and task.panel_id is not None, "can_see_names": can_enter,
        "can_enter": can_enter,
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def task_assign(request: HttpRequest, pk: int) -> HttpResponse:
    """Propose a balanced set of officers (GET with a number), then assign the ticked ones (POST)."""
    task = task_for(request, pk, Action.DESIGN)
    if task.panel is None:
        messages.error(request, _("This task's panel was deleted: there is nobody to choose from."))
        return redirect("pilots:task_detail", pk=task.pk)
    data = request.POST if request.method == "POST" else (request.GET if "wanted" in request.GET else None)
    propose_form = ProposeForm(data, initial={"wanted": 5})
    proposal = confirm = None
    if propose_form.is_valid():
        proposal = workflows.assignment_proposal(task, propose_form.cleaned_data["wanted"])
        # Any candidate is accepted by the field; the service refuses one at the limit by name.
        candidates = workflows.candidates_for(task)
        choices = [(o.pk, officer_label(o)) for o in candidates]
        confirm = ConfirmForm(request.POST if request.method == "POST" else None, choices=choices,
                              initial={"officers": [o.pk for o in proposal.chosen]})
        confirm.fields["officers"].widget.choices = [(o.pk, officer_label(o)) for o in proposal.chosen]
        if request.method == "POST" and confirm.is_valid():
            try:
                created = workflows.assign(task=task, officer_ids=confirm.cleaned_data["officers"],
                                           user=request.user, request=request)
            except WorkflowError as error:
                confirm.add_error("officers", str(error))
            else:
                messages.success(request, _("%(count)s officer(s) asked to try the task; each has a notice.")
                                 % {"count": len(created)})
                return redirect("pilots:task_detail", pk=task.pk)
    return TemplateResponse(request, "pilots/panels/assign_form.html", {
        "task": task, "propose_form": propose_form, "proposal": proposal, "confirm": confirm,
        "can_see_names": True,
    })

