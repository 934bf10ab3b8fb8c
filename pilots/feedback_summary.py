"""Feedback of one cycle by segment, for the pilot page and the dashboard (which may narrow it
to the officers of one district or age band): problems by severity per age band and per
district, and how many officers managed the task, per age band.

Two GROUP BY queries (and one each for the band and district names), whatever the number of
officers: the page shows it beside the verdict, which is counted the same way. The pilot page is
the owning team's, so counts are shown as they are (small cells are suppressed only in public).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from citylab.models import AgeBand, District
from pilots.models import Cycle, Feedback, Managed, Problem, Severity


# Table headings: the severities' full labels ("Blocker: I could not go on") are for officers.
SEVERITY_HEADINGS = {Severity.BLOCKER: gettext_lazy("Blockers"), Severity.MAJOR: gettext_lazy("Major"),
                     Severity.MINOR: gettext_lazy("Minor")}


@dataclass(frozen=True)
class Row:
    label: str
    cells: list[tuple[str, int]]  # (column heading, problems), in severity order
    total: int


@dataclass(frozen=True)
class ManagedRow:
    label: str
    cells: list[tuple[str, int, int]]  # (column heading, whole percent, reports), in Managed's order
    total: int


@dataclass(frozen=True)
class CycleFeedbackSummary:
    cycle: Cycle
    reports: int
    severities: list[str]  # column headings for the problem tables
    by_band: list[Row] = field(default_factory=list)
    by_district: list[Row] = field(default_factory=list)
    managed_labels: list[str] = field(default_factory=list)
    managed_by_band: list[ManagedRow] = field(default_factory=list)

    @property
    def has_problems(self) -> bool:
        return any(row.total for row in self.by_band)

    @property
    def tables(self) -> list[tuple[str, list[Row], str]]:
        """(caption, rows, first column's heading) of the two problem tables."""
        number = self.cycle.number
        return [
            (_("Problems reported in cycle %(number)s, by severity and the officer's age band") % {"number": number},
             self.by_band, _("Age band")),
            (_("Problems reported in cycle %(number)s, by severity and the officer's district") % {"number": number},
             self.by_district, _("District")),
        ]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def cycle_feedback_summary(cycle: Cycle, *, district: str = "", age_band: str = "") -> CycleFeedbackSummary:
    """The cycle's feedback; with a district or age band code, only officers of that segment
    (the dashboard's filters)."""
    severities = [s.value for s in Severity]
    segment = {}
    if district:
        segment["district__code"] = district
    if age_band:
        segment["age_band__code"] = age_band
    problems = (
        Problem.objects.filter(feedback__cycle=cycle, **{f"feedback__{k}": v for k, v in segment.items()})
        .values_list("severity", "feedback__age_band_id", "feedback__district_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    by_band: Counter[tuple[int, str]] = Counter()
    by_district: Counter[tuple[int, str]] = Counter()
    for severity, band, district, n in problems:
        by_band[band, severity] += n
        by_district[district, severity] += n
    managed = (
        Feedback.objects.filter(cycle=cycle, **segment).values_list("age_band_id", "managed").annotate(n=Count("pk")).order_by()
    )
    managed_counts: Counter[tuple[int, str]] = Counter()
    for band, how, n in managed:
        managed_counts[band, how] += n
    band_ids = {band for band, _ in by_band} | {band for band, _ in managed_counts}
    bands = list(AgeBand.objects.filter(pk__in=band_ids).order_by("min_age")) if band_ids else []
    district_ids = {district for district, _ in by_district}
    districts = list(District.objects.filter(pk__in=district_ids).order_by("code")) if district_ids else []

    headings = [str(SEVERITY_HEADINGS[Severity(s)]) for s in severities]

    def rows(items: list, counts: Counter) -> list[Row]:
        out = []
        for item in items:
            values = [counts[item.pk, s] for s in severities]
            if any(values):
                label = item.code if isinstance(item, AgeBand) else str(item)
                out.append(Row(label=label, cells=list(zip(headings, values)), total=sum(values)))
        return out

    kinds = [m.value for m in Managed]
    managed_labels = [str(Managed(m).label) for m in kinds]
    managed_rows = []
    for band in bands:
        counts = [managed_counts[band.pk, m] for m in kinds]
        total = sum(counts)
        if total:
            cells = [(label, _percent(c, total), c) for label, c in zip(managed_labels, counts)]
            managed_rows.append(ManagedRow(label=band.code, cells=cells, total=total))
    return CycleFeedbackSummary(
        cycle=cycle,
        reports=sum(row.total for row in managed_rows),
        severities=headings,
        by_band=rows(bands, by_band),
        by_district=rows(districts, by_district),
        managed_labels=managed_labels,
        managed_by_band=managed_rows,
    )
