from __future__ import annotations

from django.core.management.base import BaseCommand

from surveys.export_tasks import KEEP_FOR, erase_old_exports


class Command(BaseCommand):
    help = (
        f"Delete the answer files prepared for planners (large surveys' exports) once they are "
        f"{KEEP_FOR.days} days old: they hold every answer. Meant to run daily."
    )

    def handle(self, *args, **options) -> None:
        erased = erase_old_exports()
        self.stdout.write(f"erased {erased} prepared export(s) older than {KEEP_FOR.days} days")
