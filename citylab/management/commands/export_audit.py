from __future__ import annotations

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from citylab import audit
from citylab.models import AuditEvent


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"expected a date like 2026-01-31, got {text!r}") from None


class Command(BaseCommand):
    help = (
        "Write the audit trail as CSV (at, actor_email, team, action, target, address, detail) to "
        "stdout or a file, oldest first; --since and --until (inclusive) take dates in the site's time zone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", metavar="YYYY-MM-DD")
        parser.add_argument("--until", metavar="YYYY-MM-DD")
        parser.add_argument("--action", help="only this action, e.g. pilot.decision")
        parser.add_argument("--output", type=Path, metavar="FILE", help="write to FILE instead of stdout")

    def handle(self, *args, since: str | None, until: str | None, action: str | None, output: Path | None,
               **options) -> None:
        events = AuditEvent.objects.all()
        zone = timezone.get_current_timezone()
        if since:
            events = events.filter(at__gte=datetime.datetime.combine(_date(since), datetime.time.min, zone))
        if until:
            day_after = _date(until) + datetime.timedelta(days=1)
            events = events.filter(at__lt=datetime.datetime.combine(day_after, datetime.time.min, zone))
        if action:
            events = events.filter(action=action)
        lines = audit.csv_lines(events)
        if output is None:
            for line in lines:
                self.stdout.write(line, ending="")
            return
        try:
            with output.open("w", encoding="utf-8", newline="") as file:
                count = sum(1 for line in lines if file.write(line)) - 1
        except OSError as error:
            raise CommandError(f"{output}: {error.strerror}") from None
        self.stdout.write(f"{output}: wrote {count} audit events")
