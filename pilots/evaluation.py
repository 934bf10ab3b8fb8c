"""A cycle's verdict from the database: segment counts in SQL, the rules in `pilots/verdict.py`.

Counts come from the operator's imported figures (SegmentCount rows), from the cycle's
evaluation survey, or both: imported counts measure use directly, so they give adoption when
present, and the survey then gives satisfaction when the import has no ratings. Each source
is one aggregate query, whatever the number of responses: a city pilot can have hundreds of
thousands of answers, and none of them is loaded into Python. The survey's counts are a
`surveys.tallies.Tally`, kept in the cache and brought up to date with only the responses that
arrived since, the same one the pilot dashboard reads: at a million responses a full count
takes seconds, and the pilot page shows this verdict on every visit.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q

from citylab.models import AgeBand, District, PopulationFigure
from pilots.models import Cycle
from pilots.verdict import evaluate
from pilots.verdict_types import Counts, Evaluation, Population
from surveys import tallies
from surveys.models import PREFER_NOT_TO_SAY, Answer, Kind

# Rows are (district code, age band code, eligible, adopters, satisfied, rated); a response
# without a district or an age band is its own segment, labelled "".
Row = tuple[str, str, int, int, int | None, int | None]
TALLY_VERSION = 1  # raise when the segment tally's shape changes, so old cache entries are not read


@dataclass(frozen=True)
class Sources:
    """Where a cycle's figures came from, for the page to say so."""

    adoption: str  # "counts", "survey" or ""
    satisfaction: str


def imported_rows(cycle: Cycle) -> list[Row]:
    return [
        (d or "", a or "", eligible, adopters, satisfied, rated)
        for d, a, eligible, adopters, satisfied, rated in cycle.segment_counts.order_by(
            "district__code", "age_band__min_age"
        ).values_list("district__code", "age_band__code", "eligible", "adopters", "satisfied", "rated")
    ]


def _mapping(cycle: Cycle) -> str:
    """What a cycle's segment rows depend on besides the answers: a new mapping is a new tally."""
    kinds = [q.kind if q is not None else "" for q in (cycle.adoption_question, cycle.satisfaction_question)]
    return json.dumps([TALLY_VERSION, cycle.adoption_question_id, cycle.satisfaction_question_id,
                       sorted(cycle.adopted_values), sorted(cycle.satisfied_values), kinds])


def segment_tally(cycle: Cycle) -> tallies.Tally | None:
    """Per channel and segment: respondents who answered the adoption question (eligible), those
    whose answer counts as adopted, and the same for satisfaction. One GROUP BY over the
    answers, kept and brought up to date by surveys.tallies; the pilot page's verdict and the
    pilot dashboard (which filters by channel) read the same counts."""
    if cycle.survey_id is None or (cycle.adoption_question_id is None and cycle.satisfaction_question_id is None):
        return None
    adoption = Q(question_id=cycle.adoption_question_id) & ~Q(value=PREFER_NOT_TO_SAY)
    satisfaction = Q(question_id=cycle.satisfaction_question_id) & ~Q(value=PREFER_NOT_TO_SAY)
    questions = [q for q in (cycle.adoption_question_id, cycle.satisfaction_question_id) if q]
    # A multiple-choice question has one answer row per ticked choice, so its respondents are
    # counted distinct (one response is in one part of a tally and one channel, so the parts'
    # distinct counts add up); every other kind has one row per response, and a plain count is
    # several times faster on a large survey.
    multiple = any(q is not None and q.kind == Kind.MULTIPLE for q in (cycle.adoption_question, cycle.satisfaction_question))
    adopted, satisfied = list(cycle.adopted_values), list(cycle.satisfied_values)

    def rows(span: tallies.Span):
        return (
            span.narrow(Answer.objects.filter(question_id__in=questions), "response__")
            .values_list("part", "response__channel", "response__district__code", "response__age_band__code")
            .annotate(
                eligible=Count("response_id", filter=adoption, distinct=multiple),
                adopters=Count("response_id", filter=adoption & Q(value__in=adopted), distinct=multiple),
                satisfied=Count("response_id", filter=satisfaction & Q(value__in=satisfied), distinct=multiple),
                rated=Count("response_id", filter=satisfaction, distinct=multiple),
            )
            .order_by()
        )

    return tallies.Tally(f"pilot-segments:{_mapping(cycle)}", rows, width=4)


def survey_rows(cycle: Cycle) -> list[Row]:
    """The segment tally's rows with the channels added together."""
    tally = segment_tally(cycle)
    if tally is None:
        return []
    summed: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for (_channel, district, age_band), numbers in tallies.counts(cycle.survey_id, [tally])[tally.name].items():
        row = summed[(district or "", age_band or "")]
        for index, number in enumerate(numbers):
            row[index] += number
    return sorted((d, a, *numbers) for (d, a), numbers in summed.items())


def cycle_counts(cycle: Cycle) -> tuple[Counts, tuple[int, int] | None, Sources]:
    """The cycle's segment counts, the overall (satisfied, rated) and where each came from."""
    return combine(cycle, imported_rows(cycle), survey_rows(cycle))


def combine(cycle: Cycle, imported: list[Row], surveyed: list[Row]) -> tuple[Counts, tuple[int, int] | None, Sources]:
    """The rule for two sources, on rows already read (the portfolio reads many cycles' at once):
    imported counts give adoption when present, the survey otherwise; ratings come from the
    import when any row has them, else from the survey's satisfaction question."""
    # A row without ratings is a segment where nobody rated, as in the count files.
    imported_has_ratings = any(r[5] is not None for r in imported)
    if imported:
        adoption_rows, adoption_source = imported, "counts"
    else:
        adoption_rows = [r for r in surveyed if r[2] > 0]
        adoption_source = "survey" if adoption_rows else ""
    counts = Counts.of([(d, a, e, x) for d, a, e, x, _s, _r in adoption_rows])
    if imported_has_ratings:
        ratings = (sum(r[4] or 0 for r in imported), sum(r[5] or 0 for r in imported))
        satisfaction_source = "counts"
    elif surveyed and cycle.satisfaction_question_id:
        ratings = (sum(r[4] for r in surveyed), sum(r[5] for r in surveyed))
        satisfaction_source = "survey" if ratings[1] else ""
    else:
        ratings, satisfaction_source = None, ""
    return counts, ratings, Sources(adoption_source, satisfaction_source)


def population_for(counts: Counts) -> Population | None:
    """City population figures for the districts the counts cover: a pilot runs in a few
    communities, so weighting it to the whole city would weight in places it never reached."""
    districts = {d for d in counts.district if d}
    if not districts:
        return None
    rows = list(
        PopulationFigure.objects.filter(district__code__in=districts).values_list(
            "district__code", "age_band__code", "population"
        )
    )
    return Population.of(rows) if rows else None


@dataclass
class CycleEvaluation:
    cycle: Cycle
    evaluation: Evaluation | None  # None when the cycle has no figures yet
    sources: Sources
    previous: Cycle | None


def evaluate_cycle(cycle: Cycle, previous: Cycle | None = None) -> CycleEvaluation:
    """The verdict for `cycle`, with changes since `previous` (the cycle before, when given)."""
    counts, ratings, sources = cycle_counts(cycle)
    if not len(counts):
        return CycleEvaluation(cycle, None, sources, previous)
    before = cycle_counts(previous)[0] if previous is not None else None
    evaluation = evaluate(
        counts,
        cycle.pilot.thresholds(),
        previous=before if before is not None and len(before) else None,
        population=population_for(counts),
        satisfaction=ratings,
    )
    return CycleEvaluation(cycle, evaluation, sources, previous)


def segment_labels() -> dict[str, str]:
    """Code -> name in the current language, for districts and age bands (two small tables)."""
    labels = {d.code: d.name for d in District.objects.only("code", "name_zh", "name_en")}
    labels.update({b.code: b.name for b in AgeBand.objects.all()})
    return labels
