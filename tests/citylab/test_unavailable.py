"""A database that does not answer: a friendly 503 page on every page, and /health/ says so.

The default connection is pointed at a database that cannot be opened (a closed port for
PostgreSQL, a file in a missing folder for SQLite), so every query really fails as it does
when PostgreSQL is down."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.db import connections
from django.test import Client, RequestFactory

from citylab.errors import server_error


@pytest.fixture
def database_down(django_db_blocker, tmp_path):
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    with django_db_blocker.unblock():
        connection.close()
        if connection.vendor == "sqlite":
            connection.settings_dict["NAME"] = str(tmp_path / "missing-folder" / "citylab.sqlite3")
        else:
            connection.settings_dict.update(HOST="127.0.0.1", PORT="9")  # nothing listens on the discard port
        try:
            yield
        finally:
            connection.close()
            connection.settings_dict.clear()
            connection.settings_dict.update(saved)


@pytest.fixture
def browser():
    return Client(raise_request_exception=False)


def assert_friendly_503(response, *phrases: str) -> None:
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    for phrase in phrases:
        assert phrase in html
    assert "Traceback" not in html and "OperationalError" not in html


def test_a_resident_page_says_the_service_is_down_for_a_moment(database_down, browser):
    response = browser.get("/s/door-access-2026/")
    assert_friendly_503(response, '<html lang="zh-Hans"', "城市体验实验室暂时无法使用", "您已经提交的回答都已保存")


def test_the_page_is_in_the_residents_language(database_down, browser):
    browser.cookies["django_language"] = "en"
    response = browser.post("/s/door-access-2026/q/age/", {"answer": "70+"})
    assert_friendly_503(response, '<html lang="en"', "CityLab is unavailable for a moment", "Large text")


def test_a_signed_in_page_fails_in_middleware_and_still_gets_the_page(database_down, browser):
    # The session is read from the database before any view runs.
    browser.cookies["sessionid"] = "k" * 32
    assert_friendly_503(browser.get("/staff/"), "城市体验实验室暂时无法使用")


def test_health_says_the_database_is_unreachable(database_down, browser):
    response = browser.get("/health/")
    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert response.json() == {"status": "error", "database": "unreachable"}


def test_other_errors_are_still_a_500():
    assert server_error(RequestFactory().get("/")).status_code == HTTPStatus.INTERNAL_SERVER_ERROR
