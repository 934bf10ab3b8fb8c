from __future__ import annotations

import json
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from citylab.models import Community
from surveys.models import Survey
from surveys.paper.printing import (
    LANGUAGE_OPTIONS,
    MAX_COPIES,
    PrintRefused,
    batch_layout_json,
    parse_languages,
    print_batch,
    write_batch_pdf,
)


class Command(BaseCommand):
    help = (
        "Print an open survey on paper: a PDF of N copies (each with its own serial, sheet 1 pages "
        f"1..P, then sheet 2, ...), recorded as a print batch. At most {MAX_COPIES} copies at a time."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--copies", type=int, required=True, metavar="N", help=f"1 to {MAX_COPIES}")
        parser.add_argument("--output", type=Path, required=True, metavar="FILE.pdf")
        parser.add_argument("--layout", type=Path, metavar="FILE.json", help="also write the geometry as JSON")
        parser.add_argument("--community", metavar="CODE", help="the community the forms are for")
        parser.add_argument("--languages", default="zh-hans,en", metavar="|".join(LANGUAGE_OPTIONS),
                            help="Chinese above English (the default), or one language")

    @no_translations  # operators script against English messages, whatever the site's language
    def handle(self, *args, slug: str, copies: int, output: Path, layout: Path | None, community: str | None,
               languages: str, **options) -> None:
        survey = Survey.objects.select_related("team").filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey has the slug {slug!r}")
        place = None
        if community:
            place = Community.objects.filter(code=community).first()
            if place is None:
                raise CommandError(f"no community has the code {community!r}")
        started = time.perf_counter()
        try:
            batch = print_batch(survey=survey, copies=copies, languages=parse_languages(languages), community=place)
        except PrintRefused as refused:
            raise CommandError(str(refused)) from None
        try:
            pages = write_batch_pdf(batch, str(output))
            if layout is not None:
                layout.write_text(json.dumps(batch_layout_json(batch), ensure_ascii=False), encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{error.filename or output}: {error.strerror} (print batch #{batch.pk} is "
                               "recorded: download its PDF from the survey's print page)") from None
        self.stdout.write(
            f"{output}: {copies} copies of {slug!r} version {survey.version}, {pages} pages, serials "
            f"{batch.first_serial}–{batch.last_serial} (print batch #{batch.pk}, {time.perf_counter() - started:.1f} s)"
        )
