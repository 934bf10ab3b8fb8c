"""Rate limits: a flood from one address is slowed to the limit and answered 429 with a page
that keeps what was typed; residents answering normally, and every other address, go on.

The counts live in the real cache (the database table, as in a default deployment) and the
windows are real seconds; where a test needs the whole of one window, it waits for a fresh one.
"""

from __future__ import annotations

import threading
import time
from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext

from citylab.ratelimit import Limit, bucket, client_address, hit
from surveys.models import Kind, Purpose, Response, Status, Survey
from tests.citylab.test_settings import manage
from tests.conftest import PASSWORD
from tests.surveys.conftest import add_question

QUESTIONS = [f"q{n:02d}" for n in range(1, 16)]
RESIDENT = "203.0.113.7"
NEIGHBOUR = "198.51.100.4"
NGINX = "127.0.0.1"


@pytest.fixture
def survey(team) -> Survey:
    """公交站台需求调查 — fifteen yes/no questions, the length of a long resident survey."""
    s = Survey.objects.create(
        team=team, slug="bus-stops", title_zh="公交站台需求调查", title_en="Bus stop needs",
        purpose=Purpose.NEEDS, status=Status.OPEN,
    )
    for key in QUESTIONS:
        add_question(s, key, Kind.YES_NO, f"问题 {key}？", f"Question {key}?")
    return s


def q(key: str) -> str:
    return f"/s/bus-stops/q/{key}/"


def limits(settings, scope: str, limit: int, window: int) -> None:
    settings.CITYLAB_RATE_LIMITS = {
        **settings.CITYLAB_RATE_LIMITS, scope: {**settings.CITYLAB_RATE_LIMITS[scope], "limit": limit, "window": window}
    }


def fresh_window(window: int, needed: float) -> None:
    """Wait for the next window if fewer than `needed` seconds are left of this one."""
    left = window - time.time() % window
    if left < needed:
        time.sleep(left + 0.01)


def answer_all(client: Client, **extra) -> list[int]:
    statuses = [client.post(q(key), {"answer": "yes"}, **extra).status_code for key in QUESTIONS]
    return statuses + [client.post("/s/bus-stops/check/", **extra).status_code]


# --- Residents answering --------------------------------------------------------------------


def test_a_community_centre_of_residents_answering_at_once_is_never_limited(survey):
    """Ten residents on one shared address each answer all fifteen questions and submit, as
    fast as a test client can (far faster than anyone reads): 160 POSTs, none refused."""
    residents = [Client(REMOTE_ADDR=RESIDENT) for _ in range(10)]
    for client in residents:
        assert set(answer_all(client)) == {HTTPStatus.FOUND}
    assert Response.objects.filter(survey=survey).count() == 10


def test_a_flood_gets_429_retry_after_and_a_page_while_another_address_gets_through(settings, survey):
    limits(settings, "survey", limit=30, window=3600)
    fresh_window(3600, needed=30)
    flood = Client(REMOTE_ADDR=RESIDENT)
    flood.cookies["django_language"] = "en"
    statuses = [flood.post(q("q01"), {"answer": "yes"}).status_code for _ in range(40)]
    assert statuses == [HTTPStatus.FOUND] * 30 + [HTTPStatus.TOO_MANY_REQUESTS] * 10

    refused = flood.post(q("q02"), {"answer": "no", "csrfmiddlewaretoken": "stale-token"})
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert refused["Cache-Control"] == "no-store"
    page = refused.text
    assert "<h1>Please wait a moment</h1>" in page and "<title>Please wait a moment" in page
    assert "Please wait about" in page and "Try again" in page
    # What the resident had just chosen goes back with "Try again", with a fresh CSRF token.
    assert '<input type="hidden" name="answer" value="no">' in page
    assert f'action="{q("q02")}"' in page and "stale-token" not in page

    # Nothing the resident saved is lost, and reading pages is never limited.
    assert 'value="yes" checked' in flood.get(q("q01")).text
    neighbour = Client(REMOTE_ADDR=NEIGHBOUR)
    assert neighbour.post(q("q01"), {"answer": "no"}).status_code == HTTPStatus.FOUND


def test_the_page_is_in_chinese_by_default(settings, survey):
    limits(settings, "survey", limit=1, window=3600)
    fresh_window(3600, needed=10)
    client = Client(REMOTE_ADDR=RESIDENT)
    client.post(q("q01"), {"answer": "yes"})
    page = client.post(q("q01"), {"answer": "yes"}).text
    assert 'lang="zh-Hans"' in page and "<h1>请稍等片刻</h1>" in page and "再试一次" in page


def test_the_window_resets(settings, survey):
    limits(settings, "survey", limit=3, window=2)
    fresh_window(2, needed=1.5)
    client = Client(REMOTE_ADDR=RESIDENT)
    assert answer_all(client)[:4] == [HTTPStatus.FOUND] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]
    refused = client.post(q("q04"), {"answer": "yes"})
    wait = int(refused["Retry-After"])
    assert 1 <= wait <= 2
    time.sleep(wait)
    assert client.post(q("q04"), {"answer": "yes"}).status_code == HTTPStatus.FOUND


@pytest.mark.django_db
def test_counts_are_per_fixed_window_of_the_clock():
    limit = Limit(scope="test", limit=2, window=60)
    assert hit(limit, RESIDENT, now=1000.0).allowed  # the window 960–1020
    assert hit(limit, RESIDENT, now=1001.0).allowed
    refused = hit(limit, RESIDENT, now=1019.2)
    assert not refused.allowed and refused.count == 3 and refused.retry_after == 1
    assert hit(limit, NEIGHBOUR, now=1019.5).allowed
    assert hit(limit, RESIDENT, now=1020.0) == hit(limit, NEIGHBOUR, now=1020.0)  # a new window for both
    assert hit(limit, RESIDENT, now=1020.0).retry_after == 60


def test_a_limit_of_zero_is_off(settings, survey):
    limits(settings, "survey", limit=0, window=60)
    assert set(answer_all(Client(REMOTE_ADDR=RESIDENT))) == {HTTPStatus.FOUND}


def test_an_invitation_link_is_limited_because_it_writes(settings, survey):
    limits(settings, "survey", limit=2, window=3600)
    fresh_window(3600, needed=10)
    client = Client(REMOTE_ADDR=RESIDENT)
    codes = [client.get(f"/s/bus-stops/i/not-a-token-{n}/").status_code for n in range(3)]
    assert codes == [HTTPStatus.NOT_FOUND, HTTPStatus.NOT_FOUND, HTTPStatus.TOO_MANY_REQUESTS]
    refused = client.get("/s/bus-stops/i/not-a-token-3/")
    assert 'href="/s/bus-stops/i/not-a-token-3/"' in refused.text  # "Try again" is a plain link
    assert client.get("/s/bus-stops/").status_code == HTTPStatus.OK


# --- Officer sign-up ------------------------------------------------------------------------


def test_a_flood_of_sign_ups_is_refused_and_keeps_what_was_typed_but_no_password(settings, team):
    limits(settings, "signup", limit=5, window=3600)
    fresh_window(3600, needed=10)
    client = Client(REMOTE_ADDR=RESIDENT)
    url = f"/join/{team.code}/"
    typed = {"full_name": "周秀英", "phone": "139 1234-5678", "availability": ["weekday_morning", "weekend"],
             "password": "should-never-be-echoed"}
    assert [client.post(url, typed).status_code for _ in range(5)] == [HTTPStatus.OK] * 5  # the form, with errors
    refused = client.post(url, typed)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS and int(refused["Retry-After"]) > 60
    for field in ('name="full_name" value="周秀英"', 'name="availability" value="weekday_morning"',
                  'name="availability" value="weekend"'):
        assert field in refused.text
    assert "should-never-be-echoed" not in refused.text
    assert client.get(url).status_code == HTTPStatus.OK
    assert Client(REMOTE_ADDR=NEIGHBOUR).post(url, typed).status_code == HTTPStatus.OK


# --- The client's address -------------------------------------------------------------------


def request_from(remote: str, forwarded: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().post("/", REMOTE_ADDR=remote, **headers)


def test_forwarded_for_is_ignored_without_a_proxy(settings):
    settings.CITYLAB_BEHIND_PROXY = False
    assert client_address(request_from(RESIDENT, "192.0.2.1")) == RESIDENT


def test_behind_the_proxy_the_address_nginx_saw_counts_not_what_the_client_claims(settings):
    settings.CITYLAB_BEHIND_PROXY = True
    settings.CITYLAB_TRUSTED_PROXIES = []
    assert client_address(request_from(NGINX, RESIDENT)) == RESIDENT
    assert client_address(request_from(NGINX, f"192.0.2.1, 192.0.2.2, {RESIDENT}")) == RESIDENT
    assert client_address(request_from(NGINX)) == NGINX
    assert client_address(request_from(NGINX, "nonsense")) == NGINX


def test_behind_a_load_balancer_its_entries_are_skipped(settings):
    from ipaddress import ip_network

    settings.CITYLAB_BEHIND_PROXY = True
    settings.CITYLAB_TRUSTED_PROXIES = [ip_network("10.0.0.0/8")]
    assert client_address(request_from("10.0.0.11", f"192.0.2.1, {RESIDENT}, 10.0.0.5")) == RESIDENT
    assert client_address(request_from("10.0.0.11", "10.0.0.9, 10.0.0.5")) == "10.0.0.9"


def test_an_ipv6_household_is_one_bucket():
    assert bucket("2001:db8:1:2::1") == bucket("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert bucket("2001:db8:1:3::1") != bucket("2001:db8:1:2::1")
    assert bucket("::ffff:203.0.113.7") == RESIDENT


def test_without_a_proxy_a_flood_cannot_dodge_the_limit_with_made_up_headers(settings, survey):
    settings.CITYLAB_BEHIND_PROXY = False
    limits(settings, "survey", limit=5, window=3600)
    fresh_window(3600, needed=10)
    client = Client(REMOTE_ADDR=RESIDENT)
    codes = [client.post(q("q01"), {"answer": "yes"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}").status_code
             for n in range(6)]
    assert codes[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_behind_the_proxy_two_residents_through_one_nginx_are_counted_apart(settings, survey):
    settings.CITYLAB_BEHIND_PROXY = True
    limits(settings, "survey", limit=5, window=3600)
    fresh_window(3600, needed=10)
    client = Client(REMOTE_ADDR=NGINX)
    codes = [client.post(q("q01"), {"answer": "yes"}, HTTP_X_FORWARDED_FOR=f"192.0.2.{n}, {RESIDENT}").status_code
             for n in range(6)]
    assert codes[-1] == HTTPStatus.TOO_MANY_REQUESTS  # a different claim each time, one client
    other = Client(REMOTE_ADDR=NGINX).post(q("q01"), {"answer": "yes"}, HTTP_X_FORWARDED_FOR=NEIGHBOUR)
    assert other.status_code == HTTPStatus.FOUND


# --- Sign-in and password reset (allauth's limits, by the same address) ----------------------


def sign_in(email: str, password: str, remote: str, **headers):
    client = Client(REMOTE_ADDR=remote, **headers)
    client.cookies["django_language"] = "en"
    return client.post("/accounts/login/", {"login": email, "password": password})


def refused_for_failures(response) -> bool:
    return response.status_code == HTTPStatus.OK and "Too many failed login attempts" in response.text


# allauth keeps each address's and account's recent attempts (a sliding window): no clock
# boundary to wait for.
def test_five_wrong_passwords_lock_the_account_from_every_address(clerk, viewer):
    for n in range(5):
        assert not refused_for_failures(sign_in(clerk.email, "wrong", f"192.0.2.{n}"))
    assert refused_for_failures(sign_in(clerk.email, PASSWORD, "192.0.2.99"))
    # Other people's accounts are not affected, even from an address that guessed.
    assert sign_in(viewer.email, PASSWORD, "192.0.2.1").status_code == HTTPStatus.FOUND


def test_ten_wrong_passwords_a_minute_from_one_address_stop_it_but_no_other(clerk):
    for n in range(10):
        sign_in(f"nobody{n}@lanhai.example", "wrong", RESIDENT)
    assert refused_for_failures(sign_in(clerk.email, PASSWORD, RESIDENT))
    assert sign_in(clerk.email, PASSWORD, NEIGHBOUR).status_code == HTTPStatus.FOUND


def test_sign_in_behind_the_proxy_counts_each_client_apart(settings, clerk):
    settings.CITYLAB_BEHIND_PROXY = True
    for n in range(10):
        sign_in(f"nobody{n}@lanhai.example", "wrong", NGINX, HTTP_X_FORWARDED_FOR=RESIDENT)
    assert refused_for_failures(sign_in(clerk.email, PASSWORD, NGINX, HTTP_X_FORWARDED_FOR=RESIDENT))
    response = sign_in(clerk.email, PASSWORD, NGINX, HTTP_X_FORWARDED_FOR=NEIGHBOUR)
    assert response.status_code == HTTPStatus.FOUND


def test_thirty_sign_in_posts_a_minute_from_one_address_get_our_429_page(db):
    codes = [sign_in(f"nobody{n}@lanhai.example", "wrong", RESIDENT).status_code for n in range(31)]
    assert codes[:30] == [HTTPStatus.OK] * 30
    refused = sign_in("nobody@lanhai.example", "wrong", RESIDENT)
    assert refused.status_code == HTTPStatus.TOO_MANY_REQUESTS and refused["Retry-After"] == "60"
    assert "<h1>Please wait a moment</h1>" in refused.text and 'value="wrong"' not in refused.text
    assert sign_in("nobody@lanhai.example", "wrong", NEIGHBOUR).status_code == HTTPStatus.OK


def test_password_reset_is_limited_per_account(clerk, mailoutbox):
    codes = [
        Client(REMOTE_ADDR=f"192.0.2.{n}").post("/accounts/password/reset/", {"email": clerk.email}).status_code
        for n in range(6)
    ]
    assert codes == [HTTPStatus.FOUND] * 5 + [HTTPStatus.TOO_MANY_REQUESTS]
    assert len(mailoutbox) == 5


# --- The counter itself ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_are_all_counted():
    """Eight processes' worth of connections counting one key at once lose no request (the
    database cache's own incr, a read then a write, counted 45 of these 200)."""
    key = "test:ratelimit:concurrent"
    cache.add(key, 0, timeout=60)

    def count() -> None:
        try:
            for _ in range(25):
                cache.incr(key)
        finally:
            connection.close()

    threads = [threading.Thread(target=count) for _ in range(8)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert cache.get(key) == 200
    finally:
        cache.delete(key)  # the cache table is not a model's: the test database keeps it


def test_counting_an_answer_costs_two_queries_on_the_database_cache(settings, survey):
    limits(settings, "survey", limit=300, window=3600)
    fresh_window(3600, needed=10)
    client = Client(REMOTE_ADDR=RESIDENT)
    client.post(q("q01"), {"answer": "yes"})  # the first of the window adds the count
    settings.CITYLAB_RATE_LIMITS["survey"]["limit"] = 0
    with CaptureQueriesContext(connection) as unlimited:
        client.post(q("q02"), {"answer": "yes"})
    settings.CITYLAB_RATE_LIMITS["survey"]["limit"] = 300
    with CaptureQueriesContext(connection) as limited:
        client.post(q("q03"), {"answer": "yes"})
    counting = [query["sql"].split()[0] for query in limited.captured_queries[: len(limited) - len(unlimited)]]
    assert counting == ["SELECT", "UPDATE"]


@pytest.mark.django_db
def test_incr_keeps_the_expiry_so_a_count_ends_with_its_window():
    cache.add("test:ratelimit:short", 1, timeout=1)
    assert cache.incr("test:ratelimit:short") == 2
    time.sleep(1.1)
    assert cache.get("test:ratelimit:short") is None
    with pytest.raises(ValueError):
        cache.incr("test:ratelimit:short")


# --- Settings -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CITYLAB_RATE_LIMIT_SURVEY": "-1"}, "CITYLAB_RATE_LIMIT_SURVEY: must be at least 0"),
        ({"CITYLAB_RATE_LIMIT_SIGNUP_WINDOW": "0"}, "CITYLAB_RATE_LIMIT_SIGNUP_WINDOW: must be at least 1"),
        ({"CITYLAB_TRUSTED_PROXIES": "nginx"}, "CITYLAB_TRUSTED_PROXIES: expected IP addresses or networks"),
    ],
)
def test_bad_limits_name_the_variable(env, message):
    result = manage("check", **env)
    assert result.returncode != 0 and message in result.stderr.strip().splitlines()[-1]
