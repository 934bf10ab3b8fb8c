"""Read the operators' count files and population files, collecting every problem at once.

Counts: `district,age_band,eligible,adopters[,satisfied,rated]` — one line per segment, from
the operator's own system (metrics source b). Population: `district,age_band,population`,
where a blank district or age band makes the line a margin (the total of an age band across
districts, or of a district across age bands).

Django-free: the `evaluate_counts` command reads files with free labels and no database, the
import into a cycle passes the city's districts and age bands as `known_*` mappings, and both
show the same sentences ("line 4: adopters (130) exceed eligible (120)").
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass

import numpy as np

from citylab.csvtable import CSVProblems, decode, parse_count, read_rows
from pilots.verdict_types import Counts, Population

COUNT_COLUMNS = ("district", "age_band", "eligible", "adopters")
SATISFACTION_COLUMNS = ("satisfied", "rated")
POPULATION_COLUMNS = ("district", "age_band", "population")


class CountFileError(Exception):
    """A file that cannot be used; `problems` are sentences, most starting with a line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CountRow:
    """One segment's counts. `district_id`/`age_band_id` are the values of the `known_*`
    mappings (database ids on import); without mappings they are None."""

    line: int
    district: str
    age_band: str
    eligible: int
    adopters: int
    satisfied: int | None = None
    rated: int | None = None
    district_id: Hashable | None = None
    age_band_id: Hashable | None = None


@dataclass(frozen=True)
class PopulationRow:
    line: int
    district: str  # blank: an age-band margin
    age_band: str  # blank: a district margin
    population: int


def _folded(mapping: Mapping[str, Hashable] | None) -> dict[str, Hashable] | None:
    # Clerks type "Old Town", "old town" or "老城区" for the same district: labels are compared
    # without case (casefold also handles the few non-ASCII case pairs correctly).
    return None if mapping is None else {label.strip().casefold(): value for label, value in mapping.items()}


def _known_list(mapping: Mapping[str, Hashable], limit: int = 12) -> str:
    labels = list(mapping)
    shown = ", ".join(labels[:limit])
    return shown + (f" and {len(labels) - limit} more" if len(labels) > limit else "")


def parse_counts(
    data: bytes,
    *,
    known_districts: Mapping[str, Hashable] | None = None,
    known_age_bands: Mapping[str, Hashable] | None = None,
) -> list[CountRow]:
    """Every segment of a count file, or `CountFileError` listing every problem in it.

    With `known_districts` / `known_age_bands` (accepted label -> id; case-insensitive), a
    label outside them is a problem, and two lines naming one segment differently ("laocheng"
    and "Old Town") are caught as the same segment.
    """
    problems = CSVProblems()
    try:
        text = decode(data)
    except ValueError as error:
        raise CountFileError([str(error)]) from None
    districts, bands = _folded(known_districts), _folded(known_age_bands)

    rows: list[CountRow] = []
    first_line: dict[tuple[Hashable, Hashable], int] = {}
    with_ratings: bool | None = None  # known once the header is read
    for line, row in read_rows(text, COUNT_COLUMNS, SATISFACTION_COLUMNS, problems):
        if with_ratings is None:
            # The two rating columns only mean something together: satisfied out of rated.
            present = [name for name in SATISFACTION_COLUMNS if name in row]
            if len(present) == 1:
                other = "rated" if present == ["satisfied"] else "satisfied"
                problems.add(1, f"the {present[0]} column needs a {other} column too (satisfied out of rated)")
                break
            with_ratings = bool(present)

        district, band = row["district"], row["age_band"]
        district_id = band_id = None
        if not district:
            problems.add(line, "the district is blank")
        elif districts is not None:
            district_id = districts.get(district.casefold())
            if district_id is None:
                problems.add(line, f"unknown district {district!r} (known: {_known_list(known_districts)})")
        if not band:
            problems.add(line, "the age band is blank")
        elif bands is not None:
            band_id = bands.get(band.casefold())
            if band_id is None:
                problems.add(line, f"unknown age band {band!r} (known: {_known_list(known_age_bands)})")

        eligible = parse_count(row["eligible"], "eligible", line, problems)
        adopters = parse_count(row["adopters"], "adopters", line, problems)
        if eligible is not None and adopters is not None and adopters > eligible:
            problems.add(line, f"adopters ({adopters}) exceed eligible ({eligible})")
        satisfied = rated = None
        ratings_ok = True
        if with_ratings:
            satisfied, rated, ratings_ok = _ratings(row, line, problems)

        if not (district and band):
            continue
        key = (
            district_id if district_id is not None else district.casefold(),
            band_id if band_id is not None else band.casefold(),
        )
        if key in first_line:
            problems.add(line, f"{band} in {district} is already given on line {first_line[key]}")
            continue
        first_line[key] = line
        if None in (eligible, adopters) or not ratings_ok or adopters > eligible:
            continue
        if (districts is not None and district_id is None) or (bands is not None and band_id is None):
            continue
        rows.append(CountRow(line, district, band, eligible, adopters, satisfied, rated, district_id, band_id))
    if problems:
        raise CountFileError(problems.messages)
    return rows


def _ratings(row: dict[str, str], line: int, problems: CSVProblems) -> tuple[int | None, int | None, bool]:
    """(satisfied, rated, fine). Both blank is fine: nobody in the segment rated the service."""
    raw_satisfied, raw_rated = row["satisfied"], row["rated"]
    if not raw_satisfied and not raw_rated:
        return None, None, True
    if raw_satisfied and not raw_rated:
        problems.add(line, "satisfied is given without rated: give how many rated the service, or leave both blank")
        return None, None, False
    if raw_rated and not raw_satisfied:
        problems.add(line, "rated is given without satisfied: give how many were satisfied, or leave both blank")
        return None, None, False
    satisfied = parse_count(raw_satisfied, "satisfied", line, problems)
    rated = parse_count(raw_rated, "rated", line, problems)
    if satisfied is None or rated is None:
        return None, None, False
    if satisfied > rated:
        problems.add(line, f"satisfied ({satisfied}) is more than rated ({rated})")
        return None, None, False
    return satisfied, rated, True


def _first_spellings(labels: list[str]) -> dict[str, str]:
    spelling: dict[str, str] = {}
    for label in labels:
        spelling.setdefault(label.casefold(), label)
    return spelling


def to_counts(rows: list[CountRow], like: list[CountRow] | None = None) -> Counts:
    """The verdict's input. A segment without ratings counts as 0 satisfied of 0 rated, so one
    unrated segment does not throw away every other segment's ratings. A label is spelled as
    on its first line (in `like` first: the previous cycle's file is matched to the current),
    so "Old Town" and "old town" are one district, as they are when reading."""
    with_ratings = any(r.rated is not None for r in rows)
    districts = _first_spellings([r.district for r in [*(like or []), *rows]])
    bands = _first_spellings([r.age_band for r in [*(like or []), *rows]])
    return Counts(
        district=tuple(districts[r.district.casefold()] for r in rows),
        age_band=tuple(bands[r.age_band.casefold()] for r in rows),
        eligible=np.array([r.eligible for r in rows], dtype=np.int64),
        adopters=np.array([r.adopters for r in rows], dtype=np.int64),
        satisfied=np.array([r.satisfied or 0 for r in rows], dtype=np.int64) if with_ratings else None,
        rated=np.array([r.rated or 0 for r in rows], dtype=np.int64) if with_ratings else None,
    )


def parse_population(data: bytes) -> list[PopulationRow]:
    """Population cells (district and age band) and/or margins (one of them blank)."""
    problems = CSVProblems()
    try:
        text = decode(data)
    except ValueError as error:
        raise CountFileError([str(error)]) from None
    rows: list[PopulationRow] = []
    first_line: dict[tuple[str, str], int] = {}
    for line, row in read_rows(text, POPULATION_COLUMNS, problems=problems):
        district, band = row["district"], row["age_band"]
        population = parse_count(row["population"], "population", line, problems)
        if not district and not band:
            problems.add(line, "give a district, an age band or both (a blank one makes the line a total)")
            continue
        key = (district.casefold(), band.casefold())
        if key in first_line:
            what = f"{band} in {district}" if district and band else f"the total for {district or band}"
            problems.add(line, f"{what} is already given on line {first_line[key]}")
            continue
        first_line[key] = line
        if population is not None:
            rows.append(PopulationRow(line, district, band, population))
    if problems:
        raise CountFileError(problems.messages)
    return rows


def to_population(rows: list[PopulationRow], counts: list[CountRow] | None = None) -> Population:
    """The verdict's input. Labels are matched to the count file's spelling when only the case
    differs ("Old town" here, "Old Town" there), since the verdict compares them exactly."""
    districts = _first_spellings([r.district for r in counts or []])
    bands = _first_spellings([r.age_band for r in counts or []])
    return Population.of(
        (districts.get(r.district.casefold(), r.district), bands.get(r.age_band.casefold(), r.age_band), r.population)
        for r in rows
    )
