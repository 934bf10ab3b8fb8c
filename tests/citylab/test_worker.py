"""A task worker that starts again under its id takes back what its previous run left running
(citylab/worker.py): resumable tasks run again, others are marked failed with the reason."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

from citylab.mail import send_email
from citylab.worker import LOST, RESUMABLE, reclaim
from surveys.paper.tasks import process_scan_batch

# The worker closes its database connection after each task: these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)

MAIL = {"subject": "s", "body": "b", "from_email": "citylab@lanhai.example", "to": ["a@lanhai.example"],
        "cc": [], "bcc": [], "reply_to": [], "headers": {}, "html": None}


def run_worker(worker_id: str) -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", "--worker-id", worker_id, verbosity=0)


def lost_by(worker_id: str, task, *args, **kwargs) -> DBTaskResult:
    """A task as a killed worker leaves it: claimed by that worker, running, never finished."""
    result = DBTaskResult.objects.get(pk=task.enqueue(*args, **kwargs).id)
    result.claim(worker_id)
    return result


def test_the_scan_task_is_resumable_and_mail_is_not():
    # Reading a batch goes on where it stopped; an email may have gone out before the kill.
    assert process_scan_batch.module_path in RESUMABLE
    assert send_email.module_path not in RESUMABLE


def test_a_lost_resumable_task_is_marked_failed_and_runs_again_with_the_same_arguments():
    lost = lost_by("host-1", process_scan_batch, 987654)  # no such batch: the task returns 0
    run_worker("host-1")

    lost.refresh_from_db()
    assert lost.status == "FAILED" and lost.finished_at is not None
    assert lost.exception_class_path == "citylab.worker.WorkerLost" and lost.traceback == LOST
    again = DBTaskResult.objects.exclude(pk=lost.pk).get()
    assert again.task_path == lost.task_path and again.args_kwargs == lost.args_kwargs
    assert again.status == "SUCCESSFUL" and again.worker_ids == ["host-1"] and again.return_value == 0


def test_a_lost_email_is_marked_failed_and_not_sent_twice():
    lost = lost_by("host-1", send_email, **MAIL)
    run_worker("host-1")
    lost.refresh_from_db()
    assert lost.status == "FAILED" and lost.traceback == LOST
    assert DBTaskResult.objects.count() == 1


def test_tasks_of_other_workers_and_finished_ones_are_left_alone():
    elsewhere = lost_by("host-2", process_scan_batch, 1)
    earlier = lost_by("host-1", process_scan_batch, 2)
    lost_by("host-2", process_scan_batch, 3)  # claimed by host-1 before, then by host-2
    DBTaskResult.objects.filter(pk__in=[earlier.pk]).update(status="SUCCESSFUL")
    third = DBTaskResult.objects.get(args_kwargs__args=[3])
    third.worker_ids = ["host-1", "host-2"]
    third.save(update_fields=["worker_ids"])

    assert reclaim("host-1") == []
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"RUNNING", "SUCCESSFUL"}
    assert DBTaskResult.objects.get(pk=elsewhere.pk).status == "RUNNING"
    assert DBTaskResult.objects.count() == 3


def test_a_worker_without_an_id_takes_back_nothing():
    lost = lost_by("host-1", process_scan_batch, 987654)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    assert DBTaskResult.objects.get(pk=lost.pk).status == "RUNNING"
