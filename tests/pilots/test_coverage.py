"""The coverage arithmetic, checked against sums done by hand."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilots.coverage import cell_coverage, derive_targets, gap_fillers, largest_remainder, representativeness


def test_cells_compare_target_and_members():
    cells = cell_coverage({"a": 3, "b": 2}, {"a": 1, "b": 4, "c": 2, "d": 0})
    assert (cells["a"].shortfall, cells["a"].surplus) == (2, 0)
    assert (cells["b"].shortfall, cells["b"].surplus) == (0, 2)
    assert (cells["c"].target, cells["c"].shortfall, cells["c"].surplus) == (0, 0, 2)  # members, no quota
    assert "d" not in cells  # neither a quota nor a member


def test_a_negative_target_is_refused():
    with pytest.raises(ValueError, match="negative"):
        cell_coverage({"a": -1}, {})


def test_representativeness_by_hand():
    # Panel shares 0.5, 0.5, 0; population 0.25, 0.25, 0.5.
    # D = ½ (|0.5 − 0.25| + |0.5 − 0.25| + |0 − 0.5|) = ½ (0.25 + 0.25 + 0.5) = 0.5, so R = 0.5.
    assert representativeness({"a": 2, "b": 2}, {"a": 10, "b": 10, "c": 20}) == pytest.approx(0.5)


def test_representativeness_is_one_for_the_same_mix_and_zero_for_disjoint():
    assert representativeness({"a": 1, "b": 3}, {"a": 100, "b": 300}) == pytest.approx(1)
    assert representativeness({"a": 5}, {"b": 7}) == pytest.approx(0)


def test_representativeness_of_nothing_is_unknown():
    assert representativeness({}, {"a": 1}) is None
    assert representativeness({"a": 1}, {}) is None


@given(st.dictionaries(st.integers(0, 5), st.integers(0, 50)), st.dictionaries(st.integers(0, 5), st.integers(0, 500)))
def test_representativeness_lies_between_zero_and_one(panel, population):
    r = representativeness(panel, population)
    assert r is None or -1e-9 <= r <= 1 + 1e-9


def test_largest_remainder_by_hand():
    # 10 in proportion 1:1:1 -> exact 3.33 each; the one left over goes to the first in order.
    assert largest_remainder({"a": 1, "b": 1, "c": 1}, 10) == {"a": 4, "b": 3, "c": 3}
    # 7 in proportion 50:30:20 -> 3.5, 2.1, 1.4 -> floors 3, 2, 1; one left -> the largest remainder (a, .5).
    assert largest_remainder({"a": 50, "b": 30, "c": 20}, 7) == {"a": 4, "b": 2, "c": 1}
    assert largest_remainder({"a": 0, "b": 0}, 5) == {"a": 0, "b": 0}


@given(st.dictionaries(st.integers(0, 20), st.integers(0, 10_000), min_size=1), st.integers(0, 500))
def test_largest_remainder_always_adds_up(weights, total):
    parts = largest_remainder(weights, total)
    if any(weights.values()):
        assert sum(parts.values()) == total
        for key, part in parts.items():  # each part within one unit of its exact share
            assert abs(part - total * weights[key] / sum(weights.values())) < 1
    else:
        assert set(parts.values()) == {0}


def test_derived_targets_by_hand():
    # Two bands, one district: 300 and 100 residents; a panel of 10 across 2 occupations.
    # Bands get 7.5 and 2.5 -> floors 7, 2, one left: equal remainders, the first band (1) gets it: 8 and 2.
    # Band 1's 8 splits 4/4; band 2's 2 splits 1/1.
    targets = derive_targets({(1, 9): 300, (2, 9): 100}, [100, 200], 10, by_district=False)
    assert targets == {(1, 100, None): 4, (1, 200, None): 4, (2, 100, None): 1, (2, 200, None): 1}


def test_odd_units_rotate_across_occupations():
    # Three bands of equal size, panel of 3 × 3 = 9 plus 3: each band gets 4 across 3 occupations,
    # so each band has one odd unit; it goes to a different occupation in each band.
    targets = derive_targets({(1, 9): 1, (2, 9): 1, (3, 9): 1}, [10, 20, 30], 12, by_district=False)
    extras = [next(o for o in (10, 20, 30) if targets[(band, o, None)] == 2) for band in (1, 2, 3)]
    assert sorted(extras) == [10, 20, 30]


def test_derived_targets_per_district():
    targets = derive_targets({(1, 7): 60, (1, 8): 40}, [100], 5, by_district=True)
    assert targets == {(1, 100, 7): 3, (1, 100, 8): 2}


@given(
    st.dictionaries(st.tuples(st.integers(1, 5), st.integers(1, 6)), st.integers(1, 100_000), min_size=1),
    st.lists(st.integers(1, 8), min_size=1, max_size=8, unique=True),
    st.integers(0, 1000), st.booleans(),
)
def test_derived_targets_add_up_to_the_size(population, occupations, size, by_district):
    targets = derive_targets(population, occupations, size, by_district=by_district)
    assert sum(targets.values()) == size
    assert all(t >= 0 for t in targets.values())


def test_deriving_needs_an_occupation_and_a_size():
    with pytest.raises(ValueError):
        derive_targets({(1, 1): 5}, [], 3, by_district=False)
    with pytest.raises(ValueError):
        derive_targets({(1, 1): 5}, [1], -3, by_district=False)


def test_gap_fillers_list_applicants_in_short_cells_only():
    found = gap_fillers({"a": 2, "b": 0, "c": 1}, [(1, "a"), (2, "b"), (3, "a"), (4, "d")])
    assert found == {"a": [1, 3], "c": []}
