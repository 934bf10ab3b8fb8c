"""Question pages are rendered once per state and reused (citylab/keptpages.py): each resident
still gets their own CSRF token, their own earlier answer, and every change to the survey at
once."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.test import Client
from django.utils import translation
from django.utils.translation import gettext_lazy

from citylab import keptpages
from citylab.lru import LRU
from citylab.textsize import COOKIE as TEXT_SIZE_COOKIE
from surveys.models import Question

pytestmark = pytest.mark.django_db
TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def empty_store():
    keptpages._kept.clear()
    yield
    keptpages._kept.clear()


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return response.content.decode()


def test_two_residents_share_the_markup_but_not_the_token(survey):
    first, second = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    one, other = page(first, "/s/door-access/q/age/"), page(second, "/s/door-access/q/age/")
    assert len(keptpages._kept) == 1  # the second page was the kept one
    assert TOKEN.sub("", one) == TOKEN.sub("", other)
    tokens_one, tokens_other = set(TOKEN.findall(one)), set(TOKEN.findall(other))
    assert len(tokens_one) == 1 and len(TOKEN.findall(one)) == 3  # answer, text size, language
    assert tokens_one.isdisjoint(tokens_other) and keptpages.HOLE not in other
    # the kept page's token is the second resident's own: their answer is taken
    response = second.post("/s/door-access/q/age/", {"answer": "70+", "csrfmiddlewaretoken": tokens_other.pop()})
    assert response.status_code == HTTPStatus.FOUND
    assert first.post("/s/door-access/q/age/", {"answer": "70+"}).status_code == HTTPStatus.FORBIDDEN


def test_each_resident_sees_their_own_earlier_answer(survey):
    first, second = Client(), Client()
    first.post("/s/door-access/q/age/", {"answer": "70+"})
    second.post("/s/door-access/q/age/", {"answer": "60-69"})
    for client, mine, theirs in [(first, "70+", "60-69"), (second, "60-69", "70+"), (first, "70+", "60-69")]:
        text = page(client, "/s/door-access/q/age/")
        assert re.search(rf'value="{re.escape(mine)}" checked', text)
        assert not re.search(rf'value="{re.escape(theirs)}" checked', text)
    assert "checked" not in page(Client(), "/s/door-access/q/age/")
    # a chosen answer is one of the question's values, not typed text: one kept page per choice
    assert len(keptpages._kept) == 3


def test_a_wording_fix_shows_at_once(survey):
    resident = Client()
    resident.cookies["django_language"] = "en"
    assert "Your age band?" in page(resident, "/s/door-access/q/age/")
    question = Question.objects.get(survey=survey, key="age")
    question.text_en = "Which age band are you in?"
    question.save()
    text = page(resident, "/s/door-access/q/age/")
    assert "Which age band are you in?" in text and "Your age band?" not in text


def test_language_text_size_and_path_each_have_their_page(survey):
    resident = Client()
    assert "您的年龄段是？" in page(resident, "/s/door-access/q/age/")
    resident.cookies["django_language"] = "en"
    assert "Your age band?" in page(resident, "/s/door-access/q/age/")
    resident.cookies[TEXT_SIZE_COOKIE] = "largest"
    assert 'class="ts-largest' in page(resident, "/s/door-access/q/age/")
    changing = page(resident, "/s/door-access/q/age/?change=1")
    assert 'name="next" value="/s/door-access/q/age/?change=1"' in changing
    assert len(keptpages._kept) == 4


def test_signed_in_staff_get_their_own_layout(survey, planner):
    staff = Client()
    staff.force_login(planner)
    text = page(staff, "/s/door-access/q/age/")
    assert "退出登录" in text  # sign out: never kept, never shown to a resident
    assert len(keptpages._kept) == 0
    assert "退出登录" not in page(Client(), "/s/door-access/q/age/")


def test_pages_with_what_a_resident_typed_are_not_kept(survey):
    resident = Client()
    response = resident.post("/s/door-access/q/trips/", {"answer": "lots"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert 'value="lots"' in response.content.decode() and "错误：" in response.content.decode()
    resident.post("/s/door-access/q/story/", {"answer": "The gate is too heavy for my mother."})
    assert "too heavy for my mother" in page(resident, "/s/door-access/q/story/")
    assert len(keptpages._kept) == 0
    assert "too heavy" not in page(Client(), "/s/door-access/q/story/")
    assert len(keptpages._kept) == 1  # the empty text page, the same for everyone


def test_a_page_too_large_to_keep_is_rendered_each_time(survey, monkeypatch):
    monkeypatch.setattr(keptpages, "MAX_SIZE", 100)
    assert "您的年龄段是？" in page(Client(), "/s/door-access/q/age/")
    assert len(keptpages._kept) == 0


def test_debug_renders_every_time(survey, settings):
    settings.DEBUG = True
    page(Client(), "/s/door-access/q/age/")
    assert len(keptpages._kept) == 0


def test_the_store_forgets_the_least_recently_used():
    kept = LRU(2)
    kept.put("a", "A")
    kept.put("b", "B")
    assert kept.get("a") == "A"
    kept.put("c", "C")
    assert kept.get("b") is None and kept.get("a") == "A" and kept.get("c") == "C"


def test_context_values_without_a_plain_form_are_refused():
    with translation.override("en"):
        plain = keptpages._plain({"size": gettext_lazy("Large"), "n": [1, (2, None)]})
    assert plain == [("n", [1, [2, None]]), ("size", "Large")]
    with pytest.raises(TypeError, match="object"):
        keptpages._plain({"thing": object()})
