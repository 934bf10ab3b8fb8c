"""Choosing officers for a test task: a balanced set across the panel's cells that never asks
anyone more often than the panel's monthly limit. No Django: candidates in, a proposal out.

The rule, so that a planner can predict it:
1. an officer who already has `limit` tasks this calendar month is skipped (and listed as such);
2. the others are grouped by cell; within a cell the officer with the fewest recent tasks comes
   first, then the lower id (the one who joined first), so the result never depends on chance;
3. cells take turns (round robin, in the order of their keys), each giving its next officer,
   until `wanted` officers are chosen or every cell has run out.
So chosen counts per cell differ by at most one, except where a cell had nobody left.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    officer_id: int
    cell: Hashable  # sortable: cells take turns in the order of their keys
    this_month: int  # tasks assigned since the first of the current calendar month
    recent: int = 0  # tasks assigned in the recent past (the fairness order within a cell)


@dataclass
class Proposal:
    chosen: list[Candidate] = field(default_factory=list)
    at_limit: list[Candidate] = field(default_factory=list)  # skipped: they reached the monthly limit


def under_limit(candidate: Candidate, limit: int) -> bool:
    return candidate.this_month < limit


def propose(candidates: Iterable[Candidate], wanted: int, limit: int) -> Proposal:
    """Pick up to `wanted` candidates, balanced across cells, none at or over `limit`."""
    if wanted < 0:
        raise ValueError(f"cannot choose a negative number of officers ({wanted})")
    if limit < 1:
        raise ValueError(f"the monthly limit must be at least 1 (got {limit})")
    proposal = Proposal()
    queues: dict[Hashable, list[Candidate]] = {}
    for candidate in sorted(candidates, key=lambda c: c.officer_id):
        if under_limit(candidate, limit):
            queues.setdefault(candidate.cell, []).append(candidate)
        else:
            proposal.at_limit.append(candidate)
    for queue in queues.values():
        queue.sort(key=lambda c: (c.recent, c.this_month, c.officer_id))
    turn = [queues[cell] for cell in sorted(queues, key=_sort_key)]
    position = 0
    while len(proposal.chosen) < wanted and any(position < len(q) for q in turn):
        for queue in turn:
            if len(proposal.chosen) == wanted:
                break
            if position < len(queue):
                proposal.chosen.append(queue[position])
        position += 1
    return proposal


def _sort_key(cell: Hashable) -> tuple:
    # None (no district) sorts before any id, so mixed keys still compare.
    if isinstance(cell, tuple):
        return tuple((0, 0) if part is None else (1, part) for part in cell)
    return ((0, 0),) if cell is None else ((1, cell),)
