"""Background work: email is queued as a task, the worker delivers it, admins see every state."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.core.management import call_command
from django_tasks_db.models import DBTaskResult

TASK_LIST = "/admin/django_tasks_database/dbtaskresult/"

# The worker closes its database connection after each task, as it must in production; a test
# transaction would not survive that, so these tests commit for real (and are cleaned up).
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def queued_mail(settings):
    """The production mail path: Django's backend queues, the worker delivers (to locmem here)."""
    settings.EMAIL_BACKEND = "citylab.mail.TaskEmailBackend"
    settings.CITYLAB_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_password_reset_email_is_queued_then_sent_by_the_worker(client, clerk, queued_mail):
    response = client.post("/accounts/password/reset/", {"email": "clerk@lanhai.example"})
    assert response.status_code == HTTPStatus.FOUND
    assert mail.outbox == []  # the page did not wait for the mail server
    task = DBTaskResult.objects.get()
    assert task.task_path == "citylab.mail.send_email" and task.status == "READY"

    run_worker()

    task.refresh_from_db()
    assert task.status == "SUCCESSFUL"
    [message] = mail.outbox
    assert message.to == ["clerk@lanhai.example"] and "/accounts/password/reset/key/" in message.body


def test_an_unreachable_mail_server_fails_the_task_not_the_page(client, clerk, settings, queued_mail):
    settings.CITYLAB_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    assert client.post("/accounts/password/reset/", {"email": "clerk@lanhai.example"}).status_code == HTTPStatus.FOUND
    run_worker()
    assert DBTaskResult.objects.get().status == "FAILED"


def test_admin_sees_queued_successful_and_failed_tasks(client, admin_user, clerk, settings, queued_mail):
    client.post("/accounts/password/reset/", {"email": "clerk@lanhai.example"})
    run_worker()
    settings.CITYLAB_EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    client.post("/accounts/password/reset/", {"email": "clerk@lanhai.example"})
    run_worker()
    client.post("/accounts/password/reset/", {"email": "clerk@lanhai.example"})  # still queued

    client.force_login(admin_user)
    client.cookies["django_language"] = "en"
    for status in ["READY", "SUCCESSFUL", "FAILED"]:
        response = client.get(TASK_LIST, {"status__exact": status})
        assert response.status_code == HTTPStatus.OK
        assert "1 Task Result\n" in response.text, status  # one row in each state


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer", "outsider"])
def test_task_list_is_for_admins_only(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(TASK_LIST)
    assert response.status_code == HTTPStatus.FOUND and "/admin/login/" in response["Location"]
