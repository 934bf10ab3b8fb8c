"""Officers for tests: plain functions, importable by any test module (no fixtures, no conftest).

    from tests.pilots.officer_factories import make_officer, make_officer_user

Segment defaults reuse the `places` fixture's rows when they exist (60-69, Old Town) and create
them otherwise; request `places` before calling these if the test also uses that fixture, or
its rows would clash with the ones made here.
"""

from __future__ import annotations

from itertools import count
from typing import Any

from allauth.account.models import EmailAddress
from django.utils import timezone

from citylab.models import AgeBand, Community, District, Occupation, Team, User
from pilots.models.panels import Officer, OfficerStatus, SmartphoneUse

PASSWORD = "correct-horse-battery-staple"  # the same as tests/conftest.py's personas
CONSENT_VERSION = "test"

_numbers = count(1)


def default_age_band() -> AgeBand:
    band = AgeBand.objects.filter(code="60-69").first()
    return band or AgeBand.objects.create(code="60-69", min_age=60, max_age=69)


def default_district() -> District:
    return District.objects.get_or_create(
        code="laocheng", defaults={"name_zh": "老城区", "name_en": "Old Town"}
    )[0]


def make_occupation(code: str = "retired", name_en: str = "Retired", name_zh: str = "退休", order: int = 0) -> Occupation:
    return Occupation.objects.get_or_create(
        code=code, defaults={"name_en": name_en, "name_zh": name_zh, "order": order}
    )[0]


def make_occupations() -> list[Occupation]:
    """Three occupations: retired, office worker, manual worker (in that order)."""
    return [
        make_occupation("retired", "Retired", "退休", 1),
        make_occupation("office", "Office worker", "办公室职员", 2),
        make_occupation("manual", "Manual worker", "体力劳动者", 3),
    ]


def make_officer(
    team: Team,
    *,
    age_band: AgeBand | None = None,
    district: District | None = None,
    occupation: Occupation | None = None,
    status: str = OfficerStatus.APPROVED,
    user: User | None = None,
    **fields: Any,
) -> Officer:
    """An officer of `team` with unique contact details; `fields` override any model field.

    Approved by default (that is what panels, tasks and coverage count); the community is the
    district's first, if it has one.
    """
    n = next(_numbers)
    district = district or default_district()
    values: dict[str, Any] = {
        "full_name": f"Officer {n}",
        "phone": f"1390000{n:04d}",
        "email": f"officer{n}@residents.example",
        "smartphone": SmartphoneUse.BASIC,
        "availability": ["weekday_morning"],
        "community": Community.objects.filter(district=district).first(),
        "consent_at": timezone.now(),
        "consent_version": CONSENT_VERSION,
    }
    if status in (OfficerStatus.APPROVED, OfficerStatus.DECLINED):
        values["decided_at"] = timezone.now()
    if status == OfficerStatus.WITHDRAWN:
        values.update({name: "" for name in Officer.PERSONAL_FIELDS}, availability=[], withdrawn_at=timezone.now())
    values.update(fields)
    return Officer.objects.create(
        team=team,
        age_band=age_band or default_age_band(),
        district=district,
        occupation=occupation or make_occupation(),
        status=status,
        user=user,
        **values,
    )


def make_officer_user(team: Team, **fields: Any) -> tuple[User, Officer]:
    """A signed-up, approved officer with an account (verified email, the personas' password)
    and no team membership: officers are not staff. Returns (user, officer)."""
    n = next(_numbers)
    email = fields.pop("email", f"officer-user{n}@residents.example")
    user = User.objects.create_user(email=email, password=PASSWORD, full_name=fields.get("full_name", ""))
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    officer = make_officer(team, user=user, email=email, **fields)
    return user, officer
