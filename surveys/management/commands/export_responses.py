from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from citylab import audit
from surveys import exports
from surveys.models import Survey


class Command(BaseCommand):
    help = (
        "Write a survey's responses, one row per response: CSV (UTF-8 with a byte-order mark, "
        "to stdout or a file) or XLSX (responses and codebook sheets, to a file)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--format", choices=["csv", "xlsx"], default="csv")
        parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, slug: str, format: str, output: Path | None, **options) -> None:
        survey = Survey.objects.filter(slug=slug).first()
        if survey is None:
            raise CommandError(f"no survey has the slug {slug!r}")
        if format == "xlsx" and output is None:
            raise CommandError("--format xlsx needs --output FILE: a spreadsheet cannot be written to the terminal")
        if output is None:
            for piece in exports.csv_stream(survey):
                self.stdout.write(piece, ending="")
            self._audit(survey, format, "stdout")
            return
        try:
            if format == "xlsx":
                count = exports.write_xlsx(survey, output)
            else:
                with output.open("wb") as file:
                    count = exports.write_csv(survey, file)
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror}") from None
        self._audit(survey, format, str(output))
        self.stdout.write(f"{output}: wrote {count} responses of survey {slug!r}")

    @staticmethod
    def _audit(survey: Survey, format: str, output: str) -> None:
        # Run on the server without an account: the trail names the command and the file.
        audit.record(None, "survey.responses_exported", survey, format=format, by="command", output=output)
