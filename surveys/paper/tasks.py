"""Background work of the paper channel, run by the task worker (`manage.py db_worker`).

A scan batch is read by one task. It reads pages the batch has not stored yet, so a task that
is enqueued again after a crash or a restart of the worker simply goes on where it stopped:
it is `resumable`, and a worker killed while reading enqueues it again when it starts again
(citylab/worker.py).
The `scan` command runs the same workflow in-process.
"""

from __future__ import annotations

from django_tasks import task

from citylab.worker import resumable
from surveys.paper.models import ScanBatch, ScanStatus
from surveys.paper.scanning import process_batch


@resumable
@task()
def process_scan_batch(batch_id: int) -> int:
    """Read the batch's pages; returns how many responses its sheets completed."""
    batch = ScanBatch.objects.select_related("team", "uploaded_by").filter(pk=batch_id).first()
    if batch is None:  # deleted while waiting in the queue: nothing to do
        return 0
    return process_batch(batch).responses_created


def enqueue_batch(batch: ScanBatch) -> None:
    """Queue the batch's reading, unless there is nothing to read."""
    if batch.status != ScanStatus.DONE:
        process_scan_batch.enqueue(batch.pk)
