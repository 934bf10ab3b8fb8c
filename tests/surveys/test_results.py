"""The results page: counts by channel and segment, a summary per question, small cells
hidden from readers, and a fixed number of queries however many responses there are."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from surveys.models import Channel, Response
from surveys.results import survey_results
from surveys.services import response_record
from tests.citylab.test_translations import english_words

URL = "/staff/surveys/door-access/results/"
AGES = ["18-29", "30-44", "45-59", "60-69", "70+"]
PROBLEMS = [["slow"], ["glasses", "small"], [], ["slow", "glasses", "small"], ["prefer_not_to_say"]]


def answers_for(i: int) -> dict[str, object]:
    """A varied but predictable response number i."""
    answers: dict[str, object] = {
        "age": AGES[i % 5], "district": ["laocheng", "xingang"][i % 2], "occupation": ["retired", "office"][i % 2],
        "uses_phone": "yes" if i % 3 else "no", "entry": ["card", "face", "guard"][i % 3],
        "problems": PROBLEMS[i % 5], "ease": str(i % 5 + 1), "trips": str(i % 31), "story": f"意见 {i}",
    }
    if i % 3:
        answers["app_name"] = "社区通"
    return answers


def make_responses(survey, count: int, start: int = 0, channel: Channel = Channel.WEB) -> None:
    for i in range(start, start + count):
        response = response_record(survey=survey, answers=answers_for(i), channel=channel)
        # Later responses are newer, whatever the clock's resolution.
        Response.objects.filter(pk=response.pk).update(submitted_at=timezone.now() + timedelta(minutes=i))


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
def test_who_may_read_results(client, request, survey, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == status


def test_anonymous_is_sent_to_sign_in(client, survey):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={URL}"


def test_page_links_to_downloads_and_entry_for_those_who_enter(client, clerk, viewer, survey):
    client.force_login(clerk)
    html = client.get(URL).text
    assert "/staff/surveys/door-access/export.csv" in html and "/staff/surveys/door-access/export.xlsx" in html
    assert "/staff/surveys/door-access/assisted/" in html
    client.force_login(viewer)
    html = client.get(URL).text
    assert "/export.csv" not in html and "/assisted/" not in html  # row-level data is not for viewers


def test_counts_by_channel_segment_and_answer(survey):
    make_responses(survey, 20)
    make_responses(survey, 3, start=20, channel=Channel.PAPER)
    results = survey_results(survey, exact=True, show_texts=True)
    assert results.total.n == 23
    with translation.override("en"):
        channels = {str(label): cell.n for label, cell in results.channels}
    assert channels["Web"] == 20 and channels["Paper"] == 3 and channels["Assisted"] == 0
    segments = results.segments
    assert segments.columns == ["Old Town", "New Harbour"]
    rows = {label: [c.n for c in cells] + [total.n] for label, cells, total in segments.rows}
    # i % 5 == 0 → 18-29; even i → laocheng: i in {0, 10, 20} and {5, 15}.
    assert rows["18–29"] == [3, 2, 5]
    assert [c.n for c in segments.column_totals] == [12, 11] and segments.total.n == 23
    assert {label: c.n for label, c in results.occupations} == {"Retired": 12, "Office work": 11}

    by_key = {summary.question.key: summary for summary in results.questions}
    problems = {option.value: (cell.n, round(cell.percent)) for option, cell in by_key["problems"].options}
    # Counted per option among the 18 who answered (i % 5 == 2 ticked nothing): never per combination.
    assert by_key["problems"].answered.n == 18
    assert problems == {"slow": (9, 50), "glasses": (9, 50), "small": (9, 50), "prefer_not_to_say": (4, 22)}
    ease = {option.value: cell.n for option, cell in by_key["ease"].options}
    assert ease == {"1": 5, "2": 5, "3": 5, "4": 4, "5": 4}
    assert [option.label for option, _cell in by_key["ease"].options][:2] == ["1 – Very hard", "2"]
    assert {o.value: c.n for o, c in by_key["uses_phone"].options} == {"yes": 15, "no": 8}
    # app_name is asked only after "yes": 15 answered it.
    assert by_key["app_name"].answered.n == 15


def test_number_summary(survey):
    for i, trips in enumerate(["4", "1", "10", "7"]):
        response_record(survey=survey, answers={**answers_for(i), "trips": trips}, channel=Channel.WEB)
    numbers = survey_results(survey, exact=True, show_texts=True).questions[8].numbers
    assert numbers.n.n == 4 and numbers.mean == Decimal("5.5")
    assert numbers.median == Decimal("5.5") and (numbers.low, numbers.high) == (1, 10)
    assert numbers.figures[0][1] == "5.5" and numbers.figures[2][1] == "1"
    response_record(survey=survey, answers={**answers_for(5), "trips": "2.5"}, channel=Channel.WEB)
    numbers = survey_results(survey, exact=True, show_texts=True).questions[8].numbers
    assert numbers.median == Decimal(4) and numbers.n.n == 5


def test_planners_see_the_latest_five_text_answers(client, planner, survey):
    make_responses(survey, 7)
    client.force_login(planner)
    html = client.get(URL).text
    for i in range(2, 7):
        assert f"<li>意见 {i}</li>" in html
    assert "<li>意见 0</li>" not in html and "<li>意见 1</li>" not in html


def test_small_cells_are_hidden_from_viewers(client, viewer, clerk, survey):
    make_responses(survey, 7)
    client.cookies["django_language"] = "en"
    client.force_login(viewer)
    html = client.get(URL).text
    assert "To protect residents' privacy, a count from 1 to 4 is shown as “&lt;5”" in html
    # 7 responses: 4 in one district, 3 in the other, both hidden; the total is shown.
    assert '<th scope="row">Total</th><td>&lt;5</td><td>&lt;5</td><td>7</td>' in html
    assert "意见" not in html and "shown to planners and clerks only" in html
    results = survey_results(survey, exact=False, show_texts=False)
    assert results.any_hidden
    trips = results.questions[8].numbers
    assert trips.n.n == 7 and not trips.n.hidden and trips.figures
    hidden = [cell for _option, cell in results.questions[5].options]
    assert all(cell.hidden and cell.percent is None and str(cell) == "<5" for cell in hidden)

    client.force_login(clerk)
    html = client.get(URL).text
    assert "&lt;5" not in html and "意见 6" in html
    assert '<th scope="row">Total</th><td>4</td><td>3</td><td>7</td>' in html


def test_too_few_numbers_show_no_figures_to_viewers(survey):
    make_responses(survey, 3)
    trips = survey_results(survey, exact=False, show_texts=False).questions[8].numbers
    assert trips.n.hidden and trips.figures == [] and trips.mean is None


def test_queries_do_not_grow_with_responses(client, planner, survey, django_assert_num_queries):
    make_responses(survey, 10)
    client.force_login(planner)
    with CaptureQueriesContext(connection) as ten:
        assert client.get(URL).status_code == HTTPStatus.OK
    make_responses(survey, 190, start=10)
    with django_assert_num_queries(len(ten)):
        response = client.get(URL)
    assert "200" in response.text


def test_a_survey_without_responses(client, viewer, survey):
    client.force_login(viewer)
    response = client.get(URL)
    assert response.status_code == HTTPStatus.OK
    assert "0 份" in response.text or "0" in response.text


@pytest.mark.parametrize("persona", ["planner", "viewer"])
def test_chinese_page_has_no_english_left(client, request, survey, persona):
    make_responses(survey, 7)
    client.force_login(request.getfixturevalue(persona))
    assert english_words(client.get(URL).text) == []
