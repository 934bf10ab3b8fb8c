"""Invitations: single-use survey links, made in batches for a community, a panel or a mailing.

A resident opens /s/<slug>/i/<token>/ (the resident view `surveys:invitation`) and may answer
once through it; `response_record` marks the invitation used. Here: making a batch, the links'
addresses, the CSV of a batch and the sheets to print (drawn by `surveys.posters`).
"""

from __future__ import annotations

import csv
import io
import secrets
from collections.abc import Iterator

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from citylab.models import Community
from surveys import posters
from surveys.models import Invitation, InvitationBatch, Survey

MAX_BATCH = 2000
# A card PDF is drawn in the request: the QR encoder needs some 20 ms a code, so one download
# holds at most this many cards (50 A4 pages, a few seconds, a comfortable print job too).
CARDS_PER_PART = 300


def new_token() -> str:
    """96 random bits: unguessable, and 16 characters, short enough for a small QR code and
    for a person to type from a letter."""
    return secrets.token_urlsafe(12)


def invitation_path(slug: str, token: str) -> str:
    # Built by hand rather than reversed: the resident view owns the URL, and this path is the
    # contract printed on paper, which must not change whatever its routing becomes.
    return f"/s/{slug}/i/{token}/"


def invitation_url(request: HttpRequest, invitation: Invitation, slug: str | None = None) -> str:
    """The absolute link a resident opens; pass `slug` to spare a query per invitation."""
    return request.build_absolute_uri(invitation_path(slug or invitation.batch.survey.slug, invitation.token))


def open_url(request: HttpRequest, survey: Survey) -> str:
    """The shared link: anyone may answer, once per browser session."""
    return request.build_absolute_uri(f"/s/{survey.slug}/")


@transaction.atomic
def create_batch(
    *,
    survey: Survey,
    label: str,
    audience: InvitationBatch.Audience,
    size: int,
    community: Community | None = None,
    created_by=None,
) -> InvitationBatch:
    """Make a batch of `size` new links, all of them or none.

    Tokens are 96 random bits, so a clash with any of millions of stored tokens has odds far
    below a disk error; should one happen, the unique index refuses the insert and the whole
    batch rolls back rather than holding a shared link.
    """
    if not 1 <= size <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} links, not {size}")
    if audience == InvitationBatch.Audience.COMMUNITY and community is None:
        raise ValueError("a batch for a community needs the community")
    batch = InvitationBatch.objects.create(
        survey=survey, label=label, audience=audience, community=community, size=size, created_by=created_by
    )
    tokens: set[str] = set()
    while len(tokens) < size:
        tokens.add(new_token())
    Invitation.objects.bulk_create([Invitation(batch=batch, token=token) for token in tokens], batch_size=500)
    return batch


def csv_rows(request: HttpRequest, batch: InvitationBatch) -> Iterator[list[str]]:
    """token, url, used — `used` is when the link was used (local time), empty while unused."""
    yield ["token", "url", "used"]
    slug = batch.survey.slug
    for token, used_at in batch.invitations.order_by("pk").values_list("token", "used_at"):
        used = timezone.localtime(used_at).strftime("%Y-%m-%d %H:%M") if used_at else ""
        yield [token, request.build_absolute_uri(invitation_path(slug, token)), used]


def links_csv(request: HttpRequest, batch: InvitationBatch) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel on a Chinese Windows opens it as UTF-8."""
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(csv_rows(request, batch))
    return buffer.getvalue().encode("utf-8-sig")


def part_count(batch: InvitationBatch) -> int:
    """How many PDF downloads a batch is printed in: one, unless it is a large card batch."""
    if batch.size <= posters.POSTER_LIMIT:
        return 1
    return -(-batch.size // CARDS_PER_PART)


def part_range(batch: InvitationBatch, part: int) -> range:
    """Which links (0-based, in token order) download `part` (1-based) holds."""
    if batch.size <= posters.POSTER_LIMIT:
        return range(batch.size)
    return range((part - 1) * CARDS_PER_PART, min(part * CARDS_PER_PART, batch.size))


def batch_sheet(request: HttpRequest, batch: InvitationBatch, part: int = 1) -> posters.Sheet:
    """What to print for one download of a batch. Each code's footer names the batch and the
    link's number in it, so the printouts can be sorted and handed out in order."""
    survey = batch.survey
    links = part_range(batch, part)
    tokens = batch.invitations.order_by("pk").values_list("token", flat=True)[links.start : links.stop]
    codes = [
        posters.Code(
            url=request.build_absolute_uri(invitation_path(survey.slug, token)),
            footer=f"{batch.label}\u3000{number}/{batch.size}",
        )
        for number, token in enumerate(tokens, start=links.start + 1)
    ]
    # Posters up to the batch's own limit, cards beyond it, even for a last part of few links.
    return posters.Sheet(
        title_zh=survey.title_zh, title_en=survey.title_en, codes=codes, single_use=True,
        cards=batch.size > posters.POSTER_LIMIT,
    )


def open_sheet(request: HttpRequest, survey: Survey) -> posters.Sheet:
    return posters.Sheet(
        title_zh=survey.title_zh, title_en=survey.title_en, codes=[posters.Code(url=open_url(request, survey))],
        single_use=False,
    )
