"""The PostgreSQL health check asks the server only when the connection's socket has something
to say: a quiet idle connection costs no round trip, and one the server has dropped is still
found unusable and replaced before the request's first query."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.conf import settings
from django.db import close_old_connections, connection

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("the backend is PostgreSQL's")
    assert settings.DATABASES["default"]["ENGINE"] == "citylab.postgresql"
    connection.ensure_connection()
    return connection


def _other():
    """A second, plain connection to the same server, to watch and act on the first."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def _last_statement(pid: int) -> str:
    with _other() as other:
        return other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def test_a_quiet_idle_connection_is_usable_without_a_round_trip(postgresql):
    with postgresql.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    pid = postgresql.connection.info.backend_pid
    assert postgresql.is_usable()
    assert _last_statement(pid) == "SELECT 'the last statement'"


def test_a_connection_the_server_dropped_is_unusable_and_the_next_request_reconnects(postgresql):
    postgresql.settings_dict["CONN_MAX_AGE"] = 60  # persistent, as in production
    postgresql.close_at = time.monotonic() + 60
    postgresql.health_check_enabled = True
    pid = postgresql.connection.info.backend_pid
    with _other() as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    # The server's goodbye reaches the socket a moment after it ends the backend.
    deadline = time.monotonic() + 5
    while postgresql.is_usable() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not postgresql.is_usable()

    close_old_connections()  # what the start of a request does
    with postgresql.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        assert cursor.fetchone()[0] != pid


def test_something_waiting_on_a_usable_connection_is_read_by_the_full_check(postgresql):
    """A notification (or a notice, or a changed setting) makes the socket readable without
    ending the connection: the full check reads it and keeps the connection."""
    with postgresql.cursor() as cursor:
        cursor.execute("LISTEN citylab_test")
    with _other() as other:
        other.execute("NOTIFY citylab_test")
    pid = postgresql.connection.info.backend_pid
    time.sleep(0.2)
    assert postgresql.is_usable()
    assert _last_statement(pid) == "SELECT 1"
    with postgresql.cursor() as cursor:
        cursor.execute("UNLISTEN citylab_test")


def test_inside_a_transaction_the_check_asks_the_server(postgresql):
    from django.db import transaction

    with transaction.atomic():
        with postgresql.cursor() as cursor:
            cursor.execute("SELECT 'in a transaction'")
        assert postgresql.is_usable()
        assert _last_statement(postgresql.connection.info.backend_pid) == "SELECT 1"
