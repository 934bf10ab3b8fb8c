"""Experience officers' workflows: sign-up, registration in person, approval, withdrawal.

Each function here touches more than one record (the officer, an account, its email address,
notices, the audit trail) and does it in one transaction, so that nothing is half-done.

Contact details are kept normalised (phones without spaces or dashes, emails in lower case)
so that "the same person again" is one indexed comparison. Audit details never carry personal
data: the record's id says which officer, and after withdrawal that id leads to no name.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from allauth.account.forms import default_token_generator
from allauth.account.internal.flows.password_reset import get_reset_password_from_key_url
from allauth.account.models import EmailAddress
from allauth.account.utils import user_pk_to_url_str
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from citylab.audit import record
from citylab.models import AuditEvent, Role, Team, User
from pilots.models.panels import Officer, OfficerStatus, Recruited

# Bump when the consent text on the sign-up page changes: each officer's row says which
# version they agreed to.
CONSENT_VERSION = "2026-11"
CONSENT_IN_PERSON = "2026-11-in-person"

_PHONE_PUNCTUATION = re.compile(r"[\s\-.()（）－]")


def normalise_phone(phone: str) -> str:
    """'139 1234-5678' and '13912345678' are the same number."""
    return _PHONE_PUNCTUATION.sub("", phone or "")


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


class DuplicateApplication(Exception):
    """The contact details match an application that is waiting or approved."""


def duplicate_of(team: Team, phone: str, email: str, *, exclude: Officer | None = None) -> Officer | None:
    """The team's officer with the same phone or email (already normalised), newest first.

    Withdrawn officers never match: their contact details are gone.
    """
    match = Q()
    if phone:
        match |= Q(phone=phone)
    if email:
        match |= Q(email=email)
    if not match:
        return None
    officers = Officer.objects.filter(match, team=team).exclude(status=OfficerStatus.WITHDRAWN)
    if exclude is not None:
        officers = officers.exclude(pk=exclude.pk)
    return officers.order_by("-created_at", "-pk").first()


def lock_team_officers(team: Team) -> None:
    """Make sign-ups and registrations of one team wait for each other until the transaction ends.

    The duplicate check reads, then the new officer is written: without a lock, two posts at
    the same moment (a double click, a resident and a clerk at once) both find no match and
    both save. Locking the team's row serialises them on PostgreSQL, so the second one sees the
    first; SQLite's IMMEDIATE transactions already take the database's write lock at the start.
    """
    list(Team.objects.select_for_update().filter(pk=team.pk).values_list("pk", flat=True))


@dataclass(frozen=True)
class SignUp:
    officer: Officer
    reopened: bool  # an earlier, declined application was brought back with these answers


@transaction.atomic
def officer_sign_up(request: HttpRequest, *, team: Team, officer: Officer) -> SignUp:
    """Save an unsaved officer from the public form as a pending application.

    The same contact details again: refused when the earlier application waits or was approved
    (the person is told that the team will contact them, and nothing else); when it was
    declined, that application is reopened with the new answers, so the planners see one
    record with its history rather than two people.
    """
    lock_team_officers(team)
    earlier = duplicate_of(team, officer.phone, officer.email)
    if earlier is not None and earlier.status != OfficerStatus.DECLINED:
        raise DuplicateApplication
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": OfficerStatus.PENDING, "recruited": Recruited.SIGN_UP, "consent_at": now,
        "consent_version": CONSENT_VERSION, "last_active_at": now,
    }
    if earlier is not None:
        for name in ("full_name", "phone", "email", "accessibility_needs", "availability", "age_band", "district",
                     "community", "occupation", "smartphone"):
            # Keep the earlier address when only the phone was given now, and the other way round.
            value = getattr(officer, name)
            if value or name not in ("phone", "email"):
                setattr(earlier, name, value)
        for name, value in {**fields, "decided_by": None, "decided_at": None, "decline_reason": ""}.items():
            setattr(earlier, name, value)
        earlier.save()
        record(request, "officer.reapplied", earlier, team=team)
        return SignUp(earlier, reopened=True)
    officer.team = team
    for name, value in fields.items():
        setattr(officer, name, value)
    officer.save()
    record(request, "officer.signed_up", officer, team=team)
    return SignUp(officer, reopened=False)


@transaction.atomic
def officer_register(request: HttpRequest, *, team: Team, officer: Officer, role: Role) -> Officer:
    """Save an officer recruited in person by a member of staff, who read them the consent.

    A planner's registration is an approval too (planners approve applications anyway); a
    clerk's waits for a planner, like an online application.
    """
    lock_team_officers(team)
    if duplicate_of(team, officer.phone, officer.email) is not None:
        raise DuplicateApplication
    now = timezone.now()
    officer.team = team
    officer.recruited = Recruited.IN_PERSON
    officer.registered_by = request.user
    officer.consent_at = now
    officer.consent_version = CONSENT_IN_PERSON
    officer.last_active_at = now
    if role == Role.PLANNER:
        officer.status = OfficerStatus.APPROVED
        officer.decided_by = request.user
        officer.decided_at = now
    else:
        officer.status = OfficerStatus.PENDING
    officer.save()
    record(request, "officer.registered", officer, team=team, status=officer.status)
    if officer.status == OfficerStatus.APPROVED and officer.email:
        officer_account(request, officer)
    return officer


@transaction.atomic
def officer_decline(request: HttpRequest, *, officer: Officer, reason: str) -> Officer:
    officer.status = OfficerStatus.DECLINED
    officer.decline_reason = reason
    officer.decided_by = request.user
    officer.decided_at = timezone.now()
    officer.save(update_fields=["status", "decline_reason", "decided_by", "decided_at"])
    record(request, "officer.declined", officer)
    return officer


@transaction.atomic
def officer_approve(request: HttpRequest, *, officer: Officer) -> str:
    """Approve a pending application; an officer with an email gets an account. Returns what
    happened to the account: "created", "linked", "taken" or "none" (no email)."""
    officer.status = OfficerStatus.APPROVED
    officer.decided_by = request.user
    officer.decided_at = timezone.now()
    officer.save(update_fields=["status", "decided_by", "decided_at"])
    account = officer_account(request, officer) if officer.email else "none"
    record(request, "officer.approved", officer, account=account)
    return account


def officer_account(request: HttpRequest, officer: Officer) -> str:
    """Give an approved officer an account to sign in with, and email them about it.

    A new account has no password: the email carries allauth's password-reset link, which
    lets the officer choose one and proves the address is theirs (so it is stored verified).
    An existing account of someone who is not yet an officer is linked instead; one that
    already belongs to another officer record (another team's panel) is left alone.
    """
    user = User.objects.filter(email__iexact=officer.email).first()
    if user is not None and hasattr(user, "officer"):
        return "taken"
    created = user is None
    if created:
        user = User.objects.create_user(email=officer.email, password=None, full_name=officer.full_name)
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    officer.user = user
    officer.save(update_fields=["user"])
    context = {"officer": officer, "team": officer.team, "signin_url": request.build_absolute_uri(reverse("account_login"))}
    if not user.has_usable_password():
        key = f"{user_pk_to_url_str(user)}-{default_token_generator.make_token(user)}"
        context["password_url"] = get_reset_password_from_key_url(request, key)
    body = render_to_string("pilots/officers/email_approved.txt", context, request=request)
    subject = render_to_string("pilots/officers/email_approved_subject.txt", context, request=request).strip()
    # Sent after the transaction commits: the email's link must find the account.
    transaction.on_commit(lambda: send_mail(subject, body, None, [user.email]))
    return "created" if created else "linked"


@transaction.atomic
def officer_withdraw(request: HttpRequest | None, *, officer: Officer, by_officer: bool,
                     inactive_days: int | None = None) -> Officer:
    """Erase an officer's personal data; keep their segment and feedback, anonymised.

    Their account is unlinked; an officer-only account is also deactivated and stripped of
    its email and name, and audit events it caused lose their email. Their notices are
    deleted. Panel memberships stay: coverage counts approved officers only.
    """
    for name in Officer.PERSONAL_FIELDS:
        setattr(officer, name, [] if name == "availability" else "")
    officer.decline_reason = ""  # free text a planner wrote about the person
    officer.status = OfficerStatus.WITHDRAWN
    officer.withdrawn_at = timezone.now()
    user, officer.user = officer.user, None
    officer.save()
    officer.notices.all().delete()
    if user is not None and not user.is_staff and not user.memberships.exists():
        # An account made for the panel: closed, and nothing personal left on it or in the
        # trail of what it did. (A staff member who was also an officer keeps their account.)
        AuditEvent.objects.filter(actor=user).update(actor_email="")
        user.is_active = False
        user.email = f"withdrawn-{user.pk}@invalid.example"
        user.full_name = ""
        user.set_unusable_password()
        user.save()
        EmailAddress.objects.filter(user=user).delete()
    # The officer's own request is recorded without an actor: their email would be personal data.
    if inactive_days is not None:  # the retention rule (pilots.retention), not a person
        record(None, "officer.withdrawn", officer, team=officer.team, by="retention", inactive_days=inactive_days)
    else:
        record(None if by_officer else request, "officer.withdrawn", officer, team=officer.team,
               by="officer" if by_officer else "staff")
    return officer
