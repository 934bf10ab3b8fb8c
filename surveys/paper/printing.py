"""Printing a survey on paper: allocate serials, record the print batch with its sheets and the
geometry they carry, and write the PDF.

The command and the print page both go through `print_batch`, so the same checks and the same
sentences reach the clerk and the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import BinaryIO

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import HttpRequest
from django.utils.translation import gettext as _

from citylab import audit
from citylab.models import Community
from surveys.models import Status, Survey
from surveys.paper.layout import Layout, LayoutError, layout_survey
from surveys.paper.models import PrintBatch, Sheet
from surveys.paper.render import render_pdf
from surveys.paper.spec import survey_spec

# One batch is at most this many copies: 5,000 four-page forms are 20,000 pages, about a minute
# of rendering and a 50 MB file; a city prints in several batches, one a community or a day.
MAX_COPIES = 5000
# The first serial ever printed: six digits from the start, easy to read out over the phone.
FIRST_SERIAL = 100001
LANGUAGE_OPTIONS: dict[str, tuple[str, ...]] = {
    "zh-hans,en": ("zh-hans", "en"),
    "zh-hans": ("zh-hans",),
    "en": ("en",),
}
SERIAL_ATTEMPTS = 5


class PrintRefused(Exception):
    """The batch cannot be printed; the message says why and what to do."""


def printable_problem(survey: Survey) -> str:
    """Why this survey cannot be printed now, or "" when it can."""
    if survey.status == Status.DRAFT:
        return _("“%(slug)s” is a draft: its questions may still change, so printed answers could lose "
                 "their meaning. Open the survey first, then print it.") % {"slug": survey.slug}
    if survey.status == Status.CLOSED:
        return _("“%(slug)s” is closed and takes no more answers. Open it again to print forms.") % {
            "slug": survey.slug}
    if not survey.questions.exists():
        return _("“%(slug)s” has no questions to print.") % {"slug": survey.slug}
    return ""


def copies_problem(copies: int) -> str:
    if not 1 <= copies <= MAX_COPIES:
        return _("Print from 1 to %(max)s copies at a time (asked for %(copies)s); for more, print "
                 "several batches.") % {"max": f"{MAX_COPIES:,}", "copies": copies}
    return ""


def parse_languages(value: str) -> tuple[str, ...]:
    try:
        return LANGUAGE_OPTIONS[value.strip().lower()]
    except KeyError:
        raise PrintRefused(
            _("Unknown languages “%(value)s”: use one of %(options)s.")
            % {"value": value, "options": ", ".join(LANGUAGE_OPTIONS)}
        ) from None


def survey_layout(survey: Survey, languages: Sequence[str]) -> Layout:
    try:
        return layout_survey(survey_spec(survey), languages=languages)
    except LayoutError as error:
        raise PrintRefused(str(error)) from None


def print_batch(*, survey: Survey, copies: int, languages: Sequence[str] = ("zh-hans", "en"),
                community: Community | None = None, user=None, request: HttpRequest | None = None) -> PrintBatch:
    """Record a print batch: `copies` sheets with serials new across the city, and the layout
    they are printed with (so a scan is read with the geometry of its own version).

    Serials are taken as "one more than the highest so far" inside the transaction; the unique
    serial column decides between two clerks printing at the same moment, and the loser simply
    takes the next range. No serial is ever given twice, and a batch's serials are contiguous.
    """
    problem = printable_problem(survey) or copies_problem(copies)
    if problem:
        raise PrintRefused(problem)
    layout = survey_layout(survey, languages)
    for _attempt in range(SERIAL_ATTEMPTS):
        try:
            with transaction.atomic():
                highest = Sheet.objects.aggregate(highest=Max("serial"))["highest"]
                first = FIRST_SERIAL if highest is None else highest + 1
                batch = PrintBatch.objects.create(
                    survey=survey, survey_version=survey.version, copies=copies, first_serial=first,
                    last_serial=first + copies - 1, community=community, languages=",".join(languages),
                    layout=layout.as_json(with_sheets=False), created_by=user if user and user.is_authenticated else None,
                )
                Sheet.objects.bulk_create([Sheet(batch=batch, serial=s) for s in range(first, first + copies)])
                audit.record(
                    request, "paper.print", batch, team=survey.team, user=user, survey=survey.slug,
                    version=survey.version, copies=copies, first_serial=first, last_serial=first + copies - 1,
                    community=community.code if community else "", languages=",".join(languages),
                )
            return batch
        except IntegrityError:
            continue  # another batch took these serials first: take the next ones
    raise PrintRefused(_("Could not reserve serial numbers: other print batches were being made at the same "
                         "time. Try again."))


def batch_serials(batch: PrintBatch) -> range:
    return range(batch.first_serial, batch.last_serial + 1)


# Copies per downloadable part of a large batch. A 5,000-copy batch of a 7-page form is 35,000
# pages: drawing it took 50 s and 650 MB (reportlab keeps every page until it saves), next to a
# web worker's 60 s limit, and a browser's PDF viewer struggles with 55 MB. A part of 500 copies
# takes about 5 s, and is a stack a clerk can put through a printer and check.
PART_COPIES = 500


def batch_parts(batch: PrintBatch) -> list[range]:
    """The batch's serials in parts of at most PART_COPIES, in print order."""
    serials = batch_serials(batch)
    return [serials[start:start + PART_COPIES] for start in range(0, len(serials), PART_COPIES)]


def write_batch_pdf(batch: PrintBatch, output: str | BinaryIO, part: int | None = None) -> int:
    """The batch's PDF (or its `part`, counted from 1), drawn again from its stored layout and
    serials; returns the page count."""
    serials = batch_serials(batch) if part is None else batch_parts(batch)[part - 1]
    return render_pdf(batch.layout, output, serials=serials)


def batch_layout_json(batch: PrintBatch) -> dict:
    """The layout as `--layout` writes it: with the sheets in print order."""
    return {**batch.layout, "sheets": list(batch_serials(batch))}
