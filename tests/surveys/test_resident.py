"""The resident web channel, page by page, as a browser without JavaScript would use it."""

from __future__ import annotations

from http import HTTPStatus

import pytest

from surveys.models import Invitation, InvitationBatch, Progress, Question, Response, Status

START = "/s/door-access/"


def q(key: str) -> str:
    return f"/s/door-access/q/{key}/"


def answer(client, key: str, value, *, change: bool = False):
    url = q(key) + ("?change=1" if change else "")
    data = {"answer": value} if value is not None else {}
    return client.post(url, data)


ANSWERS = [
    ("age", "70+"), ("district", "laocheng"), ("community", "dengta"), ("occupation", "retired"),
    ("uses_phone", "yes"), ("entry", "face"), ("problems", ["glasses", "small"]), ("ease", "2"),
    ("trips", "4"), ("app_name", "社区通"), ("story", "字太小，看不清。"),
]


def complete(client) -> None:
    for key, value in ANSWERS:
        response = answer(client, key, value)
        assert response.status_code == HTTPStatus.FOUND, (key, response.content[:500])


def test_start_page_links_to_the_first_question(client, survey):
    response = client.get(START)
    assert response.status_code == HTTPStatus.OK
    assert "社区新门禁需求调查" in response.text and q("age") in response.text


def test_a_whole_survey_page_by_page(client, survey):
    complete(client)
    check = client.get("/s/door-access/check/")
    assert check.status_code == HTTPStatus.OK
    for text in ["70+", "老城区", "灯塔社区", "刷脸", "戴眼镜认不出", "屏幕字太小", "社区通"]:
        assert text in check.text, text
    response = client.post("/s/door-access/check/")
    assert response["Location"] == "/s/door-access/done/"
    assert "谢谢" in client.get(response["Location"]).text
    saved = Response.objects.get()
    assert saved.channel == "web" and saved.district.code == "laocheng" and saved.answers.count() == 12


def test_each_question_redirects_to_the_next_and_the_last_to_check(client, survey):
    assert answer(client, "age", "70+")["Location"] == q("district")
    assert answer(client, "story", "")["Location"] == "/s/door-access/check/"


def test_condition_skips_a_question_forward_and_back(client, survey):
    answer(client, "uses_phone", "no")
    assert answer(client, "trips", "3")["Location"] == q("story")  # app_name skipped
    page = client.get(q("story"))
    assert f'href="{q("trips")}"' in page.text  # back link skips it too


def test_nothing_is_preselected_and_answers_are_kept(client, survey):
    assert "checked" not in client.get(q("entry")).text
    answer(client, "entry", "guard")
    assert 'value="guard" checked' in client.get(q("entry")).text


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("district", None, "Choose an answer"),
        ("entry", "helicopter", "Choose one of the answers shown"),
        ("trips", "99", "Enter a number from 0 to 30"),
        ("trips", "很多", "Enter a number, like 3"),
        ("story", "长" * 100_000, "5000 characters or fewer"),
        ("problems", ["slow", "prefer_not_to_say"], "cannot be ticked with other answers"),
    ],
)
def test_errors_are_shown_with_the_answer_kept_and_nothing_saved(client, survey, key, value, message):
    client.cookies["django_language"] = "en"
    response = answer(client, key, value)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    html = response.text
    assert "<title>Error: " in html and 'class="error-summary"' in html and "data-focus-on-load" in html
    assert html.count(message) == 2  # in the summary and beside the field
    assert 'href="#answer-field"' in html
    assert not Progress.objects.exists() and not Response.objects.exists()


def test_hidden_question_cannot_be_answered_by_a_tampered_post(client, survey):
    answer(client, "uses_phone", "no")
    client.cookies["django_language"] = "en"
    response = answer(client, "app_name", "社区通")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "does not apply to your earlier answers" in response.text
    assert "app_name" not in Progress.objects.get().answers


def test_error_title_is_prefixed_in_chinese(client, survey):
    assert "<title>错误：" in answer(client, "district", None).text


def test_progress_survives_closing_the_tab(client, survey):
    for key, value in ANSWERS[:3]:
        answer(client, key, value)
    start = client.get(START)  # same device: the cookie brings the progress back
    assert q("occupation") in start.text and "继续" in start.text


def test_a_second_browser_starts_fresh(client, survey, django_user_model):
    from django.test import Client

    answer(client, "age", "70+")
    other = Client()
    assert "70+\" checked" not in other.get(q("age")).text


def test_change_link_returns_to_check_page(client, survey):
    complete(client)
    assert answer(client, "ease", "4", change=True)["Location"] == "/s/door-access/check/"
    assert "4" in client.get("/s/door-access/check/").text


def test_check_page_sends_unanswered_residents_back(client, survey):
    answer(client, "age", "70+")
    assert client.get("/s/door-access/check/")["Location"] == q("district")


def test_double_submit_gives_one_response(client, survey):
    complete(client)
    client.post("/s/door-access/check/")
    client.post("/s/door-access/check/")
    assert Response.objects.count() == 1


def test_open_link_takes_one_submission_per_browser(client, survey):
    complete(client)
    client.post("/s/door-access/check/")
    again = client.get(START)
    assert "已经填写过" in again.text
    assert answer(client, "age", "18-29")["Location"] == START
    assert Response.objects.count() == 1


def test_community_choices_follow_the_district(client, survey):
    answer(client, "district", "xingang")
    page = client.get(q("community")).text
    assert "船厂社区" in page and "灯塔社区" not in page


@pytest.mark.parametrize(
    ("status", "code", "text"),
    [(Status.DRAFT, HTTPStatus.NOT_FOUND, "找不到"), (Status.CLOSED, HTTPStatus.GONE, "已结束")],
)
def test_draft_and_closed_surveys_get_a_friendly_page(client, survey, status, code, text):
    survey.status = status
    survey.save()
    for url in [START, q("age"), "/s/door-access/check/"]:
        response = client.get(url)
        assert response.status_code == code and text in response.text


def test_unknown_survey_is_404(client, db):
    assert client.get("/s/no-such-survey/").status_code == HTTPStatus.NOT_FOUND


class TestInvitations:
    @pytest.fixture
    def invitation(self, survey):
        batch = InvitationBatch.objects.create(survey=survey, label="灯塔社区", audience="community", size=1)
        return Invitation.objects.create(batch=batch, token="tok-123")

    def test_invitation_is_used_once(self, client, survey, invitation):
        assert client.get("/s/door-access/i/tok-123/")["Location"] == START
        complete(client)
        client.post("/s/door-access/check/")
        assert Response.objects.get().invitation == invitation
        from django.test import Client

        replay = Client().get("/s/door-access/i/tok-123/")
        assert replay.status_code == HTTPStatus.GONE and "已被使用" in replay.text

    def test_unknown_token_gets_a_friendly_page(self, client, survey):
        response = client.get("/s/door-access/i/nope/")
        assert response.status_code == HTTPStatus.NOT_FOUND and "邀请链接无效" in response.text


def test_english_page_has_english_buttons_and_lang(client, survey):
    client.cookies["django_language"] = "en"
    html = client.get(q("entry")).text
    assert '<html lang="en"' in html and "Continue" in html and "How do you get through the gate now?" in html


def test_question_page_queries_stay_few(client, survey, django_assert_num_queries, settings):
    # The view's own queries: the rate limit's count is measured in tests/citylab/test_ratelimit.py.
    settings.CITYLAB_RATE_LIMITS = {**settings.CITYLAB_RATE_LIMITS, "survey": {
        **settings.CITYLAB_RATE_LIMITS["survey"], "limit": 0}}
    answer(client, "age", "70+")  # the survey's structure is now kept (surveys.structure)
    # The survey with this browser's progress; the questions and choices are kept.
    with django_assert_num_queries(1):
        client.get(q("entry"))
    # An answer adds the write of the progress.
    with django_assert_num_queries(2):
        answer(client, "entry", "face")
    # A segment question reads its list (civic core rows, not kept).
    with django_assert_num_queries(2):
        client.get(q("district"))
    # After a planner's edit the next page builds the structure again: the questions, their choices.
    Question.objects.filter(key="entry").get().save()
    with django_assert_num_queries(3):
        client.get(q("entry"))
