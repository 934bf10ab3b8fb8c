"""Sign-in: email and password, a second factor for planners and admins, no open sign-up."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time

from citylab.models import Membership, Role
from tests.conftest import PASSWORD, TOTP_SECRET, make_user


def current_code() -> str:
    """The authenticator's code now, at least 5 s before it rolls over.

    CityLab takes only the current 30-second step (allauth's default tolerance, 0: a used code
    is remembered for one step only, so a wider window would let it be replayed). A code taken
    just before the step ends would be stale by the time the next request checks it.
    """
    left = mfa_settings.TOTP_PERIOD - time.time() % mfa_settings.TOTP_PERIOD
    if left < 5:
        time.sleep(left + 0.1)
    (counter,) = yield_hotp_counters_from_time()
    return format_hotp_value(hotp_value(TOTP_SECRET, counter))


def sign_in(client, email: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"login": email, "password": password})


def test_clerk_signs_in_with_email_and_password(client, clerk):
    response = sign_in(client, "clerk@lanhai.example")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/staff/"


def test_wrong_password_is_refused_with_a_message(client, clerk):
    client.cookies["django_language"] = "en"
    response = sign_in(client, "clerk@lanhai.example", "not-the-password")
    assert response.status_code == HTTPStatus.OK
    assert "There is a problem" in response.text
    assert "<title>Error: Sign in" in response.text


def test_planner_is_asked_for_the_authenticator_code(client, planner):
    response = sign_in(client, "planner@lanhai.example")
    assert response["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/staff/").status_code == HTTPStatus.FOUND  # not signed in yet
    response = client.post("/accounts/2fa/authenticate/", {"code": current_code()})
    assert response.status_code == HTTPStatus.FOUND
    assert client.get("/staff/").status_code == HTTPStatus.OK


def test_a_stale_or_reused_code_is_refused(client, planner):
    sign_in(client, "planner@lanhai.example")
    code = current_code()
    (counter,) = yield_hotp_counters_from_time()
    stale = format_hotp_value(hotp_value(TOTP_SECRET, counter - 1))
    assert client.post("/accounts/2fa/authenticate/", {"code": stale}).status_code == HTTPStatus.OK
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == HTTPStatus.FOUND
    client.logout()
    sign_in(client, "planner@lanhai.example")
    assert client.post("/accounts/2fa/authenticate/", {"code": code}).status_code == HTTPStatus.OK


def test_planner_without_authenticator_must_set_one_up_first(client, team):
    user = make_user("newplanner@lanhai.example")
    Membership.objects.create(team=team, user=user, role=Role.PLANNER)
    sign_in(client, "newplanner@lanhai.example")
    response = client.get("/staff/")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    # allauth asks for the password again before a security change; then the setup page opens
    response = client.get("/accounts/2fa/totp/activate/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/accounts/reauthenticate/")
    response = client.post(response.redirect_chain[-1][0], {"password": PASSWORD}, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert response.request["PATH_INFO"] == "/accounts/2fa/totp/activate/"
    # language and text size stay reachable meanwhile
    assert client.post("/text-size/", {"size": "large", "next": "/"}).status_code == HTTPStatus.FOUND


def test_admin_without_authenticator_must_set_one_up(client, db):
    client.force_login(make_user("root@lanhai.example", staff=True))
    assert client.get("/admin/")["Location"] == "/accounts/2fa/totp/activate/"


@pytest.mark.parametrize("persona", ["clerk", "viewer", "outsider"])
def test_second_factor_is_optional_for_other_roles(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get("/staff/").status_code == HTTPStatus.OK


def test_planner_cannot_switch_off_the_second_factor(client, planner):
    client.force_login(planner)
    client.post("/accounts/2fa/totp/deactivate/")
    assert Authenticator.objects.filter(user=planner, type=Authenticator.Type.TOTP).exists()


def test_sign_up_is_closed(client, db):
    client.cookies["django_language"] = "en"
    response = client.post(
        "/accounts/signup/", {"email": "someone@lanhai.example", "password1": "x" * 12, "password2": "x" * 12}
    )
    assert response.status_code == HTTPStatus.OK
    assert "closed" in response.text.lower()
    from citylab.models import User

    assert not User.objects.filter(email="someone@lanhai.example").exists()


def test_unverified_email_cannot_sign_in(client, db):
    from citylab.models import User

    User.objects.create_user(email="new@lanhai.example", password=PASSWORD)
    response = sign_in(client, "new@lanhai.example")
    assert response["Location"] == "/accounts/confirm-email/"
    assert client.get("/staff/").status_code == HTTPStatus.FOUND


def test_repeated_failed_sign_ins_are_slowed_down(client, clerk):
    client.cookies["django_language"] = "en"
    for attempt in range(5):
        sign_in(client, "clerk@lanhai.example", f"wrong-{attempt}")
    response = sign_in(client, "clerk@lanhai.example")  # even the right password, for a while
    assert "Too many failed login attempts" in response.text
    assert client.get("/staff/").status_code == HTTPStatus.FOUND
