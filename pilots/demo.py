"""The demo city's pilots: the issue's classic story, with counts from the operators.

The texts are in Chinese, as the city's planners write them.

(a) The Lanhai community app (large-font) in Drum Tower (Old Town) and Mazu Temple (Fishing
    Harbour). In cycle 1 residents over 60 hardly use it (about one in five): the verdict is
    KEEP_OPTIMIZING and the planner decides to optimize again. Cycle 2 adds a large-font
    variant and a staffed help desk, keeps the old key fob for the oldest; three in four
    residents over 60 now use it and nine in ten are satisfied: READY_TO_SCALE, awaiting the
    planner's decision.
(b) Suburban parking guidance in South Hills: about 8% of drivers use it, NOT_VIABLE.

Counts go through `import_counts`, as an operator's file would. The numbers are constants so
a test can check the verdicts they give; running again changes nothing, and puts back counts
someone edited.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db import models, transaction
from django.utils import translation

from citylab.demo import DEMO_USERS
from citylab.models import AgeBand, Community, District, Membership, Role, Team, User
from pilots.imports import import_counts
from pilots.models import DECISION_STAGE, Cycle, CycleChange, DecisionKind, Pilot, Stage, Variant
from pilots.services import decision_record

# (district, age band, eligible, adopters, satisfied, rated): residents registered in the two
# communities (eligible), those who used the app in the cycle, and their ratings.
Counts = tuple[tuple[str, str, int, int, int, int], ...]

APP_CYCLE_1: Counts = (
    ("laocheng", "18-29", 143, 109, 71, 96),
    ("laocheng", "30-44", 266, 201, 139, 183),
    ("laocheng", "45-59", 389, 247, 158, 221),
    ("laocheng", "60-69", 437, 96, 41, 83),
    ("laocheng", "70+", 512, 87, 29, 79),
    ("yugang", "18-29", 97, 71, 49, 66),
    ("yugang", "30-44", 184, 139, 97, 127),
    ("yugang", "45-59", 301, 187, 122, 171),
    ("yugang", "60-69", 354, 83, 37, 76),
    ("yugang", "70+", 276, 44, 15, 41),
)
APP_CYCLE_2: Counts = (
    ("laocheng", "18-29", 151, 122, 106, 117),
    ("laocheng", "30-44", 274, 219, 191, 211),
    ("laocheng", "45-59", 402, 318, 277, 306),
    ("laocheng", "60-69", 446, 341, 299, 332),
    ("laocheng", "70+", 523, 383, 331, 371),
    ("yugang", "18-29", 102, 81, 71, 78),
    ("yugang", "30-44", 191, 152, 132, 146),
    ("yugang", "45-59", 310, 244, 213, 236),
    ("yugang", "60-69", 361, 276, 241, 268),
    ("yugang", "70+", 283, 207, 179, 201),
)
# Drivers registered in the two estates, and those who followed the guidance at least once.
PARKING_CYCLE_1: Counts = (
    ("nanshan", "18-29", 318, 31, 18, 27),
    ("nanshan", "30-44", 587, 52, 29, 46),
    ("nanshan", "45-59", 541, 41, 22, 37),
    ("nanshan", "60-69", 296, 19, 9, 17),
    ("nanshan", "70+", 213, 11, 4, 10),
)


@dataclass(frozen=True)
class CycleSpec:
    number: int
    stage: Stage
    starts_on: datetime.date
    ends_on: datetime.date
    counts: Counts
    changes: tuple[tuple[str, str], ...] = ()  # (what, why)
    variants: tuple[tuple[str | None, str], ...] = ()  # (age band code or None, description)
    decision: tuple[DecisionKind, str] | None = None  # (kind, rationale)


@dataclass(frozen=True)
class PilotSpec:
    name: str
    file_stem: str  # the operator's file name, e.g. community-app-cycle-1.csv
    service: str
    scenario: str
    target_population: str
    communities: tuple[str, ...]
    cycles: tuple[CycleSpec, ...]


APP = PilotSpec(
    name="澜海社区通（长辈版）试点",
    file_stem="community-app",
    service="社区服务应用：通知公告、报修、访客通行和门禁，都在手机上办理",
    scenario=(
        "鼓楼社区和妈祖庙社区的居民在社区服务站登记后，用手机应用查看通知、报修和办理访客通行，"
        "不再依赖纸质公告栏和门禁钥匙扣。"
    ),
    target_population="两个社区的全体成年居民，重点是60岁以上的老年人。",
    communities=("gulou", "mazumiao"),
    cycles=(
        CycleSpec(
            1, Stage.PILOTING, datetime.date(2026, 3, 2), datetime.date(2026, 4, 12), APP_CYCLE_1,
            decision=(
                DecisionKind.OPTIMIZE,
                "年轻居民很快用上了应用，但60岁以上的居民只有大约五分之一在用，而且评价不高。"
                "先推出大字版并安排现场帮办，再考虑推广。",
            ),
        ),
        CycleSpec(
            2, Stage.PILOTING, datetime.date(2026, 5, 4), datetime.date(2026, 6, 14), APP_CYCLE_2,
            changes=(
                ("推出大字版（长辈版），60岁及以上居民登记时默认开启",
                 "第一轮中60–69岁居民只有22%、70岁以上只有17%用了应用；在服务站，"
                 "多数老人说字和按钮太小，看不清。"),
                ("社区活动中心设人工帮办台，每周二、周六上午开放",
                 "老年居民希望有人帮他们登记、手把手教一次；社区活动中心是他们领养老金、做体检常去的地方。"),
            ),
            variants=(
                ("60-69", "默认开启大字模式，通知可以朗读"),
                ("70+", "保留原来的门禁钥匙扣，和应用一起用；在人工帮办台登记"),
            ),
        ),
    ),
)

PARKING = PilotSpec(
    name="南山区停车诱导试点",
    file_stem="parking-guidance",
    service="实时显示小区停车场空位，在手机应用和路边指示牌上提示",
    scenario="半山社区和松林社区的司机上山前就能看到小区停车场的空位，不用在陡坡上来回找车位。",
    target_population="两个小区里有车或常开车的居民。",
    communities=("banshan", "songlin"),
    cycles=(CycleSpec(1, Stage.PILOTING, datetime.date(2026, 3, 16), datetime.date(2026, 5, 10), PARKING_CYCLE_1),),
)

PILOTS = (APP, PARKING)


def _upsert(model: type[models.Model], lookup: dict[str, Any], values: dict[str, Any]) -> Any:
    """Create the row, or put back the demo's values; save only when one differs, so a second
    run leaves every row as it was."""
    obj, created = model.objects.get_or_create(**lookup, defaults=values)
    changed = {name: value for name, value in values.items() if getattr(obj, name) != value}
    if not created and changed:
        for name, value in changed.items():
            setattr(obj, name, value)
        obj.save(update_fields=list(changed))
    return obj


def _demo_person(team: Team, role: Role) -> User | None:
    """The demo's planner or clerk, or else any member of the team with that role."""
    email = next(u.email for u in DEMO_USERS if u.role == role)
    membership = (
        Membership.objects.filter(team=team, role=role)
        .select_related("user")
        .order_by(models.Case(models.When(user__email=email, then=0), default=1), "pk")
        .first()
    )
    return membership.user if membership else None


def _csv(counts: Counts) -> bytes:
    lines = ["district,age_band,eligible,adopters,satisfied,rated"]
    lines += [",".join(str(cell) for cell in row) for row in counts]
    return ("\n".join(lines) + "\n").encode()


def _stored(cycle: Cycle) -> set[tuple]:
    return set(
        cycle.segment_counts.values_list(
            "district__code", "age_band__code", "eligible", "adopters", "satisfied", "rated"
        )
    )


def _seed_cycle(pilot: Pilot, spec: CycleSpec, file_stem: str, communities: list[Community],
                planner: User | None, clerk: User | None, previous: Cycle | None) -> Cycle:
    cycle = _upsert(Cycle, {"pilot": pilot, "number": spec.number},
                    {"starts_on": spec.starts_on, "ends_on": spec.ends_on})
    if set(cycle.sites.all()) != set(communities):
        cycle.sites.set(communities)
    # Import only when the counts differ: a second run must not replace the same figures (and
    # write another audit event and import time).
    if _stored(cycle) != set(spec.counts):
        import_counts(cycle, _csv(spec.counts), user=clerk,
                      file_name=f"{file_stem}-cycle-{spec.number}.csv")
    for what, why in spec.changes:
        _upsert(CycleChange, {"cycle": cycle, "what": what}, {"reason": why, "created_by": planner})
    bands = {band.code: band for band in AgeBand.objects.all()}
    for band_code, description in spec.variants:
        _upsert(Variant, {"cycle": cycle, "description": description},
                {"age_band": bands.get(band_code) if band_code else None, "district": None})

    stage = spec.stage
    if spec.decision is not None and planner is not None:
        kind, rationale = spec.decision
        if not cycle.decisions.exists():
            # Through the decision page's own workflow, so the snapshot (the verdict as it stood,
            # its reasons in the planner's language) and the audit event are the real thing.
            with translation.override("zh-hans"):
                decision_record(cycle=cycle, kind=kind, rationale=rationale, user=planner)
            cycle.refresh_from_db(fields=["stage"])
        stage = DECISION_STAGE[kind]
    if cycle.stage != stage:
        cycle.stage = stage
        cycle.save(update_fields=["stage"])
    return cycle


def _seed_pilot(team: Team, spec: PilotSpec, planner: User | None, clerk: User | None) -> Pilot:
    pilot = _upsert(
        Pilot, {"team": team, "name": spec.name},
        {"service": spec.service, "scenario": spec.scenario, "target_population": spec.target_population},
    )
    if pilot.created_by is None and planner is not None:
        pilot.created_by = planner
        pilot.save(update_fields=["created_by"])
    communities = list(Community.objects.filter(code__in=spec.communities))
    if set(pilot.communities.all()) != set(communities):
        pilot.communities.set(communities)
    previous = None
    for cycle_spec in spec.cycles:
        previous = _seed_cycle(pilot, cycle_spec, spec.file_stem, communities, planner, clerk, previous)
    return pilot


def seed_demo(*, team: Team) -> str:
    """Create (or put back) the demo pilots of `team`; say what exists."""
    missing = {code for spec in PILOTS for row in spec.cycles[0].counts for code in row[:1]}
    missing -= set(District.objects.values_list("code", flat=True))
    if missing:
        return f"no demo pilots: the demo city's districts are missing ({', '.join(sorted(missing))})"
    planner = _demo_person(team, Role.PLANNER)
    clerk = _demo_person(team, Role.CLERK)
    with transaction.atomic():
        pilots = [_seed_pilot(team, spec, planner, clerk) for spec in PILOTS]
    return ", ".join(f"pilot {p.name!r} with {p.cycles.count()} cycle(s)" for p in pilots)
