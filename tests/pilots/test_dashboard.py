"""A pilot's dashboard: who may read it, what its charts say (the stats engine's numbers),
filters, CSV downloads, and a query count that does not grow with the data."""

from __future__ import annotations

import csv
import io
import json
import re
from http import HTTPStatus

import pytest
from django.urls import reverse

from pilots import stats
from pilots.evaluation import evaluate_cycle
from pilots.verdict_types import percent
from pilots.views.display import p_value, points
from tests.pilots.dashboard_factories import (  # noqa: F401 - fixtures
    add_responses,
    evaluation_survey,
    survey_cycle,
    two_cycles,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings) -> None:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"


def url(pilot, **query) -> str:
    base = reverse("pilots:pilot_dashboard", args=[pilot.pk])
    if query:
        from urllib.parse import urlencode

        base += "?" + urlencode(query)
    return base


def figure(response, chart_id: str) -> dict:
    html = response.content.decode()
    match = re.search(rf'<script id="chart-{chart_id}-data" type="application/json">(.*?)</script>', html, re.S)
    assert match, f"no chart {chart_id}"
    return json.loads(match.group(1))


def chart_ids(response) -> list[str]:
    return re.findall(r'<script id="chart-([a-z-]+)-data"', response.content.decode())


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def table_rows(response, chart_id: str) -> list[list[str]]:
    """The chart's <table> as text cells, header first (a small parser for our own markup)."""
    html = response.content.decode()
    section = html[html.index(f'id="chart-{chart_id}"'):]
    table = section[section.index("<table"):section.index("</table>")]
    rows = []
    for tr in re.findall(r"<tr>(.*?)</tr>", table, re.S):
        cells = re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", tr, re.S)
        rows.append([re.sub(r"<[^>]+>", "", c).replace("&lt;", "<").replace("&amp;", "&").replace("&#x27;", "'")
                     .replace("&quot;", '"').strip() for c in cells])
    return rows


# --- Who may read it ------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer"])
def test_team_members_read_the_dashboard(client, request, persona, pilot, two_cycles):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(url(pilot))
    assert response.status_code == HTTPStatus.OK
    assert "adoption" in chart_ids(response)


def test_other_teams_planner_gets_404(client, other_planner, pilot, two_cycles):
    client.force_login(other_planner)
    assert client.get(url(pilot)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url(pilot, format="csv", chart="adoption")).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_visitors_are_sent_to_sign_in(client, pilot, two_cycles):
    response = client.get(url(pilot))
    assert response.status_code == HTTPStatus.FOUND
    assert reverse("account_login") in response["Location"]


def test_the_pilot_page_links_to_its_dashboard(client, planner, pilot, two_cycles):
    client.force_login(planner)
    assert url(pilot) in client.get(pilot.get_absolute_url()).content.decode()


def test_a_pilot_without_cycles_says_so(client, planner, pilot):
    client.force_login(planner)
    response = client.get(url(pilot))
    assert response.status_code == HTTPStatus.OK
    assert chart_ids(response) == []


# --- What the charts say --------------------------------------------------------------------


def test_adoption_chart_carries_the_wilson_intervals_in_segment_order(client, planner, pilot, two_cycles):
    client.force_login(planner)
    fig = figure(client.get(url(pilot)), "adoption")
    categories = fig["layout"]["yaxis"]["categoryarray"]
    # age bands youngest first, then districts; the overall estimate last
    assert categories[:4] == ["18–29 in Old Town", "18–29 in New Harbour", "60–69 in Old Town", "70+ in New Harbour"]
    points = {}
    for trace in (t for t in fig["data"] if not t.get("meta")):  # meta: the floor and target lines
        for y, x, bounds in zip(trace["y"], trace["x"], trace["customdata"]):
            if x is not None:
                points[y] = (x, *bounds)
    for name, n, adopters in [("18–29 in Old Town", 120, 100), ("18–29 in New Harbour", 80, 62),
                              ("60–69 in Old Town", 150, 112)]:
        low, high = stats.wilson_interval(adopters, n, 0.95)
        assert points[name] == pytest.approx((adopters / n, low, high))
    lines = {t["name"]: t["x"] for t in fig["data"] if t.get("meta")}
    assert lines == {"Equity floor 40%": [0.4, 0.4], "Target 50%": [0.5, 0.5]}


def test_chart_numbers_equal_the_evaluation(client, planner, pilot, two_cycles):
    first, second = two_cycles
    evaluation = evaluate_cycle(second, first).evaluation
    client.force_login(planner)
    response = client.get(url(pilot))
    weighting = figure(response, "weighting")
    pooled = evaluation.adoption_pooled
    trace = weighting["data"][0]
    assert trace["x"][-1] == pytest.approx(pooled.estimate)
    assert trace["customdata"][-1] == pytest.approx([pooled.low, pooled.high])


def test_heatmap_blanks_and_labels_cells_under_five(client, planner, pilot, two_cycles):
    client.force_login(planner)
    response = client.get(url(pilot))
    heat = figure(response, "heatmap")["data"][0]
    row = heat["y"].index("70+")
    column = heat["x"].index("New Harbour")
    assert heat["z"][row][column] is None
    assert heat["text"][row][column] == "suppressed"
    # Shown cells: cycle 2's adopters / eligible of each segment with 5 respondents or more.
    assert heat["y"] == ["18–29", "60–69", "70+"] and heat["x"] == ["Old Town", "New Harbour"]
    assert heat["z"] == [[pytest.approx(100 / 120), pytest.approx(62 / 80)], [pytest.approx(112 / 150), None],
                         [None, None]]
    assert heat["text"][0] == ["83.3%<br>n=120", "77.5%<br>n=80"]
    assert heat["text"][1] == ["74.7%<br>n=150", "–"]
    rows = table_rows(response, "heatmap")
    assert rows == [["Age band", "Old Town", "New Harbour"], ["18–29", "83.3% of 120", "77.5% of 80"],
                    ["60–69", "74.7% of 150", "–"], ["70+", "–", "suppressed"]]


def test_viewers_see_small_segments_suppressed(client, viewer, pilot, two_cycles):
    client.force_login(viewer)
    response = client.get(url(pilot))
    rows = table_rows(response, "adoption")
    small = next(r for r in rows if r[0] == "70+ in New Harbour")
    assert small[1:] == ["<5", "suppressed", "suppressed", "suppressed", "suppressed"]
    points = [y for t in figure(response, "adoption")["data"] if not t.get("meta")
              for y, x in zip(t["y"], t["x"]) if x is not None]
    assert "70+ in New Harbour" not in points


def test_planners_see_small_segments_exactly(client, planner, pilot, two_cycles):
    client.force_login(planner)
    rows = table_rows(client.get(url(pilot)), "adoption")
    assert next(r for r in rows if r[0] == "70+ in New Harbour")[1] == "4"


def test_changes_are_marked_significant_after_holm(client, planner, pilot, two_cycles):
    first, second = two_cycles
    evaluation = evaluate_cycle(second, first).evaluation
    p_values = [c.p_value for c in evaluation.changes]
    adjusted = stats.holm(p_values)
    significant = {c.age_band + c.district for c, p in zip(evaluation.changes, adjusted) if p < 0.05}
    assert significant == {"60-69laocheng"}
    client.force_login(planner)
    response = client.get(url(pilot))
    fig = figure(response, "change")
    stars = next(t for t in fig["data"] if t.get("name") == "Significant change")
    flagged = [y for y, x in zip(stars["y"], stars["x"]) if x is not None]
    assert flagged == ["60–69 in Old Town"]
    rows = {r[0]: r[1:] for r in table_rows(response, "change")[1:]}
    names = {"18-29laocheng": "18–29 in Old Town", "18-29xingang": "18–29 in New Harbour",
             "60-69laocheng": "60–69 in Old Town", "70+xingang": "70+ in New Harbour"}
    markers = {t["name"]: dict(zip(t["y"], t["x"])) for t in fig["data"] if t.get("name", "").startswith("Cycle")}
    for c in evaluation.changes:
        name = names[c.age_band + c.district]
        assert (markers["Cycle 1"][name], markers["Cycle 2"][name]) == (pytest.approx(c.previous),
                                                                         pytest.approx(c.current))
        assert rows[name] == [percent(c.previous), percent(c.current), points(c.difference),
                              f"{points(c.low)} to {points(c.high)}", p_value(c.p_value), p_value(c.p_adjusted),
                              "Yes" if c.significant else "No"]
    assert rows["60–69 in Old Town"][:4] == ["20%", "74.7%", "+54.7", "+44.3 to +63.1"]
    assert markers["Cycle 1"]["18–29 in Old Town"] == pytest.approx(90 / 120)


def test_viewers_see_small_segments_left_out_of_the_change_chart(client, viewer, pilot, two_cycles):
    client.force_login(viewer)
    response = client.get(url(pilot))
    shown = {y for t in figure(response, "change")["data"] for y in t["y"] if y}
    assert shown == {"18–29 in Old Town", "18–29 in New Harbour", "60–69 in Old Town"}
    rows = {r[0]: r[1:] for r in table_rows(response, "change")[1:]}
    assert rows["70+ in New Harbour"] == ["suppressed"] * 7
    assert rows["60–69 in Old Town"][-1] == "Yes"


def test_satisfaction_from_imported_counts_is_satisfied_against_not(client, planner, pilot, two_cycles):
    client.force_login(planner)
    rows = table_rows(client.get(url(pilot)), "satisfaction")
    assert rows[1][:2] == ["Satisfied", str(90 + 90 + 50 + 1)]
    assert rows[2][:2] == ["Not satisfied", str(262 - 231)]


def test_satisfaction_of_partly_rated_counts_equals_the_evaluation(client, planner, pilot, cycle, add_counts):
    # Two segments rated, two without ratings (None in the file): nobody rated there.
    add_counts(cycle, [("laocheng", "18-29", 120, 90, 70, 80), ("laocheng", "60-69", 150, 60),
                       ("xingang", "18-29", 80, 50, 30, 45), ("xingang", "70+", 40, 10)])
    satisfaction = evaluate_cycle(cycle).evaluation.satisfaction
    assert (satisfaction.n, satisfaction.estimate) == (125, pytest.approx(100 / 125))
    client.force_login(planner)
    rows = table_rows(client.get(url(pilot)), "satisfaction")
    assert rows[1:] == [["Satisfied", "100", "80%"], ["Not satisfied", "25", "20%"]]


def test_survey_cycle_charts_satisfaction_answers_and_channels(client, planner, pilot, survey_cycle, evaluation_survey):
    add_responses(evaluation_survey, 36)
    client.force_login(planner)
    response = client.get(url(pilot))
    satisfaction = table_rows(response, "satisfaction")
    assert [r[0] for r in satisfaction[1:]] == ["1", "2", "3", "4", "5"]
    assert sum(int(r[1]) for r in satisfaction[1:]) == 36
    channels = dict((r[0], r[1]) for r in table_rows(response, "channels")[1:])
    assert channels == {"Web": "12", "Paper": "12", "Assisted": "12", "Imported": "0"}
    evaluation = evaluate_cycle(survey_cycle).evaluation
    assert figure(response, "weighting")["data"][0]["x"][-1] == pytest.approx(evaluation.adoption_pooled.estimate)


# --- Filters --------------------------------------------------------------------------------


def test_district_filter_keeps_its_segments(client, planner, pilot, two_cycles):
    client.force_login(planner)
    response = client.get(url(pilot, district="xingang"))
    categories = figure(response, "adoption")["layout"]["yaxis"]["categoryarray"]
    assert categories[:-1] == ["18–29 in New Harbour", "70+ in New Harbour"]
    # the verdict banner is still the whole cycle's
    assert "the charts below show the filtered figures" in response.content.decode()


def test_age_band_and_cycle_filters(client, planner, pilot, two_cycles):
    client.force_login(planner)
    response = client.get(url(pilot, age_band="60-69", cycle=1))
    fig = figure(response, "adoption")
    points = {y: x for t in fig["data"] if not t.get("meta") for y, x in zip(t["y"], t["x"]) if x is not None}
    assert points["60–69 in Old Town"] == pytest.approx(30 / 150)
    assert "change" not in chart_ids(response)  # cycle 1 has no cycle before it


def test_channel_filter_counts_that_channel_only(client, planner, pilot, survey_cycle, evaluation_survey):
    add_responses(evaluation_survey, 36)
    client.force_login(planner)
    response = client.get(url(pilot, channel="paper"))
    rows = table_rows(response, "adoption")
    assert sum(int(r[1]) for r in rows[1:-1]) == 12


def _overall(response) -> tuple[str, float]:
    """The adoption chart's last category (the overall estimate) and its value."""
    fig = figure(response, "adoption")
    name = fig["layout"]["yaxis"]["categoryarray"][-1]
    trace = next(t for t in fig["data"] if t.get("name") == name)
    return name, trace["x"][-1]


def test_weighted_and_unweighted_filter_show_the_evaluations_estimates(client, planner, pilot, two_cycles, places):
    from citylab.models import PopulationFigure

    old, port = places["districts"]
    bands = {b.code: b for b in places["bands"]}
    for district, band, people in [(old, "18-29", 2000), (old, "60-69", 8000), (port, "18-29", 3000),
                                   (port, "70+", 1000)]:
        PopulationFigure.objects.create(district=district, age_band=bands[band], population=people)
    first, second = two_cycles
    evaluation = evaluate_cycle(second, first).evaluation
    weighted, pooled = evaluation.adoption_weighted.estimate, evaluation.adoption_pooled.estimate
    assert weighted == pytest.approx((2000 * 100 / 120 + 8000 * 112 / 150 + 3000 * 62 / 80 + 1000 * 2 / 4) / 14000)
    assert pooled == pytest.approx(276 / 354)
    client.force_login(planner)
    assert _overall(client.get(url(pilot))) == ("Overall, weighted", pytest.approx(weighted))
    assert _overall(client.get(url(pilot, weighting="unweighted"))) == ("Overall, unweighted", pytest.approx(pooled))
    both = figure(client.get(url(pilot)), "weighting")["data"][0]
    assert both["x"] == [pytest.approx(weighted), pytest.approx(pooled)]


def test_the_scope_line_names_the_filters_by_their_labels(client, planner, pilot, two_cycles):
    client.force_login(planner)
    html = client.get(url(pilot, district="xingang", age_band="60-69", channel="paper")).content.decode()
    scope = re.sub(r"\s+", " ", re.search(r'<p class="dashboard-scope"[^>]*>(.*?)</p>', html, re.S).group(1))
    assert scope == ("Showing cycle 2, compared with cycle 1 · District: New Harbour · Age band: 60–69 · "
                     "Channel: Paper · weighted overall adoption.")


def test_unknown_filter_values_fall_back_to_everything(client, planner, pilot, two_cycles):
    client.force_login(planner)
    response = client.get(url(pilot, district="atlantis", cycle="x"))
    assert response.status_code == HTTPStatus.OK
    assert len(figure(response, "adoption")["layout"]["yaxis"]["categoryarray"]) == 5


def test_htmx_request_gets_only_the_charts(client, planner, pilot, two_cycles):
    client.force_login(planner)
    response = client.get(url(pilot, district="laocheng"), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="dashboard-body"')
    assert "<html" not in html and "chart-adoption-data" in html
    assert "HX-Request" in response["Vary"]


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("chart_id", ["adoption", "heatmap", "change", "weighting", "satisfaction", "channels"])
def test_csv_equals_the_table(client, viewer, pilot, two_cycles, chart_id):
    client.force_login(viewer)
    page = client.get(url(pilot, district=""))
    download = client.get(url(pilot, district="", format="csv", chart=chart_id))
    assert download["Content-Type"].startswith("text/csv")
    assert "attachment" in download["Content-Disposition"]
    assert csv_rows(download) == table_rows(page, chart_id)


def test_csv_link_keeps_the_filters(client, planner, pilot, two_cycles):
    client.force_login(planner)
    html = client.get(url(pilot, district="xingang")).content.decode()
    assert "?district=xingang&amp;format=csv&amp;chart=adoption" in html


def test_unknown_chart_csv_is_404(client, planner, pilot, two_cycles):
    client.force_login(planner)
    assert client.get(url(pilot, format="csv", chart="nope")).status_code == HTTPStatus.NOT_FOUND


# --- Queries --------------------------------------------------------------------------------


def _queries(client, address: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == HTTPStatus.OK
    return len(captured.captured_queries)


def test_queries_do_not_grow_with_responses(client, planner, pilot, survey_cycle, evaluation_survey,
                                            django_assert_num_queries):
    client.force_login(planner)
    add_responses(evaluation_survey, 12)
    client.get(url(pilot))  # the session and the content types
    add_responses(evaluation_survey, 1, seed=3)  # a new response: counted on its own, added to the kept counts
    cold, warm = _queries(client, url(pilot)), _queries(client, url(pilot))
    assert warm == cold  # until it is settled and folded in, each request counts it again, in the same queries
    add_responses(evaluation_survey, 300, seed=1)
    with django_assert_num_queries(cold):
        client.get(url(pilot))
    with django_assert_num_queries(warm):
        client.get(url(pilot))
    with django_assert_num_queries(warm):  # filters are applied to the cached rows
        client.get(url(pilot, district="laocheng", channel="web", age_band="60-69"))


def _pooled(response) -> tuple[float, str]:
    """The dashboard's unweighted overall adoption and its number of respondents."""
    rows = table_rows(response, "weighting")
    trace = figure(response, "weighting")["data"][0]
    return trace["x"][-1], rows[-1][-1]


def test_figures_refresh_after_a_new_response(client, planner, pilot, survey_cycle, evaluation_survey):
    from surveys.models import Channel
    from surveys.services import response_record

    add_responses(evaluation_survey, 36)
    client.force_login(planner)
    before = client.get(url(pilot))
    assert _pooled(before) == (pytest.approx(evaluate_cycle(survey_cycle).evaluation.adoption_pooled.estimate), "36")
    response_record(survey=evaluation_survey, answers={"used": "weekly", "satisfied": "5"}, channel=Channel.PAPER)
    after = client.get(url(pilot))
    expected = evaluate_cycle(survey_cycle).evaluation
    assert _pooled(after) == (pytest.approx(expected.adoption_pooled.estimate), "37")
    assert _pooled(after)[0] != _pooled(before)[0]
    assert dict((r[0], r[1]) for r in table_rows(after, "channels")[1:])["Paper"] == "13"
    assert dict((r[0], r[1]) for r in table_rows(after, "satisfaction")[1:])["5"] == str(36 // 5 + 1)


def test_figures_refresh_after_an_edited_response(client, planner, pilot, survey_cycle, evaluation_survey, places):
    from surveys.models import Answer, Response

    add_responses(evaluation_survey, 36)
    client.force_login(planner)
    assert _pooled(client.get(url(pilot)))[0] == pytest.approx(18 / 36)
    # An answer corrected after review: the newest response id does not move.
    answer = Answer.objects.filter(question__key="used", value="never").order_by("pk").first()
    answer.value = "weekly"
    answer.save()
    assert _pooled(client.get(url(pilot)))[0] == pytest.approx(19 / 36)
    # A response moved to another district: the segment rows follow it.
    response = Response.objects.filter(district__code="laocheng").order_by("pk").first()
    response.district = next(d for d in places["districts"] if d.code == "xingang")
    response.save()
    old_town = table_rows(client.get(url(pilot, district="laocheng")), "channels")
    assert sum(int(r[1]) for r in old_town[1:]) == 17
    expected = evaluate_cycle(survey_cycle).evaluation
    shown = [r[1] for r in table_rows(client.get(url(pilot)), "adoption")[1:-1]]  # in segment order, no overall
    assert sorted(shown) == sorted(str(s.n) for s in expected.segments)
    assert "7" in shown and "5" in shown  # 18-29 in New Harbour has one more, 18-29 in Old Town one fewer


def test_figures_follow_a_new_mapping_of_the_cycle(client, planner, pilot, survey_cycle, evaluation_survey):
    add_responses(evaluation_survey, 36)
    client.force_login(planner)
    assert _pooled(client.get(url(pilot)))[0] == pytest.approx(18 / 36)
    survey_cycle.adopted_values = ["weekly"]  # "once" no longer counts as using the service
    survey_cycle.save()
    assert _pooled(client.get(url(pilot)))[0] == pytest.approx(9 / 36)


def test_queries_do_not_grow_with_segments_and_cycles(client, planner, pilot, two_cycles, add_counts,
                                                      django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(planner)
    client.get(url(pilot))
    with CaptureQueriesContext(connection) as few:
        client.get(url(pilot))
    first, second = two_cycles
    add_counts(second, [("laocheng", "30-44", 50, 20), ("xingang", "45-59", 60, 30), ("laocheng", "70+", 90, 10)])
    with django_assert_num_queries(len(few.captured_queries)):
        client.get(url(pilot))


def test_imported_channel_is_the_operators_counts(client, planner, pilot, two_cycles):
    client.force_login(planner)
    response = client.get(url(pilot, channel="imported"))
    rows = table_rows(response, "adoption")
    assert sum(int(r[1]) for r in rows[1:-1]) == 120 + 150 + 80 + 4
    assert dict((r[0], r[1]) for r in table_rows(response, "channels")[1:])["Imported"] == "354"
    assert "adoption" not in chart_ids(client.get(url(pilot, channel="web")))  # no survey answers on the web


def test_officer_feedback_by_severity_and_segment(client, planner, viewer, pilot, two_cycles, places):
    from tests.pilots.feedback_factories import make_assignment, make_feedback, make_task
    from tests.pilots.officer_factories import make_officer

    first, second = two_cycles
    old, port = places["districts"]
    band = next(b for b in places["bands"] if b.code == "70+")
    task = make_task(second)
    for _ in range(6):
        officer = make_officer(pilot.team, age_band=band, district=old)
        make_feedback(make_assignment(task, officer), problems=[("blocker", "字太小"), ("minor", "按钮太近")])
    officer = make_officer(pilot.team, age_band=band, district=port)
    make_feedback(make_assignment(task, officer), problems=[("major", "找不到入口")])
    client.force_login(planner)
    response = client.get(url(pilot))
    rows = table_rows(response, "feedback-band")
    assert rows[0] == ["Age band", "Blockers", "Major", "Minor", "Total"]
    assert rows[1] == ["70+", "6", "1", "6", "13"]
    by_district = {r[0]: r[1:] for r in table_rows(response, "feedback-district")[1:]}
    assert by_district == {"Old Town": ["6", "0", "6", "12"], "New Harbour": ["0", "1", "0", "1"]}
    series = {t["name"]: t["x"] for t in figure(response, "feedback-band")["data"]}
    assert series == {"Blockers": [6], "Major": [1], "Minor": [6]}
    client.force_login(viewer)  # a single report in New Harbour could point at its officer
    by_district = {r[0]: r[1:] for r in table_rows(client.get(url(pilot)), "feedback-district")[1:]}
    assert by_district["New Harbour"] == ["0", "<5", "0", "<5"]


def test_officer_feedback_follows_the_district_and_age_band_filters(client, planner, pilot, two_cycles, places):
    from tests.pilots.feedback_factories import make_assignment, make_feedback, make_task
    from tests.pilots.officer_factories import make_officer

    first, second = two_cycles
    old, port = places["districts"]
    bands = {b.code: b for b in places["bands"]}
    task = make_task(second)
    for band, district, problems in [("70+", old, [("blocker", "字太小")]), ("70+", port, [("major", "找不到入口")]),
                                     ("18-29", old, [("minor", "按钮太近"), ("minor", "加载慢")])]:
        officer = make_officer(pilot.team, age_band=bands[band], district=district)
        make_feedback(make_assignment(task, officer), problems=problems)
    client.force_login(planner)

    def tables(**query) -> tuple[dict, dict]:
        response = client.get(url(pilot, **query))
        return ({r[0]: r[1:] for r in table_rows(response, "feedback-band")[1:]},
                {r[0]: r[1:] for r in table_rows(response, "feedback-district")[1:]})

    assert tables() == ({"18–29": ["0", "0", "2", "2"], "70+": ["1", "1", "0", "2"]},
                        {"Old Town": ["1", "0", "2", "3"], "New Harbour": ["0", "1", "0", "1"]})
    assert tables(district="xingang") == ({"70+": ["0", "1", "0", "1"]}, {"New Harbour": ["0", "1", "0", "1"]})
    assert tables(age_band="18-29") == ({"18–29": ["0", "0", "2", "2"]}, {"Old Town": ["0", "0", "2", "2"]})
    response = client.get(url(pilot, age_band="30-44"))  # nobody of that band reported anything
    assert "feedback-band" not in chart_ids(response) and "feedback-district" not in chart_ids(response)
