"""The demo city: what `seed_demo` promises, that a second run changes nothing, and the
development-only sign-in code command."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import validate_totp_code
from allauth.mfa.utils import decrypt
from django.core.management import CommandError, call_command

from citylab import demo
from citylab.accounts import has_totp, mfa_required
from citylab.models import (
    AgeBand,
    Community,
    District,
    Membership,
    Occupation,
    PopulationFigure,
    Role,
    Team,
    User,
)

MODELS = (AgeBand, Occupation, District, Community, PopulationFigure, Team, User, EmailAddress, Membership, Authenticator)


def snapshot() -> dict[str, object]:
    """Every row the seed writes, with the fields a careless re-run would change."""
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "figures": list(PopulationFigure.objects.values_list("pk", "population", "updated_at")),
        "communities": list(Community.objects.values_list("pk", "code", "district_id", "name_zh")),
        "users": list(User.objects.values_list("pk", "email", "password", "is_staff", "is_superuser")),
        "authenticators": list(Authenticator.objects.values_list("pk", "user_id", "data")),
        "memberships": list(Membership.objects.values_list("pk", "user__email", "role")),
    }


@pytest.fixture(autouse=True)
def fast_hashing(settings) -> None:
    # The seed hashes four passwords per run; the production hasher would make this file slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded(db) -> dict[str, demo.Tally]:
    return demo.seed_demo()


# --- The data itself (no database) ----------------------------------------------------------


def test_data_tells_a_consistent_story():
    codes = [place.code for district in demo.DISTRICTS for place in district.communities]
    assert len(codes) == len(set(codes)), "community codes are unique across the city"
    assert all(4 <= len(district.communities) <= 6 for district in demo.DISTRICTS)
    assert all(len(district.population) == len(demo.AGE_BANDS) for district in demo.DISTRICTS)
    assert 1_100_000 <= demo.total_population() <= 1_300_000

    def share_70_plus(code: str) -> float:
        district = next(d for d in demo.DISTRICTS if d.code == code)
        return district.population[-1] / sum(district.population)

    assert share_70_plus("laocheng") > 0.2 > 0.05 > share_70_plus("kechuang")


# --- What the seed creates ------------------------------------------------------------------


def test_seed_creates_the_promised_city(seeded):
    assert District.objects.count() == 6
    assert 28 <= Community.objects.count() <= 32
    assert list(AgeBand.objects.values_list("code", flat=True)) == ["18-29", "30-44", "45-59", "60-69", "70+"]
    assert AgeBand.objects.get(code="70+").max_age is None
    assert Occupation.objects.count() == 8
    assert list(Occupation.objects.values_list("code", flat=True))[0] == "retired"
    assert all(o.name_zh and o.name_en for o in Occupation.objects.all())
    # Every district has a figure for every band, and they add up to the city.
    for district in District.objects.all():
        assert district.population.count() == AgeBand.objects.count(), district.code
        assert district.communities.count() >= 4
    total = sum(PopulationFigure.objects.values_list("population", flat=True))
    assert total == demo.total_population()


def test_seed_creates_the_team_and_users(seeded):
    team = Team.objects.get(code="digital")
    assert team.name_zh == "澜海市数字城市办公室"
    roles = dict(Membership.objects.filter(team=team).values_list("user__email", "role"))
    assert roles == {
        "planner@lanhai.example": Role.PLANNER,
        "clerk@lanhai.example": Role.CLERK,
        "viewer@lanhai.example": Role.VIEWER,
    }
    assert User.objects.get(email="planner@lanhai.example").full_name == "王芳"
    admin = User.objects.get(email="admin@lanhai.example")
    assert admin.is_staff and admin.is_superuser
    assert not Membership.objects.filter(user=admin).exists()


@pytest.mark.parametrize("user", demo.DEMO_USERS, ids=lambda u: u.role)
def test_every_demo_user_can_sign_in(seeded, client, user):
    account = User.objects.get(email=user.email)
    assert EmailAddress.objects.filter(user=account, email=user.email, verified=True, primary=True).exists()
    assert client.login(email=user.email, password=demo.DEMO_PASSWORD)
    # Whoever must use two-factor sign-in has an authenticator with the documented secret.
    assert mfa_required(account) == demo.needs_totp(user)
    assert has_totp(account) == demo.needs_totp(user)
    if demo.needs_totp(user):
        authenticator = Authenticator.objects.get(user=account, type=Authenticator.Type.TOTP)
        assert decrypt(authenticator.data["secret"]) == demo.DEMO_TOTP_SECRET


# --- Running it again -----------------------------------------------------------------------


def test_second_run_changes_nothing(seeded):
    before = snapshot()
    tallies = demo.seed_demo()
    assert snapshot() == before
    assert all(t.created == 0 and t.updated == 0 and t.unchanged > 0 for t in tallies.values()), tallies
    assert {kind: t.total for kind, t in tallies.items()} == {kind: t.total for kind, t in seeded.items()}


def test_second_run_restores_demo_values_but_keeps_passwords_and_authenticators(seeded):
    PopulationFigure.objects.filter(district__code="laocheng", age_band__code="70+").update(population=1)
    Community.objects.filter(code="dengta").update(name_en="Renamed")
    planner = User.objects.get(email="planner@lanhai.example")
    planner.set_password("my-own-password-123")
    planner.save()
    admin = User.objects.get(email="admin@lanhai.example")
    Authenticator.objects.filter(user=admin).delete()

    tallies = demo.seed_demo()

    assert PopulationFigure.objects.get(district__code="laocheng", age_band__code="70+").population == 52_890
    assert Community.objects.get(code="dengta").name_en == "Lighthouse"
    assert tallies["population figures"].updated == 1 and tallies["communities"].updated == 1
    planner.refresh_from_db()
    assert planner.check_password("my-own-password-123")
    # A missing authenticator is set up again; an existing one is never replaced.
    assert has_totp(admin) and tallies["authenticators"].created == 1
    assert Authenticator.objects.filter(user=planner).count() == 1


def test_seed_reports_progress_when_asked(db):
    out = StringIO()
    demo.seed_demo(stdout=out)
    assert "districts: 6 (6 created, 0 updated, 0 unchanged)" in out.getvalue()


# --- The commands ---------------------------------------------------------------------------


def test_seed_command_refuses_outside_development(db, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="refused because CITYLAB_DEBUG is false"):
        call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    assert not User.objects.exists()


def test_seed_command_prints_contents_and_credentials(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    text = out.getvalue()
    assert "6 districts" in text and "1,198,990 adults" in text
    for user in demo.DEMO_USERS:
        line = next(line for line in text.splitlines() if user.email in line)
        assert demo.DEMO_PASSWORD in line and user.role in line
    assert "totp_code" in text and demo.DEMO_TOTP_SECRET in text


def test_seed_command_twice_says_passwords_were_kept(db, settings):
    settings.DEBUG = True
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO())
    assert "0 rows created, 0 updated" in out.getvalue()
    assert "passwords were not changed" in out.getvalue()


def totp_code(email: str) -> str:
    out = StringIO()
    call_command("totp_code", email, stdout=out)
    return out.getvalue().strip()


@pytest.mark.parametrize("email", ["planner@lanhai.example", "ADMIN@lanhai.example"])
def test_totp_code_is_accepted_by_allauth(seeded, settings, email):
    settings.DEBUG = True
    code = totp_code(email)
    assert re.fullmatch(r"\d{6}", code)
    assert validate_totp_code(demo.DEMO_TOTP_SECRET, code)


def test_totp_code_refuses_without_debug(seeded, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        totp_code("planner@lanhai.example")


@pytest.mark.parametrize(
    ("email", "message"),
    [("nobody@lanhai.example", "No user with email"), ("clerk@lanhai.example", "no authenticator")],
)
def test_totp_code_explains_what_is_missing(seeded, settings, email, message):
    settings.DEBUG = True
    with pytest.raises(CommandError, match=message):
        totp_code(email)
