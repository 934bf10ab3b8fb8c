"""The demo's experience-officer panel for the community app pilot (pilots.demo.APP).

About sixty approved officers (fictional: names from common Chinese surnames and given names,
phone numbers 170xxxxxxxx, a prefix kept for virtual operators and never dialled here) across
the city's age bands, districts and occupations. The quotas are derived from the population
figures and then adjusted the way a planner would (no retired officers under 45, no students
over 45), and the panel deliberately falls short where recruiting is hardest: officers over 70
who did manual work (one of the three wanted) or fished, and 60–69 manual workers. A few pending
applications would fill some of those gaps. Two tasks per pilot cycle, each with a balanced set
of officers.

Running it again changes nothing, and puts back demo values someone edited.
"""

from __future__ import annotations

import datetime
from itertools import cycle as repeat

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation

from citylab.models import AgeBand, Community, District, Occupation, Team
from pilots.assignment import Candidate, propose
from pilots.coverage import derive_targets
from pilots.demo import APP, _demo_person, _upsert
from pilots.officers import normalise_phone
from pilots.models import (
    Assignment,
    Notice,
    Officer,
    OfficerStatus,
    Panel,
    PanelMember,
    Pilot,
    Recruited,
    SmartphoneUse,
    Task,
)
from pilots.panels import Segments, cell_of, notice_text, population_by_band_district, quota_targets, quotas_replace

PANEL_NAME = "社区通体验官小组"
PANEL_DESCRIPTION = (
    "来自各年龄段、各行业的居民，试用社区通（长辈版）并反馈问题。重点招募60岁以上、不常用智能手机的居民。"
)
PANEL_SIZE = 68  # derived quotas before the implausible cells are set to 0: about 60 remain
MONTHLY_LIMIT = 2

# Cells (age band, occupation) with fewer members than their quota, and by how much.
SHORT: dict[tuple[str, str], int] = {("70+", "manual"): 2, ("70+", "fishing-farming"): 1, ("60-69", "manual"): 1}
# Members the hardest cells do get, short of their quota all the same: a few 70+ manual workers,
# recruited in person, rather than none at all.
FEW: dict[tuple[str, str], int] = {("70+", "manual"): 1}
# Cells with more members than their quota (the easy ones to recruit), so the panel still has ~60.
EXTRA: dict[tuple[str, str], int] = {("30-44", "office"): 2, ("18-29", "student"): 1, ("45-59", "services"): 1}
# Quota cells a planner sets to 0 after deriving: evenly split occupations do not fit every age.
IMPLAUSIBLE = {("18-29", "retired"), ("30-44", "retired"), ("45-59", "student"), ("60-69", "student"),
               ("70+", "student")}
# Pending applications (age band, occupation, district): the first two fill gaps, the last does not.
PENDING = (("70+", "manual", "xingang"), ("60-69", "manual", "laocheng"), ("30-44", "office", "kechuang"))

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = ("秀英", "建国", "桂兰", "志强", "丽娟", "国华", "淑珍", "海燕", "卫东", "晓明", "玉梅", "文杰", "红霞",
         "德明", "春燕", "子涵", "浩然", "雨欣", "振华", "美玲", "宏伟", "婉婷", "金凤", "永强")
# The pilot's two districts first: most officers live where the pilot runs.
DISTRICT_TURNS = ("laocheng", "yugang", "laocheng", "yugang", "xingang", "haibin", "nanshan", "kechuang")

TASKS = (
    (1, "用社区通报修一次", "在应用里选“报修”，拍一张照片，写清楚哪里坏了，提交后记下用了多长时间。", "自己家或楼道", 0),
    (1, "在手机上给访客办一次通行", "在应用里为来访的亲友登记访客通行，让他们用收到的码进门。", "小区大门", 7),
    (2, "用长辈版报修一次", "打开长辈版（大字模式），按第一次的方法再报修一次，看看字和按钮是否看得清、点得准。",
     "自己家或楼道", 0),
    (2, "在帮办台登记访客通行", "周二或周六上午到社区活动中心的人工帮办台，请工作人员帮你登记一次访客通行。",
     "社区活动中心帮办台", 7),
)


def _name(n: int) -> str:
    return SURNAMES[n % len(SURNAMES)] + GIVEN[(n * 7) % len(GIVEN)]


def _dashed_phone(n: int) -> str:
    return f"170-{2600 + n:04d}-{(n * 7919) % 10_000:04d}"


def _phone(n: int) -> str:
    # Stored as every officer's phone is (pilots/officers.py normalise_phone): digits only, so
    # a demo officer who signs up again is found as the same person.
    return normalise_phone(_dashed_phone(n))


def _plan(bands: list[AgeBand], occupations: list[Occupation]) -> tuple[dict, list[tuple[AgeBand, Occupation]]]:
    """The quotas (derived, then adjusted) and the members' cells, one entry per member."""
    derived = derive_targets(population_by_band_district(), [o.pk for o in occupations], PANEL_SIZE, by_district=False)
    targets = {}
    members: list[tuple[AgeBand, Occupation]] = []
    for band in bands:
        for occupation in occupations:
            key = (band.code, occupation.code)
            target = 0 if key in IMPLAUSIBLE else derived[(band.pk, occupation.pk, None)]
            if key in SHORT:
                # The hard cells always have a quota to miss, above the few members they have.
                target = max(target, SHORT[key] + FEW.get(key, 0))
            targets[(band.pk, occupation.pk, None)] = target
            members += [(band, occupation)] * max(target - SHORT.get(key, 0) + EXTRA.get(key, 0), 0)
    return targets, members


def _officer(team: Team, n: int, band: AgeBand, occupation: Occupation, district: District,
             community: Community | None, status: str, now: datetime.datetime) -> Officer:
    elderly = band.min_age >= 60
    # Demo cities seeded before phones were stored normalised hold this officer as 170-xxxx-xxxx:
    # take that row over rather than add a second officer (`make run` seeds on every start).
    Officer.objects.filter(team=team, phone=_dashed_phone(n)).update(phone=_phone(n))
    officer = _upsert(Officer, {"team": team, "phone": _phone(n)}, {
        "full_name": _name(n),
        "email": "" if elderly else f"officer{n:02d}@residents.lanhai.example",
        "age_band": band, "district": district, "community": community, "occupation": occupation,
        "smartphone": SmartphoneUse.NONE if band.min_age >= 70 else SmartphoneUse.BASIC if elderly
        else SmartphoneUse.CONFIDENT,
        "availability": ["weekday_morning"] if elderly else ["weekday_evening", "weekend"],
        "status": status,
        "recruited": Recruited.IN_PERSON if band.min_age >= 70 else Recruited.SIGN_UP,
        "consent_version": "2026-01",
    })
    if officer.consent_at is None:  # set once: a second run must not move the date
        officer.consent_at = now
        officer.save(update_fields=["consent_at"])
    return officer


def seed_panels(*, team: Team) -> str:
    """Create (or put back) the demo panel of `team`; say what exists."""
    pilot = Pilot.objects.filter(team=team, name=APP.name).first()
    bands = list(AgeBand.objects.all())
    occupations = list(Occupation.objects.all())
    if pilot is None or not bands or not occupations:
        return "no demo panel: seed the demo city and its pilots first"
    districts = {d.code: d for d in District.objects.all()}
    if any(code not in districts for code in DISTRICT_TURNS):
        return "no demo panel: the demo city's districts are missing"
    communities = {code: list(Community.objects.filter(district=d)) for code, d in districts.items()}
    planner = _demo_person(team, "planner")
    now = timezone.now()
    with transaction.atomic():
        panel = _upsert(Panel, {"team": team, "name": PANEL_NAME}, {
            "pilot": pilot, "description": PANEL_DESCRIPTION, "quota_by_district": False,
            "monthly_limit": MONTHLY_LIMIT,
        })
        targets, cells = _plan(bands, occupations)
        if quota_targets(panel) != {cell: t for cell, t in targets.items() if t}:
            quotas_replace(panel=panel, targets=targets)
        turns = repeat(DISTRICT_TURNS)
        members = []
        for n, (band, occupation) in enumerate(cells, start=1):
            code = next(turns)
            places = communities[code]
            officer = _officer(team, n, band, occupation, districts[code], places[n % len(places)] if places else None,
                               OfficerStatus.APPROVED, now)
            PanelMember.objects.get_or_create(panel=panel, officer=officer)
            members.append(officer)
        by_code = {b.code: b for b in bands} | {o.code: o for o in occupations}
        for i, (band_code, occupation_code, district_code) in enumerate(PENDING, start=len(cells) + 1):
            places = communities[district_code]
            _officer(team, i, by_code[band_code], by_code[occupation_code], districts[district_code],
                     places[0] if places else None, OfficerStatus.PENDING, now)
        tasks = _seed_tasks(panel, pilot, members, planner)
    return (f"panel {panel.name!r}: {len(members)} officers, {len(PENDING)} pending applications, "
            f"{sum(targets.values())} quota places, {len(tasks)} tasks")


def _seed_tasks(panel: Panel, pilot: Pilot, members: list[Officer], planner) -> list[Task]:
    """Each task's officers are chosen by the same rule as the assignment page, as of the day
    the task was set (the cycle's first day, or a week later)."""
    cycles = {c.number: c for c in pilot.cycles.all()}
    segments = Segments.load()
    cell = {o.pk: segments.turn(cell_of(panel, o.age_band_id, o.occupation_id, o.district_id)) for o in members}
    per_month: dict[tuple[int, int, int], int] = {}  # (officer, year, month) -> tasks
    tasks = []
    for number, title, how, place, offset in TASKS:
        cycle = cycles.get(number)
        if cycle is None or cycle.starts_on is None:
            continue
        set_on = cycle.starts_on + datetime.timedelta(days=offset)
        task = _upsert(Task, {"cycle": cycle, "title": title}, {
            "panel": panel, "instructions": how, "place": place, "due_on": cycle.ends_on or set_on,
            "created_by": planner,
        })
        tasks.append(task)
        when = timezone.make_aware(datetime.datetime.combine(set_on, datetime.time(9)))
        month = (set_on.year, set_on.month)
        done = set(task.assignments.values_list("officer_id", flat=True))
        candidates = [
            Candidate(o.pk, cell[o.pk], per_month.get((o.pk, *month), 0),
                      sum(v for (pk, *_), v in per_month.items() if pk == o.pk))
            for o in members if o.pk not in done
        ]
        wanted = 12 - len(done)
        chosen = {c.officer_id for c in propose(candidates, max(wanted, 0), MONTHLY_LIMIT).chosen} | done
        with translation.override(settings.LANGUAGE_CODE):  # as `panels.assign` writes them
            text = notice_text(task)
        for officer in members:
            if officer.pk not in chosen:
                continue
            per_month[(officer.pk, *month)] = per_month.get((officer.pk, *month), 0) + 1
            Assignment.objects.get_or_create(task=task, officer=officer,
                                             defaults={"assigned_at": when, "assigned_by": planner})
            Notice.objects.get_or_create(officer=officer, text=text)
    return tasks
