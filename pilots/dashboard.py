"""The figures behind a pilot's dashboard and its printed report, filtered and counted in SQL.

A dashboard shows one cycle (the latest unless ?cycle= says otherwise) next to the cycle
before it, for the segments and channel the filters keep. Every source is one GROUP BY,
whatever the number of responses:

* the operator's counts (SegmentCount) of both cycles together;
* each cycle's evaluation survey, grouped by segment *and channel*, so that the channel filter
  and the unfiltered verdict come from the same rows (`pilots.evaluation.segment_tally`, which
  the pilot page reads too);
* the shown cycle's responses per channel and segment, and its satisfaction answers per scale
  point and segment; population figures.

The survey's aggregates read every answer, so at a million responses each costs about 100x
what it costs at 10,000. Each is a `surveys.tallies.Tally`: its counts are kept in the cache,
named by what is counted (the cycle's mapping: questions and the values that count), a request
counts only the responses that arrived since and adds them, and an edited or deleted response
has it counted again in full (see surveys/tallies.py). One count serves every filter: the
filters are applied here to the per-segment rows.

District and age-band filters then keep some of those segment rows (a pilot has tens of
segments, not thousands), and `pilots.verdict.evaluate` turns them into intervals, states
and Holm-adjusted changes: the same engine, and so the same numbers, as the pilot page.

Channels: "imported" is imported data: the operator's counts, and survey responses loaded from
a file (Response.channel "imported"); web, paper and assisted are survey answers. With no
channel, or "imported", the rules are `pilots.evaluation.cycle_counts`'s: the operator's counts
give adoption when there are any, the survey otherwise, and satisfaction comes from whichever
has ratings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field

from django import forms
from django.db.models import Count
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, District, PopulationFigure, Role
from pilots.evaluation import segment_tally
from pilots.feedback_summary import CycleFeedbackSummary, cycle_feedback_summary
from pilots.models import Cycle, Pilot
from pilots.verdict import evaluate
from pilots.verdict_types import Change, Counts, Evaluation, Population
from surveys import tallies
from surveys.models import Answer, Channel, Response

SMALL_CELL = 5  # as surveys/results.py: fewer respondents than this could point at a person
SURVEY_CHANNELS = (Channel.WEB, Channel.PAPER, Channel.ASSISTED)
ALL_CHANNELS = (*SURVEY_CHANNELS, Channel.IMPORTED)

# (district code, age band code, eligible, adopters, satisfied, rated)
Row = tuple[str, str, int, int, int, int]
# (district code, age band code, channel, responses) and (..., channel, answer value, answers)
ResponseRow = tuple[str, str, str, int]
ValueRow = tuple[str, str, str, str, int]
CUBE_VERSION = 1  # raise when a cached aggregate's shape changes, so old entries are not read


# --- Filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    district: str = ""   # a district code, "" for all
    age_band: str = ""   # an age band code, "" for all
    cycle: int | None = None  # a cycle number, None for the latest
    channel: str = ""    # web, paper, assisted, imported; "" for all
    weighted: bool = True

    @property
    def narrowed(self) -> bool:
        """True when the figures are not the whole cycle's (the verdict is still shown whole)."""
        return bool(self.district or self.age_band or self.channel)


class FilterForm(forms.Form):
    """The dashboard's filters: a GET form, so the URL holds them and a view can be shared."""

    district = forms.ChoiceField(label=_("District"), required=False)
    age_band = forms.ChoiceField(label=_("Age band"), required=False)
    cycle = forms.TypedChoiceField(label=_("Cycle"), required=False, coerce=int, empty_value=None)
    channel = forms.ChoiceField(label=_("Channel"), required=False)
    weighting = forms.ChoiceField(
        label=_("Overall adoption"), required=False,
        choices=[("weighted", _("Weighted to the population")), ("unweighted", _("Unweighted (pooled respondents)"))],
    )

    def __init__(self, data: Mapping, *, districts: list[District], bands: list[AgeBand], cycles: list[Cycle]):
        super().__init__(data)
        everything = [("", _("All"))]
        self.fields["district"].choices = everything + [(d.code, d.name) for d in districts]
        self.fields["age_band"].choices = everything + [(b.code, b.label) for b in bands]
        self.fields["cycle"].choices = [("", _("Latest"))] + [
            (str(c.number), _("Cycle %(number)s") % {"number": c.number}) for c in reversed(cycles)
        ]
        self.fields["channel"].choices = everything + [(c.value, c.label) for c in ALL_CHANNELS]

    def filters(self) -> Filters:
        """The valid filters; an unknown value (an old link, a typo) falls back to "all"."""
        self.is_valid()
        data = {name: self.cleaned_data.get(name) for name in self.fields if name not in self.errors}
        return Filters(
            district=data.get("district") or "",
            age_band=data.get("age_band") or "",
            cycle=data.get("cycle"),
            channel=data.get("channel") or "",
            weighted=data.get("weighting") != "unweighted",
        )


# --- Counting -------------------------------------------------------------------------------


@dataclass
class CycleRows:
    """One cycle's segment rows from each source, before any filter."""

    imported: list[Row] = field(default_factory=list)
    has_imported_ratings: bool = False
    # channel -> segment rows of the survey answers given through it
    surveyed: dict[str, list[Row]] = field(default_factory=dict)
    rates_satisfaction: bool = False  # the cycle names a satisfaction question

    def pick(self, filters: Filters) -> tuple[list[Row], tuple[int, int] | None, str, str]:
        """Rows for adoption, (satisfied, rated), and where each came from, after the filters."""
        keep = _keeper(filters)
        imported = [r for r in self.imported if keep(r)] if filters.channel in ("", Channel.IMPORTED) else []
        if filters.channel:
            survey = [r for r in self.surveyed.get(filters.channel, []) if keep(r)]
        else:
            survey = [r for r in _sum_channels(self.surveyed.values()) if keep(r)]
        if filters.channel in ("", Channel.IMPORTED) and self.imported:
            adoption, source = imported, "counts"
        else:
            adoption, source = [r for r in survey if r[2] > 0], "survey"
        if imported and self.has_imported_ratings:
            ratings: tuple[int, int] | None = (sum(r[4] for r in imported), sum(r[5] for r in imported))
            rating_source = "counts"
        elif survey and self.rates_satisfaction:
            ratings = (sum(r[4] for r in survey), sum(r[5] for r in survey))
            rating_source = "survey" if ratings[1] else ""
        else:
            ratings, rating_source = None, ""
        return adoption, ratings, source if adoption else "", rating_source


def _keeper(filters: Filters):
    def keep(row: Row) -> bool:
        return (not filters.district or row[0] == filters.district) and (
            not filters.age_band or row[1] == filters.age_band
        )

    return keep


def _sum_channels(groups) -> list[Row]:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for rows in groups:
        for d, a, *numbers in rows:
            for i, n in enumerate(numbers):
                totals[d, a][i] += n
    return [(d, a, *numbers) for (d, a), numbers in sorted(totals.items())]


def imported_rows(cycles: list[Cycle]) -> dict[int, tuple[list[Row], bool]]:
    """The operator's counts of several cycles in one query: cycle id -> (rows, has ratings)."""
    from pilots.models import SegmentCount

    found: dict[int, tuple[list[Row], bool]] = {c.pk: ([], False) for c in cycles}
    query = SegmentCount.objects.filter(cycle__in=[c.pk for c in cycles]).values_list(
        "cycle_id", "district__code", "age_band__code", "eligible", "adopters", "satisfied", "rated"
    )
    for cycle_id, d, a, eligible, adopters, satisfied, rated in query:
        rows, ratings = found[cycle_id]
        # A row without ratings is a segment where nobody rated (the rule of evaluation.combine):
        # 0 here, once, so that every later sum may take the rows as they are.
        rows.append((d, a, eligible, adopters, satisfied or 0, rated or 0))
        found[cycle_id] = (rows, ratings or rated is not None)
    return found


def _by_channel(counted: tallies.Counts) -> dict[str, list[Row]]:
    out: dict[str, list[Row]] = defaultdict(list)
    for (channel, d, a), numbers in counted.items():
        out[channel].append((d or "", a or "", *numbers))
    return {channel: sorted(found) for channel, found in out.items()}


def _response_tally() -> tallies.Tally:
    """Responses to the survey per segment and channel: one GROUP BY."""

    def rows(span: tallies.Span):
        return (
            span.narrow(Response.objects.all())
            .values_list("part", "district__code", "age_band__code", "channel")
            .annotate(n=Count("pk"))
            .order_by()
        )

    return tallies.Tally(f"pilot-responses:{CUBE_VERSION}", rows)


def _answer_tally(question_id: int) -> tallies.Tally:
    """Answers to one question per segment, channel and value: one GROUP BY."""

    def rows(span: tallies.Span):
        return (
            span.narrow(Answer.objects.filter(question_id=question_id), "response__")
            .values_list("part", "response__district__code", "response__age_band__code", "response__channel", "value")
            .annotate(n=Count("pk"))
            .order_by()
        )

    return tallies.Tally(f"pilot-answers:{CUBE_VERSION}:{question_id}", rows)


def _rows(counted: tallies.Counts) -> list:
    """(district, age band, *key, count) rows in order; a response without a segment has ""."""
    return sorted((d or "", a or "", *key, n) for (d, a, *key), (n,) in counted.items())


@dataclass(frozen=True)
class SurveyCounts:
    """A cycle's evaluation survey counted per segment: channel -> segment rows for adoption and
    satisfaction; for the shown cycle also its responses and satisfaction answers."""

    surveyed: dict[str, list[Row]] = field(default_factory=dict)
    responses: list[ResponseRow] = field(default_factory=list)
    satisfaction: list[ValueRow] = field(default_factory=list)


def survey_tallies(cycle: Cycle, shown: Cycle) -> dict[str, tallies.Tally]:
    """What the dashboard counts in a cycle's survey: part of SurveyCounts -> tally."""
    wanted: dict[str, tallies.Tally] = {}
    segments = segment_tally(cycle)
    if segments is not None:
        wanted["surveyed"] = segments
    if cycle.survey_id is not None and cycle.pk == shown.pk:
        wanted["responses"] = _response_tally()
        if cycle.satisfaction_question_id is not None:
            wanted["satisfaction"] = _answer_tally(cycle.satisfaction_question_id)
    return wanted


def survey_counts(cycles: list[Cycle], shown: Cycle) -> dict[int, SurveyCounts]:
    """Cycle id -> its survey's counts: per survey, the cached counts brought up to date with
    the responses that arrived since (surveys.tallies), whatever the number of responses."""
    wanted = {cycle.pk: survey_tallies(cycle, shown) for cycle in cycles if cycle.survey_id is not None}
    per_survey: dict[int, dict[str, tallies.Tally]] = defaultdict(dict)
    for cycle in cycles:
        # Two cycles of one survey with one mapping share a tally, so it is counted once.
        per_survey[cycle.survey_id].update({t.name: t for t in wanted.get(cycle.pk, {}).values()})
    found = {survey_id: tallies.counts(survey_id, wanted_here.values())
             for survey_id, wanted_here in per_survey.items() if wanted_here}
    finish = {"surveyed": _by_channel, "responses": _rows, "satisfaction": _rows}
    return {
        cycle.pk: SurveyCounts(**{part: finish[part](found[cycle.survey_id][t.name]) for part, t in mine.items()})
        for cycle in cycles if (mine := wanted.get(cycle.pk)) is not None
    }


def population(rows: list[Row], filters: Filters) -> Population | None:
    """Population figures of the districts (and the age band) the rows cover: one query."""
    districts = {r[0] for r in rows if r[0]}
    if not districts:
        return None
    query = PopulationFigure.objects.filter(district__code__in=districts)
    if filters.age_band:
        query = query.filter(age_band__code=filters.age_band)
    figures = list(query.values_list("district__code", "age_band__code", "population"))
    return Population.of(figures) if figures else None


def segment_order(bands: list[AgeBand], districts: list[District]):
    """Sort key for (district, age band) rows: age bands youngest first, then district code;
    a segment without an age band or district goes after the others."""
    band_rank = {b.code: i for i, b in enumerate(bands)}
    district_rank = {d.code: i for i, d in enumerate(districts)}

    def key(row) -> tuple:
        d, a = row[0], row[1]
        return (band_rank.get(a, len(band_rank)), district_rank.get(d, len(district_rank)), d, a)

    return key


# --- The dashboard's data -------------------------------------------------------------------


@dataclass
class Dashboard:
    pilot: Pilot
    cycles: list[Cycle]               # oldest first
    cycle: Cycle | None               # the one shown
    previous: Cycle | None
    filters: Filters
    exact: bool                       # False for viewers: counts under 5 are suppressed
    districts: list[District]
    bands: list[AgeBand]
    labels: dict[str, str]
    evaluation: Evaluation | None     # of the filtered rows
    whole: Evaluation | None          # of the whole cycle: the verdict banner
    rows: list[Row]                   # the filtered adoption rows, in segment order
    adoption_source: str = ""
    whole_sources: list[str] = field(default_factory=lambda: ["", ""])  # adoption, satisfaction
    previous_rows: list[Row] = field(default_factory=list)
    channel_counts: dict[str, int] = field(default_factory=dict)
    satisfaction_counts: dict[str, int] = field(default_factory=dict)  # scale point / choice -> answers
    feedback: CycleFeedbackSummary | None = None

    def label(self, code: str) -> str:
        return self.labels.get(code, code)

    def hidden(self, n: int) -> bool:
        """A count from 1 to 4 that this reader may not see."""
        return not self.exact and 0 < n < SMALL_CELL

    def changes(self) -> list[tuple[Change, bool]]:
        """The evaluation's changes since the previous cycle in segment order, each with whether
        this reader may see it: not when either cycle's count of that segment is hidden."""
        if self.evaluation is None:
            return []
        order = {(r[0], r[1]): i for i, r in enumerate(self.rows)}
        now = {(r[0], r[1]): r[2] for r in self.rows}
        before = {(r[0], r[1]): r[2] for r in self.previous_rows}
        return [
            (c, not (self.hidden(now.get((c.district, c.age_band), 0))
                     or self.hidden(before.get((c.district, c.age_band), 0))))
            for c in sorted(self.evaluation.changes, key=lambda c: order.get((c.district, c.age_band), len(order)))
        ]


def _evaluate(pilot: Pilot, rows: list[Row], ratings, before: list[Row], people: Population | None):
    if not rows:
        return None
    return evaluate(
        Counts.of([r[:4] for r in rows]),
        pilot.thresholds(),
        previous=Counts.of([r[:4] for r in before]) if before else None,
        population=people,
        satisfaction=ratings,
    )


def build(pilot: Pilot, filters: Filters, *, districts: list[District], bands: list[AgeBand],
          cycles: list[Cycle]) -> Dashboard:
    """Everything the dashboard shows, in a fixed number of queries (see the module docstring)."""
    exact = Role(pilot.member_role) != Role.VIEWER
    labels = {d.code: d.name for d in districts} | {b.code: b.label for b in bands}
    cycle = cycles[-1] if cycles else None
    if filters.cycle is not None:
        cycle = next((c for c in cycles if c.number == filters.cycle), cycle)
    dash = Dashboard(pilot=pilot, cycles=cycles, cycle=cycle, previous=None, filters=filters, exact=exact,
                     districts=districts, bands=bands, labels=labels, evaluation=None, whole=None, rows=[])
    if cycle is None:
        return dash
    index = cycles.index(cycle)
    previous = cycles[index - 1] if index > 0 else None
    dash.previous = previous
    shown = [c for c in (cycle, previous) if c is not None]
    imported = imported_rows(shown)
    counted = survey_counts(shown, cycle)
    survey = counted.get(cycle.pk, SurveyCounts())
    sources = {
        c.pk: CycleRows(imported=imported[c.pk][0], has_imported_ratings=imported[c.pk][1],
                        surveyed=counted[c.pk].surveyed if c.pk in counted else {},
                        rates_satisfaction=c.satisfaction_question_id is not None)
        for c in shown
    }
    order = segment_order(bands, districts)
    rows, ratings, source, _rating_source = sources[cycle.pk].pick(filters)
    rows.sort(key=order)
    whole_rows, whole_ratings, *dash.whole_sources = sources[cycle.pk].pick(Filters(cycle=filters.cycle))
    before = sources[previous.pk].pick(filters)[0] if previous else []
    whole_before = sources[previous.pk].pick(Filters())[0] if previous else []
    people = population(whole_rows, Filters())
    dash.rows, dash.previous_rows, dash.adoption_source = rows, sorted(before, key=order), source
    dash.evaluation = _evaluate(pilot, rows, ratings, before, _narrow(people, filters))
    dash.whole = (
        dash.evaluation if not filters.narrowed
        else _evaluate(pilot, sorted(whole_rows, key=order), whole_ratings, whole_before, people)
    )
    dash.channel_counts = channel_counts(survey.responses, sources[cycle.pk].imported, filters)
    dash.satisfaction_counts = satisfaction_counts(survey.satisfaction, filters)
    dash.feedback = cycle_feedback_summary(cycle, district=filters.district, age_band=filters.age_band)
    return dash


def _narrow(people: Population | None, filters: Filters) -> Population | None:
    """The population figures of the filtered district and age band (the weights' cells)."""
    if people is None or not (filters.district or filters.age_band):
        return people
    keep = [
        i for i, (d, a) in enumerate(zip(people.district, people.age_band))
        if (not filters.district or d in ("", filters.district)) and (not filters.age_band or a in ("", filters.age_band))
    ]
    if not keep:
        return None
    return Population(
        district=tuple(people.district[i] for i in keep),
        age_band=tuple(people.age_band[i] for i in keep),
        population=people.population[keep],
    )


def channel_counts(responses: list[ResponseRow], imported: list[Row], filters: Filters) -> dict[str, int]:
    """Responses to the cycle's survey per channel, and the operator's eligible residents as
    "imported", in the filtered segments."""
    keep = _keeper(filters)
    counts = {c.value: 0 for c in ALL_CHANNELS}
    for row in responses:
        if keep(row):
            counts[row[2]] = counts.get(row[2], 0) + row[3]
    if filters.channel in ("", Channel.IMPORTED):
        counts[Channel.IMPORTED] += sum(r[2] for r in imported if keep(r))
    if filters.channel:
        counts = {c: (n if c == filters.channel else 0) for c, n in counts.items()}
    return counts


def satisfaction_counts(answers: list[ValueRow], filters: Filters) -> dict[str, int]:
    """Answers to the satisfaction question per value, in the filtered segments and channel."""
    keep = _keeper(filters)
    counts: dict[str, int] = defaultdict(int)
    for row in answers:
        if keep(row) and (not filters.channel or row[2] == filters.channel):
            counts[row[3]] += row[4]
    return dict(counts)
