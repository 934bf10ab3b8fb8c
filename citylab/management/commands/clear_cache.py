from __future__ import annotations

from django.core.cache import cache
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Empty the shared cache (the database cache table, or Redis with REDIS_URL): kept dashboard "
        "counts, rate-limit counts and allauth's counts of failed sign-ins. Run it after restoring a "
        "backup: counts kept under a survey id that the restore took away would otherwise be read "
        "for a new survey that gets the same id."
    )

    def handle(self, *args, **options) -> None:
        cache.clear()
        self.stdout.write("Cache emptied: dashboard counts are counted again on their next view.")
