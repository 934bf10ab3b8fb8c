"""The planners' portfolio, a pilot's dashboard and its printable evaluation report.

Every member of the owning team reads them (viewers with counts under 5 suppressed); to
anyone else a pilot does not exist (404). The dashboard's filters are a plain GET form: the
URL holds them, so a view can be shared, and with htmx the same view returns just the charts
(the "dashboard-body" partial) to swap in place. ?format=csv&chart=<id> downloads one chart's
table.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from citylab import audit, charts
from citylab.access import Action, get_for_member_or_404, roles_allowed
from citylab.models import AgeBand, District, Team
from pilots import dashboard, report
from pilots.dashboard_charts import dashboard_charts
from pilots.models import Pilot
from pilots.portfolio import pilot_rows, survey_rows_by_channel
from pilots.views.display import verdict_class, verdict_words
from surveys.models import Question
from surveys.options import answer_options

TEMPLATE = "pilots/dashboard/pilot_dashboard.html"


@require_safe
@login_required
def portfolio(request: HttpRequest) -> TemplateResponse:
    """Every pilot of the user's teams with its verdict, every open survey by channel."""
    rows = [
        {"pilot": r.pilot, "cycle": r.cycle, "verdict_words": verdict_words(r.verdict),
         "verdict_class": verdict_class(r.verdict)}
        for r in pilot_rows(request.user)
    ]
    can_create = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN)).exists()
    return TemplateResponse(request, "pilots/dashboard/portfolio.html", {
        "rows": rows, "surveys": survey_rows_by_channel(request.user), "can_create": can_create,
    })


def _pilot(request: HttpRequest, pk: int) -> Pilot:
    return get_for_member_or_404(Pilot.objects.select_related("team"), request.user, Action.VIEW, pk=pk)


def _dashboard(request: HttpRequest, pilot: Pilot):
    """The filter form, the figures and the charts: a fixed number of queries."""
    cycles = list(
        pilot.cycles.select_related("survey", "adoption_question", "satisfaction_question").order_by("number")
    )
    for cycle in cycles:
        cycle.pilot = pilot
    districts = list(District.objects.all())
    bands = list(AgeBand.objects.all())
    form = dashboard.FilterForm(request.GET, districts=districts, bands=bands, cycles=cycles)
    dash = dashboard.build(pilot, form.filters(), districts=districts, bands=bands, cycles=cycles)
    options = None
    if dash.satisfaction_counts and dash.cycle.satisfaction_question_id:
        question = (
            Question.objects.prefetch_related("choices").get(pk=dash.cycle.satisfaction_question_id)
        )
        options = [(o.value, o.label) for o in answer_options([question])[question.pk]]
    chart_list = charts.bind(request, dashboard_charts(dash, options))
    return form, dash, chart_list


def _filename(dash: dashboard.Dashboard) -> str:
    number = dash.cycle.number if dash.cycle else 0
    return f"pilot-{dash.pilot.pk}-cycle-{number}"


@require_safe
@login_required
@vary_on_headers("HX-Request")
def pilot_dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = _pilot(request, pk)
    form, dash, chart_list = _dashboard(request, pilot)
    if response := charts.csv_download(request, chart_list, filename=_filename(dash)):
        return response
    template = TEMPLATE
    if getattr(request, "htmx", False) and not request.htmx.boosted:
        template += "#dashboard-body"
    return TemplateResponse(request, template, {
        "pilot": pilot, "form": form, "dash": dash, "charts": chart_list,
        "page": report.verdict_page(dash), "filters": dash.filters,
    })


@require_safe
@login_required
def pilot_report(request: HttpRequest, pk: int) -> HttpResponse:
    """The evaluation report for the decision meeting: one page to print (A4), same filters."""
    pilot = _pilot(request, pk)
    form, dash, chart_list = _dashboard(request, pilot)
    return TemplateResponse(request, "pilots/dashboard/pilot_report.html", {
        "pilot": pilot, "dash": dash, "charts": chart_list, "page": report.verdict_page(dash),
        "pdf_query": request.GET.urlencode(),
    })


@require_safe
@login_required
def pilot_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    pilot = _pilot(request, pk)
    form, dash, chart_list = _dashboard(request, pilot)
    pdf = report.report_pdf(dash, chart_list)
    audit.record(request, "pilot.report_exported", pilot, team=pilot.team,
                 cycle=dash.cycle.number if dash.cycle else None, filters=request.GET.urlencode())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(dash)}-report.pdf"'
    return response

