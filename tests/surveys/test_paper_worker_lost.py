"""A scan batch whose task worker was killed mid-way finishes when that worker starts again
under its id, with no clerk pressing "Start reading again" and no page stored twice."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from surveys.paper.models import PageStatus, ScanBatch, ScanPage, ScanStatus
from surveys.paper.scanning import accept_upload
from surveys.paper.tasks import enqueue_batch
from tests.surveys.paper_scan_helpers import tiff_pages, upload

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_batch_lost_with_its_worker_is_read_to_the_end_when_the_worker_starts_again(team, clerk, survey, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    batch = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2, 3))]).batch
    enqueue_batch(batch)
    # What the kill left: the task claimed by scan-1 and running, the batch running with page 1
    # stored (its reading is not what this test is about: the first page of the file is copied).
    task = DBTaskResult.objects.get()
    task.claim("scan-1")
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.RUNNING)
    ScanPage.objects.create(batch=batch, file=batch.files.get(), index=1, status=PageStatus.UNREADABLE)

    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", "scan-1", verbosity=0)

    batch.refresh_from_db()
    assert batch.status == ScanStatus.DONE and batch.pages_done == 3
    assert sorted(ScanPage.objects.filter(batch=batch).values_list("index", flat=True)) == [1, 2, 3]
    task.refresh_from_db()
    assert task.status == "FAILED" and task.exception_class_path == "citylab.worker.WorkerLost"
    assert DBTaskResult.objects.exclude(pk=task.pk).get().status == "SUCCESSFUL"
