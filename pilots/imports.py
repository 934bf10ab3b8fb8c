"""Import an operator's count file into a cycle (metrics source b).

The whole file is checked first (pilots/countfile.py); then the cycle's counts are replaced
in one transaction, the import is noted on the cycle and in the audit trail. One bad line
means nothing changes, and the clerk gets every problem at once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from citylab import audit
from citylab.models import AgeBand, District
from pilots.countfile import CountFileError, parse_counts
from pilots.models import Cycle, SegmentCount


class CountImportError(Exception):
    """Why a count file was not imported: sentences a clerk can act on, most with a line number."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class CountImportSummary:
    rows: int
    replaced: int  # segment counts the cycle had before, now gone
    file_name: str
    with_ratings: bool

    def __str__(self) -> str:
        text = f"{self.rows} segments imported from {self.file_name}"
        if self.replaced:
            text += f", replacing the {self.replaced} imported before"
        return text


def known_districts() -> dict[str, int]:
    """Every label a clerk may use for a district: its code and both names."""
    labels: dict[str, int] = {}
    for pk, code, name_zh, name_en in District.objects.values_list("pk", "code", "name_zh", "name_en"):
        for label in (code, name_zh, name_en):
            labels.setdefault(label, pk)
    return labels


def known_age_bands() -> dict[str, int]:
    """An age band by its code ("60-69") or its label ("60–69" with an en dash, "70+")."""
    labels: dict[str, int] = {}
    for band in AgeBand.objects.all():
        for label in (band.code, band.label):
            labels.setdefault(label, band.pk)
    return labels


def import_counts(cycle: Cycle, data: bytes, *, user, file_name: str) -> CountImportSummary:
    """Replace the cycle's segment counts with the file's, or raise `CountImportError` and
    change nothing. The previous counts are deleted, not merged: a file is the operator's
    whole report for the cycle, so a segment missing from it must not linger from an older one.
    """
    try:
        rows = parse_counts(data, known_districts=known_districts(), known_age_bands=known_age_bands())
    except CountFileError as error:
        raise CountImportError(error.problems) from None
    with transaction.atomic():
        # Lock the cycle: two clerks uploading at once must end with one file's counts, not a
        # mixture or a unique-constraint error.
        locked = Cycle.objects.select_for_update().get(pk=cycle.pk)
        replaced, _ = SegmentCount.objects.filter(cycle=locked).delete()
        SegmentCount.objects.bulk_create(
            SegmentCount(
                cycle=locked, district_id=row.district_id, age_band_id=row.age_band_id, eligible=row.eligible,
                adopters=row.adopters, satisfied=row.satisfied, rated=row.rated,
            )
            for row in rows
        )
        locked.counts_imported_at = timezone.now()
        locked.counts_imported_by = user
        locked.counts_file_name = file_name[:200]
        locked.save(update_fields=["counts_imported_at", "counts_imported_by", "counts_file_name"])
        audit.record(
            None, "pilot.counts_imported", locked, team=locked.pilot.team, user=user,
            rows=len(rows), file=file_name, replaced=replaced,
        )
    # The caller's instance shows the import too (a view renders it right after).
    cycle.counts_imported_at = locked.counts_imported_at
    cycle.counts_imported_by = user
    cycle.counts_file_name = locked.counts_file_name
    return CountImportSummary(
        rows=len(rows), replaced=replaced, file_name=file_name, with_ratings=any(r.rated is not None for r in rows)
    )
