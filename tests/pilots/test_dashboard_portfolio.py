"""The portfolio: every pilot of the team with its verdict, every open survey by channel, in a
number of queries that does not grow with pilots or responses."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from pilots.evaluation import evaluate_cycle
from pilots.models import Cycle, Pilot, Stage
from pilots.portfolio import pilot_rows, survey_rows_by_channel
from surveys.models import Response
from tests.pilots.dashboard_factories import (  # noqa: F401 - fixtures
    CYCLE_1,
    add_responses,
    evaluation_survey,
    make_survey_cycle,
    two_cycles,
)

pytestmark = pytest.mark.django_db
URL = "/staff/portfolio/"


@pytest.fixture(autouse=True)
def _english(client, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def test_portfolio_url():
    assert reverse("pilots:portfolio") == URL


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer"])
def test_members_see_their_pilots_and_open_surveys(client, request, persona, pilot, two_cycles, other_pilot,
                                                   evaluation_survey):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert pilot.name in html and evaluation_survey.title_en in html
    assert other_pilot.name not in html
    assert reverse("pilots:pilot_dashboard", args=[pilot.pk]) in html


def test_other_team_sees_none_of_it(client, other_planner, pilot, two_cycles, evaluation_survey):
    client.force_login(other_planner)
    html = client.get(URL).content.decode()
    assert pilot.name not in html and evaluation_survey.title_en not in html


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(URL).status_code == HTTPStatus.FOUND


def test_verdicts_equal_the_pilot_pages(planner, pilot, two_cycles, evaluation_survey, team):
    """Batched counting gives the same verdicts as evaluating each pilot on its own."""
    add_responses(evaluation_survey, 60)
    survey_pilot = Pilot.objects.create(team=team, name="Survey pilot", service="Door access", min_respondents=5)
    make_survey_cycle(survey_pilot, evaluation_survey)
    rows = {row.pilot.pk: row for row in pilot_rows(planner)}
    for p in (pilot, survey_pilot):
        cycle = p.cycles.order_by("-number").first()
        expected = evaluate_cycle(cycle).evaluation
        got = rows[p.pk].evaluation
        assert got.verdict == expected.verdict
        assert [s.as_dict() for s in got.segments] == [s.as_dict() for s in expected.segments]
        assert got.satisfaction.as_dict() == expected.satisfaction.as_dict()


def test_queries_do_not_grow_with_pilots_or_responses(client, planner, team, pilot, two_cycles, add_counts,
                                                      evaluation_survey, django_assert_num_queries):
    client.force_login(planner)
    add_responses(evaluation_survey, 10)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    for i in range(4):
        more = Pilot.objects.create(team=team, name=f"Pilot {i}", service="Service")
        add_counts(Cycle.objects.create(pilot=more, number=1, stage=Stage.PILOTING), CYCLE_1)
    add_responses(evaluation_survey, 200, seed=2)
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(URL)


def test_open_surveys_count_responses_by_channel(planner, viewer, evaluation_survey):
    add_responses(evaluation_survey, 14)  # web 5, paper 5, assisted 4
    by_channel = dict(survey_rows_by_channel(planner)[0].by_channel)
    assert by_channel == {"Web": 5, "Paper": 5, "Assisted": 4, "Imported": 0}
    assert dict(survey_rows_by_channel(viewer)[0].by_channel)["Assisted"] == "<5"
    assert Response.objects.count() == 14
