from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from citylab.production import run_checks


class Command(BaseCommand):
    help = (
        "Check a production configuration before starting it: settings (check --deploy), database, "
        "migrations, cache, static files, media folder, mail and translations. Exits 1 if any fails."
    )
    requires_system_checks = []  # the deployment checklist is one of ours, reported like the others

    def handle(self, *args, **options) -> None:
        translation.activate("en")
        findings = run_checks()
        for finding in findings:
            mark = "ok  " if finding.ok else "FAIL"
            self.stdout.write(f"{mark}  {finding.name}: {finding.message}")
        failed = [f.name for f in findings if not f.ok]
        if failed:
            raise CommandError(f"{len(failed)} of {len(findings)} checks failed: {', '.join(failed)}")
        self.stdout.write(f"all {len(findings)} checks passed")
