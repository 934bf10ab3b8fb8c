"""The survey dashboard: who answered, when, on which channel, who is missing, and the answers
to each choice question, as charts with their tables and CSV downloads.

The figures come from `surveys.dashboard` (cached SQL aggregates); this view reads the
filters from the URL (so a filtered view can be shared), decides who sees exact small counts,
and turns the figures into charts. With htmx the same view returns only the filtered part.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from citylab import charts
from citylab.access import ALLOWED, Action, get_for_member_or_404
from citylab.models import AgeBand, District, Role
from surveys.dashboard import Dashboard, Filters, survey_dashboard
from surveys.models import Channel, Survey
from surveys.results import SMALL_CELL, Cell


class FilterForm(forms.Form):
    district = forms.ChoiceField(label=gettext_lazy("District"), required=False)
    age_band = forms.ChoiceField(label=gettext_lazy("Age band"), required=False)
    channel = forms.ChoiceField(label=gettext_lazy("Channel"), required=False)
    date_from = forms.DateField(label=gettext_lazy("From (date)"), required=False,
                                widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=gettext_lazy("To (date)"), required=False,
                              widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, bands: list[AgeBand], districts: list[District], **kwargs):
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["district"].choices = every + [(d.code, d.name) for d in districts]
        self.fields["age_band"].choices = every + [(b.code, b.label) for b in bands]
        self.fields["channel"].choices = every + list(Channel.choices)

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", _("The end date must be on or after the start date."))
        return data

    def filters(self) -> Filters:
        """The valid filters; a field with an error is left out (the page says which)."""
        data = self.cleaned_data if self.is_bound else {}
        errors = self.errors if self.is_bound else {}
        return Filters(**{name: data.get(name) or (None if name.startswith("date") else "")
                          for name in ("district", "age_band", "channel", "date_from", "date_to")
                          if name not in errors})


def _count(c: Cell) -> int | None:
    """A count for a figure: None (a gap) when hidden, as the table shows "<5"."""
    return None if c.hidden else c.n


def _shown(c: Cell) -> object:
    return charts.Suppressed(f"<{SMALL_CELL}") if c.hidden else c.n


def _percent(c: Cell) -> str:
    return "" if c.percent is None else f"{c.percent:.0f}%"


def dashboard_charts(d: Dashboard) -> list[charts.Chart]:
    note = _("“<%(limit)s”: from 1 to 4 responses, hidden to protect residents' privacy.") % {"limit": SMALL_CELL} \
        if d.any_hidden else ""
    over_time_title = _("Responses per week") if d.weekly else _("Responses per day")
    period = _("Week starting") if d.weekly else _("Day")
    over_time = charts.line_figure([p.start.isoformat() for p in d.periods],
                                   [charts.Series(_("Responses"), [_count(p.n) for p in d.periods])],
                                   x_title=period, y_title=_("Responses"))
    # Whole days (or weeks) as categories: a date axis would invent hours between them.
    over_time["layout"]["xaxis"].update({"type": "category"})
    over_time["layout"]["yaxis"].update({"rangemode": "tozero", "tickformat": ",d"})
    result = [
        charts.Chart(
            id="over-time", title=over_time_title,
            figure=over_time,
            # A caption unlike the chart's title: both name a region, and each needs its own name.
            table=charts.Table(_("Responses in each week") if d.weekly else _("Responses on each day"),
                               [period, _("Responses")],
                               [[p.start.isoformat(), _shown(p.n)] for p in d.periods], note),
        ),
        charts.Chart(
            id="channels", title=_("Responses by channel"),
            figure=charts.bar_figure([label for _v, label, _c in d.channels],
                                     [charts.Series(_("Responses"), [_count(c) for _v, _l, c in d.channels])],
                                     y_title=_("Responses")),
            table=charts.Table(_("Responses on each channel, with shares"), [_("Channel"), _("Responses"), _("Share")],
                               [[label, _shown(c), _percent(c)] for _v, label, c in d.channels], note),
        ),
    ]
    if d.coverage:
        names = [f"{c.band} · {c.district}" for c in d.coverage]
        result.append(charts.Chart(
            id="coverage", title=_("Responses against population shares"),
            description=_("Each segment's responses beside what its share of the population would give "
                          "(responses with both an age band and a district, shared out as the population is). "
                          "A segment with fewer than %(ratio)s%% of its expected count is marked as under-represented.") % {"ratio": 80},
            figure=charts.dot_whisker_figure(
                names,
                [charts.Series(_("Expected"), [round(c.expected, 1) for c in d.coverage]),
                 charts.Series(_("Responses"), [_count(c.actual) for c in d.coverage])],
                x_title=_("Responses"), percent=False,
            ),
            table=charts.Table(
                _("Responses and expected responses per age band and district"),
                [_("Segment"), _("Population"), _("Expected"), _("Responses"), _("Missing"), _("Status")],
                [[name, c.population, round(c.expected), _shown(c.actual),
                  "" if c.actual.hidden else c.shortfall, c.status] for name, c in zip(names, d.coverage)],
                note,
            ),
        ))
    for q in d.questions:
        labels = [o.label for o, _c in q.options]
        caption = _("Answers to question %(number)s") % {"number": q.number}
        result.append(charts.Chart(
            id=f"q-{q.question.key}", title=f"{q.number}. {q.question.text}",
            description=_("Respondents could tick more than one answer: each answer is counted on its own, "
                          "so the shares can add up to more than 100%.") if q.is_multiple else "",
            figure=charts.bar_figure(labels, [charts.Series(_("Respondents"), [_count(c) for _o, c in q.options])],
                                     x_title=_("Respondents"), horizontal=True),
            table=charts.Table(caption, [_("Answer"), _("Respondents"), _("Share of those who answered")],
                               [[label, _shown(c), _percent(c)] for label, (_o, c) in zip(labels, q.options)], note),
        ))
    return result


@require_safe
@login_required
@vary_on_headers("HX-Request")
def dashboard(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.VIEW, slug=slug)
    # The role came with the survey: planners and clerks see exact small counts, viewers do not.
    exact = Action.ENTER in ALLOWED[Role(survey.member_role)]
    bands, districts = list(AgeBand.objects.all()), list(District.objects.all())
    form = FilterForm(request.GET or None, bands=bands, districts=districts)
    if form.is_bound:
        form.is_valid()
    figures = survey_dashboard(survey, form.filters(), exact=exact, bands=bands, districts=districts)
    chart_list = charts.bind(request, dashboard_charts(figures))
    if response := charts.csv_download(request, chart_list, filename=f"{survey.slug}-dashboard"):
        return response
    template = "surveys/dashboard/survey_dashboard.html"
    if request.htmx and not request.htmx.boosted:
        template += "#dashboard-figures"
    return TemplateResponse(request, template, {
        "survey": survey, "form": form, "dashboard": figures, "charts": chart_list, "small_cell": SMALL_CELL,
    })
