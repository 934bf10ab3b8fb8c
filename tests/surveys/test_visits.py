"""The resident pages' first read: the survey and this browser's progress in one query, with
the same values the ORM gives."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from surveys.models import Progress, Survey
from surveys.visits import MAX_TOKENS, save_answers, survey_visit


def fields(instance) -> dict[str, object]:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def test_survey_and_progress_equal_what_the_orm_reads(survey, django_assert_num_queries):
    mine = Progress.objects.create(survey=survey, token="mine", answers={"age": "70+", "problems": ["slow"]}, seen=["age"])
    with django_assert_num_queries(1):
        found, progress = survey_visit("door-access", ["elsewhere", "mine"])
    assert fields(found) == fields(Survey.objects.get(pk=survey.pk))
    assert fields(progress) == fields(Progress.objects.get(pk=mine.pk))
    assert progress.answers == {"age": "70+", "problems": ["slow"]} and progress.created_at.tzinfo is not None
    with django_assert_num_queries(0):
        assert progress.survey is found


def test_no_tokens_or_other_surveys_tokens_give_the_survey_alone(survey, team):
    other = Survey.objects.create(team=team, slug="other", title_zh="别的")
    Progress.objects.create(survey=other, token="theirs")
    assert survey_visit("door-access", [])[1] is None
    found, progress = survey_visit("door-access", ["theirs"])
    assert found.pk == survey.pk and progress is None


def test_unknown_slug_gives_nothing(survey):
    Progress.objects.create(survey=survey, token="mine")
    assert survey_visit("no-such-survey", ["mine"]) == (None, None)


def test_many_cookies_are_capped(survey):
    Progress.objects.create(survey=survey, token="mine")
    tokens = [f"junk-{i}" for i in range(100)]
    assert survey_visit("door-access", tokens + ["mine"])[1] is None  # past the cap: not read
    assert survey_visit("door-access", ["mine", *tokens])[1].token == "mine"
    assert MAX_TOKENS < 100


def test_save_answers_writes_what_the_orm_would(survey, django_assert_num_queries):
    progress = Progress.objects.create(survey=survey, token="mine", answers={"age": "70+"}, seen=["age"])
    before = progress.updated_at
    progress.answers["problems"] = ["slow", "small"]
    progress.seen.append("problems")
    with django_assert_num_queries(1):
        save_answers(progress)
    stored = Progress.objects.get(pk=progress.pk)
    assert stored.answers == {"age": "70+", "problems": ["slow", "small"]} and stored.seen == ["age", "problems"]
    assert stored.updated_at == progress.updated_at > before


def test_save_answers_inserts_a_new_or_vanished_progress(survey):
    fresh = Progress(survey=survey, token="new", answers={"age": "70+"}, seen=["age"])
    save_answers(fresh)
    assert Progress.objects.get(token="new").answers == {"age": "70+"}
    Progress.objects.filter(pk=fresh.pk).delete()
    save_answers(fresh)  # deleted meanwhile (by an admin, a clean-up): written again, as save() did
    assert Progress.objects.get(token="new").pk == fresh.pk


@pytest.mark.django_db(transaction=True)
def test_an_answer_in_progress_commits_without_waiting_for_the_disk_and_nothing_else_does(survey):
    """On PostgreSQL the progress UPDATE turns synchronous_commit off for its own transaction
    only: the next statement, and a submitted response, commit as durably as ever."""
    if connection.vendor != "postgresql":
        pytest.skip("synchronous_commit is PostgreSQL's")
    progress = Progress.objects.create(survey=survey, token="mine", answers={}, seen=[])

    def setting() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            return cursor.fetchone()[0]

    with transaction.atomic():  # to see the setting inside the statement's transaction
        progress.answers = {"age": "70+"}
        save_answers(progress)
        assert setting() == "off"
    assert setting() == "on"  # autocommit: it ended with that transaction
    progress.answers = {"age": "60-69"}
    save_answers(progress)
    assert setting() == "on"
    assert Progress.objects.get(pk=progress.pk).answers == {"age": "60-69"}
