from __future__ import annotations

from django.apps import apps
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.db.models import Count, Prefetch
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe, require_POST

from citylab import textsize
from citylab.access import ALLOWED, Action
from citylab.models import AgeBand, District, Membership, PopulationFigure, Team


@require_safe
def home(request: HttpRequest) -> TemplateResponse:
    return TemplateResponse(request, "citylab/home.html")


@require_POST
def text_size(request: HttpRequest) -> HttpResponse:
    """Set the text-size step and go back where the person was. A plain form post, so it works
    without JavaScript; an unknown size is ignored rather than stored."""
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    size = request.POST.get("size", "")
    if size in textsize.SIZES:
        response.set_cookie(
            textsize.COOKIE, size, max_age=textsize.COOKIE_AGE, samesite="Lax",
            secure=request.is_secure(), httponly=True,
        )
    return response


@require_safe
@login_required
def staff_home(request: HttpRequest) -> HttpResponse:
    memberships = (
        Membership.objects.for_user(request.user).select_related("team").order_by("team__code")
    )
    rows = [
        {"membership": m, "actions": sorted(ALLOWED[m.role], key=list(Action).index)}
        for m in memberships
    ]
    if not rows:
        # Someone with no team may still have a page of their own (an experience officer's):
        # the app that knows them says where, through an AppConfig hook.
        for config in apps.get_app_configs():
            personal = getattr(config, "personal_home", None)
            url = personal(request.user) if callable(personal) else None
            if url:
                return redirect(url)
    # Surveys, pilots and panels add their entry points through an AppConfig hook, so that the
    # civic core links to them without importing them.
    work_links = [
        link
        for config in apps.get_app_configs()
        if rows and callable(getattr(config, "staff_links", None))
        for link in config.staff_links(request.user)
    ]
    return TemplateResponse(request, "citylab/staff_home.html", {"rows": rows, "work_links": work_links})


@require_safe
@login_required
def team_detail(request: HttpRequest, code: str) -> TemplateResponse:
    team = get_object_or_404(
        Team.objects.for_member(request.user).prefetch_related(
            Prefetch("memberships", queryset=Membership.objects.select_related("user"))
        ),
        code=code,
    )
    return TemplateResponse(request, "citylab/team_detail.html", {"team": team})


@require_safe
@login_required
def population(request: HttpRequest) -> TemplateResponse:
    """District × age band population: what surveys and pilots are weighted to.

    One query for the figures, one each for the row and column headings, whatever the city's size.
    """
    bands = list(AgeBand.objects.all())
    districts = list(District.objects.annotate(community_count=Count("communities")))
    cells = {
        (f.district_id, f.age_band_id): f.population
        for f in PopulationFigure.objects.only("district_id", "age_band_id", "population")
    }
    rows = [
        {
            "district": d,
            "cells": [cells.get((d.pk, b.pk)) for b in bands],
            "total": sum(cells.get((d.pk, b.pk)) or 0 for b in bands),
        }
        for d in districts
    ]
    band_totals = [sum(cells.get((d.pk, b.pk)) or 0 for d in districts) for b in bands]
    return TemplateResponse(
        request,
        "citylab/population.html",
        {
            "bands": bands,
            "rows": rows,
            "band_totals": band_totals,
            "grand_total": sum(band_totals),
            "missing": sum(1 for row in rows for c in row["cells"] if c is None),
        },
    )


@require_safe
def health(request: HttpRequest) -> JsonResponse:
    """For load balancers and monitors: 200 when the database answers, 503 when it does not."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unreachable"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})
