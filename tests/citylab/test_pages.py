"""Home, staff landing, population, text size, language and health, for each persona."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from citylab import textsize
from citylab.models import PopulationFigure


def test_home_is_public_and_routes_everyone(client, db):
    response = client.get("/")
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert '<html lang="zh-Hans"' in html
    assert "居民" in html and "体验官" in html and "/accounts/login/" in html
    assert "大字模式" in html


def test_home_in_english(client, db):
    client.cookies["django_language"] = "en"
    html = client.get("/").text
    assert '<html lang="en"' in html
    assert "Experience officers" in html and "Large text" in html


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("planner", "You design surveys and pilots"),
        ("clerk", "You print paper forms"),
        ("viewer", "You can read surveys"),
        ("outsider", "You are not in a team yet"),
    ],
)
def test_staff_landing_explains_each_role(client, request, persona, expected):
    client.cookies["django_language"] = "en"
    client.force_login(request.getfixturevalue(persona))
    response = client.get("/staff/")
    assert response.status_code == HTTPStatus.OK
    assert expected in response.text


def test_staff_landing_does_not_show_other_teams(client, planner, other_planner):
    client.force_login(planner)
    html = client.get("/staff/").text
    assert "数字城市办公室" in html and "交通局" not in html


def test_staff_landing_needs_sign_in(client, db):
    response = client.get("/staff/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/login/?next=/staff/"


def test_admin_links_only_for_admins(client, clerk, admin_user):
    client.force_login(clerk)
    assert "/admin/" not in client.get("/staff/").text
    client.force_login(admin_user)
    html = client.get("/staff/").text
    assert "/admin/" in html and "/admin/django_tasks_database/dbtaskresult/" in html


def test_population_table_totals(client, viewer, places):
    old, port = places["districts"]
    bands = places["bands"]
    PopulationFigure.objects.create(district=old, age_band=bands[0], population=1200)
    PopulationFigure.objects.create(district=old, age_band=bands[4], population=3400)
    PopulationFigure.objects.create(district=port, age_band=bands[0], population=5000)
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/staff/population/")
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert "4,600" in html and "9,600" in html and "6,200" in html
    assert "7 cells have no figure yet" in html
    assert len(queries) < 12


def test_population_needs_sign_in(client, db):
    assert client.get("/staff/population/").status_code == HTTPStatus.FOUND


class TestTextSize:
    def test_choice_is_kept_in_a_cookie_and_shown_on_the_next_page(self, client, db):
        response = client.post("/text-size/", {"size": "largest", "next": "/staff/"})
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == "/staff/"
        assert response.cookies[textsize.COOKIE].value == "largest"
        assert 'class="ts-largest aud-public"' in client.get("/").text

    def test_unknown_size_is_ignored(self, client, db):
        response = client.post("/text-size/", {"size": "enormous", "next": "/"})
        assert textsize.COOKIE not in response.cookies
        client.cookies[textsize.COOKIE] = "enormous"
        assert 'class="ts-standard' in client.get("/").text

    def test_next_must_stay_on_this_site(self, client, db):
        response = client.post("/text-size/", {"size": "large", "next": "https://evil.example/"})
        assert response["Location"] == "/"

    def test_get_is_not_allowed(self, client, db):
        assert client.get("/text-size/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_language_switch(client, db):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    assert '<html lang="en"' in client.get("/").text


def test_health_says_ok(client, db):
    response = client.get("/health/")
    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"status": "ok", "database": "ok"}


def test_security_headers(client, db):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_no_inline_script_in_pages(client, planner):
    client.force_login(planner)
    for url in ["/", "/staff/", "/accounts/login/"]:
        html = client.get(url).text
        for chunk in html.split("<script")[1:]:
            assert chunk.lstrip().startswith("src="), f"inline script on {url}"


def test_staff_landing_links_to_surveys_for_team_members_only(client, clerk, outsider):
    client.force_login(clerk)
    assert "/staff/surveys/" in client.get("/staff/").text
    client.force_login(outsider)
    assert "/staff/surveys/" not in client.get("/staff/").text


def test_health_answers_head_for_load_balancers(client, db):
    response = client.head("/health/")
    assert response.status_code == 200 and response.content == b""
