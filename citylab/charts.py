"""Charts for dashboards: plotly figures as plain JSON, each with its data table and CSV.

Every chart on a CityLab page is three views of one set of numbers: a plotly figure, an
accessible ``<table>`` beneath it, and a CSV download of exactly that table. Build a
:class:`Chart` in Python (no app imports here: pilots and surveys both use it), hand it to the
template, and the rest is shared:

View::

    from citylab import charts

    def my_dashboard(request, pk):
        ...
        table = charts.Table(
            caption=_("Responses by channel"),
            columns=[_("Channel"), _("Responses")],
            rows=[[label, n] for label, n in counts],
        )
        chart = charts.Chart(
            id="channels",
            title=_("Responses by channel"),
            figure=charts.bar_figure(
                [label for label, _n in counts],
                [charts.Series(_("Responses"), [n for _label, n in counts])],
                y_title=_("Responses"),
            ),
            table=table,
        )
        chart_list = charts.bind(request, [chart])    # fills each chart's csv_url from the filters
        if response := charts.csv_download(request, chart_list, filename="pilot-12"):
            return response                          # ?format=csv&chart=channels
        return TemplateResponse(request, "...", {"charts": chart_list})

Template::

    {% block head %}{% include "_chart.html#chart-assets" %}{% endblock %}
    ...
    {% for chart in charts %}{% include "_chart.html" %}{% endfor %}

``_chart.html`` renders the figure JSON in ``<script type="application/json">`` (no inline
script: the CSP forbids it), the table with caption and ``th scope``, and the CSV link.
``static/js/charts.js`` draws every ``[data-chart]`` on the page with the plotly.js that the
plotly package ships (served as ``static/plotly/plotly.min.js``, see settings), and draws again
whatever an htmx swap brings in. Without JavaScript the table is the chart.

Never colour alone: series take an Okabe–Ito colour *and* a marker symbol or bar pattern, in
the same order (:data:`PALETTE`, :data:`MARKERS`, :data:`PATTERNS`). A cell that must not be
shown (small-cell suppression) is ``None`` in the figure (plotly leaves a gap) and a
:class:`Suppressed` value in the table; the CSV holds exactly the table's text
(:meth:`Table.text_rows`), so the download never shows more than the page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.encoding import force_str
from django.utils.translation import gettext_lazy as _

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Black first is left out: it is the text colour and reads as an axis.
PALETTE: tuple[str, ...] = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#D55E00",  # vermillion
    "#56B4E9",  # sky blue
    "#F0E442",  # yellow (light: only as a fill, never for text or thin lines)
    "#000000",  # black
)
# Paired with the palette by index, so a series keeps both cues in every chart.
MARKERS: tuple[str, ...] = (
    "circle", "square", "diamond", "triangle-up", "x", "star", "cross", "hexagon",
)
PATTERNS: tuple[str, ...] = ("", "/", "x", ".", "\\", "+", "-", "|")
INK = "#1b1b1b"          # the page's text colour (static/css/citylab.css --ink)
GRID = "#d0d0d0"
TARGET_DASH = "dash"     # a target line
FLOOR_DASH = "dot"       # an equity floor line
# Sequential, colour-blind safe (cividis, light to dark) for heatmaps.
SEQUENTIAL = [[0.0, "#FFEA46"], [0.5, "#7C7B78"], [1.0, "#00204D"]]


def colour(i: int) -> str:
    return PALETTE[i % len(PALETTE)]


def marker(i: int) -> str:
    return MARKERS[i % len(MARKERS)]


def pattern(i: int) -> str:
    return PATTERNS[i % len(PATTERNS)]


# --- Tables and charts ----------------------------------------------------------------------


@dataclass(frozen=True)
class Suppressed:
    """A table cell withheld because it counts fewer than 5 people (shown as its label)."""

    label: str = ""

    def __str__(self) -> str:
        return self.label or force_str(_("suppressed"))


@dataclass
class Table:
    """The data behind a chart: first column is the row header (``th scope="row"``)."""

    caption: str
    columns: Sequence[str]
    rows: Sequence[Sequence[Any]]
    note: str = ""  # shown under the table, e.g. what "suppressed" means

    def text_rows(self) -> list[list[str]]:
        """Cells as the table shows them and the CSV holds them."""
        return [[cell_text(value) for value in row] for row in self.rows]

    def labelled_rows(self) -> list[list[tuple[str, str]]]:
        """(column heading, cell text) pairs: a narrow screen shows each value after its heading."""
        columns = [force_str(c) for c in self.columns]
        return [list(zip(columns, row)) for row in self.text_rows()]


def cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if value == value else ""
    return force_str(value)


@dataclass
class Chart:
    """One figure with its table. ``id`` is unique on the page and names the CSV (chart=<id>)."""

    id: str
    title: str
    figure: dict
    table: Table
    description: str = ""
    csv_url: str = ""
    height: int = 0  # 0: charts.js picks from the number of categories

    @property
    def dom_id(self) -> str:
        return f"chart-{self.id}"

    @property
    def data_id(self) -> str:
        return f"chart-{self.id}-data"


def bind(request: HttpRequest, charts: Iterable[Chart]) -> list[Chart]:
    """The charts with csv_url set: this page's URL and filters, plus format=csv&chart=<id>."""
    return [replace(chart, csv_url=csv_url(request, chart.id)) for chart in charts]


def csv_url(request: HttpRequest, chart_id: str) -> str:
    query = request.GET.copy()
    query.pop("format", None)
    query.pop("chart", None)
    query["format"] = "csv"
    query["chart"] = chart_id
    return f"{request.path}?{query.urlencode()}"


def csv_download(request: HttpRequest, charts: Iterable[Chart], *, filename: str) -> HttpResponse | None:
    """The CSV of the chart named by ?chart=, when ?format=csv; None otherwise; 404 if unknown."""
    if request.GET.get("format") != "csv":
        return None
    wanted = request.GET.get("chart", "")
    for chart in charts:
        if chart.id == wanted:
            return csv_response(chart.table, f"{filename}-{chart.id}.csv")
    raise Http404("No such chart")


def table_csv(table: Table) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([force_str(c) for c in table.columns])
    writer.writerows(table.text_rows())
    return out.getvalue()


def csv_response(table: Table, filename: str) -> HttpResponse:
    # A byte-order mark so that spreadsheet programs read the Chinese labels as UTF-8.
    response = HttpResponse("\ufeff" + table_csv(table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


# --- Figures (plain plotly JSON) ------------------------------------------------------------


@dataclass
class Series:
    name: str
    values: Sequence[float | None]
    low: Sequence[float | None] | None = None   # interval bounds, for error bars
    high: Sequence[float | None] | None = None
    text: Sequence[str] | None = None           # hover text per point
    extra: dict = field(default_factory=dict)   # any plotly trace keys


def layout(*, x_title: str = "", y_title: str = "", percent_axis: str = "", **more: Any) -> dict:
    """The shared look: page font and ink, light grid, legend on top, no title inside the plot
    (the page heading is the title). percent_axis="x" or "y" formats that axis 0–100%."""
    base: dict = {
        "font": {"family": "system-ui, sans-serif", "color": INK, "size": 14},
        "paper_bgcolor": "#ffffff",
        "plot_bgcolor": "#ffffff",
        "margin": {"l": 8, "r": 8, "t": 8, "b": 8},
        "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
        "hovermode": "closest",
        "xaxis": {"title": {"text": force_str(x_title)}, "gridcolor": GRID, "zeroline": False,
                  "automargin": True, "linecolor": INK},
        "yaxis": {"title": {"text": force_str(y_title)}, "gridcolor": GRID, "zeroline": False,
                  "automargin": True, "linecolor": INK},
    }
    if percent_axis:
        base[f"{percent_axis}axis"].update({"tickformat": ".0%", "range": [0, 1.02]})
    for key, value in more.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            base[key] = {**base[key], **value}
        else:
            base[key] = value
    return base


def _str_list(values: Iterable[Any]) -> list[str]:
    return [force_str(v) for v in values]


def reference_line(value: float, label: str, *, axis: str = "x", dash: str = TARGET_DASH) -> tuple[dict, dict]:
    """A shape and its annotation marking a target or floor across the plot (labelled, dashed:
    the label and dash say what it is, not its colour)."""
    other = "y" if axis == "x" else "x"
    shape = {
        "type": "line", "xref": axis if axis == "x" else "paper", "yref": axis if axis == "y" else "paper",
        f"{axis}0": value, f"{axis}1": value, f"{other}0": 0, f"{other}1": 1,
        "line": {"color": INK, "width": 2, "dash": dash},
    }
    annotation = {
        "xref": shape["xref"], "yref": shape["yref"],
        "x": value if axis == "x" else 1, "y": 1 if axis == "x" else value,
        "text": force_str(label), "showarrow": False,
        "xanchor": "left" if axis == "x" else "right", "yanchor": "bottom",
        "font": {"size": 12, "color": INK}, "bgcolor": "rgba(255,255,255,0.85)",
    }
    return shape, annotation


def dot_whisker_figure(categories: Sequence[str], series: Sequence[Series], *, x_title: str = "",
                       lines: Sequence[tuple[float, str, str]] = (), percent: bool = True) -> dict:
    """Horizontal dot-and-whisker: one row per category (top to bottom in the given order),
    one dot per series with its interval as whiskers. lines: (value, label, dash)."""
    cats = _str_list(categories)
    data = []
    for i, s in enumerate(series):
        trace: dict = {
            "type": "scatter", "mode": "markers", "orientation": "h", "name": force_str(s.name),
            "x": list(s.values), "y": cats,
            "marker": {"color": colour(i), "symbol": marker(i), "size": 11, "line": {"color": INK, "width": 1}},
        }
        if s.low is not None and s.high is not None:
            trace["error_x"] = {
                "type": "data", "symmetric": False, "color": colour(i), "thickness": 2, "width": 6,
                "array": [None if v is None or h is None else h - v for v, h in zip(s.values, s.high)],
                "arrayminus": [None if v is None or lo is None else v - lo for v, lo in zip(s.values, s.low)],
            }
            # The bounds themselves, for the hover label and for anyone reading the JSON.
            trace["customdata"] = [[lo, h] for lo, h in zip(s.low, s.high)]
            if percent:
                trace["hovertemplate"] = "%{y}: %{x:.1%} (%{customdata[0]:.1%} – %{customdata[1]:.1%})<extra></extra>"
        if s.text is not None:
            trace["text"] = _str_list(s.text)
            trace["hovertemplate"] = "%{y}: %{text}<extra></extra>"
        trace.update(s.extra)
        data.append(trace)
    # Targets and floors are lines across the categories, named in the legend (with their dash)
    # rather than by a label inside the plot, which would collide with the dots in large text.
    for value, label, dash in lines:
        data.append({
            "type": "scatter", "mode": "lines", "name": force_str(label), "x": [value, value],
            "y": [cats[0], cats[-1]] if cats else [], "line": {"color": INK, "width": 2, "dash": dash},
            "hovertemplate": f"{force_str(label)}<extra></extra>", "meta": {"reference": value},
        })
    return {
        "data": data,
        "layout": layout(
            x_title=x_title, percent_axis="x" if percent else "",
            yaxis={"autorange": "reversed", "type": "category", "categoryorder": "array", "categoryarray": cats},
            showlegend=len(series) > 1 or bool(lines),
        ),
    }


def bar_figure(categories: Sequence[str], series: Sequence[Series], *, x_title: str = "", y_title: str = "",
               horizontal: bool = False, stacked: bool = False, percent: bool = False) -> dict:
    """Bars, one colour + pattern per series; horizontal bars read better for long labels."""
    cats = _str_list(categories)
    data = []
    for i, s in enumerate(series):
        trace: dict = {
            "type": "bar", "name": force_str(s.name),
            "orientation": "h" if horizontal else "v",
            "marker": {"color": colour(i), "line": {"color": INK, "width": 1},
                       "pattern": {"shape": pattern(i), "fgcolor": INK, "solidity": 0.25}},
        }
        if horizontal:
            trace.update({"x": list(s.values), "y": cats})
        else:
            trace.update({"x": cats, "y": list(s.values)})
        if s.low is not None and s.high is not None:
            key = "error_x" if horizontal else "error_y"
            trace[key] = {
                "type": "data", "symmetric": False, "color": INK, "thickness": 1.5,
                "array": [None if v is None or h is None else h - v for v, h in zip(s.values, s.high)],
                "arrayminus": [None if v is None or lo is None else v - lo for v, lo in zip(s.values, s.low)],
            }
        if s.text is not None:
            trace["text"] = _str_list(s.text)
            trace["textposition"] = "auto"
        trace.update(s.extra)
        data.append(trace)
    extra: dict = {"barmode": "stack" if stacked else "group", "showlegend": len(series) > 1}
    if horizontal:
        extra["yaxis"] = {"autorange": "reversed", "type": "category", "categoryorder": "array", "categoryarray": cats}
    else:
        extra["xaxis"] = {"type": "category", "categoryorder": "array", "categoryarray": cats}
    return {"data": data, "layout": layout(x_title=x_title, y_title=y_title,
                                           percent_axis=("x" if horizontal else "y") if percent else "", **extra)}


def line_figure(x: Sequence[Any], series: Sequence[Series], *, x_title: str = "", y_title: str = "",
                percent: bool = False) -> dict:
    """Lines with markers (e.g. responses over time); each series its colour, marker and dash."""
    dashes = ("solid", "dash", "dot", "dashdot", "longdash", "longdashdot")
    data = [
        {
            "type": "scatter", "mode": "lines+markers", "name": force_str(s.name),
            "x": _str_list(x), "y": list(s.values),
            "line": {"color": colour(i), "width": 2.5, "dash": dashes[i % len(dashes)]},
            "marker": {"color": colour(i), "symbol": marker(i), "size": 8},
            **s.extra,
        }
        for i, s in enumerate(series)
    ]
    return {"data": data, "layout": layout(x_title=x_title, y_title=y_title, percent_axis="y" if percent else "",
                                           showlegend=len(series) > 1)}


def heatmap_figure(rows: Sequence[str], columns: Sequence[str], values: Sequence[Sequence[float | None]],
                   text: Sequence[Sequence[str]], *, x_title: str = "", y_title: str = "",
                   value_label: str = "", percent: bool = True) -> dict:
    """A grid of values; None cells stay blank (a gap), and ``text`` prints in every cell, so a
    blank cell still says why (e.g. "suppressed") and no value depends on colour alone."""
    trace: dict = {
        "type": "heatmap", "x": _str_list(columns), "y": _str_list(rows), "z": [list(r) for r in values],
        "text": [_str_list(r) for r in text], "texttemplate": "%{text}", "hoverongaps": False,
        "colorscale": SEQUENTIAL, "reversescale": False, "xgap": 2, "ygap": 2,
        "colorbar": {"title": {"text": force_str(value_label)}, "outlinecolor": INK},
        "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>",
    }
    if percent:
        trace.update({"zmin": 0, "zmax": 1})
        trace["colorbar"]["tickformat"] = ".0%"
    # Text on the dark end is white, on the light end ink: plotly picks it from the fill.
    trace["textfont"] = {"size": 13}
    return {"data": [trace], "layout": layout(x_title=x_title, y_title=y_title,
                                               yaxis={"autorange": "reversed", "type": "category"},
                                               xaxis={"type": "category", "side": "top"},
                                               plot_bgcolor="#f4f2ec")}


def dumbbell_figure(categories: Sequence[str], before: Series, after: Series, *, flagged: Sequence[bool] = (),
                    flag_label: str = "", x_title: str = "", percent: bool = True) -> dict:
    """Before → after per category (a connecting line, two marker shapes); categories flagged
    (e.g. significant after Holm) get a star marker and a label, not just a colour."""
    cats = _str_list(categories)
    xs: list[float | None] = []
    ys: list[str | None] = []
    for c, b, a in zip(cats, before.values, after.values):
        if b is not None and a is not None:
            xs += [b, a, None]
            ys += [c, c, None]
    data: list[dict] = [
        {"type": "scatter", "mode": "lines", "x": xs, "y": ys, "showlegend": False, "hoverinfo": "skip",
         "line": {"color": "#7a7a7a", "width": 3}},
        {"type": "scatter", "mode": "markers", "name": force_str(before.name), "x": list(before.values), "y": cats,
         "marker": {"color": colour(5), "symbol": "circle-open", "size": 12, "line": {"width": 3}}},
        {"type": "scatter", "mode": "markers", "name": force_str(after.name), "x": list(after.values), "y": cats,
         "marker": {"color": colour(0), "symbol": "circle", "size": 12, "line": {"color": INK, "width": 1}}},
    ]
    if any(flagged):
        data.append({
            "type": "scatter", "mode": "markers+text", "name": force_str(flag_label),
            "x": [a if f else None for a, f in zip(after.values, flagged)], "y": cats,
            "text": ["★" if f else "" for f in flagged], "textposition": "middle right",
            "marker": {"color": colour(4), "symbol": "star", "size": 16, "line": {"color": INK, "width": 1}},
            "textfont": {"color": INK, "size": 14}, "hoverinfo": "skip",
        })
    return {"data": data, "layout": layout(x_title=x_title, percent_axis="x" if percent else "",
                                           yaxis={"autorange": "reversed", "type": "category",
                                                  "categoryorder": "array", "categoryarray": cats})}
