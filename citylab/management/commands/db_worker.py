"""`manage.py db_worker`: django-tasks-db's worker, which first takes back the tasks its
previous run under the same `--worker-id` left running (citylab/worker.py)."""

from __future__ import annotations

from django_tasks_db.management.commands.db_worker import Command as DatabaseWorker

from citylab.worker import reclaim


class Command(DatabaseWorker):
    help = DatabaseWorker.help + "; first takes back the tasks its previous run under the same id left running"

    def handle(self, *, worker_id: str, backend_name: str, **options) -> None:
        self.configure_logging(options["verbosity"])
        reclaim(worker_id, backend_name)
        super().handle(worker_id=worker_id, backend_name=backend_name, **options)
