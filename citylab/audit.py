"""The audit trail: one call records who did what, when and from where.

Decisions, exports, role changes, review decisions and officer data access all go through
`record`, so an admin reads one table to answer "who did this?".
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from typing import Any

from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils import timezone

from citylab.models import AuditEvent, Team
from citylab.ratelimit import client_address


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
        # The person's address, not our proxy's (the rule the rate limits use too).
        address=(client_address(request) or None) if request is not None else None,
    )


CSV_HEADER = ["at", "actor_email", "team", "action", "target", "address", "detail"]


def csv_lines(events: QuerySet[AuditEvent]) -> Iterator[str]:
    """The trail as CSV text, line by line, read in chunks: it grows for years and is never
    loaded whole. Times in ISO 8601 with their offset; details as JSON."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def line(row: list[object]) -> str:
        writer.writerow(row)
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    yield "\ufeff" + line(CSV_HEADER)  # the byte-order mark lets spreadsheets read UTF-8
    rows = events.select_related(None).order_by("at", "pk").values_list(
        "at", "actor_email", "team__code", "action", "target", "address", "detail"
    )
    for at, email, team, action, target, address, detail in rows.iterator(chunk_size=2000):
        yield line([timezone.localtime(at).isoformat(), email, team or "", action, target, address or "",
                    json.dumps(detail, ensure_ascii=False, sort_keys=True)])


def membership_changes(request: HttpRequest, formset, previous: dict[int, tuple[str, str]],
                       removed: list[tuple[str, str]]) -> None:
    """Record the role changes an admin just saved through a team's membership rows.

    `previous` holds each existing row's (member email, role) as it was before the save, and
    `removed` those of the rows deleted (their ids are gone once they are)."""
    for membership in formset.new_objects:
        record(request, "team.member_added", membership, team=membership.team,
               member=membership.user.email, role=membership.role)
    for membership, changed in formset.changed_objects:
        if "role" in changed or "user" in changed:
            email, role = previous.get(membership.pk, ("", ""))
            record(request, "team.role_changed", membership, team=membership.team, member=membership.user.email,
                   role=membership.role, previous_role=role, previous_member=email)
    for email, role in removed:
        record(request, "team.member_removed", None, team=formset.instance, member=email, role=role)
