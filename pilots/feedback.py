"""Feedback workflows: an officer's report (online, or taken down by a clerk), its triage, and
the notices that tell the officer what became of it.

Each spans several models (feedback, problems, assignment, officer, audit, notice), so each is
one function that writes everything in one transaction, or nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from citylab.audit import record
from pilots.models import (
    FEEDBACK_NEXT,
    Assignment,
    AssignmentStatus,
    CycleChange,
    Feedback,
    FeedbackChannel,
    FeedbackStatus,
    Notice,
    Officer,
    Problem,
)


class FeedbackError(Exception):
    """A step the workflow refuses, in a sentence the person can act on."""


@dataclass(frozen=True)
class Report:
    managed: str
    ease: int
    usefulness: int
    accessibility: int
    suggestion: str
    problems: Sequence[tuple[str, str]]  # (severity, description)
    photo: ContentFile | None = None


def already_reported_message() -> str:
    return _("Feedback on this task has already been sent. Thank you: there is nothing more to do.")


def submit(*, assignment: Assignment, report: Report, request: HttpRequest,
           channel: str = FeedbackChannel.WEB) -> Feedback:
    """Write the officer's feedback on one assignment, with its problems, and mark the task reported.

    The feedback copies the officer's segment now, as a survey response does, so the counts
    stay right after the officer moves or withdraws. A second submit (a double click, two tabs)
    finds the feedback already there and is refused, never written twice.
    """
    try:
        with transaction.atomic():
            # Lock the assignment: two submits at once wait for each other, and the second sees the first.
            locked = Assignment.objects.select_for_update(of=("self",)).select_related("officer", "task").get(pk=assignment.pk)
            if locked.status == AssignmentStatus.CANCELLED:
                raise FeedbackError(_("This task was cancelled, so it takes no feedback."))
            if Feedback.objects.filter(assignment=locked).exists():
                raise FeedbackError(already_reported_message())
            officer = locked.officer
            feedback = Feedback(
                assignment=locked, task=locked.task, cycle_id=locked.task.cycle_id, officer=officer,
                age_band_id=officer.age_band_id, district_id=officer.district_id,
                occupation_id=officer.occupation_id,
                managed=report.managed, ease=report.ease, usefulness=report.usefulness,
                accessibility=report.accessibility, suggestion=report.suggestion, channel=channel,
                entered_by=request.user if channel == FeedbackChannel.ASSISTED else None,
            )
            if report.photo is not None:
                feedback.photo.save(report.photo.name, report.photo, save=False)
            feedback.save()
            Problem.objects.bulk_create(
                Problem(feedback=feedback, severity=severity, description=description)
                for severity, description in report.problems
            )
            locked.status = AssignmentStatus.REPORTED
            locked.save(update_fields=["status"])
            Officer.objects.filter(pk=officer.pk).update(last_active_at=timezone.now())
            if channel == FeedbackChannel.ASSISTED:
                # A clerk wrote in an officer's name: who did it must be on record.
                record(request, "feedback.assisted", feedback, team=locked.task.team, officer=officer.pk)
    except IntegrityError:
        # The one-to-one on the assignment caught a race the lock could not (another database).
        raise FeedbackError(already_reported_message()) from None
    return feedback


def next_statuses(feedback: Feedback) -> tuple[FeedbackStatus, ...]:
    return FEEDBACK_NEXT[FeedbackStatus(feedback.status)]


def triage(*, feedback: Feedback, status: str, request: HttpRequest, reason: str = "",
           change: CycleChange | None = None) -> Feedback:
    """Move feedback one step (new → accepted / declined → planned → done), link the change
    that answers it, record who did it, and tell the officer."""
    reason = reason.strip()
    with transaction.atomic():
        locked = Feedback.objects.select_for_update(of=("self",)).select_related("officer", "task__cycle__pilot__team").get(
            pk=feedback.pk
        )
        current = FeedbackStatus(locked.status)
        if status not in FEEDBACK_NEXT[current]:
            allowed = ", ".join(str(FeedbackStatus(s).label) for s in FEEDBACK_NEXT[current])
            raise FeedbackError(
                _("Feedback that is %(current)s can only move to: %(allowed)s.")
                % {"current": current.label, "allowed": allowed or _("nothing; it is closed")}
            )
        if status == FeedbackStatus.DECLINED and not reason:
            raise FeedbackError(_("Say why the feedback is declined: the officer will read it."))
        if change is not None and change.cycle.pilot_id != locked.task.cycle.pilot_id:
            raise FeedbackError(_("Choose a change of this pilot."))
        if status == FeedbackStatus.DECLINED:
            change = None
        elif change is None:
            change = locked.change
        if status == FeedbackStatus.DONE and change is None:
            raise FeedbackError(_("Choose the change that answers the feedback before marking it done."))
        locked.status = status
        locked.decline_reason = reason if status == FeedbackStatus.DECLINED else ""
        locked.change = change
        locked.triaged_by = request.user
        locked.triaged_at = timezone.now()
        locked.save(update_fields=["status", "decline_reason", "change", "triaged_by", "triaged_at"])
        record(request, "feedback.triage", locked, team=locked.task.cycle.pilot.team,
               status=status, previous=current.value, change=change.pk if change else None, reason=reason)
        notify(locked)
    return locked


def link_change(*, feedback: Feedback, change: CycleChange, request: HttpRequest) -> Feedback:
    """Link (or relink) the change that answers open feedback without moving its status."""
    if change.cycle.pilot_id != feedback.task.cycle.pilot_id:
        raise FeedbackError(_("Choose a change of this pilot."))
    if feedback.status == FeedbackStatus.DECLINED:
        raise FeedbackError(_("Declined feedback is not linked to a change."))
    with transaction.atomic():
        Feedback.objects.filter(pk=feedback.pk).update(change=change)
        feedback.change = change
        record(request, "feedback.link_change", feedback, team=feedback.task.cycle.pilot.team, change=change.pk)
    return feedback


def status_sentence(feedback: Feedback) -> str:
    """What the officer reads about their feedback, in the active language."""
    task = feedback.task.title
    sentences = {
        FeedbackStatus.NEW: _("We received your feedback on “%(task)s”."),
        FeedbackStatus.ACCEPTED: _("Your feedback on “%(task)s” was accepted: we will work on it."),
        FeedbackStatus.DECLINED: _("Your feedback on “%(task)s” was not taken up. Why: %(reason)s"),
        FeedbackStatus.PLANNED: _("A change is planned in answer to your feedback on “%(task)s”."),
        FeedbackStatus.DONE: _("Your feedback on “%(task)s” led to a change: %(change)s"),
    }
    sentence = sentences[FeedbackStatus(feedback.status)] % {
        "task": task, "reason": feedback.decline_reason, "change": feedback.change.what if feedback.change else "",
    }
    if feedback.status == FeedbackStatus.PLANNED and feedback.change:
        sentence += " " + feedback.change.what
    return sentence


def notify(feedback: Feedback) -> Notice:
    """A notice on the officer's home page and, when they gave an address, an email.

    Officers read in the city's language (the default), whatever language the planner uses;
    the email leaves only once the transaction commits, so a refused step sends nothing.
    """
    officer = feedback.officer
    with translation.override(settings.LANGUAGE_CODE):
        text = status_sentence(feedback)
        subject = _("What happened to your feedback")
    notice = Notice.objects.create(officer=officer, feedback=feedback, text=text)
    if officer.email:
        address = officer.email
        transaction.on_commit(lambda: send_mail(subject, text, None, [address]))
    return notice
