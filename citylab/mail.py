"""Email goes out through the task worker.

A sign-in or password-reset page must not wait on (or fail with) a slow mail server, so the
email backend Django calls only queues a task; the worker then sends it with the real backend
(console in development, SMTP in production: CITYLAB_EMAIL_BACKEND).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django_tasks import task


class TaskEmailBackend(BaseEmailBackend):
    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        queued = 0
        for message in email_messages:
            if message.attachments:
                # Attachments do not fit a task's JSON arguments; these few go out at once.
                queued += deliver_now([message])
                continue
            send_email.enqueue(
                subject=message.subject,
                body=message.body,
                from_email=message.from_email,
                to=list(message.to),
                cc=list(message.cc),
                bcc=list(message.bcc),
                reply_to=list(message.reply_to),
                headers=dict(message.extra_headers),
                html=next((c for c, t in getattr(message, "alternatives", []) if t == "text/html"), None),
            )
            queued += 1
        return queued


def deliver_now(messages: Sequence[EmailMessage]) -> int:
    with get_connection(settings.CITYLAB_EMAIL_DELIVERY_BACKEND) as connection:
        return connection.send_messages(list(messages)) or 0


@task()
def send_email(
    *, subject: str, body: str, from_email: str, to: list[str], cc: list[str], bcc: list[str],
    reply_to: list[str], headers: dict[str, str], html: str | None,
) -> int:
    message = EmailMultiAlternatives(
        subject, body, from_email, to, cc=cc, bcc=bcc, reply_to=reply_to, headers=headers
    )
    if html:
        message.attach_alternative(html, "text/html")
    return deliver_now([message])
