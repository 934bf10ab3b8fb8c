"""How well a panel covers the city: quota cells, targets against members, a representativeness
index, and quotas derived from population figures. No Django: plain mappings in and out.

A cell is a hashable key chosen by the caller, usually (age band id, occupation id, district id
or None); this module never looks inside it except to sort it for a stable result.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

K = TypeVar("K", bound=Hashable)


@dataclass(frozen=True)
class CellCoverage:
    cell: Hashable
    target: int
    members: int

    @property
    def shortfall(self) -> int:
        """How many more members the cell needs to reach its target (0 when it has enough)."""
        return max(self.target - self.members, 0)

    @property
    def surplus(self) -> int:
        return max(self.members - self.target, 0)


def cell_coverage(targets: Mapping[K, int], members: Mapping[K, int]) -> dict[K, CellCoverage]:
    """Target and members of every cell that has either; a cell without a quota has target 0."""
    for cell, target in targets.items():
        if target < 0:
            raise ValueError(f"cell {cell!r}: a target cannot be negative ({target})")
    cells = set(targets) | {cell for cell, n in members.items() if n}
    return {cell: CellCoverage(cell, targets.get(cell, 0), members.get(cell, 0)) for cell in cells}


def representativeness(panel: Mapping[K, int], population: Mapping[K, int]) -> float | None:
    """1 − D, where D is the index of dissimilarity between the panel's and the population's
    distributions over the same cells (Duncan & Duncan 1955):

        R = 1 − ½ Σ_c | n_c / n − N_c / N |

    n_c members of the panel and N_c residents in cell c (e.g. age band × district). R is 1
    when the panel has every cell's population share, and 0 when the panel lies entirely in
    cells where nobody lives. D is the share of members who would have to move cell for the
    panel to mirror the population; like the R-indicator of Schouten, Cobben & Bethlehem (2009)
    the result reads "1 is fully representative". Cells missing from one mapping count as 0.
    None when either side is empty (there is nothing to compare).
    """
    n = sum(panel.values())
    big_n = sum(population.values())
    if n <= 0 or big_n <= 0:
        return None
    cells = set(panel) | set(population)
    dissimilarity = sum(abs(panel.get(c, 0) / n - population.get(c, 0) / big_n) for c in cells) / 2
    return 1 - dissimilarity


def largest_remainder(weights: Mapping[K, float], total: int, *, order: Sequence[K] | None = None) -> dict[K, int]:
    """Split `total` whole units in proportion to `weights` (Hamilton's largest-remainder
    method): each key gets the floor of its exact share, and the units left over go to the
    largest remainders, ties broken by `order` (default: sorted keys). The parts sum to
    `total` exactly whenever some weight is positive; with no positive weight every part is 0.
    """
    if total < 0:
        raise ValueError(f"cannot split a negative total ({total})")
    keys = list(order) if order is not None else sorted(weights)
    weight_sum = sum(max(weights[k], 0) for k in keys)
    if weight_sum <= 0:
        return {k: 0 for k in keys}
    exact = {k: total * max(weights[k], 0) / weight_sum for k in keys}
    parts = {k: int(exact[k]) for k in keys}
    left = total - sum(parts.values())
    rank = {k: i for i, k in enumerate(keys)}
    for k in sorted(keys, key=lambda k: (-(exact[k] - parts[k]), rank[k]))[:left]:
        parts[k] += 1
    return parts


def derive_targets(population: Mapping[tuple[int, int], int], occupations: Sequence[int], size: int, *,
                   by_district: bool) -> dict[tuple[int, int, int | None], int]:
    """Quota targets for a panel of `size` officers from population figures.

    `population` maps (age band, district) to residents. Population figures have no
    occupation, so the panel is first split across the age bands (× districts, when the
    panel's quotas are per district) in proportion to their residents, then each of those
    margins is split evenly across `occupations`. Both splits use largest remainders, so the
    targets always add up to `size` exactly. Within a margin the occupation that gets the
    odd unit rotates from one margin to the next, so that no occupation collects every
    leftover. Returns {(age band, occupation, district or None): target}, zeros included.
    """
    if size < 0:
        raise ValueError(f"a panel cannot have a negative size ({size})")
    if not occupations:
        raise ValueError("choose at least one occupation to spread the panel across")
    margins: dict[tuple[int, int | None], int] = {}
    for (band, district), residents in population.items():
        key = (band, district if by_district else None)
        margins[key] = margins.get(key, 0) + residents
    order = sorted(margins, key=lambda k: (k[0], -1 if k[1] is None else k[1]))
    per_margin = largest_remainder(margins, size, order=order)
    targets: dict[tuple[int, int, int | None], int] = {}
    for index, (band, district) in enumerate(order):
        shift = index % len(occupations)
        rotated = list(occupations[shift:]) + list(occupations[:shift])
        split = largest_remainder({o: 1 for o in occupations}, per_margin[(band, district)], order=rotated)
        for occupation in occupations:
            targets[(band, occupation, district)] = split[occupation]
    return targets


def gap_fillers(gaps: Mapping[K, int], applicants: Iterable[tuple[int, K]]) -> dict[K, list[int]]:
    """For each cell short of members, the pending applicants who fall in it, in the order
    given (oldest application first, say). `gaps` maps cell to shortfall; cells with no
    shortfall are left out. Applicants in cells without a gap are not listed."""
    found: dict[K, list[int]] = {cell: [] for cell, short in gaps.items() if short > 0}
    for applicant, cell in applicants:
        if cell in found:
            found[cell].append(applicant)
    return found
