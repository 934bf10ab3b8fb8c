"""Importing an operator's count file into a cycle: all or nothing, replacing the old counts,
noted on the cycle and in the audit trail."""

from __future__ import annotations

import pytest

from citylab.models import AuditEvent
from pilots.imports import CountImportError, import_counts
from pilots.models import Cycle, Pilot, SegmentCount

GOOD = (
    "district,age_band,eligible,adopters,satisfied,rated\n"
    "laocheng,60-69,412,97,70,88\n"
    "Old Town,70+,238,41,,\n"
    "新港区,60–69,187,66,51,60\n"
).encode()


@pytest.fixture
def cycle(team, places) -> Cycle:
    pilot = Pilot.objects.create(team=team, name="Community app", service="Large-font community app")
    return Cycle.objects.create(pilot=pilot, number=1)


def stored(cycle: Cycle) -> list[tuple]:
    return sorted(
        SegmentCount.objects.filter(cycle=cycle).values_list(
            "district__code", "age_band__code", "eligible", "adopters", "satisfied", "rated"
        )
    )


def test_import_writes_every_segment_under_codes_or_names(cycle, clerk):
    summary = import_counts(cycle, GOOD, user=clerk, file_name="operator-march.csv")
    assert stored(cycle) == [
        ("laocheng", "60-69", 412, 97, 70, 88),
        ("laocheng", "70+", 238, 41, None, None),
        ("xingang", "60-69", 187, 66, 51, 60),
    ]
    assert (summary.rows, summary.replaced, summary.with_ratings) == (3, 0, True)
    assert str(summary) == "3 segments imported from operator-march.csv"


def test_import_is_noted_on_the_cycle_and_in_the_audit_trail(cycle, clerk):
    import_counts(cycle, GOOD, user=clerk, file_name="operator-march.csv")
    fresh = Cycle.objects.get(pk=cycle.pk)
    assert fresh.counts_imported_by == clerk and fresh.counts_file_name == "operator-march.csv"
    assert fresh.counts_imported_at is not None and cycle.counts_imported_at == fresh.counts_imported_at
    event = AuditEvent.objects.get(action="pilot.counts_imported")
    assert event.actor == clerk and event.team == cycle.pilot.team
    assert event.target == f"pilots.Cycle:{cycle.pk}"
    assert event.detail == {"rows": 3, "file": "operator-march.csv", "replaced": 0}


def test_a_new_file_replaces_the_previous_counts_entirely(cycle, clerk):
    import_counts(cycle, GOOD, user=clerk, file_name="march.csv")
    summary = import_counts(
        cycle, b"district,age_band,eligible,adopters\nxingang,70+,90,12\n", user=clerk, file_name="april.csv"
    )
    # The March segments absent from April are gone: the file is the operator's whole report.
    assert stored(cycle) == [("xingang", "70+", 90, 12, None, None)]
    assert summary.replaced == 3
    assert "replacing the 3 imported before" in str(summary)
    assert Cycle.objects.get(pk=cycle.pk).counts_file_name == "april.csv"


def test_other_cycles_counts_are_untouched(cycle, clerk):
    other = Cycle.objects.create(pilot=cycle.pilot, number=2)
    import_counts(other, GOOD, user=clerk, file_name="other.csv")
    import_counts(cycle, b"district,age_band,eligible,adopters\nxingang,70+,90,12\n", user=clerk, file_name="x.csv")
    assert len(stored(other)) == 3


def test_a_bad_file_changes_nothing_and_lists_every_problem(cycle, clerk):
    import_counts(cycle, GOOD, user=clerk, file_name="march.csv")
    before = stored(cycle)
    bad = (
        "district,age_band,eligible,adopters\n"
        "laocheng,60-69,120,130\n"
        "Atlantis,70+,50,10\n"
        "laocheng,90+,50,10\n"
        "old town,60–69,10,1\n"
    ).encode()
    with pytest.raises(CountImportError) as caught:
        import_counts(cycle, bad, user=clerk, file_name="april.csv")
    problems = caught.value.problems
    assert problems[0] == "line 2: adopters (130) exceed eligible (120)"
    assert problems[1].startswith("line 3: unknown district 'Atlantis' (known: ")
    assert problems[2].startswith("line 4: unknown age band '90+' (known: 18-29, 18–29, 30-44")
    assert problems[3] == "line 5: 60–69 in old town is already given on line 2"
    assert len(problems) == 4
    assert stored(cycle) == before
    assert Cycle.objects.get(pk=cycle.pk).counts_file_name == "march.csv"
    assert AuditEvent.objects.filter(action="pilot.counts_imported").count() == 1


def test_a_file_that_is_not_text_is_refused(cycle, clerk):
    with pytest.raises(CountImportError, match="not text in UTF-8 or GB18030"):
        import_counts(cycle, b"\xff\xfe\x00\x81" * 4, user=clerk, file_name="photo.jpg")
    assert not SegmentCount.objects.exists()
