from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from surveys.definitions import survey_to_json
from surveys.models import Survey


class Command(BaseCommand):
    help = "Write a survey's definition as JSON (the format import_survey reads) to stdout or a file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, slug: str, output: Path | None, **options) -> None:
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey has the slug {slug!r}")
        text = survey_to_json(survey)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror}") from None
        self.stdout.write(f"{output}: wrote survey {slug!r}")
