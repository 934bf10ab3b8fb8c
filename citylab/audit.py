"""The audit trail: one call records who did what, when and from where.

Decisions, exports, role changes, review decisions and officer data access all go through
`record`, so an admin reads one table to answer "who did this?".
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model
from django.http import HttpRequest

from citylab.models import AuditEvent, Team


def record(request: HttpRequest | None, action: str, target: Model | None = None, *,
           team: Team | None = None, user=None, **detail: Any) -> AuditEvent:
    """Write one audit event. `request` gives the actor and address; commands pass `user`."""
    actor = user if user is not None else getattr(request, "user", None)
    if actor is not None and not actor.is_authenticated:
        actor = None
    if team is None and target is not None:
        team = getattr(target, "team", None)
    return AuditEvent.objects.create(
        actor=actor,
        actor_email=getattr(actor, "email", "") or "",
        team=team if isinstance(team, Team) else None,
        action=action,
        target=f"{target._meta.label}:{target.pk}" if target is not None else "",
        detail=detail,
        address=request.META.get("REMOTE_ADDR") if request is not None else None,
    )
