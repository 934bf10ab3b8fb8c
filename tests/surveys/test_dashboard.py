"""The survey dashboard: who may see it, the figures behind each chart (responses over time,
by channel, by segment against the population, per question), filters in the URL, small
cells hidden from readers, CSV downloads, and a fixed number of queries at any size."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from citylab.models import PopulationFigure
from surveys.dashboard import Filters, survey_dashboard
from surveys.models import Channel, Response
from tests.surveys.test_results import make_responses

URL = "/staff/surveys/door-access/dashboard/"


@pytest.fixture
def population(places):
    """Old Town is older than New Harbour: 18-29 is 10% of the old town, 70+ is 30%."""
    old, port = places["districts"]
    shares = {old: [100, 150, 200, 250, 300], port: [300, 250, 200, 150, 100]}
    for district, people in shares.items():
        for band, n in zip(places["bands"], people):
            PopulationFigure.objects.create(district=district, age_band=band, population=n)


def chart_data(html: str, chart_id: str) -> dict:
    match = re.search(rf'<script id="chart-{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no figure for {chart_id}"
    return json.loads(match.group(1))


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("planner", HTTPStatus.OK),
        ("clerk", HTTPStatus.OK),
        ("viewer", HTTPStatus.OK),
        ("other_planner", HTTPStatus.NOT_FOUND),
        ("outsider", HTTPStatus.NOT_FOUND),
    ],
)
def test_who_may_see_the_dashboard(client, request, survey, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == status
    assert client.get(URL, {"format": "csv", "chart": "channels"}).status_code == status


def test_anonymous_is_sent_to_sign_in(client, survey):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_results_page_links_to_the_dashboard(client, viewer, survey):
    client.force_login(viewer)
    assert URL in client.get("/staff/surveys/door-access/results/").text


def test_figures_by_channel_segment_and_answer(survey, population):
    make_responses(survey, 20)
    make_responses(survey, 3, start=20, channel=Channel.PAPER)
    d = survey_dashboard(survey, Filters(), exact=True)
    assert d.total.n == 23
    assert {value: c.n for value, _label, c in d.channels} == {"web": 20, "paper": 3, "assisted": 0, "imported": 0}
    by_key = {q.question.key: q for q in d.questions}
    # Segment questions are in the coverage table, number and text ones on the results page.
    assert list(by_key) == ["uses_phone", "entry", "problems", "ease"]
    problems = {o.value: (c.n, round(c.percent)) for o, c in by_key["problems"].options}
    # Counted per option among the 18 who answered: never per combination.
    assert by_key["problems"].answered.n == 18
    assert problems == {"slow": (9, 50), "glasses": (9, 50), "small": (9, 50), "prefer_not_to_say": (4, 22)}
    assert {o.value: c.n for o, c in by_key["ease"].options} == {"1": 5, "2": 5, "3": 5, "4": 4, "5": 4}
    assert {o.value: c.n for o, c in by_key["uses_phone"].options} == {"yes": 15, "no": 8}
    assert by_key["ease"].number == 8  # numbered as on the results page


def test_coverage_compares_segments_with_population_shares(survey, population):
    make_responses(survey, 20)  # "70+" is every fifth response: 2 in each district
    d = survey_dashboard(survey, Filters(), exact=True)
    cells = {(c.band, c.district): c for c in d.coverage}
    assert len(cells) == 10 and d.no_segment.n == 0
    old_70 = cells["70+", "Old Town"]
    # 300 of the 2,000 residents, so 3 of the 20 responses are expected there; 2 came.
    assert old_70.population == 300 and old_70.expected == pytest.approx(3.0)
    assert old_70.actual.n == 2 and old_70.shortfall == 1 and old_70.short
    port_70 = cells["70+", "New Harbour"]
    assert port_70.expected == pytest.approx(1.0) and not port_70.short
    with translation.override("en"):
        assert old_70.status == "Under-represented: missing about 1"
        assert port_70.status == "On target"
    assert d.missing[0].shortfall >= d.missing[-1].shortfall  # largest gap first
    assert sum(c.expected for c in d.coverage) == pytest.approx(20)


def test_filters_narrow_every_figure(survey, population):
    make_responses(survey, 20)
    make_responses(survey, 4, start=20, channel=Channel.PAPER)
    d = survey_dashboard(survey, Filters(district="laocheng"), exact=True)
    assert d.total.n == 12  # even i
    assert {(c.band, c.district) for c in d.coverage} == {(b, "Old Town") for b in ["18–29", "30–44", "45–59", "60–69", "70+"]}
    assert sum(c.expected for c in d.coverage) == pytest.approx(12)
    d = survey_dashboard(survey, Filters(channel="paper", age_band="18-29"), exact=True)
    assert d.total.n == 1  # i = 20
    uses = next(q for q in d.questions if q.question.key == "uses_phone")
    assert uses.answered.n == 1


def test_responses_over_time_and_the_date_filter(survey, population):
    make_responses(survey, 6)
    today = timezone.localdate()
    # Two responses three days ago.
    earlier = timezone.now() - timedelta(days=3)
    Response.objects.filter(pk__in=list(Response.objects.order_by("pk").values_list("pk", flat=True)[:2])).update(
        submitted_at=earlier
    )
    d = survey_dashboard(survey, Filters(), exact=True)
    # Every day from the first to the last, the empty ones as 0.
    assert [p.n.n for p in d.periods][0] == 2 and sum(p.n.n for p in d.periods) == 6
    assert len(d.periods) == (d.periods[-1].start - d.periods[0].start).days + 1
    recent = survey_dashboard(survey, Filters(date_from=today - timedelta(days=1)), exact=True)
    assert recent.total.n == 4
    ease = next(q for q in recent.questions if q.question.key == "ease")
    assert ease.answered.n == 4  # the answers are narrowed by date too


def test_readers_see_small_cells_hidden(client, settings, viewer, planner, survey, population):
    make_responses(survey, 12)
    make_responses(survey, 2, start=12, channel=Channel.PAPER)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(viewer)
    html = client.get(URL).text
    assert 'id="small-cells"' in html and "&lt;5" in html
    paper = list(csv.reader(io.StringIO(client.get(URL, {"format": "csv", "chart": "channels"}).content.decode("utf-8-sig"))))
    assert paper == [["Channel", "Responses", "Share"], ["Web", "12", "86%"], ["Paper", "<5", ""],
                     ["Assisted", "0", "0%"], ["Imported", "0", "0%"]]  # paper: 2, hidden, no share
    figure = chart_data(html, "channels")
    assert figure["data"][0]["y"][1] is None  # a gap in the chart, not the number
    client.force_login(planner)
    rows = list(csv.reader(io.StringIO(client.get(URL, {"format": "csv", "chart": "channels"}).content.decode("utf-8-sig"))))
    assert rows[2][1] == "2"


def test_chart_json_and_csv_hold_the_same_numbers(client, planner, survey, population):
    make_responses(survey, 15)
    client.force_login(planner)
    html = client.get(URL).text
    figure = chart_data(html, "q-problems")
    d = survey_dashboard(survey, Filters(), exact=True)
    problems = next(q for q in d.questions if q.question.key == "problems")
    assert figure["data"][0]["x"] == [c.n for _o, c in problems.options]
    rows = list(csv.reader(io.StringIO(
        client.get(URL, {"format": "csv", "chart": "q-problems"}).content.decode("utf-8-sig"))))
    assert [int(r[1]) for r in rows[1:]] == figure["data"][0]["x"]
    coverage = chart_data(html, "coverage")
    assert [round(x) for x in coverage["data"][0]["x"]] == [round(c.expected) for c in d.coverage]
    assert coverage["data"][1]["x"] == [c.actual.n for c in d.coverage]
    assert client.get(URL, {"format": "csv", "chart": "nothing"}).status_code == HTTPStatus.NOT_FOUND


def test_filters_live_in_the_url_and_htmx_gets_the_fragment(client, planner, survey, population):
    make_responses(survey, 10)
    client.force_login(planner)
    page = client.get(URL, {"district": "xingang"})
    assert page.status_code == HTTPStatus.OK and "<html" in page.text
    assert '<option value="xingang" selected>' in page.text
    assert "district=xingang" in page.text  # CSV links carry the filters
    fragment = client.get(URL, {"district": "xingang"}, headers={"HX-Request": "true"})
    assert "<html" not in fragment.text and 'id="dashboard-figures"' in fragment.text
    assert fragment["Vary"] and "HX-Request" in fragment["Vary"]
    bad = client.get(URL, {"date_from": "2026-05-01", "date_to": "2026-04-01", "district": "nowhere"})
    assert bad.status_code == HTTPStatus.OK and "error-message" in bad.text


def test_new_responses_show_at_once(survey, population):
    make_responses(survey, 5)
    assert survey_dashboard(survey, Filters(), exact=True).total.n == 5
    make_responses(survey, 1, start=5)
    assert survey_dashboard(survey, Filters(), exact=True).total.n == 6
    Response.objects.order_by("pk").first().delete()  # the oldest: MAX(id) does not move
    assert survey_dashboard(survey, Filters(), exact=True).total.n == 5


def test_an_edited_answer_shows_at_once(survey, population):
    from surveys.models import Answer

    make_responses(survey, 5)

    def uses_phone() -> dict[str, int]:
        d = survey_dashboard(survey, Filters(), exact=True)
        return {o.value: c.n for o, c in next(q for q in d.questions if q.question.key == "uses_phone").options}

    before = uses_phone()
    answer = Answer.objects.filter(question__key="uses_phone", value="no").order_by("pk").first()
    answer.value = "yes"  # corrected after review: no new response, MAX(id) does not move
    answer.save()
    assert uses_phone() == {"yes": before["yes"] + 1, "no": before["no"] - 1}


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == HTTPStatus.OK
    return len(queries)


@pytest.mark.parametrize("persona", ["planner", "viewer"])
def test_queries_do_not_grow_with_responses(client, request, persona, survey, population,
                                            django_assert_num_queries):
    client.force_login(request.getfixturevalue(persona))
    url = f"{URL}?district=laocheng&channel=web"
    make_responses(survey, 3)
    empty = _queries(client, url)  # counted in full, and the counts kept
    make_responses(survey, 1, start=3)
    after_one = _queries(client, url)  # the new response counted on its own, added to the kept counts
    make_responses(survey, 40, start=4)
    make_responses(survey, 5, start=44, channel=Channel.ASSISTED)
    with django_assert_num_queries(after_one):
        client.get(url)
    assert after_one < empty  # nothing written back: the new responses are not settled yet
