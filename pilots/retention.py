"""The retention rule: officers' personal data is kept only while they take part.

An officer who has done nothing for `CITYLAB_OFFICER_RETENTION_DAYS` (no sign-up, visit of
their page, report or approval, and no task given to them) has their name and contact details
erased exactly as if they had withdrawn: their segment and feedback stay, anonymised, so the
panel's history and the pilots' counts do not change. Run daily by `erase_inactive_officers`
(deploy/citylab-retention.timer).
"""

from __future__ import annotations

import datetime
from collections import Counter

from django.conf import settings
from django.db.models import Exists, OuterRef
from django.utils import timezone

from pilots.models.panels import Assignment, Officer, OfficerQuerySet, OfficerStatus
from pilots.officers import officer_withdraw


def inactive_since(days: int | None = None, now: datetime.datetime | None = None) -> datetime.datetime:
    """The moment before which an officer counts as inactive."""
    days = settings.CITYLAB_OFFICER_RETENTION_DAYS if days is None else days
    return (now or timezone.now()) - datetime.timedelta(days=days)


def inactive_officers(cutoff: datetime.datetime) -> OfficerQuerySet:
    """Officers not yet erased, inactive since `cutoff`: no activity and no task given since."""
    recent_task = Assignment.objects.filter(officer=OuterRef("pk"), assigned_at__gte=cutoff)
    return (
        Officer.objects.exclude(status=OfficerStatus.WITHDRAWN)
        .filter(last_active_at__lt=cutoff)
        .exclude(Exists(recent_task))
    )


def erase_inactive_officers(*, days: int | None = None, now: datetime.datetime | None = None,
                            dry_run: bool = False) -> Counter[str]:
    """Erase every inactive officer's personal data; how many, per team code.

    One officer per transaction (through the same erasure as a withdrawal), read in chunks:
    a run stopped half-way has erased whole officers only, and the next run finishes the rest.
    """
    days = settings.CITYLAB_OFFICER_RETENTION_DAYS if days is None else days
    erased: Counter[str] = Counter()
    stale = inactive_officers(inactive_since(days, now)).select_related("team", "user").order_by("pk")
    for officer in stale.iterator(chunk_size=200):
        if not dry_run:
            officer_withdraw(None, officer=officer, by_officer=False, inactive_days=days)
        erased[officer.team.code] += 1
    return erased
