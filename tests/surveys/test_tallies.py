"""The dashboards' kept counts (surveys/tallies.py): a new response is counted on its own and
added, in a fixed number of queries that read only the responses above the kept id; a
response that commits late below newer ones is still counted; and the counts are taken again
in full after an edit, after REBUILD_AFTER, and folded forward once enough is settled."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from surveys import tallies
from surveys.dashboard import Filters, cubes, survey_dashboard
from surveys.models import Answer, Response
from tests.surveys.test_results import make_responses

pytestmark = pytest.mark.django_db


def respond(survey, count: int, start: int, *, ago: timedelta | None = None) -> None:
    """`count` responses submitted `ago` (settled when older than twice COMMIT_WITHIN), or
    just now (make_responses' times: now, a minute later, ...)."""
    before = last_id(survey) or 0
    make_responses(survey, count, start=start)
    if ago is not None:
        Response.objects.filter(survey=survey, pk__gt=before).update(submitted_at=timezone.now() - ago)


DAY = timedelta(days=1)


def figures(survey) -> dict:
    d = survey_dashboard(survey, Filters(), exact=True)
    return {
        "total": d.total.n,
        "channels": {value: c.n for value, _label, c in d.channels},
        "coverage": {(c.band, c.district): c.actual.n for c in d.coverage},
        "questions": {q.question.key: (q.answered.n, {o.value: c.n for o, c in q.options}) for q in d.questions},
    }


def full_count(survey) -> dict:
    """Every cube counted from the database alone, as the cache must add up to."""
    questions = [q for q in survey.questions.all() if q.kind in {"single", "multiple", "yes_no", "scale"}]
    return {t.name: tallies.count_all(survey.pk, t) for t in cubes(questions, Filters()).values()}


def kept(survey) -> dict:
    questions = [q for q in survey.questions.all() if q.kind in {"single", "multiple", "yes_no", "scale"}]
    return tallies.counts(survey.pk, cubes(questions, Filters()).values())


def reads(captured) -> list[str]:
    """The captured queries that read responses or answers."""
    return [q["sql"] for q in captured.captured_queries if re.search(r'FROM "surveys_(response|answer)"', q["sql"])]


def above(sql: str, last: int | None = None) -> bool:
    """The query is kept to the responses with an id above `last` (above any id: None)."""
    number = r"\d+" if last is None else str(last)
    return re.search(rf'"id" > {number}\b', sql) is not None  # the responses' id, or in a list of them


def figures_of_full_count(survey) -> dict:
    """The same figures with a cache that keeps nothing: every cube counted in full."""
    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        return figures(survey)


def last_id(survey) -> int | None:
    return Response.objects.filter(survey=survey).order_by("-pk").values_list("pk", flat=True).first()


def test_a_new_response_is_counted_on_its_own_in_a_fixed_number_of_queries(survey):
    respond(survey, 10, 0, ago=DAY)
    assert figures(survey)["total"] == 10  # counted in full, every response settled: kept up to the last
    counted_to = last_id(survey)
    respond(survey, 1, 10)
    with CaptureQueriesContext(connection) as one:
        shown = figures(survey)
    assert shown == figures_of_full_count(survey) and shown["total"] == 11
    assert reads(one) and all(above(sql, counted_to) for sql in reads(one)), reads(one)
    respond(survey, 30, 11)
    with CaptureQueriesContext(connection) as more:
        assert figures(survey)["total"] == 41
    assert len(more) == len(one)
    assert all(above(sql, counted_to) for sql in reads(more))


def test_a_response_committed_late_below_newer_ones_is_counted(survey, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_AT", 1)
    respond(survey, 4, 0, ago=DAY)
    assert figures(survey)["total"] == 4
    counted_to = last_id(survey)
    # Two residents submit; the first one's transaction draws its id and has not committed when
    # the second one's commits. (Simulated: the first row is written and taken away again.)
    respond(survey, 2, 4)
    late, newer = Response.objects.filter(survey=survey).order_by("pk")[4:6]
    late_answers = list(Answer.objects.filter(response=late).values("question_id", "value", "number", "text"))
    with connection.cursor() as cursor:  # no signal: as if it were not committed yet
        cursor.execute("DELETE FROM surveys_answer WHERE response_id = %s", [late.pk])
        cursor.execute("DELETE FROM surveys_response WHERE id = %s", [late.pk])
    Response.objects.filter(pk=newer.pk).update(submitted_at=timezone.now() - timedelta(minutes=4))
    # The newer one is four minutes old: not settled (a base holding it could leave the late
    # one below its id), so it is counted above the kept id, not folded in.
    with CaptureQueriesContext(connection) as captured:
        assert figures(survey)["total"] == 5
    assert all(above(sql, counted_to) for sql in reads(captured))
    # The late one commits, with the time its transaction set, five minutes ago.
    late.submitted_at = timezone.now() - timedelta(minutes=5)
    Response.objects.bulk_create([late])
    Answer.objects.bulk_create([Answer(response_id=late.pk, **a) for a in late_answers])
    assert figures(survey)["total"] == 6
    assert kept(survey) == full_count(survey)


def test_settled_responses_are_folded_in_once_there_are_enough_or_after_a_while(survey, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_AT", 3)
    respond(survey, 5, 0, ago=DAY)
    figures(survey)
    first = last_id(survey)
    just_settled = 2 * tallies.COMMIT_WITHIN + timedelta(minutes=1)
    respond(survey, 2, 5, ago=just_settled)
    respond(survey, 1, 7)  # two settled above the kept id, fewer than FOLD_AT, and one that is not
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert figures(survey)["total"] == 8
        assert all(above(sql, first) for sql in reads(captured))  # still counted above the first
    respond(survey, 1, 8, ago=just_settled)  # three settled: folded in, up to this one
    folded_to = last_id(survey)
    assert figures(survey)["total"] == 9
    with CaptureQueriesContext(connection) as captured:
        shown = figures(survey)
    assert shown == figures_of_full_count(survey)
    assert reads(captured) and all(above(sql, folded_to) for sql in reads(captured))
    # One settled response, but settled for longer than FOLD_EVERY: folded in too.
    respond(survey, 1, 9, ago=just_settled + tallies.FOLD_EVERY + timedelta(minutes=1))
    respond(survey, 1, 10)
    settled_to = last_id(survey) - 1
    figures(survey)
    with CaptureQueriesContext(connection) as captured:
        assert figures(survey)["total"] == 11
    assert all(above(sql, settled_to) for sql in reads(captured))
    assert kept(survey) == full_count(survey)


def test_an_edit_has_everything_counted_again(survey):
    respond(survey, 6, 0, ago=DAY)
    figures(survey)
    answer = Answer.objects.filter(question__key="uses_phone", value="no").order_by("pk").first()
    answer.value = "yes"
    answer.save()
    with CaptureQueriesContext(connection) as captured:
        shown = figures(survey)
    assert shown == figures_of_full_count(survey)
    assert reads(captured) and not any(above(sql) for sql in reads(captured))  # the whole survey again
    Response.objects.order_by("pk").first().delete()
    assert figures(survey) == figures_of_full_count(survey)


def test_a_change_no_signal_reported_is_caught_after_rebuild_after(survey, monkeypatch):
    respond(survey, 6, 0, ago=DAY)
    before = figures(survey)
    Answer.objects.filter(question__key="uses_phone").update(value="yes")  # a bulk write: no signal
    assert figures(survey) == before  # the kept counts do not know
    monkeypatch.setattr(tallies, "REBUILD_AFTER", timedelta(0))
    assert figures(survey)["questions"]["uses_phone"] == (6, {"yes": 6, "no": 0})


def test_a_date_range_is_a_count_of_its_own(survey):
    respond(survey, 4, 0, ago=3 * DAY)
    respond(survey, 2, 4, ago=timedelta(hours=1))
    today = timezone.localdate()
    recent = survey_dashboard(survey, Filters(date_from=today - timedelta(days=1)), exact=True)
    every = survey_dashboard(survey, Filters(), exact=True)
    assert (recent.total.n, every.total.n) == (2, 6)
    assert next(q for q in recent.questions if q.question.key == "ease").answered.n == 2


def test_kept_counts_equal_a_full_count_as_responses_arrive(survey, monkeypatch):
    monkeypatch.setattr(tallies, "FOLD_AT", 2)
    for i in range(0, 12, 3):
        respond(survey, 3, i, ago=DAY if i % 2 == 0 else None)
        assert kept(survey) == full_count(survey)
    assert sum(n for (n,) in kept(survey)[cubes([], Filters())["responses"].name].values()) == 12
