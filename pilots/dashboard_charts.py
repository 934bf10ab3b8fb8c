"""The pilot dashboard's charts, each a figure and its table from one `pilots.dashboard.Dashboard`.

Numbers are the evaluation's own (Wilson intervals, Newcombe differences, Holm-adjusted
p-values from `pilots.verdict`), never recomputed here; this module only lays them out. The
printed report draws the same tables (`pilots/report.py`).
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from citylab import charts
from citylab.charts import Chart, Series, Suppressed, Table
from pilots.dashboard import ALL_CHANNELS, SMALL_CELL, Dashboard
from pilots.feedback_summary import Row as FeedbackRow
from pilots.verdict_types import State, percent, segment_name
from pilots.views.display import STATE_WORDS, p_value, points

# Each state its own marker (and colour): the legend and the table name it in words.
STATE_STYLE = {
    State.PASS: (2, "circle"),
    State.UNPROVEN: (0, "diamond"),
    State.BELOW: (4, "x"),
    State.INSUFFICIENT: (7, "triangle-up"),
}


def _name(dash: Dashboard, district: str, age_band: str) -> str:
    return segment_name(district, age_band, _, dash.label)


def _count(dash: Dashboard, n: int) -> object:
    return Suppressed(f"<{SMALL_CELL}") if dash.hidden(n) else n


def adoption_chart(dash: Dashboard) -> Chart | None:
    """Adoption by segment with Wilson intervals; the equity floor and the target as lines."""
    ev = dash.evaluation
    if ev is None:
        return None
    t = ev.thresholds
    cats = [_name(dash, s.district, s.age_band) for s in ev.segments]
    overall = ev.adoption_weighted if dash.filters.weighted and ev.adoption_weighted else ev.adoption_pooled
    overall_name = _("Overall, weighted") if overall is ev.adoption_weighted else _("Overall, unweighted")
    series = []
    for state, (index, symbol) in STATE_STYLE.items():
        chosen = [s.state == state and not dash.hidden(s.n) for s in ev.segments]
        if not any(chosen):
            continue
        series.append(Series(
            str(STATE_WORDS[state]),
            [s.estimate if c else None for s, c in zip(ev.segments, chosen)],
            low=[s.low if c else None for s, c in zip(ev.segments, chosen)],
            high=[s.high if c else None for s, c in zip(ev.segments, chosen)],
            extra={"marker": {"color": charts.colour(index), "symbol": symbol, "size": 12,
                              "line": {"color": charts.INK, "width": 1}}},
        ))
    if overall.estimate is not None:
        series.append(Series(overall_name, [None] * len(cats) + [overall.estimate],
                             low=[None] * len(cats) + [overall.low], high=[None] * len(cats) + [overall.high],
                             extra={"marker": {"color": charts.INK, "symbol": "square", "size": 12}}))
        for s in series[:-1]:
            s.values = [*s.values, None]
            s.low = [*s.low, None]
            s.high = [*s.high, None]
        cats = [*cats, overall_name]
    figure = charts.dot_whisker_figure(
        cats, series, x_title=_("Share of eligible residents who use the service"),
        lines=[(t.equity_floor, _("Equity floor %(value)s") % {"value": percent(t.equity_floor)}, charts.FLOOR_DASH),
               (t.adoption_target, _("Target %(value)s") % {"value": percent(t.adoption_target)}, charts.TARGET_DASH)],
    )
    figure["layout"]["showlegend"] = True
    for trace in figure["data"]:  # whiskers in their dot's colour
        if "error_x" in trace:
            trace["error_x"]["color"] = trace["marker"]["color"]
    rows = []
    for s in ev.segments:
        if dash.hidden(s.n):
            hidden = Suppressed()
            rows.append([_name(dash, s.district, s.age_band), _count(dash, s.n), hidden, hidden, hidden, hidden])
        else:
            rows.append([_name(dash, s.district, s.age_band), s.n, percent(s.estimate),
                         percent(s.low) if s.estimate is not None else "–",
                         percent(s.high) if s.estimate is not None else "–", str(STATE_WORDS[s.state])])
    if overall.estimate is not None:
        rows.append([overall_name, charts.cell_text(round(overall.n, 1)), percent(overall.estimate), percent(overall.low),
                     percent(overall.high), ""])
    confidence = f"{t.confidence * 100:g}%"
    table = Table(
        caption=_("Adoption by segment, with %(confidence)s Wilson intervals") % {"confidence": confidence},
        columns=[_("Segment"), _("Respondents"), _("Adoption"), _("Lower bound"), _("Upper bound"),
                 _("Against the equity floor")],
        rows=rows,
        note=_("Equity floor %(floor)s, adoption target %(target)s. A weighted overall figure counts the Kish "
               "effective number of respondents.") % {"floor": percent(t.equity_floor), "target": percent(t.adoption_target)},
    )
    return Chart("adoption", _("Adoption by segment"), figure, table,
                 description=_("Each dot is a segment's adoption; the whiskers are its %(confidence)s interval.")
                 % {"confidence": confidence})


def heatmap_chart(dash: Dashboard) -> Chart | None:
    """Age band x district adoption; cells under 5 respondents blank and labelled suppressed."""
    if not dash.rows:
        return None
    by_cell = {(r[1], r[0]): r for r in dash.rows}
    band_codes = [b.code for b in dash.bands if any(r[1] == b.code for r in dash.rows)]
    district_codes = [d.code for d in dash.districts if any(r[0] == d.code for r in dash.rows)]
    if any(r[1] == "" for r in dash.rows):
        band_codes.append("")
    if any(r[0] == "" for r in dash.rows):
        district_codes.append("")
    none_given = _("not given")
    band_names = [dash.label(b) if b else none_given for b in band_codes]
    district_names = [dash.label(d) if d else none_given for d in district_codes]
    suppressed = str(Suppressed())
    values, texts, table_rows = [], [], []
    for band, band_name in zip(band_codes, band_names):
        line, text, cells = [], [], [band_name]
        for district in district_codes:
            row = by_cell.get((band, district))
            if row is None or row[2] == 0:
                line.append(None)
                text.append("–")
                cells.append("–")
            elif row[2] < SMALL_CELL:
                line.append(None)
                text.append(suppressed)
                cells.append(Suppressed())
            else:
                share = row[3] / row[2]
                line.append(share)
                text.append(f"{percent(share)}<br>n={row[2]}")
                cells.append(_("%(share)s of %(n)s") % {"share": percent(share), "n": row[2]})
        values.append(line)
        texts.append(text)
        table_rows.append(cells)
    figure = charts.heatmap_figure(band_names, district_names, values, texts, x_title=_("District"),
                                   y_title=_("Age band"), value_label=_("Adoption"))
    table = Table(
        caption=_("Adoption by age band and district"),
        columns=[_("Age band"), *district_names],
        rows=table_rows,
        note=_("Cells with fewer than %(n)s respondents are suppressed; “–” means nobody answered.") % {"n": SMALL_CELL},
    )
    return Chart("heatmap", _("Adoption by age band and district"), figure, table)


def change_chart(dash: Dashboard) -> Chart | None:
    """Cycle over cycle per segment (dumbbell), significant changes after Holm marked with a star."""
    ev = dash.evaluation
    if ev is None or not ev.changes or dash.previous is None:
        return None
    changes = dash.changes()
    shown = [c for c, visible in changes if visible]
    cats = [_name(dash, c.district, c.age_band) for c in shown]
    previous_label = _("Cycle %(number)s") % {"number": dash.previous.number}
    current_label = _("Cycle %(number)s") % {"number": dash.cycle.number}
    figure = charts.dumbbell_figure(
        cats, Series(previous_label, [c.previous for c in shown]), Series(current_label, [c.current for c in shown]),
        flagged=[c.significant for c in shown], flag_label=_("Significant change"),
        x_title=_("Adoption"),
    )
    yes, no = _("Yes"), _("No")
    rows = []
    for c, visible in changes:
        name = _name(dash, c.district, c.age_band)
        if not visible:
            rows.append([name, *[Suppressed()] * 7])
            continue
        rows.append([name, percent(c.previous), percent(c.current), points(c.difference),
                     _("%(low)s to %(high)s") % {"low": points(c.low), "high": points(c.high)},
                     p_value(c.p_value), p_value(c.p_adjusted), yes if c.significant else no])
    table = Table(
        caption=_("Change in adoption from cycle %(before)s to cycle %(after)s, by segment")
        % {"before": dash.previous.number, "after": dash.cycle.number},
        columns=[_("Segment"), previous_label, current_label, _("Change (points)"), _("Interval (points)"),
                 _("p"), _("p after Holm"), _("Significant")],
        rows=rows,
        note=_("Differences with Newcombe intervals; p-values adjusted for the number of segments with Holm's "
               "method; ★ marks a change significant at 5% after adjustment."),
    )
    return Chart("change", _("Change since the previous cycle"), figure, table)


def satisfaction_chart(dash: Dashboard, options: list[tuple[str, str]] | None = None) -> Chart | None:
    """The satisfaction question's answers per option; satisfied against not when only counts exist.
    options: (value, label) of the question, in order (from surveys.options.answer_options)."""
    ev = dash.evaluation
    cycle = dash.cycle
    if dash.satisfaction_counts and options:
        satisfied_values = set(cycle.satisfied_values)
        total = sum(dash.satisfaction_counts.values())
        labels, values, rows = [], [], []
        for value, label in options:
            n = dash.satisfaction_counts.get(value, 0)
            labels.append(label)
            values.append(None if dash.hidden(n) else n)
            share = percent(n / total) if total and not dash.hidden(n) else Suppressed() if dash.hidden(n) else "–"
            rows.append([label, _count(dash, n), share, _("Yes") if value in satisfied_values else _("No")])
        colours = [charts.colour(2) if v in satisfied_values else charts.colour(7) for v, _l in options]
        series = Series(_("Answers"), values, extra={"marker": {
            "color": colours, "line": {"color": charts.INK, "width": 1},
            "pattern": {"shape": ["" if v in satisfied_values else "/" for v, _l in options],
                        "fgcolor": "#ffffff", "solidity": 0.3}}})
        figure = charts.bar_figure(labels, [series], y_title=_("Answers"))
        table = Table(_("Answers to the satisfaction question"), [_("Answer"), _("Answers"), _("Share"),
                                                                   _("Counts as satisfied")], rows,
                      note=_("Plain bars count as satisfied; hatched bars do not."))
        return Chart("satisfaction", _("Satisfaction"), figure, table)
    if ev is None or not ev.satisfaction.n:
        return None
    rated = round(ev.satisfaction.n)
    satisfied = round((ev.satisfaction.estimate or 0) * rated)
    parts = [(_("Satisfied"), satisfied), (_("Not satisfied"), rated - satisfied)]
    figure = charts.bar_figure(
        [p[0] for p in parts],
        [Series(_("Ratings"), [None if dash.hidden(n) else n for _l, n in parts],
                extra={"marker": {"color": [charts.colour(2), charts.colour(7)], "line": {"color": charts.INK, "width": 1},
                                  "pattern": {"shape": ["", "/"], "fgcolor": "#ffffff", "solidity": 0.3}}})],
        y_title=_("Ratings"),
    )
    table = Table(_("Satisfied and not satisfied ratings"), [_("Rating"), _("Ratings"), _("Share")],
                  [[label, _count(dash, n), Suppressed() if dash.hidden(n) else percent(n / rated)] for label, n in parts])
    return Chart("satisfaction", _("Satisfaction"), figure, table)


def channel_chart(dash: Dashboard) -> Chart | None:
    if not any(dash.channel_counts.values()):
        return None
    names = [str(c.label) for c in ALL_CHANNELS]
    values = [dash.channel_counts.get(c.value, 0) for c in ALL_CHANNELS]
    figure = charts.bar_figure(
        names, [Series(_("Responses"), [None if dash.hidden(n) else n for n in values], extra={"marker": {
            "color": [charts.colour(i) for i in range(len(names))], "line": {"color": charts.INK, "width": 1},
            "pattern": {"shape": [charts.pattern(i) for i in range(len(names))], "fgcolor": charts.INK,
                        "solidity": 0.25}}})],
        horizontal=True, x_title=_("Responses"),
    )
    table = Table(_("Responses by channel"), [_("Channel"), _("Responses")],
                  [[name, _count(dash, n)] for name, n in zip(names, values)],
                  note=_("Imported: survey responses loaded from a file, and the eligible residents in the operator's counts."))
    return Chart("channels", _("Responses by channel"), figure, table)


def weighting_chart(dash: Dashboard) -> Chart | None:
    ev = dash.evaluation
    if ev is None:
        return None
    estimates = [(_("Weighted to the population"), ev.adoption_weighted), (_("Unweighted (pooled respondents)"),
                                                                          ev.adoption_pooled)]
    estimates = [(label, e) for label, e in estimates if e is not None and e.estimate is not None]
    if not estimates:
        return None
    t = ev.thresholds
    figure = charts.dot_whisker_figure(
        [label for label, _e in estimates],
        [Series(_("Overall adoption"), [e.estimate for _l, e in estimates], low=[e.low for _l, e in estimates],
                high=[e.high for _l, e in estimates])],
        x_title=_("Overall adoption"),
        lines=[(t.adoption_target, _("Target %(value)s") % {"value": percent(t.adoption_target)}, charts.TARGET_DASH),
               (t.viability_floor, _("Viability floor %(value)s") % {"value": percent(t.viability_floor)},
                charts.FLOOR_DASH)],
    )
    rows = [[label, percent(e.estimate), percent(e.low), percent(e.high), charts.cell_text(round(e.n, 1))]
            for label, e in estimates]
    table = Table(_("Overall adoption, weighted and unweighted"),
                  [_("Estimate"), _("Adoption"), _("Lower bound"), _("Upper bound"), _("Respondents (effective)")], rows,
                  note=_("Weighted: post-stratified to the population figures of the districts covered. "
                         "Without figures only the unweighted estimate is shown."))
    return Chart("weighting", _("Weighted and unweighted overall adoption"), figure, table)


def _feedback_chart(dash: Dashboard, chart_id: str, title: str, first: str, rows: list[FeedbackRow]) -> Chart | None:
    if not rows:
        return None
    severities = dash.feedback.severities
    cats = [r.label if chart_id != "feedback-band" else dash.label(r.label) for r in rows]
    series = [
        Series(heading, [None if dash.hidden(r.cells[i][1]) else r.cells[i][1] for r in rows])
        for i, heading in enumerate(severities)
    ]
    figure = charts.bar_figure(cats, series, horizontal=True, stacked=True, x_title=_("Problems reported"))
    table = Table(title, [first, *severities, _("Total")],
                  [[cat, *[_count(dash, n) for _h, n in r.cells], _count(dash, r.total)] for cat, r in zip(cats, rows)])
    return Chart(chart_id, title, figure, table)


def feedback_charts(dash: Dashboard) -> list[Chart]:
    if dash.feedback is None or not dash.feedback.has_problems:
        return []
    number = dash.cycle.number
    found = [
        _feedback_chart(dash, "feedback-band", _("Officers' problems in cycle %(number)s, by severity and age band")
                        % {"number": number}, _("Age band"), dash.feedback.by_band),
        _feedback_chart(dash, "feedback-district", _("Officers' problems in cycle %(number)s, by severity and district")
                        % {"number": number}, _("District"), dash.feedback.by_district),
    ]
    return [c for c in found if c is not None]


def dashboard_charts(dash: Dashboard, satisfaction_options: list[tuple[str, str]] | None = None) -> list[Chart]:
    found = [
        adoption_chart(dash),
        heatmap_chart(dash),
        change_chart(dash),
        weighting_chart(dash),
        satisfaction_chart(dash, satisfaction_options),
        channel_chart(dash),
        *feedback_charts(dash),
    ]
    return [c for c in found if c is not None]
