"""Choosing officers for a task: balanced across cells, never over the monthly limit."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pilots.assignment import Candidate, propose


def ids(candidates):
    return [c.officer_id for c in candidates]


def test_cells_take_turns_fewest_recent_first():
    candidates = [
        Candidate(1, "a", this_month=0, recent=3),
        Candidate(2, "a", this_month=0, recent=0),
        Candidate(3, "a", this_month=0, recent=1),
        Candidate(4, "b", this_month=0, recent=2),
        Candidate(5, "c", this_month=1, recent=1),
    ]
    # Round 1: a's least busy (2), b (4), c (5); round 2: a's next (3).
    assert ids(propose(candidates, 4, limit=2).chosen) == [2, 4, 5, 3]


def test_ties_break_on_the_lower_id():
    candidates = [Candidate(9, "a", 0), Candidate(4, "a", 0), Candidate(7, "a", 0)]
    assert ids(propose(candidates, 2, limit=1).chosen) == [4, 7]


def test_officers_at_the_limit_are_skipped_and_listed():
    candidates = [Candidate(1, "a", this_month=2), Candidate(2, "a", this_month=1), Candidate(3, "b", this_month=3)]
    proposal = propose(candidates, 3, limit=2)
    assert ids(proposal.chosen) == [2]
    assert ids(proposal.at_limit) == [1, 3]


def test_fewer_wanted_than_cells():
    candidates = [Candidate(i, cell, 0) for i, cell in enumerate("dcba", start=1)]
    assert ids(propose(candidates, 2, limit=1).chosen) == [4, 3]  # cells a, b: in key order


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError):
        propose([], -1, 1)
    with pytest.raises(ValueError):
        propose([], 1, 0)


candidate_lists = st.lists(
    st.builds(Candidate, officer_id=st.integers(1, 10_000), cell=st.tuples(st.integers(1, 4), st.integers(1, 3)),
              this_month=st.integers(0, 4), recent=st.integers(0, 6)),
    unique_by=lambda c: c.officer_id, max_size=60,
)


@given(candidate_lists, st.integers(0, 70), st.integers(1, 4))
def test_invariants(candidates, wanted, limit):
    proposal = propose(candidates, wanted, limit)
    eligible = [c for c in candidates if c.this_month < limit]
    # Never over the limit; everyone is either eligible or listed as skipped; nobody twice.
    assert all(c.this_month < limit for c in proposal.chosen)
    assert sorted(ids(proposal.at_limit)) == sorted(c.officer_id for c in candidates if c.this_month >= limit)
    assert len(set(ids(proposal.chosen))) == len(proposal.chosen) == min(wanted, len(eligible))
    # Balanced: a cell with fewer chosen than another (by 2 or more) has nobody left to give.
    chosen = Counter(c.cell for c in proposal.chosen)
    available = Counter(c.cell for c in eligible)
    for cell in available:
        for other in available:
            if chosen[cell] + 1 < chosen[other]:
                assert chosen[cell] == available[cell]
    # Within a cell, nobody chosen has more recent tasks than someone left out.
    for cell in available:
        picked = [c for c in proposal.chosen if c.cell == cell]
        left = [c for c in eligible if c.cell == cell and c not in picked]
        if picked and left:
            assert max(c.recent for c in picked) <= min(c.recent for c in left)


@given(candidate_lists, st.integers(0, 70), st.integers(1, 4))
def test_the_same_input_gives_the_same_proposal(candidates, wanted, limit):
    assert propose(candidates, wanted, limit) == propose(list(reversed(candidates)), wanted, limit)
