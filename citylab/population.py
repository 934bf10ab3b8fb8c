"""Import population figures per district × age band from CSV: `district,age_band,population`.

Districts and age bands are named by their codes (`laocheng`, `70+`). The whole file is
checked first; one bad line means nothing is written, and every problem is reported with
its line number.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from citylab.csvtable import CSVProblems, decode, parse_count, read_rows
from citylab.models import AgeBand, District, PopulationFigure

COLUMNS = ("district", "age_band", "population")


class PopulationImportError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class ImportSummary:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


def import_population_csv(data: bytes) -> ImportSummary:
    """Check every line, then write all figures in one transaction (or raise, writing nothing)."""
    problems = CSVProblems()
    try:
        text = decode(data)
    except ValueError as error:
        raise PopulationImportError([str(error)]) from None
    districts = dict(District.objects.values_list("code", "pk"))
    bands = dict(AgeBand.objects.values_list("code", "pk"))
    figures: dict[tuple[int, int], int] = {}
    first_line: dict[tuple[int, int], int] = {}
    for line, row in read_rows(text, COLUMNS, problems=problems):
        district = districts.get(row["district"])
        band = bands.get(row["age_band"])
        if district is None:
            problems.add(line, f"unknown district {row['district']!r} (known: {', '.join(sorted(districts))})")
        if band is None:
            problems.add(line, f"unknown age band {row['age_band']!r} (known: {', '.join(bands)})")
        count = parse_count(row["population"], "population", line, problems)
        if district is None or band is None or count is None:
            continue
        key = (district, band)
        if key in figures:
            problems.add(line, f"{row['district']} {row['age_band']} already given on line {first_line[key]}")
            continue
        figures[key] = count
        first_line[key] = line
    if problems:
        raise PopulationImportError(problems.messages)
    return _write(figures)


@transaction.atomic
def _write(figures: dict[tuple[int, int], int]) -> ImportSummary:
    existing = set(
        PopulationFigure.objects.filter(district_id__in={d for d, _ in figures}).values_list(
            "district_id", "age_band_id"
        )
    )
    PopulationFigure.objects.bulk_create(
        [PopulationFigure(district_id=d, age_band_id=b, population=n) for (d, b), n in figures.items()],
        update_conflicts=True,
        unique_fields=["district", "age_band"],
        update_fields=["population", "updated_at"],
    )
    updated = len(existing & figures.keys())
    return ImportSummary(created=len(figures) - updated, updated=updated)
