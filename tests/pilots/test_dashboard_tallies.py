"""The pilot and survey dashboards from kept counts (surveys/tallies.py) equal the same
dashboards counted in full, whatever happens to the responses in between: new ones, settled
ones, ones committing late below newer ones, edited answers, moved and deleted responses."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from citylab.models import AgeBand, District
from pilots import dashboard
from pilots.models import Pilot
from surveys import tallies
from surveys.dashboard import Filters, survey_dashboard
from surveys.models import Answer, Channel, Kind, Response
from surveys.services import response_record
from tests.pilots.dashboard_factories import evaluation_survey, make_survey_cycle  # noqa: F401 - fixtures
from tests.surveys.conftest import add_question

pytestmark = pytest.mark.django_db

NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
AGES = ["18-29", "30-44", "45-59", "60-69", "70+"]
HELPED = ["signs", "staff", "large_text"]


@pytest.fixture
def counted_cycle(pilot, evaluation_survey):
    """The pilot's cycle evaluated by a survey with segment questions and a multiple choice."""
    add_question(evaluation_survey, "age", Kind.AGE_BAND, "您的年龄段？", "Your age band?")
    add_question(evaluation_survey, "district", Kind.DISTRICT, "您住在哪个区？", "Your district?")
    add_question(evaluation_survey, "helped", Kind.MULTIPLE, "什么帮到了您？", "What helped you?", required=False,
                 choices=[(v, v, v.replace("_", " ")) for v in HELPED])
    return make_survey_cycle(pilot, evaluation_survey)


def figures(planner, pilot, survey) -> dict:
    mine = Pilot.objects.for_member(planner).get(pk=pilot.pk)
    cycles = list(mine.cycles.select_related("adoption_question", "satisfaction_question").order_by("number"))
    d = dashboard.build(mine, dashboard.Filters(), districts=list(District.objects.all()),
                        bands=list(AgeBand.objects.all()), cycles=cycles)
    s = survey_dashboard(survey, Filters(), exact=True)
    return {
        "pilot": (d.rows, d.channel_counts, d.satisfaction_counts, d.adoption_source, d.whole_sources),
        "survey": (
            s.total.n, [(p.start, p.n.n) for p in s.periods], [(v, c.n) for v, _l, c in s.channels],
            [(c.band, c.district, c.actual.n, c.expected) for c in s.coverage], s.no_segment.n,
            [(q.question.key, q.answered.n, [(o.value, c.n) for o, c in q.options]) for q in s.questions],
        ),
    }


answers = st.fixed_dictionaries(
    {"used": st.sampled_from(["weekly", "once", "never", "prefer_not_to_say"]), "age": st.sampled_from(AGES),
     "district": st.sampled_from(["laocheng", "xingang"])},
    optional={"satisfied": st.sampled_from(["1", "2", "3", "4", "5"]),
              "helped": st.lists(st.sampled_from(HELPED), min_size=1, unique=True)},
)
channels = st.sampled_from([Channel.WEB, Channel.PAPER, Channel.ASSISTED])
add = st.tuples(st.just("add"), answers, channels, st.booleans())  # True: submitted a day ago, settled
hold = st.tuples(st.just("hold"), answers, channels)  # its id is drawn, its transaction not committed
commit = st.tuples(st.just("commit"), st.integers(0, 3))
# New responses are the common case; an edit has everything counted again, which hides the rest.
steps = st.lists(
    st.one_of(
        add, add, add, hold, hold, commit, commit,
        st.tuples(st.just("edit"), st.integers(0, 40), st.sampled_from(["weekly", "never"])),
        st.tuples(st.just("move"), st.integers(0, 40)),
        st.tuples(st.just("delete"), st.integers(0, 40)),
    ),
    min_size=1, max_size=10,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps)
def test_kept_counts_equal_a_full_count_after_any_changes(planner, pilot, counted_cycle, places, monkeypatch, steps):
    monkeypatch.setattr(tallies, "FOLD_AT", 2)  # fold often
    survey = counted_cycle.survey
    Response.objects.filter(survey=survey).delete()
    cache.clear()
    held: list[tuple[dict, list[dict]]] = []
    for step in steps:
        existing = list(Response.objects.filter(survey=survey).order_by("pk"))
        if step[0] in ("add", "hold"):
            response = response_record(survey=survey, answers=step[1], channel=step[2])
            # Nothing settles above a response still being written: its transaction commits
            # within the horizon of a time set before any later id was drawn.
            if step[0] == "add" and step[3] and not held:
                Response.objects.filter(pk=response.pk).update(submitted_at=timezone.now() - timedelta(days=1))
            if step[0] == "hold":
                row = Response.objects.filter(pk=response.pk).values().get()
                rows = list(Answer.objects.filter(response=response).values())
                with connection.cursor() as cursor:  # no signal: it was never seen
                    cursor.execute("DELETE FROM surveys_answer WHERE response_id = %s", [response.pk])
                    cursor.execute("DELETE FROM surveys_response WHERE id = %s", [response.pk])
                held.append((row, rows))
        elif step[0] == "commit" and held:
            row, rows = held.pop(step[1] % len(held))
            Response.objects.bulk_create([Response(**row)])
            Answer.objects.bulk_create([Answer(**a) for a in rows])
        elif step[0] == "edit" and existing:
            answer = Answer.objects.filter(response=existing[step[1] % len(existing)], question__key="used").first()
            answer.value = step[2]
            answer.save()
        elif step[0] == "move" and existing:
            response = existing[step[1] % len(existing)]
            response.district = District.objects.exclude(pk=response.district_id).first()
            response.save()
        elif step[0] == "delete" and existing:
            existing[step[1] % len(existing)].delete()
        kept = figures(planner, pilot, survey)
        with override_settings(CACHES=NO_CACHE):
            assert kept == figures(planner, pilot, survey), step


def test_a_new_mapping_is_counted_in_full_and_the_rest_stays_kept(planner, pilot, counted_cycle, places):
    from tests.surveys.test_tallies import above, reads

    survey = counted_cycle.survey
    for i in range(6):
        response_record(survey=survey, answers={"used": ["weekly", "never"][i % 2], "age": AGES[i % 5],
                                                "district": "laocheng", "satisfied": "4"}, channel=Channel.WEB)
    Response.objects.filter(survey=survey).update(submitted_at=timezone.now() - timedelta(days=1))
    def adopters(shown) -> int:
        return sum(row[3] for row in shown["pilot"][0])

    assert adopters(figures(planner, pilot, survey)) == 3  # "weekly"
    counted_cycle.adopted_values = ["once"]
    counted_cycle.save()
    with CaptureQueriesContext(connection) as captured:
        shown = figures(planner, pilot, survey)
    assert adopters(shown) == 0
    with override_settings(CACHES=NO_CACHE):
        assert shown == figures(planner, pilot, survey)
    segments = [sql for sql in reads(captured) if "adopters" in sql]
    others = [sql for sql in reads(captured) if "adopters" not in sql and "GROUP BY" in sql]
    last = Response.objects.filter(survey=survey).order_by("-pk").first().pk
    assert segments and not any(above(sql) for sql in segments)  # the new mapping: every answer
    assert others and all(above(sql, last) for sql in others)  # the rest: kept, nothing new to count
