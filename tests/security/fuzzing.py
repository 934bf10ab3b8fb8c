"""Fuzzing the forms people post: what to send, and what must hold afterwards.

Each form is read from the page that shows it (its fields, their options and starting values),
so the fuzzer posts what a browser could, then everything a browser would not: fields left out
or repeated, unknown keys, NUL bytes, lone surrogates (sent as the bytes an attacker would type,
which Django decodes to U+FFFD), huge strings, RTL and emoji text, numbers out of range, files
that lie about what they are. After every post three things must hold:

- the server answered without an error (a view that raises fails the test with the example);
- a refused post (anything but a redirect, or a redirect carrying an error message) changed no
  row of any table (but the UNWATCHED, below);
- no query carried a NUL character: PostgreSQL refuses NUL in text and jsonb, in lookups too,
  so on PostgreSQL that request would have been a 500, though SQLite takes it.

Two passes per group of forms: a sweep that attacks every field of every form, one at a time,
with the values that most often break a save (certain to run, and the same each time), then
Hypothesis for everything in combination.

Every example runs in a savepoint that is rolled back, so each starts from the same data.
"""

from __future__ import annotations

import copy
import logging
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.apps import apps
from django.contrib import messages
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, given, note, settings
from hypothesis.control import currently_in_test_context
from hypothesis.errors import HypothesisWarning
from hypothesis import strategies as st

from tests.security.fuzz_input import (  # noqa: F401  (the tests import these from here)
    NASTY_TEXT, Field, Form, Upload, Value, any_text, encode, form_for, forms_on, nasty_text, nasty_value, posted,
)

# Tables a refused post may still write, and why:
# - django_session: the visit itself (the signed-in user, messages, allauth's login stage) is
#   kept there, whatever the outcome of one post;
# - citylab_auditevent: the audit trail records access, refused attempts included (a planner
#   who opens an officer's application sees its contact details even when the decision posted
#   with it is refused, and that look is audited).
# Rate limits count in the cache (the citylab_cache table, which is not a model), so no rate
# limit table needs an exception here.
UNWATCHED = frozenset({"django_session", "citylab_auditevent"})

SUCCESS = frozenset({301, 302, 303})

# (path, status) of every request made, for a look at what the fuzzing reached:
# `pytest -s` prints them at the end of each fuzz() call.
OUTCOMES: Counter = Counter()


# --- What must hold ----------------------------------------------------------------------------


def watched_tables() -> list[str]:
    """Every model's table, many-to-many tables included, but the UNWATCHED."""
    models = apps.get_models(include_auto_created=True)
    return sorted({m._meta.db_table for m in models if m._meta.managed and not m._meta.proxy} - UNWATCHED)


def snapshot(tables: Sequence[str]) -> dict[str, Counter]:
    """Every row of every watched table: row counts alone would miss an UPDATE."""
    rows: dict[str, Counter] = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = Counter(
                tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()
            )
    return rows


def changes(before: dict[str, Counter], after: dict[str, Counter]) -> dict[str, tuple[Counter, Counter]]:
    """Per changed table: (rows added, rows removed); an updated row is one of each."""
    found = {}
    for table, rows in after.items():
        added, removed = rows - before[table], before[table] - rows
        if added or removed:
            found[table] = (added, removed)
    return found


def _nul(value: object) -> bool:
    """NUL as text or as JSON's escape of it: PostgreSQL refuses both (text, jsonb)."""
    return isinstance(value, str) and ("\x00" in value or "\\u0000" in value)


class NulWatch:
    """Every query sent while watching whose parameters carry a NUL: PostgreSQL refuses them,
    lookups as well as writes, so each would be a server error there (SQLite takes them)."""

    def __init__(self) -> None:
        self.queries: list[str] = []

    def __call__(self, execute, sql, params, many, context):
        for row in (params if many else [params]) or []:
            values = row.values() if isinstance(row, dict) else row or []
            if any(_nul(value) for value in values):
                self.queries.append(sql[:300])
        return execute(sql, params, many, context)


def refused(response) -> bool:
    """Not a success: any status but a redirect, or a redirect that carries an error message."""
    if response.status_code not in SUCCESS:
        return True
    request = response.wsgi_request
    if not hasattr(request, "_messages"):
        return False
    return any(message.level >= messages.ERROR for message in messages.get_messages(request))


@contextmanager
def rolled_back() -> Iterator[None]:
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def check_post(client: Client, url: str, pairs: list[tuple[str, Value]], *, multipart: bool = False,
               method: str = "POST", tables: Sequence[str] | None = None):
    """Post `pairs` to `url` (or GET it with them as the query); fail if the server errs, a
    refused request writes, or a query carries a NUL character."""
    tables = tables if tables is not None else watched_tables()
    before = snapshot(tables)
    nul = NulWatch()
    with connection.execute_wrapper(nul):
        if method == "GET":
            query, _type = encode(pairs, multipart=False)
            response = client.get(f"{url}?{query.decode()}" if query else url)  # a view's error raises
        else:
            body, content_type = encode(pairs, multipart=multipart)
            response = client.post(url, data=body, content_type=content_type)
    assert response.status_code < 500, f"{method} {url}: {response.status_code}"
    assert not nul.queries, f"{method} {url} sent a NUL to the database (PostgreSQL refuses it): {nul.queries[0]}"
    OUTCOMES[(urlsplit(url).path, response.status_code)] += 1
    changed = changes(before, snapshot(tables))
    summary = {table: f"+{sum(a.values())} -{sum(r.values())}" for table, (a, r) in changed.items()}
    if currently_in_test_context():
        note(f"{method} {url} -> {response.status_code}, changed {summary}")
    if refused(response):
        assert not changed, f"{method} {url} was refused ({response.status_code}) but changed {summary}"
    return response


def choose(data: st.DataObject | None, options: Sequence, label: str):
    """A drawn option, or the first one when there is nothing to draw from (the sweep)."""
    return options[0] if data is None else data.draw(st.sampled_from(list(options)), label=label)


@dataclass
class Target:
    """One form to fuzz: where it posts, its fields, and what the example needs first."""

    url: str
    form: Form
    hints: dict[str, Sequence[str]] = field(default_factory=dict)
    files: st.SearchStrategy[Upload] | None = None
    good_file: Upload | None = None  # sent by the sweep, which attacks the other fields
    # Runs inside the example's savepoint before the post, and may draw (data is None in the
    # sweep: take the first option, see `choose`): a survey's state, a visitor's answers.
    # It may return another URL to post to.
    prepare: Callable[[st.DataObject | None], str | None] | None = None
    method: str = "POST"
    sweep: bool = True  # False for a form the sweep already attacks through another target
    # The sweep first posts the baseline and, when this is set, fails unless it is accepted:
    # proof that the attacks on each field travel as far as a save.
    accepts_baseline: bool = False
    sweep_files: Sequence[Upload] = ()  # each sent once by the sweep, in every file field

    def __repr__(self) -> str:  # the form's fields are in the drawn pairs; the URL says which form
        return f"Target({self.method} {self.url})"

    @property
    def multipart(self) -> bool:
        return "multipart" in self.form.enctype


def baseline(target: Target) -> list[tuple[str, Value]]:
    """One plausible post: what the untouched form sends (an edit form's current values), with
    an empty required field given its hint, its first real option, or a value of its type."""
    typed = {"date": "2026-05-01", "datetime-local": "2026-05-01T09:00", "email": "resident@residents.example",
             "tel": "13900001234"}
    pairs: list[tuple[str, Value]] = []
    for entry in target.form.fields.values():
        required = "required" in entry.attrs
        if entry.kind == "submit":
            continue
        if entry.kind == "file":
            pairs.append((entry.name, target.good_file or Upload("file.bin", b"file")))
        elif entry.name in target.hints:
            pairs += [(entry.name, value) for value in target.hints[entry.name][:1]]
        elif entry.kind.startswith("select") or (entry.initial and entry.initial != [""]):
            pairs += [(entry.name, value) for value in entry.initial]
        elif entry.kind in ("radio", "checkbox"):
            options = [o for o in entry.options if o]
            pairs += [(entry.name, options[0])] if required and options else []
        elif not required:
            pairs.append((entry.name, ""))
        elif entry.kind == "number" or entry.attrs.get("inputmode") in ("numeric", "decimal"):
            pairs.append((entry.name, entry.attrs.get("min") or "1"))
        else:
            pairs.append((entry.name, typed.get(entry.kind, "社区")))
    return pairs


def sweep_values(entry: Field) -> list[str | list[str]]:
    """The sweep's attacks on one field, by its type: the values that most often get past a
    form into a save (NUL, overflowing numbers and dates) or past a view's reading of it
    (a repeated key); the long tail is Hypothesis's work."""
    values: list[str | list[str]] = ["a\x00b", ["1", "2"]]
    if entry.kind in ("text", "textarea", "hidden", "search"):
        values.append("x" * 100_000)
    if entry.kind in ("number", "hidden", "select", "radio", "checkbox"):
        # 2**31 overflows PostgreSQL's integer; 10**40 any integer column, and SQLite's driver
        # raised on it in a checkbox list of records (`pk__in`: see citylab/lookups.py)
        values += ["9" * 40, "2147483648", "-1", "1e309"]
    if entry.kind in ("date", "datetime-local"):
        values += ["0001-01-01T00:00", "9999-12-31T23:59", "10000-01-01"]
    return values


def post_once(client: Client, target: Target, pairs: list[tuple[str, Value]], data: st.DataObject | None,
              cookies, tables: Sequence[str]):
    """One checked post of `pairs` to the target, from the starting cookies, rolled back."""
    with rolled_back():
        client.cookies = copy.deepcopy(cookies)
        url = (target.prepare(data) if target.prepare is not None else None) or target.url
        return check_post(client, url, pairs, multipart=target.multipart, method=target.method, tables=tables)


def sweep(client: Client, targets: Sequence[Target], tables: Sequence[str], cookies) -> int:
    """Every field of every target, attacked one at a time with the sharp values while the
    others keep their plausible ones: the classes that matter most, each tried for certain.
    Every failure is listed, not only the first."""
    posts, failures = 0, []
    for target in (t for t in targets if t.sweep):
        base = baseline(target)
        attacks = [(None, None)] if target.accepts_baseline else []
        for entry in target.form.fields.values():
            if entry.kind == "file":
                attacks += [(entry.name, value) for value in target.sweep_files]
            elif entry.kind != "submit":
                attacks += [(entry.name, value) for value in sweep_values(entry)]
        for name, value in attacks:
            values = value if isinstance(value, list) else [value]
            pairs = base if name is None else [(k, v) for k, v in base if k != name] + [(name, v) for v in values]
            shown = f"{value.name!r}: {value.content[:40]!r}" if isinstance(value, Upload) else repr(value)
            try:
                response = post_once(client, target, pairs, None, cookies, tables)
            except Exception as error:
                failures.append(f"{name}={shown:.80} on {target.url}: {error!r:.600}")
                continue
            finally:
                posts += 1
            if name is None and refused(response):
                form = response.context.get("form") if response.context else None
                failures.append(f"baseline {base!r:.300} on {target.url} refused: {response.status_code} "
                                f"{getattr(form, 'errors', '')}")
    assert not failures, f"{len(failures)} of {posts} sweep posts failed:\n" + "\n".join(failures)
    return posts


def fuzz(client: Client, targets: Sequence[Target], *, examples: int = 40, sweep_first: bool = True) -> None:
    """The sweep, then `examples` posts drawn by Hypothesis; each checked and rolled back."""
    tables = watched_tables()
    cookies = copy.deepcopy(client.cookies)
    OUTCOMES.clear()
    try:
        with quiet_refusals():
            if sweep_first:
                sweep(client, targets, tables, cookies)
            _hypothesis(client, targets, tables, cookies, examples)
    finally:
        client.cookies = cookies  # the browser as it was, not as the last example left it
    print("\n".join(f"{count:5} {status} {path}" for (path, status), count in sorted(OUTCOMES.items())))


@contextmanager
def quiet_refusals() -> Iterator[None]:
    """Thousands of 400s and 404s need no log line each (capturing them is slow); errors still log."""
    logger = logging.getLogger("django.request")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def _hypothesis(client: Client, targets: Sequence[Target], tables: Sequence[str], cookies, examples: int) -> None:
    @settings(max_examples=examples, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def run(data: st.DataObject) -> None:
        target = targets[data.draw(st.integers(0, len(targets) - 1), label="target")]
        note(repr(target))
        pairs = data.draw(posted(target.form, hints=target.hints, files=target.files), label="posted")
        post_once(client, target, pairs, data, cookies, tables)

    with warnings.catch_warnings():
        # The strategies hold the sample files and the 100,000-character strings: their repr is
        # large, and Hypothesis says so each time it builds one.
        warnings.filterwarnings("ignore", message="Generating overly large repr", category=HypothesisWarning)
        run()
