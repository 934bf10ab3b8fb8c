"""Responses as a table for analysts: one row per response, one column per answer.

Columns: id, channel, submitted, the four segment codes, then each question in order. A
multiple-choice question has one 0/1 column per choice (`problems.glasses`), so a spreadsheet
can count each choice on its own; a number is a number; "prefer not to say" is the value
`prefer_not_to_say`. A question whose key is already a column name (a question keyed
"district" next to the district segment column) gets the suffix "_answer". A question the
respondent did not answer (skipped, or not asked because of an earlier answer) is an empty
cell, never a 0.

The same rows feed the CSV (streamed) and the XLSX file. Responses are read in chunks, with
one query for each chunk's answers, so an export of a million responses never holds the table
in memory. No view code here: the web views and `manage.py export_responses` both call it.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import IO

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell

from surveys.models import SEGMENT_KINDS, TEXT_KINDS, Answer, Channel, Kind, Question, Response, Survey, in_language
from surveys.options import Option, answer_options, both_languages

CHUNK_SIZE = 2000
BOM = "\ufeff"  # Excel and WPS read a CSV without it in the local code page, garbling Chinese.
# A cell starting with one of these is run as a formula by spreadsheets: free text from a
# resident must never become one (CSV injection).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

META_COLUMNS = [
    ("id", _("Response number")),
    ("channel", _("Channel")),
    ("submitted", _("Submitted")),
    ("age_band", _("Age band")),
    ("district", _("District")),
    ("community", _("Community")),
    ("occupation", _("Occupation")),
]
META_KINDS = {"age_band": Kind.AGE_BAND, "district": Kind.DISTRICT, "community": Kind.COMMUNITY, "occupation": Kind.OCCUPATION}


@dataclass(frozen=True)
class Column:
    name: str
    label_zh: str
    label_en: str
    question: Question | None = None
    option: Option | None = None  # set on a multiple-choice question's 0/1 column

    @property
    def label(self) -> str:
        return in_language(self.label_zh, self.label_en)

    def value(self, rows: list[tuple[str, Decimal | None, str]] | None) -> object:
        """This column's cell from one response's answer rows (value, number, text) for the question."""
        if not rows:
            return None
        if self.option is not None:
            return int(any(value == self.option.value for value, _number, _text in rows))
        value, number, text = rows[0]
        if number is not None:
            return int(number) if number == number.to_integral_value() else float(number)
        if self.question.kind in TEXT_KINDS:
            return text
        if self.question.kind == Kind.SCALE and value.isdigit():
            return int(value)
        return value


@dataclass
class Table:
    """What an export needs, read once: the columns and the survey's answer options."""

    survey: Survey
    columns: list[Column]
    options: dict[int, list[Option]]

    @property
    def question_columns(self) -> list[Column]:
        return [column for column in self.columns if column.question is not None]


def table(survey: Survey) -> Table:
    questions = list(survey.questions.prefetch_related("choices"))
    options = answer_options(questions)
    columns = [Column(name, *both_languages(label)) for name, label in META_COLUMNS]
    for question in questions:
        if question.kind == Kind.MULTIPLE:
            columns += [
                Column(
                    f"{question.key}.{option.value}",
                    f"{question.text_zh}：{option.label_zh}",
                    f"{question.text_en or question.text_zh}: {option.label_en or option.label_zh}",
                    question,
                    option,
                )
                for option in options[question.pk]
            ]
        else:
            columns.append(Column(_unique(question.key, columns), question.text_zh, question.text_en, question))
    return Table(survey, columns, options)


def _unique(name: str, columns: list[Column]) -> str:
    """A segment question's key is often the segment's own column name ("district"): its
    column becomes "district_answer", since it can hold what the segment column cannot
    (prefer_not_to_say), and a file with two columns of one name breaks analysis tools."""
    taken = {column.name for column in columns}
    while name in taken:
        name += "_answer"
    return name


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def rows(export: Table, chunk_size: int = CHUNK_SIZE) -> Iterator[list[object]]:
    """One list of cell values per response, oldest first."""
    tz = timezone.get_default_timezone()
    responses = (
        Response.objects.filter(survey=export.survey)
        .order_by("pk")
        .values_list("pk", "channel", "submitted_at", "age_band__code", "district__code", "community__code", "occupation__code")
        .iterator(chunk_size=chunk_size)
    )
    question_columns = export.question_columns
    for chunk in _chunks(responses, chunk_size):
        # Responses come in primary-key order, so a chunk's answers are one index range scan
        # (and no list of 2,000 parameters, which some databases refuse).
        answers: dict[int, dict[int, list]] = defaultdict(lambda: defaultdict(list))
        for response_id, question_id, value, number, text in (
            Answer.objects.filter(
                response__survey_id=export.survey.pk, response_id__gte=chunk[0][0], response_id__lte=chunk[-1][0]
            )
            .values_list("response_id", "question_id", "value", "number", "text")
        ):
            answers[response_id][question_id].append((value, number, text))
        for pk, channel, submitted_at, *segments in chunk:
            given = answers.get(pk, {})
            yield [
                pk,
                channel,
                timezone.localtime(submitted_at, tz).isoformat(timespec="seconds"),
                *segments,
                *(column.value(given.get(column.question.pk)) for column in question_columns),
            ]


def _text_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class _Echo:
    """A file-like object whose write returns the line, so csv.writer can feed a generator."""

    def write(self, line: str) -> str:
        return line


def csv_stream(survey: Survey, chunk_size: int = CHUNK_SIZE) -> Iterator[str]:
    """The CSV as pieces of text: a byte-order mark, the column names, the question texts in
    the current language (a second header row), then the responses.

    The columns and labels are read now, in the caller's language; the responses as the
    pieces are consumed.
    """
    return (text for text, _responses in _csv_pieces(survey, chunk_size))


def write_csv(survey: Survey, target: IO[bytes], chunk_size: int = CHUNK_SIZE) -> int:
    """The CSV into a binary file, encoded as UTF-8; the number of responses written."""
    count = 0
    for text, responses in _csv_pieces(survey, chunk_size):
        target.write(text.encode("utf-8"))
        count += responses
    return count


def _csv_pieces(survey: Survey, chunk_size: int) -> Iterator[tuple[str, int]]:
    """(text, how many responses it holds) for `csv_stream` and `write_csv`; the columns and
    labels read at the call, the responses as the pieces are consumed."""
    export = table(survey)
    writer = csv.writer(_Echo())
    header = writer.writerow([column.name for column in export.columns])
    labels = writer.writerow([column.label for column in export.columns])

    def pieces() -> Iterator[tuple[str, int]]:
        yield BOM + header + labels, 0
        for chunk in _chunks(rows(export, chunk_size), 500):
            yield "".join(writer.writerow(["" if v is None else _text_cell(v) for v in row]) for row in chunk), len(chunk)

    return pieces()


def codebook(export: Table) -> Iterator[tuple[str, str, str, str, str, str, str]]:
    """(column, question zh, question en, kind, value, label zh, label en): what every column
    and every code in it means."""
    segments = {
        column.question.kind: export.options[column.question.pk]
        for column in export.question_columns
        if column.question.kind in SEGMENT_KINDS
    }
    for column in export.columns:
        if column.question is None:
            if column.name == "channel":
                for value, label in Channel.choices:
                    yield (column.name, column.label_zh, column.label_en, "", value, *both_languages(label))
            elif META_KINDS.get(column.name) in segments:
                for option in segments[META_KINDS[column.name]]:
                    yield (column.name, column.label_zh, column.label_en, META_KINDS[column.name], option.value, option.label_zh, option.label_en)
            else:
                yield (column.name, column.label_zh, column.label_en, META_KINDS.get(column.name, ""), "", "", "")
            continue
        question = column.question
        text_en = question.text_en
        if column.option is not None:
            option = column.option
            yield (column.name, question.text_zh, text_en, question.kind, "1", option.label_zh, option.label_en)
        elif export.options[question.pk]:
            for option in export.options[question.pk]:
                yield (column.name, question.text_zh, text_en, question.kind, option.value, option.label_zh, option.label_en)
        else:
            yield (column.name, question.text_zh, text_en, question.kind, "", "", "")


CODEBOOK_HEADER = ("column", "question_zh", "question_en", "kind", "value", "label_zh", "label_en")


def write_xlsx(survey: Survey, target: str | IO[bytes], chunk_size: int = CHUNK_SIZE) -> int:
    """Write the "responses" and "codebook" sheets to a path or a binary file; the number of
    responses written. Write-only mode keeps rows on disk, not in memory."""
    export = table(survey)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("responses")
    sheet.append([column.name for column in export.columns])
    count = 0
    for row in rows(export, chunk_size):
        sheet.append([_xlsx_cell(sheet, value) for value in row])
        count += 1
    book = workbook.create_sheet("codebook")
    book.append(CODEBOOK_HEADER)
    for entry in codebook(export):
        book.append([_xlsx_cell(book, value) for value in entry])
    workbook.save(target)
    return count


def _xlsx_cell(sheet, value: object) -> object:
    if isinstance(value, str) and value.startswith("="):
        # Stored as text, so a resident's "=HYPERLINK(...)" is shown, not run.
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def filename(survey: Survey, extension: str, written: datetime | None = None) -> str:
    """The download's name, dated the day the file was written (today, unless said)."""
    return f"{survey.slug}-responses-{timezone.localdate(written):%Y%m%d}.{extension}"

