from __future__ import annotations

from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, models
from django.db.migrations.executor import MigrationExecutor


class Command(BaseCommand):
    help = (
        "Check a restored copy (the database in DATABASE_URL, the files in CITYLAB_MEDIA_ROOT): every "
        "migration applied, rows per table, and every uploaded file the database names present on disk. "
        "Run by deploy/restore-drill.sh; exits 1 when anything is missing."
    )

    def handle(self, *args, **options) -> None:
        try:
            executor = MigrationExecutor(connection)
            pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
        except DatabaseError as error:
            raise CommandError(f"cannot read the restored database: {error}") from None
        if pending:
            raise CommandError(f"the restored database lacks {len(pending)} migration(s): is the dump from this release?")
        media = Path(settings.MEDIA_ROOT)
        missing_total = 0
        for model in apps.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            rows = model._default_manager.count()
            file_fields = [f.name for f in model._meta.concrete_fields if isinstance(f, models.FileField)]
            line = f"{model._meta.label:40} {rows:>10} rows"
            for name in file_fields:
                names = model._default_manager.exclude(**{name: ""}).values_list(name, flat=True)
                present = missing = 0
                for stored in names.iterator(chunk_size=2000):
                    if (media / stored).is_file():
                        present += 1
                    else:
                        missing += 1
                        if missing <= 5:
                            self.stderr.write(f"missing: {model._meta.label}.{name} {stored}")
                missing_total += missing
                line += f"  {name}: {present} files" + (f", {missing} MISSING" if missing else "")
            self.stdout.write(line)
        if missing_total:
            raise CommandError(f"{missing_total} uploaded file(s) named in the database are not in {media}")
        self.stdout.write(f"restore verified: all migrations applied, every uploaded file present in {media}")
