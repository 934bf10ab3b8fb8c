"""What a task worker does as it starts: take back the tasks its previous run left unfinished.

A worker that is killed (SIGKILL, out of memory, a power cut) leaves its task "running" in the
database task backend for ever: nothing else takes it up. Workers run under stable ids
(`--worker-id`, deploy/citylab-worker@.service: host and instance), and a worker runs one task
at a time, so a task still running under this worker's own id when it starts is one its
previous run lost. It is marked failed with a reason a person can read, and a task that is
safe to run again (it goes on where it stopped, as the scan batch's does) is enqueued again
with the same arguments. Workers started without an id get a random one and find nothing.
"""

from __future__ import annotations

import logging

from django.utils import timezone
from django_tasks.base import Task, TaskResultStatus
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

RESUMABLE: set[str] = set()


class WorkerLost(Exception):
    """The worker running the task stopped before the task finished."""


LOST = ("The task worker running this task stopped (killed or crashed) before it finished; "
        "the worker found it when it started again under the same id.")


def resumable(task: Task) -> Task:
    """Mark a task that is safe to run again after its worker was lost mid-way."""
    RESUMABLE.add(task.module_path)
    return task


def reclaim(worker_id: str, backend_name: str = "default") -> list[DBTaskResult]:
    """Mark the tasks this worker id left running as failed and enqueue the resumable ones
    again. Returns the new results of those enqueued again."""
    # At most one per worker id: the running tasks are a handful, whatever the table holds.
    running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, backend_name=backend_name)
    again = []
    for lost in running:
        if not lost.worker_ids or lost.worker_ids[-1] != worker_id:
            continue
        # Conditional, so that a result finished meanwhile (it was not lost after all) stays.
        marked = DBTaskResult.objects.filter(pk=lost.pk, status=TaskResultStatus.RUNNING).update(
            status=TaskResultStatus.FAILED, finished_at=timezone.now(), return_value=None,
            exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}", traceback=LOST,
        )
        if not marked:
            continue
        if lost.task_path in RESUMABLE:
            task = lost.task
            again.append(task.enqueue(*lost.args_kwargs.get("args", []), **lost.args_kwargs.get("kwargs", {})))
            logger.warning("Task %s (%s) was lost with its worker %s: enqueued again", lost.pk, lost.task_path, worker_id)
        else:
            logger.warning("Task %s (%s) was lost with its worker %s: marked failed", lost.pk, lost.task_path, worker_id)
    return again
