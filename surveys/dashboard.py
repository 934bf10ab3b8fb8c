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
at 10,000. So the cubes are cached, keyed by the survey and by its latest response id (one
index-only MAX query): a new response changes the key, and the next reader recomputes. A
response changed or deleted through the ORM, or an answer saved on its own (an edit), bumps a
per-survey generation (signals below); a bulk write that sends no signal calls `_bump` itself.
Small cells (1 to 4) are hidden from readers at render time, as on the results page: the
cache holds exact counts and is never shown as it is.
"""

from __future__ import annotations

import hashlib
import zoneinfo
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import CharField, Count, F, Func, Max, Value
from django.db.models.functions import TruncDate
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils.translation import gettext as _

from citylab.models import AgeBand, District, PopulationFigure
from surveys.models import SEGMENT_KINDS, Answer, Channel, Kind, Question, Response, Survey
from surveys.options import Option, answer_options
from surveys.results import Cell, cell
from surveys.validation import CHOICE_LIKE

CACHE_SECONDS = 7 * 24 * 3600
# Shown per day up to this many days, per week beyond.
DAILY_UP_TO = 92
# A segment with fewer responses than this share of what its population share predicts is
# "under-represented": sampling noise alone rarely makes a cell of 20 or more fall this short.
SHORT_RATIO = 0.8
CUBE_VERSION = 1  # raise when a cube's shape changes, so old cached rows are not read


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

    def in_dates(self, day: date) -> bool:
        return (self.date_from is None or day >= self.date_from) and (self.date_to is None or day <= self.date_to)

    @property
    def any(self) -> bool:
        return bool(self.district or self.age_band or self.channel or self.date_from or self.date_to)


# --- Cache key: the survey's latest response ------------------------------------------------


def _generation_key(survey_id: int) -> str:
    return f"survey-dashboard:generation:{survey_id}"


@receiver(post_save, sender=Response, dispatch_uid="dashboard-response-saved")
def _response_saved(sender, instance: Response, created: bool, **kwargs) -> None:
    # A new response raises MAX(id) by itself; an edited one does not, so it moves the generation.
    if not created:
        _bump(instance.survey_id)


@receiver(post_delete, sender=Response, dispatch_uid="dashboard-response-deleted")
def _response_deleted(sender, instance: Response, **kwargs) -> None:
    _bump(instance.survey_id)


@receiver(post_save, sender=Answer, dispatch_uid="dashboard-answer-saved")
def _answer_saved(sender, instance: Answer, **kwargs) -> None:
    # Answers are written in bulk (no signal) with their response; one saved on its own is an
    # edit of a response that may be old, which MAX(id) would not notice. (No post_delete
    # receiver: it would make every cascade load the answers; they go with their response.)
    survey_id = Response.objects.filter(pk=instance.response_id).values_list("survey_id", flat=True).first()
    if survey_id is not None:
        _bump(survey_id)


def _bump(survey_id: int) -> None:
    try:
        cache.incr(_generation_key(survey_id))
    except ValueError:
        cache.set(_generation_key(survey_id), 1, None)


def answers_version(survey_id: int) -> str:
    """A string that changes whenever the survey's responses change: its latest response id
    (an index-only MAX: the survey's index ends in the row id) and the generation moved by edits
    and deletions. Two queries with the database cache, whatever the number of responses."""
    latest = Response.objects.filter(survey_id=survey_id).order_by().aggregate(m=Max("id"))["m"] or 0
    generation = cache.get(_generation_key(survey_id), 0)
    return f"{CUBE_VERSION}:{latest}:{generation}"


def cached(key: str, compute):
    """`compute()` once per key; the key must carry `answers_version`."""
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, CACHE_SECONDS)
    return value


def cached_for_survey(survey_id: int, computes: Mapping[str, Callable[[], object]]) -> dict[str, object]:
    """name -> `compute()`, once per state of the survey's responses, for aggregates other
    modules own (a pilot cycle's segment counts): three cache queries instead of a scan of every
    answer, and one write of those that had to be computed. A name says what is computed and
    from which settings (question ids, values that count)."""
    version = answers_version(survey_id)
    keys = {name: f"survey-aggregate:{survey_id}:{version}:{hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()}"
            for name in computes}
    found = cache.get_many(list(keys.values()))
    missing = {keys[name]: compute() for name, compute in computes.items() if keys[name] not in found}
    if missing:
        cache.set_many(missing, CACHE_SECONDS)
    return {name: found[key] if key in found else missing[key] for name, key in keys.items()}


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


def _response_cube(survey_id: int) -> list[tuple[date, str, int | None, int | None, int]]:
    rows = (
        Response.objects.filter(survey_id=survey_id)
        .order_by()
        .annotate(day=_local_day())
        .values_list("day", "channel", "age_band_id", "district_id")
        .annotate(n=Count("*"))
    )
    return [(d if isinstance(d, date) else date.fromisoformat(d), c, b, di, n) for d, c, b, di, n in rows]


def _bounds(filters: Filters) -> dict[str, datetime]:
    zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    lookup = {}
    if filters.date_from:
        lookup["response__submitted_at__gte"] = datetime.combine(filters.date_from, time.min, zone)
    if filters.date_to:
        lookup["response__submitted_at__lt"] = datetime.combine(filters.date_to + timedelta(days=1), time.min, zone)
    return lookup


def _answer_cube(question_ids: list[int], filters: Filters) -> list[tuple[int, str, str, int | None, int | None, int]]:
    if not question_ids:
        return []
    return list(
        Answer.objects.filter(question_id__in=question_ids, **_bounds(filters))
        .order_by()
        .values_list("question_id", "value", "response__channel", "response__age_band_id", "response__district_id")
        .annotate(n=Count("*"))
    )


def _respondent_cube(question_ids: list[int], filters: Filters) -> list[tuple[int, str, int | None, int | None, int]]:
    """Respondents per multiple-choice question: someone who ticked three answers is one."""
    if not question_ids:
        return []
    return list(
        Answer.objects.filter(question_id__in=question_ids, **_bounds(filters))
        .order_by()
        .values_list("question_id", "response__channel", "response__age_band_id", "response__district_id")
        .annotate(n=Count("response_id", distinct=True))
    )


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
    """The cubes summed over the filters: small, and cached per filter set."""

    per_day: dict[date, int]
    per_channel: dict[str, int]
    per_segment: dict[tuple[int | None, int | None], int]
    counts: dict[int, dict[str, int]]  # question -> answer -> answer rows
    respondents: dict[int, int]  # multiple-choice question -> respondents


def _tallies(survey_id: int, questions: list[Question], filters: Filters, ids: dict[str, dict[str, int]]) -> Tallies:
    """One cache read when this filter set was seen since the last response; otherwise one
    more for the cubes (or, when the survey has new responses, the cubes' own queries)."""
    base = f"survey-dashboard:{survey_id}:{answers_version(survey_id)}"
    dated = f"{base}:{filters.date_from}:{filters.date_to}"
    view_key = f"{dated}:{filters.district}:{filters.age_band}:{filters.channel}:tallies"
    tallies = cache.get(view_key)
    if tallies is not None:
        return tallies

    keys = {"responses": f"{base}:responses", "answers": f"{dated}:answers", "respondents": f"{dated}:respondents"}
    found = cache.get_many(list(keys.values()))
    computed = {}
    if keys["responses"] not in found:
        computed[keys["responses"]] = _response_cube(survey_id)
    if keys["answers"] not in found:
        computed[keys["answers"]] = _answer_cube([q.pk for q in questions], filters)
    if keys["respondents"] not in found:
        computed[keys["respondents"]] = _respondent_cube([q.pk for q in questions if q.kind == Kind.MULTIPLE], filters)
    cubes = {name: found.get(key, computed.get(key)) for name, key in keys.items()}

    per_day: dict[date, int] = defaultdict(int)
    per_channel: dict[str, int] = defaultdict(int)
    per_segment: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for day, channel, band, district, n in cubes["responses"]:
        if filters.in_dates(day) and filters.matches(channel, band, district, ids):
            per_day[day] += n
            per_channel[channel] += n
            per_segment[band, district] += n
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for question_id, value, channel, band, district, n in cubes["answers"]:
        if filters.matches(channel, band, district, ids):
            counts[question_id][value] += n
    respondents: dict[int, int] = defaultdict(int)
    for question_id, channel, band, district, n in cubes["respondents"]:
        if filters.matches(channel, band, district, ids):
            respondents[question_id] += n
    tallies = Tallies(dict(per_day), dict(per_channel), dict(per_segment),
                      {q: dict(values) for q, values in counts.items()}, dict(respondents))
    computed[view_key] = tallies
    cache.set_many(computed, CACHE_SECONDS)
    return tallies


def survey_dashboard(survey: Survey, filters: Filters, *, exact: bool, bands: list[AgeBand] | None = None,
                     districts: list[District] | None = None) -> Dashboard:
    """Every figure of the dashboard in a fixed number of queries: survey questions and their
    choices (2), age bands, districts and population (3), the cache key (2), the cached cubes
    (1 to 2 with the database cache; the cubes' own queries when the key is new)."""
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
