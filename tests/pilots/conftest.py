"""A pilot of the persona team with two cycles' worth of count helpers."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import pytest

from citylab.models import AgeBand, Community, District
from pilots.models import Cycle, Pilot, SegmentCount, Stage


@pytest.fixture
def pilot(team, places) -> Pilot:
    """社区长者版应用 — a large-font community app piloted in the Lighthouse community."""
    p = Pilot.objects.create(
        team=team, name="Community app, large-font edition", service="Community services app",
        scenario="Residents book repairs and read notices on their phones.",
        target_population="Every adult resident, the over-60s first.",
        adoption_target=50, equity_floor=40, satisfaction_target=70, viability_floor=15, min_respondents=30,
    )
    p.communities.set(Community.objects.all())
    return p


@pytest.fixture
def other_pilot(other_team, places) -> Pilot:
    return Pilot.objects.create(team=other_team, name="Parking guidance", service="Parking guidance signs")


@pytest.fixture
def cycle(pilot) -> Cycle:
    return Cycle.objects.create(pilot=pilot, number=1, stage=Stage.PILOTING)


CountRow = tuple[str, str, int, int] | tuple[str, str, int, int, int, int]


@pytest.fixture
def add_counts(places) -> Callable[[Cycle, Iterable[CountRow]], None]:
    """Write SegmentCount rows from (district code, age band code, eligible, adopters[, satisfied, rated])."""

    def add(cycle: Cycle, rows: Iterable[CountRow]) -> None:
        districts = {d.code: d for d in District.objects.all()}
        bands = {b.code: b for b in AgeBand.objects.all()}
        SegmentCount.objects.bulk_create(
            SegmentCount(
                cycle=cycle, district=districts[row[0]], age_band=bands[row[1]], eligible=row[2], adopters=row[3],
                satisfied=row[4] if len(row) > 4 else None, rated=row[5] if len(row) > 4 else None,
            )
            for row in rows
        )

    return add
