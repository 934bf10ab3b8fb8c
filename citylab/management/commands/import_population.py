from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser, no_translations

from citylab.population import PopulationImportError, import_population_csv


class Command(BaseCommand):
    help = "Import population figures from a CSV file with columns district,age_band,population."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)

    @no_translations  # operators script against English messages, whatever the site's language
    def handle(self, *args, file: Path, **options) -> None:
        try:
            data = file.read_bytes()
        except OSError as error:
            raise CommandError(f"{file}: {error.strerror}") from None
        try:
            summary = import_population_csv(data)
        except PopulationImportError as error:
            raise CommandError("\n".join(f"{file}: {p}" for p in error.problems)) from None
        self.stdout.write(
            f"{file}: {summary.total} figures imported ({summary.created} new, {summary.updated} updated)"
        )
