"""What residents answered, summarised for the results page.

Every figure is a SQL aggregate (COUNT, AVG, MIN, MAX, and a window function for medians and
the latest text answers): a city-wide survey can have a hundred thousand responses, and the
page must cost the same fifteen or so queries whether it has ten or a million.

Small cells: a count from 1 to 4 can point at one person in a community, so it is shown as
"<5" to anyone who only reads results (viewers). Planners and clerks of the owning team, who
work with the answers themselves, see exact numbers.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Max, Min, Window
from django.db.models.functions import RowNumber
from django.utils.translation import gettext_lazy as _

from surveys.models import (
    TEXT_KINDS,
    Answer,
    Channel,
    Kind,
    Question,
    Response,
    Survey,
)
from surveys.messages import plain_number
from surveys.options import Option, Segments, answer_options
from surveys.validation import CHOICE_LIKE

SMALL_CELL = 5
LATEST_TEXTS = 5


# --- Counts, suppressed where small ----------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """A count of respondents, with the count it is a share of."""

    n: int
    of: int = 0
    hidden: bool = False  # from 1 to 4, and shown to someone who only reads results

    def __str__(self) -> str:
        return f"<{SMALL_CELL}" if self.hidden else str(self.n)

    @property
    def percent(self) -> float | None:
        if self.hidden or not self.of:
            return None
        return 100 * self.n / self.of


def cell(n: int, of: int = 0, *, exact: bool) -> Cell:
    return Cell(n, of, hidden=not exact and 0 < n < SMALL_CELL)


def _number_text(value: object, places: int | None = None) -> str:
    """A figure as people write it: 4.0 → "4", a mean rounded to one decimal place."""
    if value is None:
        return ""
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    if places is not None:
        number = number.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return plain_number(number)


@dataclass
class NumberSummary:
    n: Cell
    mean: Decimal | float | None = None
    median: Decimal | float | None = None
    low: Decimal | None = None
    high: Decimal | None = None

    @property
    def figures(self) -> list[tuple[str, str]]:
        """(label, figure) rows; empty when the count is hidden or nobody answered."""
        if self.n.hidden or not self.n.n:
            return []
        return [
            (str(_("Mean")), _number_text(self.mean, 1)),
            (str(_("Median")), _number_text(self.median, 1)),
            (str(_("Lowest")), _number_text(self.low)),
            (str(_("Highest")), _number_text(self.high)),
        ]


@dataclass
class QuestionSummary:
    number: int
    question: Question
    answered: Cell
    options: list[tuple[Option, Cell]] = field(default_factory=list)
    numbers: NumberSummary | None = None
    latest: list[str] | None = None  # None: this reader may not see text answers

    @property
    def is_choice(self) -> bool:
        return self.question.kind in CHOICE_LIKE

    @property
    def is_multiple(self) -> bool:
        return self.question.kind == Kind.MULTIPLE


@dataclass
class SegmentTable:
    """Responses per age band (rows) and district (columns), with totals."""

    columns: list[str]
    rows: list[tuple[str, list[Cell], Cell]]
    column_totals: list[Cell]
    total: Cell


@dataclass
class Results:
    exact: bool
    total: Cell
    channels: list[tuple[str, Cell]]
    segments: SegmentTable | None
    occupations: list[tuple[str, Cell]] | None
    questions: list[QuestionSummary]
    any_hidden: bool = False


def _responses(survey: Survey):
    # order_by(): the model's default ordering has no place in a GROUP BY.
    return Response.objects.filter(survey=survey).order_by()


def _answers(survey: Survey):
    return Answer.objects.filter(question__survey_id=survey.pk).order_by()


def _segment_table(survey: Survey, segments: Segments, exact: bool) -> SegmentTable:
    counts: dict[tuple[str | None, str | None], int] = {
        (band, district): n
        for band, district, n in _responses(survey)
        .values_list("age_band__code", "district__code")
        .annotate(n=Count("id"))
    }
    not_given = str(_("Not given"))
    row_keys: list[tuple[str | None, str]] = [(o.value, o.label) for o in segments[Kind.AGE_BAND]]
    col_keys: list[tuple[str | None, str]] = [(o.value, o.label) for o in segments[Kind.DISTRICT]]
    # "Not given" appears only when someone skipped (or preferred not to say): most surveys ask both.
    if any(band is None for band, _district in counts):
        row_keys.append((None, not_given))
    if any(district is None for _band, district in counts):
        col_keys.append((None, not_given))
    total = sum(counts.values())
    rows = []
    for band, band_label in row_keys:
        values = [counts.get((band, district), 0) for district, _label in col_keys]
        rows.append((band_label, [cell(v, total, exact=exact) for v in values], cell(sum(values), total, exact=exact)))
    column_totals = [
        cell(sum(counts.get((band, district), 0) for band, _label in row_keys), total, exact=exact)
        for district, _label in col_keys
    ]
    return SegmentTable([label for _code, label in col_keys], rows, column_totals, cell(total, total, exact=exact))


def _occupations(survey: Survey, segments: Segments, exact: bool, total: int) -> list[tuple[str, Cell]]:
    counts = dict(_responses(survey).values_list("occupation__code").annotate(n=Count("id")))
    rows = [(o.label, cell(counts.get(o.value, 0), total, exact=exact)) for o in segments[Kind.OCCUPATION]]
    if counts.get(None):
        rows.append((str(_("Not given")), cell(counts[None], total, exact=exact)))
    return rows


def _medians(survey: Survey) -> dict[int, Decimal]:
    """The median of every number question in one query: rank the answers within each
    question and keep the middle one (odd count) or two (even count)."""
    middle = (
        _answers(survey)
        .filter(question__kind=Kind.NUMBER, number__isnull=False)
        .annotate(
            rank=Window(RowNumber(), partition_by=F("question_id"), order_by=[F("number").asc(), F("id").asc()]),
            size=Window(Count("id"), partition_by=F("question_id")),
        )
        .annotate(twice=F("rank") * 2)
        .filter(twice__gte=F("size"), twice__lte=F("size") + 2)
        .values_list("question_id", "number")
    )
    found: dict[int, list[Decimal]] = defaultdict(list)
    for question_id, number in middle:
        found[question_id].append(number)
    return {question_id: sum(values) / len(values) for question_id, values in found.items()}


def _latest_texts(survey: Survey) -> dict[int, list[str]]:
    """The newest few text answers of every text question, in one query."""
    latest = (
        _answers(survey)
        .filter(question__kind__in=TEXT_KINDS)
        .exclude(text="")
        .annotate(
            recent=Window(
                RowNumber(), partition_by=F("question_id"),
                order_by=[F("response__submitted_at").desc(), F("response_id").desc()],
            )
        )
        .filter(recent__lte=LATEST_TEXTS)
        .values_list("question_id", "text", "recent")
    )
    texts: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for question_id, text, recent in latest:
        texts[question_id].append((recent, text))
    return {question_id: [text for _rank, text in sorted(rows)] for question_id, rows in texts.items()}


def survey_results(survey: Survey, *, exact: bool, show_texts: bool) -> Results:
    """Every summary of the results page, in a fixed number of queries.

    `exact`: show counts under 5 as they are (planners and clerks); otherwise they are hidden.
    `show_texts`: include the latest text answers (they are residents' own words).
    """
    questions = list(survey.questions.prefetch_related("choices"))
    kinds = {q.kind for q in questions}
    segments = Segments()
    options = answer_options(questions, segments)

    by_channel = dict(_responses(survey).values_list("channel").annotate(n=Count("id")))
    total = sum(by_channel.values())
    channels = [(label, cell(by_channel.get(value, 0), total, exact=exact)) for value, label in Channel.choices]

    answered = dict(
        _answers(survey).values_list("question_id").annotate(n=Count("response_id", distinct=True))
    )
    # Respondents per answer: a multiple-choice answer has one row per ticked choice, so each
    # option is counted on its own and a combination is never a category of its own.
    chosen: dict[int, dict[str, int]] = defaultdict(dict)
    for question_id, value, n in (
        _answers(survey)
        .filter(question__kind__in=CHOICE_LIKE)
        .values_list("question_id", "value")
        .annotate(n=Count("response_id", distinct=True))
    ):
        chosen[question_id][value] = n
    numbers = {
        row["question_id"]: row
        for row in _answers(survey)
        .filter(question__kind=Kind.NUMBER, number__isnull=False)
        .values("question_id")
        .annotate(n=Count("id"), mean=Avg("number"), low=Min("number"), high=Max("number"))
    }
    medians = _medians(survey) if Kind.NUMBER in kinds else {}
    texts = _latest_texts(survey) if show_texts and kinds & TEXT_KINDS else {}

    summaries = []
    for number, question in enumerate(questions, start=1):
        n_answered = answered.get(question.pk, 0)
        summary = QuestionSummary(number, question, cell(n_answered, total, exact=exact))
        if question.kind in CHOICE_LIKE:
            counts = chosen.get(question.pk, {})
            summary.options = [
                (option, cell(counts.get(option.value, 0), n_answered, exact=exact)) for option in options[question.pk]
            ]
        elif question.kind == Kind.NUMBER:
            row = numbers.get(question.pk)
            n = cell(row["n"] if row else 0, exact=exact)
            summary.numbers = NumberSummary(n)
            # A mean of three answers, or a minimum, can be one resident's own answer.
            if row and not n.hidden:
                summary.numbers = NumberSummary(n, row["mean"], medians.get(question.pk), row["low"], row["high"])
        elif question.kind in TEXT_KINDS and show_texts:
            summary.latest = texts.get(question.pk, [])
        summaries.append(summary)

    table = _segment_table(survey, segments, exact) if kinds & {Kind.AGE_BAND, Kind.DISTRICT} else None
    occupations = _occupations(survey, segments, exact, total) if Kind.OCCUPATION in kinds else None
    results = Results(exact, cell(total, total, exact=exact), channels, table, occupations, summaries)
    results.any_hidden = not exact and _has_hidden(results)
    return results


def _has_hidden(results: Results) -> bool:
    cells: list[Cell] = [results.total, *(c for _label, c in results.channels)]
    if results.segments:
        cells += [c for _label, row, row_total in results.segments.rows for c in (*row, row_total)]
        cells += results.segments.column_totals
    if results.occupations:
        cells += [c for _label, c in results.occupations]
    for summary in results.questions:
        cells.append(summary.answered)
        cells += [c for _option, c in summary.options]
        if summary.numbers:
            cells.append(summary.numbers.n)
    return any(c.hidden for c in cells)
