"""The evaluation report for the decision meeting: the verdict with its reasons, the targets,
the main charts and every chart's table, as a printable page and as a PDF.

The PDF is drawn here with reportlab (no outside service, no browser): text in STSong-Light,
which carries both Chinese and Latin letters, on A4 with 18 mm margins. Its charts are drawn
with reportlab graphics from the same evaluation as the dashboard's plotly figures, and its
tables are the dashboard's tables (`citylab.charts.Table`), so paper and screen agree.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
# Escapes our own text for reportlab's paragraph markup; no XML is parsed.
from xml.sax.saxutils import escape  # nosec B406

from citylab import charts
from citylab.charts import Chart
from pilots.dashboard import Dashboard
from pilots.evaluation import CycleEvaluation, Sources
from pilots.verdict_types import percent
from pilots.views.display import cycle_page

FONT = "STSong-Light"
MARGIN = 18 * mm
WIDTH = A4[0] - 2 * MARGIN
INK = colors.HexColor(charts.INK)


def verdict_page(dash: Dashboard) -> dict[str, object]:
    """The verdict banner and overall figures of the whole cycle, as the pilot page shows them."""
    if dash.cycle is None:
        return cycle_page(CycleEvaluation(None, None, Sources("", ""), None), dash.labels)
    result = CycleEvaluation(dash.cycle, dash.whole, Sources(*dash.whole_sources), dash.previous)
    return cycle_page(result, dash.labels)


@cache
def _font() -> str:
    pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=15, alignment=TA_LEFT, textColor=INK)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=9, leading=12.5),
        "h1": ParagraphStyle("h1", parent=base, fontSize=18, leading=24, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=13.5, leading=18, spaceBefore=10, spaceAfter=4),
        "verdict": ParagraphStyle("verdict", parent=base, fontSize=15, leading=20, spaceAfter=4),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11.5),
    }


def _p(text: object, style: ParagraphStyle) -> Paragraph:
    return Paragraph(escape(str(text)), style)


def _table(table: charts.Table, styles) -> Table:
    header = [_p(c, styles["cell"]) for c in table.columns]
    body = [[_p(v, styles["cell"]) for v in row] for row in table.text_rows()]
    first = min(WIDTH * 0.34, 60 * mm) if len(table.columns) > 2 else WIDTH * 0.5
    rest = (WIDTH - first) / max(1, len(table.columns) - 1)
    out = Table([header, *body], colWidths=[first] + [rest] * (len(table.columns) - 1), repeatRows=1)
    out.setStyle(TableStyle([
        ("LINEBELOW", (0, 0), (-1, 0), 1.2, INK),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#808080")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]))
    return out


# --- Charts in reportlab graphics -----------------------------------------------------------


def _marker(drawing: Drawing, x: float, y: float, shape: str, fill) -> None:
    """A dot of a given shape: shapes tell the series apart in black-and-white print."""
    r = 3.4
    if shape == "square":
        drawing.add(Rect(x - r, y - r, 2 * r, 2 * r, fillColor=fill, strokeColor=INK, strokeWidth=0.6))
    elif shape == "diamond":
        drawing.add(Polygon([x, y + r * 1.3, x + r * 1.3, y, x, y - r * 1.3, x - r * 1.3, y],
                            fillColor=fill, strokeColor=INK, strokeWidth=0.6))
    elif shape == "triangle":
        drawing.add(Polygon([x, y + r * 1.3, x + r * 1.2, y - r, x - r * 1.2, y - r], fillColor=fill,
                            strokeColor=INK, strokeWidth=0.6))
    elif shape == "x":
        drawing.add(Line(x - r, y - r, x + r, y + r, strokeColor=fill, strokeWidth=2))
        drawing.add(Line(x - r, y + r, x + r, y - r, strokeColor=fill, strokeWidth=2))
    else:
        from reportlab.graphics.shapes import Circle

        drawing.add(Circle(x, y, r, fillColor=fill, strokeColor=INK, strokeWidth=0.6))


def dot_whisker_drawing(labels: Sequence[str], points: Sequence[tuple[float | None, float, float, str, str]],
                        lines: Sequence[tuple[float, str, Sequence[int]]] = ()) -> Drawing:
    """One row per label: (estimate, low, high, marker shape, colour); lines: (value, label, dash)."""
    font = _font()
    row = 15
    left = min(WIDTH * 0.38, max(pdfmetrics.stringWidth(str(lab), font, 8) for lab in labels) + 6)
    plot_w = WIDTH - left - 10
    height = row * len(labels) + 34
    d = Drawing(WIDTH, height)
    top = height - 16

    def x_of(p: float) -> float:
        return left + p * plot_w

    for tick in (0, 0.25, 0.5, 0.75, 1):
        d.add(Line(x_of(tick), 14, x_of(tick), top, strokeColor=colors.HexColor("#d0d0d0"), strokeWidth=0.5))
        d.add(String(x_of(tick), 4, f"{tick:.0%}", fontName=font, fontSize=7.5, textAnchor="middle", fillColor=INK))
    for i, (value, label, dash) in enumerate(sorted(lines)):
        d.add(Line(x_of(value), 14, x_of(value), top + 4, strokeColor=INK, strokeWidth=1, strokeDashArray=list(dash)))
        # The lower line's label to its left, the higher one's to its right: close lines stay legible.
        first = i == 0 and len(lines) > 1
        d.add(String(x_of(value) + (-2 if first else 2), top + 5, str(label), fontName=font, fontSize=7.5,
                     fillColor=INK, textAnchor="end" if first else "start"))
    for i, (label, (estimate, low, high, shape, colour)) in enumerate(zip(labels, points)):
        y = top - row * (i + 0.6)
        d.add(String(left - 4, y - 3, str(label), fontName=font, fontSize=8, textAnchor="end", fillColor=INK))
        if estimate is None:
            continue
        fill = colors.HexColor(colour)
        d.add(Line(x_of(low), y, x_of(high), y, strokeColor=fill, strokeWidth=1.6))
        for end in (low, high):
            d.add(Line(x_of(end), y - 3, x_of(end), y + 3, strokeColor=fill, strokeWidth=1.6))
        _marker(d, x_of(estimate), y, shape, fill)
    return d


def bars_drawing(labels: Sequence[str], values: Sequence[float | None]) -> Drawing:
    """Horizontal bars with their values written at the end (so no reading off an axis)."""
    font = _font()
    row = 15
    left = min(WIDTH * 0.38, max(pdfmetrics.stringWidth(str(lab), font, 8) for lab in labels) + 6)
    plot_w = WIDTH - left - 40
    top_value = max([v for v in values if v] or [1])
    d = Drawing(WIDTH, row * len(labels) + 6)
    for i, (label, value) in enumerate(zip(labels, values)):
        y = d.height - row * (i + 1)
        d.add(String(left - 4, y + 3, str(label), fontName=font, fontSize=8, textAnchor="end", fillColor=INK))
        if value is None:
            d.add(String(left + 2, y + 3, str(charts.Suppressed()), fontName=font, fontSize=8, fillColor=INK))
            continue
        w = plot_w * value / top_value
        d.add(Rect(left, y, w, row - 4, fillColor=colors.HexColor(charts.colour(i)), strokeColor=INK, strokeWidth=0.5))
        d.add(String(left + w + 3, y + 3, charts.cell_text(value), fontName=font, fontSize=8, fillColor=INK))
    return d


STATE_SHAPES = {"pass": ("circle", 2), "unproven": ("diamond", 0), "below": ("x", 4), "insufficient": ("triangle", 7)}


def adoption_drawing(dash: Dashboard) -> Drawing | None:
    from pilots.verdict_types import segment_name

    ev = dash.evaluation
    if ev is None:
        return None
    labels, points = [], []
    for s in ev.segments:
        labels.append(segment_name(s.district, s.age_band, _, dash.label))
        shape, index = STATE_SHAPES[str(s.state)]
        hidden = dash.hidden(s.n) or s.estimate is None
        points.append((None if hidden else s.estimate, s.low, s.high, shape, charts.colour(index)))
    overall = ev.adoption_weighted if dash.filters.weighted and ev.adoption_weighted else ev.adoption_pooled
    if overall.estimate is not None:
        labels.append(_("Overall, weighted") if overall is ev.adoption_weighted else _("Overall, unweighted"))
        points.append((overall.estimate, overall.low, overall.high, "square", charts.INK))
    t = ev.thresholds
    return dot_whisker_drawing(labels, points, [
        (t.equity_floor, _("Equity floor %(value)s") % {"value": percent(t.equity_floor)}, (1, 2)),
        (t.adoption_target, _("Target %(value)s") % {"value": percent(t.adoption_target)}, (4, 2)),
    ])


def change_drawing(dash: Dashboard) -> Drawing | None:
    from pilots.verdict_types import segment_name

    # The segments the dashboard's dumbbell shows: none whose count this reader may not see
    # (the table below lists them as suppressed).
    shown = [c for c, visible in dash.changes() if visible]
    if not shown:
        return None
    labels, points = [], []
    for c in shown:
        name = segment_name(c.district, c.age_band, _, dash.label)
        labels.append(f"{name} ★" if c.significant else name)
        low, high = sorted((c.previous, c.current))
        # A dumbbell drawn as an interval from the earlier to the later value, the later as the dot.
        points.append((c.current, low, high, "circle", charts.colour(0)))
    return dot_whisker_drawing(labels, points)


def report_pdf(dash: Dashboard, chart_list: Sequence[Chart]) -> bytes:
    """The report as an A4 PDF."""
    styles = _styles()
    page = verdict_page(dash)
    buffer = io.BytesIO()
    pilot = dash.pilot
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=MARGIN,
                            bottomMargin=MARGIN, title=_("Evaluation report: %(name)s") % {"name": pilot.name},
                            author=str(pilot.team.name))
    story: list = [_p(_("Evaluation report: %(name)s") % {"name": pilot.name}, styles["h1"]),
                   _p(pilot.service, styles["body"])]
    if dash.cycle is not None:
        story.append(_p(_("Cycle %(number)s · %(stage)s · printed %(date)s") % {
            "number": dash.cycle.number, "stage": dash.cycle.get_stage_display(),
            "date": timezone.localdate().isoformat()}, styles["small"]))
    story.append(Spacer(1, 6))
    verdict = [_p(f"{_('Verdict:')} {page['verdict_words']}", styles["verdict"])]
    verdict += [_p(f"• {reason}", styles["body"]) for reason in page.get("reasons", [])]
    box = Table([[verdict]], colWidths=[WIDTH])
    box.setStyle(TableStyle([("BOX", (0, 0), (-1, -1), 2, INK), ("LEFTPADDING", (0, 0), (-1, -1), 8),
                             ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    story.append(box)
    story.append(Spacer(1, 6))
    targets = page.get("targets")
    if targets:
        story.append(_p(_("Targets: adoption %(adoption)s, equity floor %(equity)s in every segment, satisfaction "
                          "%(satisfaction)s; not viable under %(viability)s; %(confidence)s intervals.") % {
            **targets, "confidence": page["confidence"]}, styles["small"]))
    if dash.filters.narrowed:
        story.append(_p(_("The verdict is the whole cycle's; the charts and tables below are filtered."),
                        styles["small"]))
    drawings = {"adoption": adoption_drawing(dash), "change": change_drawing(dash)}
    for chart in chart_list:
        parts: list = [_p(chart.title, styles["h2"])]
        if chart.id in ("channels", "weighting"):
            values = [None if isinstance(r[1], charts.Suppressed) else r[1] for r in chart.table.rows]
            if chart.id == "weighting":
                ev = dash.evaluation
                estimates = [e for e in (ev.adoption_weighted, ev.adoption_pooled) if e is not None and e.estimate is not None]
                t = ev.thresholds
                drawing = dot_whisker_drawing(
                    [r[0] for r in chart.table.rows],
                    [(e.estimate, e.low, e.high, "square", charts.colour(0)) for e in estimates],
                    [(t.viability_floor, _("Viability floor %(value)s") % {"value": percent(t.viability_floor)}, (1, 2)),
                     (t.adoption_target, _("Target %(value)s") % {"value": percent(t.adoption_target)}, (4, 2))],
                )
            else:
                drawing = bars_drawing([r[0] for r in chart.table.rows], values)
        else:
            drawing = drawings.get(chart.id)
        if drawing is not None:
            parts.append(drawing)
            parts.append(Spacer(1, 4))
        parts.append(_table(chart.table, styles))
        if chart.table.note:
            parts.append(_p(chart.table.note, styles["small"]))
        story.append(KeepTogether(parts[:2]) if drawing is not None else parts[0])
        story.extend(parts[2:] if drawing is not None else parts[1:])
    doc.build(story)
    return buffer.getvalue()
