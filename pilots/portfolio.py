"""The portfolio: every pilot of the user's teams with its current verdict, and every open
survey with its responses by channel, in a fixed number of queries.

The pilot list (`pilots.views.pilots.pilot_list`) evaluates each pilot on its own, a few
queries per pilot. Here the figures of all current cycles come together: one query for all
their operator counts, one for all their survey answers (grouped by survey, question, segment
and answer value), one for the population figures. A multiple-choice adoption question needs
its respondents counted distinct, which a per-value grouping cannot do, so such a cycle falls
back to `pilots.evaluation.survey_rows` (one query more each; no demo pilot has one).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Prefetch

from citylab.models import PopulationFigure, Role
from pilots.evaluation import combine, survey_rows
from pilots.models import Cycle, Pilot, SegmentCount
from pilots.verdict import evaluate
from pilots.verdict_types import Evaluation, Population
from surveys.models import PREFER_NOT_TO_SAY, Answer, Channel, Kind, Response, Status, Survey

SMALL_CELL = 5


@dataclass
class PilotRow:
    pilot: Pilot
    cycle: Cycle | None
    evaluation: Evaluation | None

    @property
    def verdict(self) -> str | None:
        return str(self.evaluation.verdict) if self.evaluation is not None else None


@dataclass
class SurveyRow:
    survey: Survey
    by_channel: list[tuple[str, object]] = field(default_factory=list)  # (channel label, count or "<5")
    total: object = 0


def _multiple(cycle: Cycle) -> bool:
    return any(q is not None and q.kind == Kind.MULTIPLE for q in (cycle.adoption_question, cycle.satisfaction_question))


def current_cycles(pilots: list[Pilot]) -> dict[int, Cycle]:
    found = {}
    for pilot in pilots:
        if pilot.newest_first:
            cycle = pilot.newest_first[0]
            cycle.pilot = pilot
            found[pilot.pk] = cycle
    return found


def cycle_rows(cycles: list[Cycle]) -> dict[int, tuple[list, list]]:
    """cycle id -> (imported rows, survey rows), in two queries."""
    imported: dict[int, list] = defaultdict(list)
    # In the order imported_rows reads them, so that the segments line up with the pilot page.
    for cycle_id, d, a, e, x, s, r in (
        SegmentCount.objects.filter(cycle__in=[c.pk for c in cycles])
        .order_by("cycle_id", "district__code", "age_band__min_age")
        .values_list("cycle_id", "district__code", "age_band__code", "eligible", "adopters", "satisfied", "rated")
    ):
        imported[cycle_id].append((d, a, e, x, s, r))
    surveyed: dict[int, list] = {}
    simple = [c for c in cycles if c.survey_id and (c.adoption_question_id or c.satisfaction_question_id)]
    for cycle in [c for c in simple if _multiple(c)]:
        surveyed[cycle.pk] = survey_rows(cycle)
    simple = [c for c in simple if not _multiple(c)]
    questions = {q for c in simple for q in (c.adoption_question_id, c.satisfaction_question_id) if q}
    answers: dict[int, list] = defaultdict(list)  # question -> (district, band, value, n)
    if questions:
        for question, d, a, value, n in (
            Answer.objects.filter(question_id__in=questions)
            .values_list("question_id", "response__district__code", "response__age_band__code", "value")
            .annotate(n=Count("pk"))
            .order_by()
        ):
            answers[question].append((d or "", a or "", value, n))
    for cycle in simple:
        cells: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for d, a, value, n in answers.get(cycle.adoption_question_id, []):
            if value != PREFER_NOT_TO_SAY:
                cells[d, a][0] += n
                cells[d, a][1] += n if value in cycle.adopted_values else 0
        for d, a, value, n in answers.get(cycle.satisfaction_question_id, []):
            if value != PREFER_NOT_TO_SAY:
                cells[d, a][2] += n if value in cycle.satisfied_values else 0
                cells[d, a][3] += n
        surveyed[cycle.pk] = sorted((d, a, *numbers) for (d, a), numbers in cells.items())
    return {c.pk: (imported.get(c.pk, []), surveyed.get(c.pk, [])) for c in cycles}


def pilot_rows(user) -> list[PilotRow]:
    pilots = list(
        Pilot.objects.for_member(user)
        .select_related("team")
        .prefetch_related(Prefetch(
            "cycles",
            queryset=Cycle.objects.select_related("adoption_question", "satisfaction_question").order_by("-number"),
            to_attr="newest_first",
        ))
    )
    current = current_cycles(pilots)
    rows_of = cycle_rows(list(current.values()))
    counts_of = {pk: combine(c, *rows_of[c.pk])[:2] for pk, c in current.items()}
    districts = {d for counts, _r in counts_of.values() for d in counts.district if d}
    figures = (
        list(PopulationFigure.objects.filter(district__code__in=districts).values_list(
            "district__code", "age_band__code", "population"))
        if districts else []
    )
    out = []
    for pilot in pilots:
        cycle = current.get(pilot.pk)
        evaluation = None
        if cycle is not None:
            counts, ratings = counts_of[pilot.pk]
            if len(counts):
                own = set(counts.district)
                mine = [f for f in figures if f[0] in own]
                evaluation = evaluate(counts, pilot.thresholds(), population=Population.of(mine) if mine else None,
                                      satisfaction=ratings)
        out.append(PilotRow(pilot, cycle, evaluation))
    return out


def survey_rows_by_channel(user) -> list[SurveyRow]:
    """Open surveys of the user's teams with responses per channel: one aggregate query for all.
    Viewers see counts from 1 to 4 as "<5", as on the results page."""
    surveys = list(Survey.objects.for_member(user).filter(status=Status.OPEN).select_related("team").order_by("-opens_at", "-pk"))
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    if surveys:
        for survey_id, channel, n in (
            Response.objects.filter(survey__in=[s.pk for s in surveys]).values_list("survey_id", "channel")
            .annotate(n=Count("pk")).order_by()
        ):
            counts[survey_id][channel] = n
    out = []
    for survey in surveys:
        exact = Role(survey.member_role) != Role.VIEWER
        shown = lambda n: f"<{SMALL_CELL}" if not exact and 0 < n < SMALL_CELL else n  # noqa: E731
        by_channel = [(str(c.label), shown(counts[survey.pk].get(c.value, 0))) for c in Channel]
        out.append(SurveyRow(survey, by_channel, shown(sum(counts[survey.pk].values()))))
    return out
