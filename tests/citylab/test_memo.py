"""The layout's unchanging parts are rendered once ({% memo %}); what changes per request,
language or text size still does."""

from __future__ import annotations

import re

from django.template import engines
from django.test import Client
from django.utils import translation

from citylab.textsize import COOKIE as TEXT_SIZE_COOKIE

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_language_switches_back_and_forth(client, db):
    assert "跳到主要内容" in client.get("/").text
    client.cookies["django_language"] = "en"
    english = client.get("/").text
    assert "Skip to main content" in english and 'lang="zh-Hans">中文</button>' in english
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/").text
    assert "跳到主要内容" in chinese and 'lang="en">English</button>' in chinese


def test_text_size_buttons_follow_the_cookie(client, db):
    for size in ("largest", "standard", "large"):
        client.cookies[TEXT_SIZE_COOKIE] = size
        page = client.get("/").text
        assert re.findall(r'value="(\w+)" class="pref-button"\s+aria-pressed="true"', page) == [size]


def test_forms_carry_this_request_s_token_and_path(db):
    first, second = Client(), Client()
    one, other = first.get("/accounts/login/").text, second.get("/").text
    assert len(set(TOKEN.findall(one))) == 1 and set(TOKEN.findall(one)).isdisjoint(TOKEN.findall(other))
    assert 'name="next" value="/accounts/login/"' in one and 'name="next" value="/"' in other


def test_signed_in_nav_is_not_kept(client, planner):
    assert "工作人员和体验官登录" in client.get("/").text
    client.force_login(planner)
    page = client.get("/").text
    assert "退出登录" in page and "工作人员和体验官登录" not in page


def test_memo_keeps_one_rendering_per_language_and_value():
    template = engines["django"].from_string("{% load memo %}{% memo size %}{{ size }}-{{ other }}{% endmemo %}")
    with translation.override("en"):
        assert template.render({"size": "large", "other": 1}) == "large-1"
        assert template.render({"size": "large", "other": 2}) == "large-1"  # kept: `other` is not listed
        assert template.render({"size": "standard", "other": 3}) == "standard-3"
    with translation.override("zh-hans"):
        assert template.render({"size": "large", "other": 4}) == "large-4"
