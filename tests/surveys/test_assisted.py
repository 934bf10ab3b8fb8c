"""Assisted entry: a clerk types in a resident's answers on one page, then the next resident's."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest

from citylab.models import Community
from surveys.models import Answer, Response, Status
from tests.citylab.test_translations import english_words

URL = "/staff/surveys/door-access/assisted/"
NONCE = "Abcdefghijklmnop_-123456"


def form(answers: dict[str, object], nonce: str = NONCE) -> dict[str, object]:
    """The post the page makes: each question's field is its key with a "q-" prefix."""
    return {"nonce": nonce, **{f"q-{key}": value for key, value in answers.items()}}


def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("planner", HTTPStatus.OK),
        ("clerk", HTTPStatus.OK),
        ("viewer", HTTPStatus.FORBIDDEN),
        ("other_planner", HTTPStatus.NOT_FOUND),
        ("outsider", HTTPStatus.NOT_FOUND),
    ],
)
def test_who_may_enter_responses(client, request, survey, full_answers, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(URL).status_code == status
    response = client.post(URL, form(full_answers))
    assert response.status_code == (HTTPStatus.FOUND if status == HTTPStatus.OK else status)
    assert Response.objects.count() == (1 if status == HTTPStatus.OK else 0)


def test_anonymous_is_sent_to_sign_in(client, survey, full_answers):
    response = client.get(URL)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={URL}"
    assert client.post(URL, form(full_answers))["Location"].startswith("/accounts/login/")
    assert Response.objects.count() == 0


def test_drafts_take_no_answers(client, clerk, survey, full_answers):
    survey.status = Status.DRAFT
    survey.save()
    client.force_login(clerk)
    assert client.get(URL).status_code == HTTPStatus.NOT_FOUND
    assert client.post(URL, form(full_answers)).status_code == HTTPStatus.NOT_FOUND
    assert Response.objects.count() == 0


def test_a_closed_survey_still_takes_answers_given_before_it_closed(client, clerk, survey, full_answers):
    survey.status = Status.CLOSED
    survey.save()
    client.force_login(clerk)
    english(client)
    assert "This survey is closed to residents" in client.get(URL).text
    assert client.post(URL, form(full_answers)).status_code == HTTPStatus.FOUND


def test_the_form_shows_every_question_with_the_right_control(client, clerk, survey):
    client.force_login(clerk)
    english(client)
    html = client.get(URL).text
    for key in ["age", "district", "community", "occupation", "uses_phone", "entry", "problems", "ease", "trips", "app_name", "story"]:
        assert f'id="q-{key}"' in html, key
    assert re.search(r'<input type="radio" name="q-entry"\s+id="q-entry" value="card">', html)
    assert re.search(r'<input type="checkbox" name="q-problems"\s+id="q-problems-2" value="glasses">', html)
    assert 'value="prefer_not_to_say"' in html and "Prefer not to say" in html
    assert re.search(r'inputmode="numeric"[^>]*name="q-trips"', html)
    assert "From 0 to 30" in html
    assert '<textarea name="q-story" id="q-story"' in html
    assert "Only if “Do you use a smartphone?” is “Yes”" in html
    assert "(optional)" in html
    # A slip on an optional question can be undone: radios cannot be unticked.
    assert '<input type="radio" name="q-community" id="q-community-none" value="">' in html
    assert 'id="q-district-none"' not in html
    # Nothing is chosen for the clerk.
    assert " checked" not in html and " selected" not in html
    assert re.search(r'name="nonce" value="[A-Za-z0-9_-]{20,}"', html)


def test_long_segment_lists_are_selects_grouped_by_district(client, clerk, survey, places):
    old = places["districts"][0]
    for n in range(6):
        Community.objects.create(code=f"extra{n}", name_zh=f"新社区{n}", name_en=f"New {n}", district=old)
    client.force_login(clerk)
    english(client)
    html = client.get(URL).text
    assert '<select name="q-community" id="q-community"' in html
    assert '<optgroup label="Old Town">' in html and '<optgroup label="New Harbour">' in html
    assert '<input type="radio" name="q-district"' in html


def test_each_get_gives_a_new_nonce(client, clerk, survey):
    client.force_login(clerk)
    assert "no-store" in client.get(URL)["Cache-Control"]
    pattern = r'name="nonce" value="([^"]+)"'
    first = re.search(pattern, client.get(URL).text).group(1)
    second = re.search(pattern, client.get(URL).text).group(1)
    assert first != second


def test_a_saved_response_gives_a_fresh_form_with_its_number(client, clerk, survey, full_answers):
    client.force_login(clerk)
    english(client)
    response = client.post(URL, form(full_answers), follow=True)
    saved = Response.objects.get()
    assert response.redirect_chain == [(URL, HTTPStatus.FOUND)]
    assert f"Response #{saved.pk} saved." in response.text
    assert " checked" not in response.text and "社区通" not in response.text
    assert NONCE not in response.text
    assert saved.channel == "assisted" and saved.entered_by == clerk
    assert saved.submission_key == f"assisted:{NONCE}"
    assert (saved.age_band.code, saved.district.code, saved.community.code, saved.occupation.code) == (
        "70+", "laocheng", "dengta", "retired",
    )
    assert set(saved.answers.filter(question__key="problems").values_list("value", flat=True)) == {"glasses", "small"}
    assert saved.answers.count() == 12


def test_a_double_click_or_retried_post_writes_one_response(client, clerk, survey, full_answers):
    client.force_login(clerk)
    english(client)
    first = client.post(URL, form(full_answers), follow=True)
    second = client.post(URL, form(full_answers), follow=True)
    saved = Response.objects.get()
    assert f"Response #{saved.pk} saved." in first.text
    assert f"This form was already saved as response #{saved.pk}; it was not saved again." in second.text
    assert Answer.objects.count() == 12
    client.post(URL, form(full_answers, nonce="Zyxwvutsrqponmlk_-654321"))
    assert Response.objects.count() == 2


@pytest.mark.parametrize(
    ("change", "key", "message"),
    [
        ({"entry": "helicopter"}, "entry", "Choose one of the answers shown"),
        ({"entry": ["card", "face"]}, "entry", "Choose one of the answers shown"),
        ({"trips": "99"}, "trips", "Enter a number from 0 to 30"),
        ({"trips": "four"}, "trips", "Enter a number, like 3"),
        ({"district": ""}, "district", "Choose an answer"),
        ({"uses_phone": "no"}, "app_name", "This question does not apply to your earlier answers"),
        ({"story": "长" * 100_000}, "story", "Shorten your answer to 5000 characters or fewer (it has 100000)"),
        ({"problems": ["slow", "prefer_not_to_say"]}, "problems", "“Prefer not to say” cannot be ticked with other answers"),
    ],
)
def test_tampered_or_mistaken_posts_say_what_is_wrong_and_write_nothing(
    client, clerk, survey, full_answers, change, key, message
):
    client.force_login(clerk)
    english(client)
    answers = {**full_answers, **change}
    response = client.post(URL, form(answers))
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert re.search(r"<title>Error: Enter a response", html)
    assert 'class="error-summary"' in html and "Nothing was saved" in html
    number = list(survey.questions.values_list("key", flat=True)).index(key) + 1
    assert f'<a href="#q-{key}">Question {number}: {message}</a>' in html
    assert re.search(
        rf'<p class="error-message" id="q-{key}-error"><span class="visually-hidden">Error:</span> {re.escape(message)}</p>', html
    )
    assert Response.objects.count() == 0 and Answer.objects.count() == 0
    # What the clerk typed is still there to correct.
    assert 'value="社区通"' in html and ">字太小，看不清。</textarea>" in html or key == "story"
    assert re.search(r'id="q-problems-2" value="glasses" checked', html) or key == "problems"
    assert f'name="nonce" value="{NONCE}"' in html


def test_a_post_without_its_nonce_is_refused(client, clerk, survey, full_answers):
    client.force_login(clerk)
    data = form(full_answers)
    del data["nonce"]
    assert client.post(URL, data).status_code == HTTPStatus.BAD_REQUEST
    assert client.post(URL, form(full_answers, nonce="short")).status_code == HTTPStatus.BAD_REQUEST
    assert Response.objects.count() == 0


def test_no_answer_to_an_optional_question_is_blank(client, clerk, survey, full_answers):
    client.force_login(clerk)
    assert client.post(URL, form({**full_answers, "community": ""})).status_code == HTTPStatus.FOUND
    saved = Response.objects.get()
    assert saved.community is None and not saved.answers.filter(question__key="community").exists()


def test_keys_that_are_not_questions_are_ignored(client, clerk, survey, full_answers):
    client.force_login(clerk)
    response = client.post(URL, {**form(full_answers), "q-colour": "red", "entered_by": "1"})
    assert response.status_code == HTTPStatus.FOUND
    assert Response.objects.get().entered_by == clerk


def test_chinese_page_has_no_english_left(client, clerk, survey, full_answers):
    client.force_login(clerk)
    assert english_words(client.get(URL).text) == []
    errors = client.post(URL, form({**full_answers, "trips": "99", "district": ""})).text
    assert "<title>错误：" in errors and "请输入 0 到 30 之间的数字" in errors
    assert english_words(errors) == []
    done = client.post(URL, form(full_answers), follow=True).text
    assert f"第 {Response.objects.get().pk} 份答卷已保存" in done
