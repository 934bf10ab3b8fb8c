"""Persona fixtures shared by every test: the people CityLab serves.

- planner, clerk, viewer: members of the demo team ("digital"), one role each; the planner has
  an authenticator app set up, as the role requires;
- other_planner: a planner of another team, who must never see the first team's objects;
- outsider: signed in but in no team; anonymous: the `client` fixture as it comes.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP

from citylab.models import AgeBand, Community, District, Membership, Role, Team, User

PASSWORD = "correct-horse-battery-staple"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture(autouse=True)
def _language_of_code_outside_requests() -> Iterator[None]:
    """Code called directly (services, commands, pure modules) speaks English in tests, and
    whatever language a request switched to is put back afterwards: without this, the language
    of one test's last request leaked into the next test, and results depended on the order.
    Pages still choose their language per request (zh-Hans by default), as in production."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Hash test passwords with a fast hasher: PBKDF2's deliberate slowness (a third of a
    second per persona) would otherwise be most of the suite's time. Production keeps PBKDF2."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _cache_rows_go_with_the_test(request, django_db_blocker) -> Iterator[None]:
    """The default cache is a database table: a test's rows in it roll back with the test's
    transaction. A transactional test (the live server's, a task worker's) commits them for
    real, and the flush after it empties the models' tables only, so its rate-limit counts,
    allauth's counts of failed sign-ins and kept dashboard counts would reach later tests, whose
    ids restart at 1 on SQLite and name the same surveys again."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = {"transactional_db", "live_server"} & set(request.fixturenames) or (
        marker is not None and marker.kwargs.get("transaction"))
    if transactional:
        from django.core.cache import cache

        with django_db_blocker.unblock():
            cache.clear()


def make_user(email: str, *, name: str = "", staff: bool = False, totp: bool = False) -> User:
    """A verified account; `staff` makes a CityLab administrator (superuser of the admin site)."""
    user = User.objects.create_user(
        email=email, password=PASSWORD, full_name=name, is_staff=staff, is_superuser=staff
    )
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    if totp:
        TOTP.activate(user, TOTP_SECRET)
    return user


@pytest.fixture
def team(db) -> Team:
    return Team.objects.create(code="digital", name_zh="数字城市办公室", name_en="Digital City Office")


@pytest.fixture
def other_team(db) -> Team:
    return Team.objects.create(code="transport", name_zh="交通局", name_en="Transport Bureau")


def _member(team: Team, role: Role, email: str, name: str, *, totp: bool = False) -> User:
    user = make_user(email, name=name, totp=totp)
    Membership.objects.create(team=team, user=user, role=role)
    return user


@pytest.fixture
def planner(team) -> User:
    return _member(team, Role.PLANNER, "planner@lanhai.example", "王芳", totp=True)


@pytest.fixture
def clerk(team) -> User:
    return _member(team, Role.CLERK, "clerk@lanhai.example", "李明")


@pytest.fixture
def viewer(team) -> User:
    return _member(team, Role.VIEWER, "viewer@lanhai.example", "张伟")


@pytest.fixture
def other_planner(other_team) -> User:
    return _member(other_team, Role.PLANNER, "planner@transport.example", "陈静", totp=True)


@pytest.fixture
def outsider(db) -> User:
    return make_user("outsider@lanhai.example", name="赵磊")


@pytest.fixture
def admin_user(db) -> User:
    return make_user("admin@lanhai.example", name="Admin", staff=True, totp=True)


@pytest.fixture
def places(db) -> dict[str, object]:
    """Two districts with a community each, and the demo's five age bands."""
    old = District.objects.create(code="laocheng", name_zh="老城区", name_en="Old Town")
    port = District.objects.create(code="xingang", name_zh="新港区", name_en="New Harbour")
    Community.objects.create(code="dengta", name_zh="灯塔社区", name_en="Lighthouse", district=old)
    Community.objects.create(code="chuanchang", name_zh="船厂社区", name_en="Shipyard", district=port)
    bands = [
        AgeBand.objects.create(code=code, min_age=lo, max_age=hi)
        for code, lo, hi in [("18-29", 18, 29), ("30-44", 30, 44), ("45-59", 45, 59), ("60-69", 60, 69), ("70+", 70, None)]
    ]
    return {"districts": [old, port], "bands": bands}
