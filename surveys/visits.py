"""The read every resident page starts with (the survey by its slug and, in the same query, this
browser's answers in progress) and the write every answer ends with.

Written as SQL built once per process from the models' own fields rather than as QuerySets:
the ORM compiled these statements afresh on every page, and compiling took longer (about
0.5 ms to read, 0.25 ms to write) than PostgreSQL took to run them, on the pages residents
load most. Values go through the fields' own converters and adapters (JSON, dates on
SQLite), so the instances and rows are the ones the ORM would have made or written, and a
field added to either model is read without touching this module.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

from django.db import connections, router
from django.db.models import Field, Model
from django.db.models.expressions import Col

from surveys.models import Progress, Survey

# A browser sends only the cookies of this survey's path, so one token is the rule; the cap
# keeps a tampered request from making the SQL (and its cache below) grow without end.
MAX_TOKENS = 8


class _Columns:
    """One model's columns in the SELECT, and how to turn their values into an instance."""

    def __init__(self, model: type[Model], alias: str, table: str) -> None:
        connection = connections[alias]
        self.model = model
        self.fields: list[Field] = list(model._meta.concrete_fields)
        self.attnames = [field.attname for field in self.fields]
        quote = connection.ops.quote_name
        self.sql = [f"{quote(table)}.{quote(field.column)}" for field in self.fields]
        self.converters = []
        for index, field in enumerate(self.fields):
            column = Col(table, field)
            found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
            if found:
                self.converters.append((index, found, column))

    def instance(self, alias: str, values: Sequence[object]) -> Model:
        values = list(values)
        connection = connections[alias]
        for index, converters, column in self.converters:
            for convert in converters:
                values[index] = convert(values[index], column, connection)
        return self.model.from_db(alias, self.attnames, values)


@functools.lru_cache(maxsize=2 * (MAX_TOKENS + 1))
def _query(alias: str, token_count: int) -> tuple[str, _Columns, _Columns]:
    survey_table, progress_table = Survey._meta.db_table, Progress._meta.db_table
    survey, progress = _Columns(Survey, alias, survey_table), _Columns(Progress, alias, progress_table)
    quote = connections[alias].ops.quote_name
    s, p = quote(survey_table), quote(progress_table)
    matches = f"{p}.{quote('token')} IN ({', '.join(['%s'] * token_count)})" if token_count else "1 = 0"
    # A LEFT JOIN gives either this browser's progress rows or one row of NULLs, never both, so
    # the ORDER BY picks the oldest progress (as `.first()` did) on every database.
    # Only quoted names from the models go into the text; every value is a %s parameter.
    sql = (
        f"SELECT {', '.join(survey.sql + progress.sql)} FROM {s} "  # nosec B608
        f"LEFT OUTER JOIN {p} ON ({p}.{quote('survey_id')} = {s}.{quote('id')} AND {matches}) "
        f"WHERE {s}.{quote('slug')} = %s ORDER BY {p}.{quote('id')} LIMIT 1"
    )
    return sql, survey, progress


def survey_visit(slug: str, tokens: Sequence[str]) -> tuple[Survey | None, Progress | None]:
    """The survey with this slug (None when there is none) and the progress, among those the
    tokens name, that belongs to it (None when none does). One query."""
    tokens = list(dict.fromkeys(tokens))[:MAX_TOKENS]
    alias = router.db_for_read(Survey)
    sql, survey_columns, progress_columns = _query(alias, len(tokens))
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [*tokens, slug])
        row = cursor.fetchone()
    if row is None:
        return None, None
    split = len(survey_columns.fields)
    survey = survey_columns.instance(alias, row[:split])
    if row[split] is None:  # no progress: the joined columns are NULL
        return survey, None  # type: ignore[return-value]
    progress = progress_columns.instance(alias, row[split:])
    progress.survey = survey  # type: ignore[attr-defined]
    return survey, progress  # type: ignore[return-value]


# What answering a question changes; `updated_at` is set the way its auto_now field sets it.
ANSWER_FIELDS = ("answers", "seen", "updated_at")


@functools.lru_cache(maxsize=4)
def _update(alias: str) -> tuple[str, list[Field]]:
    quote = connections[alias].ops.quote_name
    fields = [Progress._meta.get_field(name) for name in ANSWER_FIELDS]
    assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
    table, pk = quote(Progress._meta.db_table), quote(Progress._meta.pk.column)
    relaxed = ""
    if connections[alias].vendor == "postgresql":
        # An answer in progress need not wait for the disk: with synchronous_commit off for
        # this one statement's transaction, a crash of the server can lose at most the last
        # fraction of a second of answers (the resident answers that question again), never
        # leave the database inconsistent. A submitted response still commits synchronously.
        # set_config(..., true) lasts until this statement's commit, inside one round trip.
        relaxed = " FROM (SELECT set_config('synchronous_commit', 'off', true)) AS relaxed"
    # As above: quoted column names from the model, values as parameters.
    sql = f"UPDATE {table} SET {assignments}{relaxed} WHERE {table}.{pk} = %s"  # nosec B608
    return sql, fields


def save_answers(progress: Progress) -> None:
    """Write a stored progress's answers and seen questions: what `save(update_fields=...)`
    would write, in one UPDATE. A progress not stored yet (or gone meanwhile) is saved by the
    ORM as before."""
    alias = router.db_for_write(Progress)
    if progress.pk is not None:
        sql, fields = _update(alias)
        connection = connections[alias]
        values = [field.get_db_prep_save(field.pre_save(progress, False), connection) for field in fields]
        with connection.cursor() as cursor:
            cursor.execute(sql, [*values, progress.pk])
            if cursor.rowcount == 1:
                progress._state.db = alias
                return
    progress.save(using=alias)
