"""Experience officers: the public sign-up, staff's list and detail pages, the planner's
decision, registration in person, the officer's own home page, and withdrawal.

Who sees what: contact details (name, phone, email, needs, times) only the owning team's
planners and clerks, and each look at one officer's details is audited; viewers see the
officer's segment. Other teams' officers are not found (404). Approving, declining and
withdrawing an officer on their behalf are planners' work.
"""

from __future__ import annotations

import csv

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe, require_http_methods

from citylab.access import ALLOWED, Action, get_for_member_or_404, roles_allowed
from citylab.audit import record
from citylab.models import Role, Team
from pilots.models.panels import Assignment, AssignmentStatus, Availability, Officer, OfficerStatus
from pilots.officer_forms import DecisionForm, OfficerFilterForm, RegisterForm, SignUpForm
from pilots.officers import (
    DuplicateApplication,
    officer_approve,
    officer_decline,
    officer_register,
    officer_sign_up,
    officer_withdraw,
)
from pilots.views.pilots import posted

CONTACT_ROLES = roles_allowed(Action.ENTER)  # planners and clerks


def _officer_for(request: HttpRequest, pk: int, action: Action = Action.VIEW) -> Officer:
    return get_for_member_or_404(
        Officer.objects.select_related("team", "age_band", "district", "community", "occupation",
                                       "registered_by", "decided_by"),
        request.user, action, pk=pk,
    )


# --- The public sign-up ---------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
def officer_signup(request: HttpRequest, team_code: str) -> HttpResponse:
    team = get_object_or_404(Team, code=team_code)
    form = SignUpForm(posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            officer_sign_up(request, team=team, officer=form.save(commit=False))
        except DuplicateApplication:
            # Say no more than that: whose application it is stays private.
            return TemplateResponse(request, "pilots/officers/signup_done.html", {"team": team, "duplicate": True})
        return redirect("pilots:officer_signup_done", team_code=team.code)
    return TemplateResponse(request, "pilots/officers/signup.html", {"team": team, "form": form})


@require_safe
def officer_signup_done(request: HttpRequest, team_code: str) -> TemplateResponse:
    team = get_object_or_404(Team, code=team_code)
    return TemplateResponse(request, "pilots/officers/signup_done.html", {"team": team, "duplicate": False})


# --- Staff pages ----------------------------------------------------------------------------


@require_safe
@login_required
def officer_list(request: HttpRequest) -> TemplateResponse:
    teams = Team.objects.for_member(request.user)
    if not teams.exists():
        raise Http404
    filters = OfficerFilterForm(request.GET)
    mine = Officer.objects.for_member(request.user)
    officers = mine.filter(**filters.filters()).select_related("team", "age_band", "district", "occupation")
    status_counts = dict(mine.values_list("status").annotate(n=Count("pk")).order_by())
    return TemplateResponse(request, "pilots/officers/officer_list.html", {
        "filters": filters,
        "officers": officers[:500],
        "total": officers.count(),
        "status_counts": [(value, label, status_counts.get(value, 0)) for value, label in OfficerStatus.choices],
        "contact_teams": {t.pk for t in teams if Role(t.member_role) in CONTACT_ROLES},
        "signup_teams": [t for t in teams if Role(t.member_role) in CONTACT_ROLES],
        "can_register": any(Role(t.member_role) in CONTACT_ROLES for t in teams),
        "can_export": any(Action.DESIGN in ALLOWED[Role(t.member_role)] for t in teams),
        "many_teams": len(teams) > 1,
    })


EXPORT_COLUMNS = ["officer", "team", "status", "recruited", "age_band", "district", "community", "occupation",
                  "smartphone", "joined", "decided", "withdrawn"]


@require_safe
@login_required
def officer_export(request: HttpRequest) -> HttpResponse:
    """The planner's officers (the list's filters applied) as CSV, for coverage work in a
    spreadsheet: segments and statuses only, never a name or contact detail."""
    if not Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN)).exists():
        raise PermissionDenied if Team.objects.for_member(request.user).exists() else Http404
    officers = Officer.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN))
    filters = OfficerFilterForm(request.GET)
    rows = officers.filter(**filters.filters()).select_related("team", "age_band", "district", "community",
                                                               "occupation").order_by("pk")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="officers.csv"'
    response.write("\ufeff")  # spreadsheets read UTF-8 Chinese names only with the byte-order mark
    writer = csv.writer(response)
    writer.writerow(EXPORT_COLUMNS)
    count = 0
    for o in rows.iterator():
        writer.writerow([
            o.pk, o.team.code, o.status, o.recruited, o.age_band.code, o.district.code,
            o.community.code if o.community else "", o.occupation.code, o.smartphone, f"{o.created_at:%Y-%m-%d}",
            f"{o.decided_at:%Y-%m-%d}" if o.decided_at else "", f"{o.withdrawn_at:%Y-%m-%d}" if o.withdrawn_at else "",
        ])
        count += 1
    record(request, "officers.exported", None, rows=count,
           filters={name: str(getattr(value, "pk", value)) for name, value in filters.filters().items()})
    return response


@require_safe
@login_required
def officer_detail(request: HttpRequest, pk: int) -> TemplateResponse:
    officer = _officer_for(request, pk)
    role = Role(officer.member_role)
    contacts = role in CONTACT_ROLES and officer.status != OfficerStatus.WITHDRAWN
    if contacts:
        record(request, "officer.viewed", officer)
    return TemplateResponse(request, "pilots/officers/officer_detail.html", {
        "officer": officer,
        "contacts": contacts,
        "can_decide": Action.DECIDE in ALLOWED[role],
        "panels": officer.panels.all(),
        "feedback_count": officer.feedback.count(),
        "availability": _availability_labels(officer),
    })


def _availability_labels(officer: Officer) -> list[str]:
    labels = dict(Availability.choices)
    return [str(labels.get(value, value)) for value in officer.availability or []]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def officer_register_view(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user, roles=CONTACT_ROLES)
    if not teams.exists():
        raise PermissionDenied if Team.objects.for_member(request.user).exists() else Http404
    form = RegisterForm(posted(request), teams=teams)
    if request.method == "POST" and form.is_valid():
        team = form.cleaned_data.get("team") or teams.get()
        role = Role(teams.get(pk=team.pk).member_role)
        try:
            officer = officer_register(request, team=team, officer=form.save(commit=False), role=role)
        except DuplicateApplication:
            form.add_error(None, _("This team already has an officer or an application with this phone number "
                                   "or email address. Find them in the list of officers instead."))
        else:
            if officer.status == OfficerStatus.APPROVED:
                messages.success(request, _("Officer registered and approved."))
            else:
                messages.success(request, _("Officer registered. A planner approves them before they take part."))
            return redirect(officer)
    return TemplateResponse(request, "pilots/officers/officer_register.html", {"form": form})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def officer_decide(request: HttpRequest, pk: int) -> HttpResponse:
    officer = _officer_for(request, pk, Action.DECIDE)
    if officer.status != OfficerStatus.PENDING:
        messages.info(request, _("This application has already been decided."))
        return redirect(officer)
    form = DecisionForm(posted(request))
    if request.method == "POST" and form.is_valid():
        if form.cleaned_data["decision"] == DecisionForm.APPROVE:
            account = officer_approve(request, officer=officer)
            messages.success(request, {
                "created": _("Approved. They have been emailed a link to choose a password for their officer page."),
                "linked": _("Approved. Their existing account now opens their officer page; they have been emailed."),
                "taken": _("Approved. Their email address already belongs to another officer's account, so they "
                           "get no account here: reach them by phone."),
                "none": _("Approved. They have no email address: reach them by phone or through their community."),
            }[account])
        else:
            officer_decline(request, officer=officer, reason=form.cleaned_data["reason"].strip())
            messages.success(request, _("Application declined."))
        return redirect(f"{reverse('pilots:officer_list')}?status=pending")
    record(request, "officer.viewed", officer)
    return TemplateResponse(request, "pilots/officers/officer_decide.html", {
        "officer": officer, "form": form, "availability": _availability_labels(officer),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def officer_withdraw_staff(request: HttpRequest, pk: int) -> HttpResponse:
    officer = _officer_for(request, pk, Action.DECIDE)
    if officer.status == OfficerStatus.WITHDRAWN:
        return redirect(officer)
    if request.method == "POST":
        officer_withdraw(request, officer=officer, by_officer=False)
        messages.success(request, _("The officer has been withdrawn and their personal data erased."))
        return redirect(officer)
    return TemplateResponse(request, "pilots/officers/officer_withdraw.html", {"officer": officer, "staff": True})


# --- The officer's own pages ----------------------------------------------------------------


def _own_officer(request: HttpRequest) -> Officer | None:
    return (
        Officer.objects.select_related("team", "age_band", "district", "occupation")
        .exclude(status=OfficerStatus.WITHDRAWN)
        .filter(user=request.user)
        .first()
    )


@require_safe
@login_required
def officer_home(request: HttpRequest) -> TemplateResponse:
    officer = _own_officer(request)
    if officer is None:
        return TemplateResponse(request, "pilots/officers/not_officer.html", {})
    tasks = [
        {"assignment": a, "task": a.task, "report_url": reverse("pilots:feedback_report", kwargs={"assignment": a.pk})}
        for a in officer.assignments.filter(status=AssignmentStatus.ASSIGNED).select_related("task")
        .order_by("task__due_on", "pk")
    ]
    feedback = officer.feedback.select_related("task", "change").order_by("-submitted_at", "-pk")
    notices = list(officer.notices.all())
    unread = [n.pk for n in notices if n.read_at is None]
    if unread:  # shown now, so read: the list keeps the "new" mark for this one showing
        officer.notices.filter(pk__in=unread).update(read_at=timezone.now())
    Officer.objects.filter(pk=officer.pk).update(last_active_at=timezone.now())
    return TemplateResponse(request, "pilots/officers/officer_home.html", {
        "officer": officer, "tasks": tasks, "feedback": feedback, "notices": notices, "unread": set(unread),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def officer_withdraw_self(request: HttpRequest) -> HttpResponse:
    officer = _own_officer(request)
    if officer is None:
        raise Http404
    if request.method == "POST":
        officer_withdraw(request, officer=officer, by_officer=True)
        logout(request)
        return redirect("pilots:officer_withdrawn")
    return TemplateResponse(request, "pilots/officers/officer_withdraw.html", {"officer": officer, "staff": False})


@require_safe
def officer_withdrawn(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "pilots/officers/withdrawn.html", {})
