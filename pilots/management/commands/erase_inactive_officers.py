from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from pilots.retention import erase_inactive_officers, inactive_since


class Command(BaseCommand):
    help = (
        "Erase the name and contact details of experience officers inactive for longer than "
        "CITYLAB_OFFICER_RETENTION_DAYS (as if they had withdrawn: their segment and feedback stay, "
        "anonymised). Meant to run daily; --dry-run only counts."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, metavar="N",
                            help=f"inactivity period in days (default: {settings.CITYLAB_OFFICER_RETENTION_DAYS}, "
                                 "from CITYLAB_OFFICER_RETENTION_DAYS)")
        parser.add_argument("--dry-run", action="store_true", help="count who would be erased, change nothing")

    def handle(self, *args, days: int | None, dry_run: bool, **options) -> None:
        translation.activate("en")  # operators script against this output
        days = settings.CITYLAB_OFFICER_RETENTION_DAYS if days is None else days
        if days < 1:
            raise CommandError(f"--days: must be at least 1, got {days}")
        cutoff = inactive_since(days)
        erased = erase_inactive_officers(days=days, dry_run=dry_run)
        verb = "would erase" if dry_run else "erased"
        for team, count in sorted(erased.items()):
            self.stdout.write(f"{team}: {verb} {count} officer(s) inactive since {cutoff:%Y-%m-%d}")
        self.stdout.write(f"{verb} {sum(erased.values())} officer(s) in all (inactive for more than {days} days)")
