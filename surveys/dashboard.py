"""The survey dashboard's figures: who answered when, on which channel, which segments are
missing against the city's population, and the answers to each choice question.

Scale. A city-wide survey can have a million responses. Every figure comes from two or three
GROUP BY queries ("cubes") whose size depends on days x channels x segments x answers, never
on the number of responses:

- responses per (local day, channel, age band, district);
- answer rows per (question, answer, channel, age band, district), for choice-like questions
  (a multiple-choice answer has one row per ticked choice, so each option is counted on its
  own and a combination is never a category of its own);
- respondents per (question, channel, age band, district) for multiple-choice questions.

The filters (district, age band, channel) are applied to the cubes in Python, so every filter
combination costs the same. A date range narrows the answer cubes in SQL.

A GROUP BY over a million rows still reads a million rows: it costs about 100x what it costs
at 10,000. So each cube is a `surveys.tallies.Tally`: its counts are kept in the cache, and a
request counts only the responses that arrived since (a range of the index on survey and id)
and adds them; edits and deletions count it again in full. See surveys/tallies.py.

Small cells (1 to 4) are hidden from readers at render time, as on the results page: the
cache holds exact counts and is never shown as it is.
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from functools import partial
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import CharField, Count, F, Func, Value
from django.db.models.functions import TruncDate
from django.utils.translation import gettext as _

from citylab.models import AgeBand, District, PopulationFigure
from surveys.models import SEGMENT_KINDS, Answer, Channel, Kind, Question, Response, Survey
from surveys.options import Option, answer_options
from surveys.results import Cell, cell
from surveys.tallies import Span, Tally, counts
from surveys.validation import CHOICE_LIKE

# Shown per day up to this many days, per week beyond.
DAILY_UP_TO = 92
# A segment with fewer responses than this share of what its population share predicts is
# "under-represented": sampling noise alone rarely makes a cell of 20 or more fall this short.
SHORT_RATIO = 0.8
CUBE_VERSION = 2  # raise when a cube's shape changes, so old cached rows are not read


# --- Filters --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filters:
    district: str = ""  # codes; "" is every one
    age_band: str = ""
    channel: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def matches(self, channel: str, band_id: int | None, district_id: int | None, ids: dict[str, dict[str, int]]) -> bool:
        if self.channel and channel != self.channel:
            return False
        if self.age_band and band_id != ids["band"].get(self.age_band):
            return False
        if self.district and district_id != ids["district"].get(self.district):
            return False
        return True

    def days(self) -> tuple[int, int]:
        """The date range as day ordinals, first and last included."""
        return (self.date_from.toordinal() if self.date_from else 0,
                self.date_to.toordinal() if self.date_to else date.max.toordinal())

    @property
    def narrows_segments(self) -> bool:
        return bool(self.district or self.age_band or self.channel)

    @property
    def any(self) -> bool:
        return bool(self.district or self.age_band or self.channel or self.date_from or self.date_to)


# --- The cubes ------------------------------------------------------------------------------


def _local_day():
    """The local calendar day of submission, in SQL. Django's TruncDate on SQLite calls back
    into Python for every row (a million calls); SQLite's own date() with the zone's offset
    does the same in C. The city's zone has no daylight saving time, so one offset holds."""
    if connection.vendor == "sqlite":
        offset = datetime.now(zoneinfo.ZoneInfo(settings.TIME_ZONE)).utcoffset() or timedelta()
        minutes = int(offset.total_seconds() // 60)
        return Func(F("submitted_at"), Value(f"{minutes:+d} minutes"), function="date", output_field=CharField())
    return TruncDate("submitted_at")


def _response_cube() -> Tally:
    """Responses per (local day, channel, age band, district); the day as its ordinal, which the
    cache stores and reads back several times faster than a date."""

    def rows(span: Span) -> list[tuple]:
        found = (
            span.narrow(Response.objects.order_by())
            .annotate(day=_local_day())
            .values_list("part", "day", "channel", "age_band_id", "district_id")
            .annotate(n=Count("*"))
        )
        return [(p, (d if isinstance(d, date) else date.fromisoformat(d)).toordinal(), c, b, di, n)
                for p, d, c, b, di, n in found]

    return Tally(f"survey-dashboard:responses:{CUBE_VERSION}", rows)


def _bounds(filters: Filters) -> dict[str, datetime]:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    lookup = {}
    if filters.date_from:
        lookup["response__submitted_at__gte"] = datetime.combine(filters.date_from, time.min, zone)
    if filters.date_to:
        lookup["response__submitted_at__lt"] = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
    return lookup


def _answer_cube(question_ids: list[int], filters: Filters) -> Tally:
    """Answer rows per (question, value, channel, age band, district), in the date range."""

    def rows(span: Span):
        return (
            span.narrow(Answer.objects.filter(question_id__in=question_ids, **_bounds(filters)).order_by(), "response__")
            .values_list("part", "question_id", "value", "response__channel", "response__age_band_id",
                         "response__district_id")
            .annotate(n=Count("*"))
        )

    return Tally(f"survey-dashboard:answers:{CUBE_VERSION}:{question_ids}:{filters.date_from}:{filters.date_to}", rows)


def _respondent_cube(question_ids: list[int], filters: Filters) -> Tally:
    """Respondents per multiple-choice question: someone who ticked three answers is one. (One
    response is in one part, so the distinct counts of the parts add up.)"""

    def rows(span: Span):
        return (
            span.narrow(Answer.objects.filter(question_id__in=question_ids, **_bounds(filters)).order_by(), "response__")
            .values_list("part", "question_id", "response__channel", "response__age_band_id", "response__district_id")
            .annotate(n=Count("response_id", distinct=True))
        )

    return Tally(f"survey-dashboard:respondents:{CUBE_VERSION}:{question_ids}:{filters.date_from}:{filters.date_to}",
                 rows)


def cubes(questions: list[Question], filters: Filters) -> dict[str, Tally]:
    """The dashboard's tallies for these charted questions and this date range."""
    charted = sorted(q.pk for q in questions)
    multiple = sorted(q.pk for q in questions if q.kind == Kind.MULTIPLE)
    found = {"responses": _response_cube()}
    if charted:
        found["answers"] = _answer_cube(charted, filters)
    if multiple:
        found["respondents"] = _respondent_cube(multiple, filters)
    return found


# --- What the page shows --------------------------------------------------------------------


@dataclass
class Period:
    start: date
    label: str
    n: Cell


@dataclass
class Coverage:
    """One segment against its share of the city's population."""

    band: str
    district: str
    actual: Cell
    expected: float
    population: int

    @property
    def shortfall(self) -> int:
        return max(0, round(self.expected) - self.actual.n)

    @property
    def short(self) -> bool:
        return self.expected >= 1 and self.actual.n < SHORT_RATIO * self.expected

    @property
    def status(self) -> str:
        """In words, so that colour is never the only cue."""
        if self.expected < 1:
            return ""
        if self.actual.hidden:
            return _("Under-represented: fewer than 5 of about %(expected)s expected") % {
                "expected": round(self.expected)}
        if self.short:
            return _("Under-represented: missing about %(missing)s") % {"missing": self.shortfall}
        return _("On target")

    @property
    def ratio(self) -> float | None:
        """Responses per expected response (1 = as the population), None when hidden."""
        if self.actual.hidden or self.expected <= 0:
            return None
        return self.actual.n / self.expected


@dataclass
class QuestionChart:
    number: int
    question: Question
    answered: Cell
    options: list[tuple[Option, Cell]] = field(default_factory=list)

    @property
    def is_multiple(self) -> bool:
        return self.question.kind == Kind.MULTIPLE


@dataclass
class Dashboard:
    exact: bool
    filters: Filters
    total: Cell
    weekly: bool
    periods: list[Period]
    channels: list[tuple[str, str, Cell]]  # (value, label, count)
    coverage: list[Coverage]
    questions: list[QuestionChart]
    no_segment: Cell  # responses without an age band or a district: not in the coverage table
    any_hidden: bool = False

    @property
    def missing(self) -> list[Coverage]:
        """The segments furthest below their share, largest gap first."""
        return sorted((c for c in self.coverage if c.short), key=lambda c: -c.shortfall)


def charted(question: Question) -> bool:
    """Every choice-like question except the segment ones, which the coverage table shows."""
    return question.kind in CHOICE_LIKE and question.kind not in SEGMENT_KINDS


def _period_start(day: date, weekly: bool) -> date:
    return day - timedelta(days=day.weekday()) if weekly else day


@dataclass
class Tallies:
    """The cubes summed over the filters."""

    per_day: dict[date, int]
    per_channel: dict[str, int]
    per_segment: dict[tuple[int | None, int | None], int]
    counts: dict[int, dict[str, int]]  # question -> answer -> answer rows
    respondents: dict[int, int]  # multiple-choice question -> respondents


def _tallies(survey_id: int, questions: list[Question], filters: Filters, ids: dict[str, dict[str, int]]) -> Tallies:
    """The cubes from the cache, brought up to date (surveys.tallies), summed over the filters in
    Python: every filter combination costs the same."""
    wanted = cubes(questions, filters)
    found = counts(survey_id, wanted.values())
    responses, answers, respondents_cube = (
        found[wanted[part].name] if part in wanted else {} for part in ("responses", "answers", "respondents"))

    # A million responses make a cube of some ten thousand keys: the loops stay plain.
    match = partial(filters.matches, ids=ids) if filters.narrows_segments else None
    first, last = filters.days()
    per_day: dict[int, int] = defaultdict(int)
    per_channel: dict[str, int] = defaultdict(int)
    per_segment: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for (day, channel, band, district), (n,) in responses.items():
        if first <= day <= last and (match is None or match(channel, band, district)):
            per_day[day] += n
            per_channel[channel] += n
            per_segment[band, district] += n
    counted: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (question_id, value, channel, band, district), (n,) in answers.items():
        if match is None or match(channel, band, district):
            counted[question_id][value] += n
    respondents: dict[int, int] = defaultdict(int)
    for (question_id, channel, band, district), (n,) in respondents_cube.items():
        if match is None or match(channel, band, district):
            respondents[question_id] += n
    return Tallies({date.fromordinal(d): n for d, n in per_day.items()}, dict(per_channel), dict(per_segment),
                   {q: dict(values) for q, values in counted.items()}, dict(respondents))


def survey_dashboard(survey: Survey, filters: Filters, *, exact: bool, bands: list[AgeBand] | None = None,
                     districts: list[District] | None = None) -> Dashboard:
    """Every figure of the dashboard in a fixed number of queries: survey questions and their
    choices (2), age bands, districts and population (3), and the cubes (surveys.tallies: one
    cache read, one query for the new responses, one per cube when there are any, and a cache
    write when the cached counts moved)."""
    every = list(survey.questions.prefetch_related("choices"))
    numbers = {q.pk: n for n, q in enumerate(every, start=1)}  # as on the results page
    questions = [q for q in every if charted(q)]
    bands = list(AgeBand.objects.all()) if bands is None else bands
    districts = list(District.objects.all()) if districts is None else districts
    ids = {"band": {b.code: b.pk for b in bands}, "district": {d.code: d.pk for d in districts}}
    population = {
        (b, d): p for b, d, p in PopulationFigure.objects.values_list("age_band_id", "district_id", "population")
    }

    tallies = _tallies(survey.pk, questions, filters, ids)
    per_day, per_channel, per_segment = tallies.per_day, tallies.per_channel, tallies.per_segment
    total = sum(per_channel.values())

    days = sorted(per_day)
    weekly = bool(days) and (days[-1] - days[0]).days >= DAILY_UP_TO
    per_period: dict[date, int] = defaultdict(int)
    for day, n in per_day.items():
        per_period[_period_start(day, weekly)] += n
    periods = []
    if per_period:
        step = timedelta(days=7 if weekly else 1)
        start, end = min(per_period), max(per_period)
        while start <= end:  # days without responses are shown as 0, not skipped
            label = (_("Week of %(day)s") % {"day": start.isoformat()}) if weekly else start.isoformat()
            periods.append(Period(start, label, cell(per_period.get(start, 0), total, exact=exact)))
            start += step

    channels = [(value, str(label), cell(per_channel.get(value, 0), total, exact=exact))
                for value, label in Channel.choices]

    # Coverage: expected = responses with both segments x the segment's share of the population
    # of the districts and bands in view.
    shown_bands = [b for b in bands if not filters.age_band or b.code == filters.age_band]
    shown_districts = [d for d in districts if not filters.district or d.code == filters.district]
    cells = [(b, d, population.get((b.pk, d.pk), 0)) for b in shown_bands for d in shown_districts]
    people = sum(p for _b, _d, p in cells)
    placed = sum(per_segment.get((b.pk, d.pk), 0) for b, d, _p in cells)
    coverage = [
        Coverage(b.label, d.name, cell(per_segment.get((b.pk, d.pk), 0), total, exact=exact),
                 placed * p / people if people else 0.0, p)
        for b, d, p in cells
        if p or per_segment.get((b.pk, d.pk))
    ]
    no_segment = cell(total - placed, total, exact=exact)

    counts, respondents = tallies.counts, tallies.respondents
    options = answer_options(questions)
    charts = []
    for question in questions:
        by_value = counts.get(question.pk, {})
        # One answer row per response, except multiple choice (one per ticked choice).
        answered = respondents.get(question.pk, 0) if question.kind == Kind.MULTIPLE else sum(by_value.values())
        charts.append(QuestionChart(
            numbers[question.pk], question, cell(answered, total, exact=exact),
            [(option, cell(by_value.get(option.value, 0), answered, exact=exact)) for option in options[question.pk]],
        ))

    dashboard = Dashboard(exact, filters, cell(total, total, exact=exact), weekly, periods, channels, coverage,
                          charts, no_segment)
    dashboard.any_hidden = not exact and any(
        c.hidden for c in (
            *(p.n for p in periods), *(c for _v, _l, c in channels), *(c.actual for c in coverage), no_segment,
            *(q.answered for q in charts), *(c for q in charts for _o, c in q.options),
        )
    )
    return dashboard
