"""Counts of a survey's responses, kept in the cache and brought up to date by counting only
the responses that arrived since, never every answer again.

Why. The dashboards' figures come from GROUP BY queries over a survey's responses and answers;
at a million responses one costs seconds. During fieldwork a response arrives every few
seconds, so a cache that any new response invalidates is cold at almost every request.

What is kept. Every figure of the survey and pilot dashboards is a sum of counts per key
(responses per day, channel and segment; answer rows per question, value, channel and segment;
respondents per multiple-choice question; a cycle's eligible, adopters, satisfied and rated per
channel and segment), or is computed afterwards from such sums (totals, shares, expected counts,
the periods shown, intervals and verdicts). Counts per key over two disjoint sets of responses
add up key by key, COUNT(DISTINCT response) included, since every key is made of the response's
own fields and the sets are split by response. One `Tally` is one such GROUP BY; its cache entry
holds its counts over the survey's responses with id <= H (the base), H, the survey's edit
generation it was counted under, and when it was last counted in full.

A request reads its entries and the generation (one cache read), asks where the survey's
responses above H stand (one query, a range of the index on (survey, id)), runs each tally
over the responses with id > H only (one query each, the same index range; none when nothing
arrived), and adds the result to the base. The number of queries does not depend on the data.

Folding. When FOLD_AT of the responses above H are settled (below), or all of them, or one
has been settled for FOLD_EVERY, the same query splits its rows at the new H' (a CASE on the
id), the settled part is added to the base and the entry is written back: the delta stays
small, in number and in age, and the base is never counted again for it. (Counting the base
again once the delta reaches a share of it would put the full count back on the request path
every few thousand responses; folding costs nothing, the rows were counted anyway.) A survey
that stopped getting responses ends with nothing above H, and its requests with two queries.

Settled responses. A base may hold a response only when every response with a smaller id is
committed, or one committing late below H would never be counted: PostgreSQL hands out ids at
INSERT, and transactions commit in any order. Assumption: a response's transaction, which
writes its answers too, commits within COMMIT_WITHIN of its `submitted_at`, which `Response()`
sets inside that transaction, before the INSERT (surveys/services.py `response_record`; no
channel passes its own time). Then, at time T, any visible response h submitted before
T - 2 x COMMIT_WITHIN is a safe H: a response with a smaller id drew its id before h did (one
sequence, one id at a time, as Django creates it); h drew its id before its commit, which
came before submitted_at(h) + COMMIT_WITHIN < T - COMMIT_WITHIN; so the other one was
submitted before T - COMMIT_WITHIN and committed before T, before the query that reads it.
H' is the largest such id. The web processes' clocks must agree to well within COMMIT_WITHIN.
(SQLite has one writer at a time and never reuses an AUTOINCREMENT id: there ids commit in
order, and the rule costs nothing.) Rows written with an older `submitted_at` by hand (the
demo, the bench) are written before anyone reads them.

Counted again in full (H = 0), whole: a tally not in the cache; a new edit generation (a
response saved again or deleted, an answer saved on its own: the signals below; a bulk write
that sends no signal calls `bump`); new settings of what is counted (a tally's name carries
them: question ids, a cycle's mapping, a date range); and REBUILD_AFTER after the last full
count, a safety net for a write that slipped past all of these.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.cache import cache
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Min, Q, QuerySet, Value, When
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone

from surveys.models import Answer, Response

COMMIT_WITHIN = timedelta(minutes=5)
FOLD_AT = 1_000  # settled responses above H before the base takes them in (and is written)
FOLD_EVERY = timedelta(minutes=5)  # ... or once one of them has been settled this long
REBUILD_AFTER = timedelta(hours=1)
ENTRY_VERSION = 1  # raise when an entry's layout changes, so old entries are counted again

Counts = dict[tuple, tuple[int, ...]]  # key -> counts


@dataclass(frozen=True)
class Span:
    """The responses one tally query reads: the survey's with an id above `after`. Those up to
    `upto` are settled and go into the base (part 0), the others are added as they are (part 1)."""

    survey_id: int
    after: int = 0
    upto: int = 0

    def narrow(self, queryset: QuerySet, path: str = "") -> QuerySet:
        """`queryset` (of Response, or of a model that reaches it through `path`, "response__")
        kept to the span and annotated with `part`, which the tally groups by first."""
        lookups: dict[str, object] = {f"{path}survey_id": self.survey_id}
        if self.after and not path:
            lookups["id__gt"] = self.after
        elif self.after:
            # As a list of the survey's new responses: SQLite, offered "response_id > H", reads
            # the question's every answer through its index instead (80 ms, not 0.4, at 1M).
            newer = Response.objects.filter(survey_id=self.survey_id, id__gt=self.after).values("id")
            lookups[f"{path.removesuffix('__')}__in"] = newer
        part = Case(When(**{f"{path}id__lte": self.upto}, then=Value(0)), default=Value(1), output_field=IntegerField())
        return queryset.filter(**lookups).annotate(part=part)


@dataclass(frozen=True)
class Tally:
    """One GROUP BY over a survey's responses whose counts add up: `rows(span)` gives
    (part, *key, *counts) with `width` counts per row. `name` says what is counted and from
    which settings (question ids, values that count, dates): other settings, another base."""

    name: str
    rows: Callable[[Span], Iterable[tuple]]
    width: int = 1


def count_all(survey_id: int, tally: Tally) -> Counts:
    """The tally over every response now, from the database alone: what `counts` must equal."""
    out: Counts = {}
    _add_rows(tally, tally.rows(Span(survey_id)), out, out)
    return out


def counts(survey_id: int, tallies: Iterable[Tally]) -> dict[str, Counts]:
    """name -> the tally over every response of the survey now visible (module docstring)."""
    wanted = {t.name: t for t in tallies}
    if not wanted:
        return {}
    now = timezone.now()
    keys = {name: _entry_key(survey_id, name) for name in wanted}
    found = cache.get_many([*keys.values(), _generation_key(survey_id)])
    generation = found.get(_generation_key(survey_id), "")
    entries, rebuilt = {}, set()
    for name, key in keys.items():
        entries[name] = _usable(found.get(key), generation, now)
        if entries[name] is not found.get(key):
            rebuilt.add(name)
    after = min(entry[2] for entry in entries.values())

    horizon = now - 2 * COMMIT_WITHIN
    settled = Q(submitted_at__lt=horizon)
    above = Span(survey_id, after).narrow(Response.objects.all()).aggregate(
        total=Count("id"), settled=Count("id", filter=settled), last_settled=Max("id", filter=settled),
        first_settled=Min("submitted_at", filter=settled),
    )
    if not above["total"]:
        return {name: entry[1] for name, entry in entries.items()}
    fold = (bool(rebuilt) or above["settled"] >= min(FOLD_AT, above["total"])
            or (above["first_settled"] is not None and above["first_settled"] < horizon - FOLD_EVERY))
    last_settled = above["last_settled"] or 0

    out, moved = {}, {}
    for name, tally in wanted.items():
        _version, base, upto, _generation, counted_at = entries[name]
        new_upto = max(upto, last_settled) if fold else upto
        recent = dict(base)
        _add_rows(tally, tally.rows(Span(survey_id, upto, new_upto)), base, recent)
        out[name] = recent
        if new_upto != upto or name in rebuilt:
            moved[keys[name]] = (ENTRY_VERSION, base, new_upto, generation, counted_at)
    if moved:
        cache.set_many(moved, max(1, int(REBUILD_AFTER.total_seconds())))
    return out


def _usable(entry, generation: str, now: datetime) -> tuple:
    """The cached entry if it may be added to, else an empty one counted in full now."""
    if (isinstance(entry, tuple) and len(entry) == 5 and entry[0] == ENTRY_VERSION and entry[3] == generation
            and now - entry[4] < REBUILD_AFTER):
        return entry
    return (ENTRY_VERSION, {}, 0, generation, now)


def _add_rows(tally: Tally, rows: Iterable[tuple], base: Counts, recent: Counts) -> None:
    """Settled rows into `base` and `recent` (which starts as a copy of the base), the others
    into `recent` only."""
    width = tally.width
    for part, *rest in rows:
        key, numbers = tuple(rest[:-width]), tuple(rest[-width:])
        targets = (base, recent) if part == 0 and base is not recent else (recent,)
        for target in targets:
            old = target.get(key)
            target[key] = numbers if old is None else tuple(a + b for a, b in zip(old, numbers, strict=True))


# --- The edit generation ----------------------------------------------------------------------


def _entry_key(survey_id: int, name: str) -> str:
    digest = hashlib.sha1(name.encode(), usedforsecurity=False).hexdigest()
    return f"survey-tally:{survey_id}:{digest}"


def _generation_key(survey_id: int) -> str:
    return f"survey-tally:generation:{survey_id}"


def bump(survey_id: int) -> None:
    """The survey's counted responses changed: count every tally of it again in full.

    A new random mark, not a counter: a counter evicted from the cache and counted up again
    could come back to a value an old entry holds. Set now and again at commit: with a cache
    outside the database, a reader between the two could count the old rows under a mark set
    before the change committed."""

    def mark() -> None:
        cache.set(_generation_key(survey_id), uuid.uuid4().hex, None)

    mark()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(mark)


@receiver(post_save, sender=Response, dispatch_uid="survey-tallies-response-saved")
def _response_saved(sender, instance: Response, created: bool, **kwargs) -> None:
    # A new response has an id above every base's H (see the module docstring); an edited one
    # may be in a base.
    if not created:
        bump(instance.survey_id)


@receiver(post_delete, sender=Response, dispatch_uid="survey-tallies-response-deleted")
def _response_deleted(sender, instance: Response, **kwargs) -> None:
    bump(instance.survey_id)


@receiver(post_save, sender=Answer, dispatch_uid="survey-tallies-answer-saved")
def _answer_saved(sender, instance: Answer, **kwargs) -> None:
    # Answers are written in bulk (no signal) with their response; one saved on its own is an
    # edit of a response that may be in a base. (No post_delete receiver: it would make every
    # cascade load the answers; they go with their response, whose deletion is seen.)
    survey_id = Response.objects.filter(pk=instance.response_id).values_list("survey_id", flat=True).first()
    if survey_id is not None:
        bump(survey_id)
