"""The demo city, 澜海市 / Lanhai City: places, segments, population and a team to try CityLab with.

The data is plain constants so a README, a test or a fixture can cite it; `seed_demo` writes it
to the database and may run any number of times: it creates what is missing, puts back demo
values someone edited, and never touches passwords or authenticators that already exist.

Everything here is fictional. DEMO_PASSWORD and DEMO_TOTP_SECRET are published on purpose and
are for development only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.db import models, transaction

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

# --- Data -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class DistrictSpec:
    code: str
    name_zh: str
    name_en: str
    story: str
    communities: tuple[Place, ...]
    # Adult residents per age band, in the order of AGE_BANDS.
    population: tuple[int, ...]


@dataclass(frozen=True)
class AgeBandSpec:
    code: str
    min_age: int
    max_age: int | None


@dataclass(frozen=True)
class OccupationSpec:
    code: str
    name_zh: str
    name_en: str
    order: int


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    name_en: str
    # "planner", "clerk" or "viewer" in the demo team; "admin" is a superuser outside any team.
    role: str


CITY_ZH = "澜海市"
CITY_EN = "Lanhai City"

AGE_BANDS: tuple[AgeBandSpec, ...] = (
    AgeBandSpec("18-29", 18, 29),
    AgeBandSpec("30-44", 30, 44),
    AgeBandSpec("45-59", 45, 59),
    AgeBandSpec("60-69", 60, 69),
    AgeBandSpec("70+", 70, None),
)

OCCUPATIONS: tuple[OccupationSpec, ...] = (
    OccupationSpec("retired", "退休", "Retired", 10),
    OccupationSpec("manual", "工厂及体力劳动", "Factory and manual work", 20),
    OccupationSpec("services", "服务业及零售", "Services and retail", 30),
    OccupationSpec("office", "办公室及专业人员", "Office and professional", 40),
    OccupationSpec("self-employed", "个体经营及摊贩", "Self-employed and street vendors", 50),
    OccupationSpec("fishing-farming", "渔业及农业", "Fishing and farming", 60),
    OccupationSpec("student", "学生", "Student", 70),
    OccupationSpec("homemaker", "家务或无业", "Homemaker or not working", 80),
)


def _places(*rows: tuple[str, str, str]) -> tuple[Place, ...]:
    return tuple(Place(*row) for row in rows)


DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec(
        "laocheng", "老城区", "Old Town",
        "Lanes around the drum tower and the closed textile mill; almost half the adults are over 60.",
        _places(
            ("dengta", "灯塔社区", "Lighthouse"),
            ("gulou", "鼓楼社区", "Drum Tower"),
            ("fangzhichang", "纺织厂社区", "Textile Mill"),
            ("shiqiao", "石桥社区", "Stone Bridge"),
            ("wenmiao", "文庙社区", "Confucius Temple"),
        ),
        (21_340, 37_860, 51_920, 45_710, 52_890),
    ),
    DistrictSpec(
        "yugang", "渔港区", "Fishing Harbour",
        "Fishing families and salt pans; the young leave for the new port, their parents stay.",
        _places(
            ("yanchang", "盐场社区", "Saltworks"),
            ("yumatou", "渔码头社区", "Fish Wharf"),
            ("bingku", "冰库社区", "Ice House"),
            ("mazumiao", "妈祖庙社区", "Mazu Temple"),
            ("wangpu", "网铺社区", "Net Lofts"),
        ),
        (15_870, 27_640, 39_950, 30_420, 26_380),
    ),
    DistrictSpec(
        "xingang", "新港区", "New Harbour",
        "Container port, shipyard and factories: the city's largest district, mostly working-age shift workers.",
        _places(
            ("chuanchang", "船厂社区", "Shipyard"),
            ("jizhuangxiang", "集装箱社区", "Container Yard"),
            ("gangtie", "钢铁社区", "Steelworks"),
            ("baoshui", "保税区社区", "Free Trade Zone"),
            ("gangkouxincun", "港口新村社区", "Harbour New Village"),
        ),
        (68_450, 93_120, 61_780, 23_960, 13_540),
    ),
    DistrictSpec(
        "haibin", "海滨区", "Seaside",
        "Beaches, hotels and night markets; many residents work in tourism, many run their own stalls.",
        _places(
            ("jinsha", "金沙社区", "Golden Sands"),
            ("guanhai", "观海社区", "Sea View"),
            ("chaoyin", "潮音社区", "Tide Song"),
            ("dujiacun", "度假村社区", "Resort Village"),
            ("beike", "贝壳社区", "Seashell"),
        ),
        (33_910, 41_660, 36_280, 21_870, 15_940),
    ),
    DistrictSpec(
        "nanshan", "南山区", "South Hills",
        "Hillside housing estates of families with children and their grandparents; steep streets, few buses.",
        _places(
            ("songlin", "松林社区", "Pine Wood"),
            ("chashan", "茶山社区", "Tea Hill"),
            ("qingquan", "清泉社区", "Clear Spring"),
            ("banshan", "半山社区", "Mid-Hill"),
            ("taoyuan", "桃园社区", "Peach Garden"),
        ),
        (35_620, 71_840, 64_310, 38_150, 29_770),
    ),
    DistrictSpec(
        "kechuang", "科创区", "Innovation District",
        "Software park and university town built in the last ten years; eight in ten adults are under 45.",
        _places(
            ("ruanjianyuan", "软件园社区", "Software Park"),
            ("daxuecheng", "大学城社区", "University Town"),
            ("xinghe", "星河社区", "Star River"),
            ("rencai", "人才公寓社区", "Talent Apartments"),
            ("hupan", "湖畔社区", "Lakeside"),
        ),
        (77_930, 81_460, 25_870, 8_940, 4_610),
    ),
)

TEAM = Place("digital", "澜海市数字城市办公室", "Lanhai Digital City Office")

# Development only: published so anyone running the demo can sign in.
# Public demo credentials (README): seed_demo and totp_code refuse to run without debug.
DEMO_PASSWORD = "lanhai-demo-2026"  # nosec B105
# Development only: the authenticator secret of every demo user who must use two-factor sign-in
# (planner, admin). Add it to an authenticator app, or run `manage.py totp_code EMAIL`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # nosec B105

DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("planner@lanhai.example", "王芳", "Wang Fang", "planner"),
    DemoUser("clerk@lanhai.example", "李明", "Li Ming", "clerk"),
    DemoUser("viewer@lanhai.example", "张伟", "Zhang Wei", "viewer"),
    DemoUser("admin@lanhai.example", "刘洋", "Liu Yang", "admin"),
)


def needs_totp(user: DemoUser) -> bool:
    """Planners and admins may not use CityLab without two-factor sign-in (see citylab.accounts)."""
    return user.role in ("planner", "admin")


def total_population() -> int:
    return sum(sum(d.population) for d in DISTRICTS)


# --- Seeding --------------------------------------------------------------------------------


class Writer(Protocol):
    def write(self, text: str) -> Any: ...


@dataclass
class Tally:
    """What one run did to one kind of row."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged

    def __str__(self) -> str:
        return f"{self.total} ({self.created} created, {self.updated} updated, {self.unchanged} unchanged)"


@dataclass
class _Run:
    tallies: dict[str, Tally] = field(default_factory=dict)

    def tally(self, kind: str) -> Tally:
        return self.tallies.setdefault(kind, Tally())


def _sync(run: _Run, kind: str, model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    """Create the row, or bring its `values` back to the demo's; save only when one differs,
    so a second run leaves rows (and their auto_now timestamps) untouched."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    tally = run.tally(kind)
    if created:
        tally.created += 1
        return obj
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    if not changed:
        tally.unchanged += 1
        return obj
    for name, value in changed.items():
        setattr(obj, name, value)
    obj.save()
    tally.updated += 1
    return obj


def _seed_places(run: _Run) -> None:
    bands = {
        spec.code: _sync(run, "age bands", AgeBand, {"code": spec.code}, {"min_age": spec.min_age, "max_age": spec.max_age})
        for spec in AGE_BANDS
    }
    for spec in OCCUPATIONS:
        _sync(run, "occupations", Occupation, {"code": spec.code},
              {"name_zh": spec.name_zh, "name_en": spec.name_en, "order": spec.order})
    for spec in DISTRICTS:
        district = _sync(run, "districts", District, {"code": spec.code}, {"name_zh": spec.name_zh, "name_en": spec.name_en})
        for place in spec.communities:
            _sync(run, "communities", Community, {"code": place.code},
                  {"name_zh": place.name_zh, "name_en": place.name_en, "district_id": district.pk})
        for band, population in zip(AGE_BANDS, spec.population, strict=True):
            _sync(run, "population figures", PopulationFigure,
                  {"district_id": district.pk, "age_band_id": bands[band.code].pk}, {"population": population})


def _seed_user(run: _Run, spec: DemoUser, team: Team) -> None:
    admin = spec.role == "admin"
    user = User.objects.filter(email__iexact=spec.email).first()
    if user is None:
        # The password is set here only: a developer who changed theirs keeps it.
        user = User.objects.create_user(
            email=spec.email, password=DEMO_PASSWORD, full_name=spec.full_name, is_staff=admin, is_superuser=admin
        )
        run.tally("users").created += 1
    else:
        _sync(run, "users", User, {"pk": user.pk},
              {"full_name": spec.full_name, "is_staff": admin, "is_superuser": admin, "is_active": True})

    # Email verification is mandatory: without a verified primary address nobody can sign in.
    address, created = EmailAddress.objects.get_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    tally = run.tally("email addresses")
    if created:
        tally.created += 1
    elif address.verified and address.primary:
        tally.unchanged += 1
    else:
        address.verified = True
        address.save(update_fields=["verified"])
        address.set_as_primary()
        tally.updated += 1

    if not admin:
        _sync(run, "memberships", Membership, {"team": team, "user": user}, {"role": Role(spec.role)})

    if needs_totp(spec):
        tally = run.tally("authenticators")
        # An existing authenticator (the demo's or one the developer set up) is kept as it is.
        if Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
            tally.unchanged += 1
        else:
            TOTP.activate(user, DEMO_TOTP_SECRET)
            tally.created += 1


def seed_demo(*, stdout: Writer | None = None) -> dict[str, Tally]:
    """Create or update the demo city; return what was done, per kind of row."""
    run = _Run()
    with transaction.atomic():
        _seed_places(run)
        team = _sync(run, "teams", Team, {"code": TEAM.code}, {"name_zh": TEAM.name_zh, "name_en": TEAM.name_en})
        for spec in DEMO_USERS:
            _seed_user(run, spec, team)
    if stdout is not None:
        for kind, tally in run.tallies.items():
            stdout.write(f"{kind}: {tally}\n")
    return run.tallies
