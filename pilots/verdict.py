"""The readiness verdict: segment counts in, a verdict with its reasons out.

Pure (no Django), so the `evaluate_counts` command, the pilot pages and the benchmark share
it, and it is vectorised over segments: a city with 10,000 segments is evaluated in one pass
of array arithmetic. The rules are the pilots issue's, exactly:

* each criterion's state is `insufficient` when n < minimum (segments only), `pass` when the
  interval's lower bound reaches the threshold, `below` when the estimate is under it, and
  `unproven` otherwise;
* the verdict is the first that applies: NOT_VIABLE (upper bound of overall adoption under
  the viability floor), KEEP_OPTIMIZING (any criterion `below`), NEEDS_MORE_DATA (any
  `insufficient` or `unproven`), READY_TO_SCALE.

Overall adoption is weighted to population figures when they are given (post-stratified on
district x age band cells, or raked to district and age-band margins), pooled otherwise;
both are reported. The values that go in and come out, and the sentences they read as, are
in `pilots.verdict_types`; this module only computes them.
"""

from __future__ import annotations

import math

import numpy as np

from pilots import stats
from pilots.verdict_types import (
    Change,
    Counts,
    Estimate,
    Evaluation,
    Note,
    Population,
    Reason,
    Segment,
    State,
    Thresholds,
    Verdict,
    homogeneity_summary,
)


def _estimate(successes: float, n: float, confidence: float) -> Estimate:
    low, high = stats.wilson_interval(successes, n, confidence)
    return Estimate(successes / n if n > 0 else None, float(low), float(high), n)


def _state(estimate: float | None, low: float, threshold: float) -> State:
    if estimate is None:
        return State.UNPROVEN
    if low >= threshold:
        return State.PASS
    if estimate < threshold:
        return State.BELOW
    return State.UNPROVEN


def more_needed(p: np.ndarray, n: np.ndarray, floor: float, minimum: int, confidence: float) -> np.ndarray:
    """Respondents to add so that n reaches the minimum and, at rate p, the Wilson lower bound
    reaches the floor; -1 where no number would (p at or under the floor, or nobody yet).

    The lower bound rises with n for a fixed p above the floor, so a vectorised bisection on
    the total finds the smallest one; 40 halvings cover totals up to 2^40. This is the pilots
    issue's "sample size a segment needs": the Wilson bound inverted exactly, not the normal
    planning formula n = z^2 p (1 - p) / margin^2 (statsmodels'
    ``samplesize_confint_proportion``), which sizes a margin around p rather than a lower bound
    reaching the floor. test_verdict.py checks with hypothesis that the total is the smallest.
    """
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=np.int64)
    reachable = (n > 0) & (p > floor)
    start = np.maximum(n, minimum)
    lo = start.copy()  # invariant: answer > lo - 1 ... search in [start, hi]
    hi = np.full_like(start, 1 << 40)
    low_at_start, _ = stats.wilson_interval(p * start, np.maximum(start, 1), confidence)
    done = low_at_start >= floor
    hi = np.where(done, start, hi)
    for _step in range(41):
        active = reachable & (lo < hi)
        if not active.any():
            break
        mid = (lo + hi) // 2
        low_mid, _ = stats.wilson_interval(p * mid, np.maximum(mid, 1), confidence)
        ok = low_mid >= floor
        hi = np.where(active & ok, mid, hi)
        lo = np.where(active & ~ok, mid + 1, lo)
    return np.where(reachable, hi - n, -1)


def _population_weights(counts: Counts, population: Population, notes: list[Note]) -> np.ndarray | None:
    """Weight per segment, or None (with a note) when the figures cannot weight these counts."""
    cells = {(d, a): v for d, a, v in zip(population.district, population.age_band, population.population, strict=True)
             if d and a}
    district_margin = {d: v for d, a, v in zip(population.district, population.age_band, population.population,
                                                strict=True) if d and not a}
    band_margin = {a: v for d, a, v in zip(population.district, population.age_band, population.population,
                                            strict=True) if a and not d}
    eligible = counts.eligible.astype(float)
    if cells:
        pop = np.array([cells.get(key, 0.0) for key in zip(counts.district, counts.age_band, strict=True)])
        missing = [key for key, value in zip(zip(counts.district, counts.age_band, strict=True), pop, strict=True)
                   if value == 0 and key not in cells]
        if missing:
            notes.append(Note("no_population_figure", len(missing), *missing[0]))
        counted = set(zip(counts.district, counts.age_band, strict=True))
        uncovered = [key for key in cells if key not in counted and cells[key] > 0]
        if pop.sum() <= 0:
            notes.append(Note("population_matches_nothing"))
            return None
        weights, empty = stats.post_stratification_weights(eligible, pop)
        if uncovered or np.any(empty):
            notes.append(Note("population_cells_uncovered"))
        return np.asarray(weights)
    if district_margin and band_margin:
        districts = sorted(set(counts.district))
        bands = sorted(set(counts.age_band))
        d_index = {d: i for i, d in enumerate(districts)}
        b_index = {b: j for j, b in enumerate(bands)}
        table = np.zeros((len(districts), len(bands)))
        rows = np.array([d_index[d] for d in counts.district], dtype=np.int64)
        cols = np.array([b_index[b] for b in counts.age_band], dtype=np.int64)
        np.add.at(table, (rows, cols), eligible)
        row_margins = np.array([district_margin.get(d, 0.0) for d in districts])
        col_margins = np.array([band_margin.get(b, 0.0) for b in bands])
        try:
            weights_table, converged, _iterations = stats.rake(table, row_margins, col_margins)
        except ValueError:  # a margin with people but no respondents: nothing to weight up
            notes.append(Note("raking_impossible"))
            return None
        if not converged:
            notes.append(Note("raking_not_converged"))
        return weights_table[rows, cols]
    notes.append(Note("population_unusable"))
    return None


def evaluate(
    current: Counts,
    thresholds: Thresholds,
    *,
    previous: Counts | None = None,
    population: Population | None = None,
    satisfaction: tuple[int, int] | None = None,
) -> Evaluation:
    """Apply the readiness rules to one cycle's segment counts.

    `satisfaction` (satisfied, rated) overrides the sums of the counts' own columns: a cycle
    may take adoption from the operator's counts and satisfaction from a survey.
    """
    problems = thresholds.problems()
    if problems:
        raise ValueError("; ".join(problems))
    conf = thresholds.confidence
    notes: list[Note] = []
    n = current.eligible
    x = current.adopters

    # Segments: intervals, states and the respondents each still needs, all as arrays.
    n_safe = np.maximum(n, 1)
    p = np.where(n > 0, x / n_safe, np.nan)
    low, high = stats.wilson_interval(x, n, conf)
    low, high = np.atleast_1d(low), np.atleast_1d(high)
    floor = thresholds.equity_floor
    insufficient = (n < thresholds.min_n) | (n == 0)
    passed = ~insufficient & (low >= floor)
    below = ~insufficient & ~passed & (p < floor)
    states = np.where(insufficient, 3, np.where(passed, 0, np.where(below, 1, 2)))
    more = more_needed(np.nan_to_num(p), n, floor, thresholds.min_n, conf)
    state_names = (State.PASS, State.BELOW, State.UNPROVEN, State.INSUFFICIENT)
    p_list, low_list, high_list, n_list = p.tolist(), low.tolist(), high.tolist(), n.tolist()
    more_list, state_list = more.tolist(), states.tolist()
    segments = [
        Segment(
            district=current.district[i],
            age_band=current.age_band[i],
            n=n_list[i],
            estimate=None if n_list[i] == 0 else p_list[i],
            low=low_list[i],
            high=high_list[i],
            state=state_names[state_list[i]],
            more_needed=None if state_list[i] == 1 or more_list[i] < 0 else (0 if state_list[i] == 0 else more_list[i]),
        )
        for i in range(len(current))
    ]

    # Overall adoption: pooled always, weighted when population figures can weight it.
    pooled = _estimate(float(x.sum()), float(n.sum()), conf)
    weighted = None
    if population is not None and len(current) and n.sum() > 0:
        weights = _population_weights(current, population, notes)
        if weights is not None:
            wp, wlow, whigh, n_eff = stats.weighted_adoption(x, n, weights, conf)
            weighted = Estimate(None if math.isnan(wp) else wp, wlow, whigh, n_eff)
    adoption = weighted or pooled
    adoption_state = _state(adoption.estimate, adoption.low, thresholds.adoption_target)

    if satisfaction is None and current.rated is not None:
        satisfaction = (int(current.satisfied.sum()), int(current.rated.sum()))
    if satisfaction is not None and not 0 <= satisfaction[0] <= satisfaction[1]:
        raise ValueError("satisfied must lie between 0 and rated")
    rating = (
        _estimate(float(satisfaction[0]), float(satisfaction[1]), conf)
        if satisfaction is not None and satisfaction[1] > 0
        else Estimate(None, 0.0, 1.0, 0)
    )
    satisfaction_state = _state(rating.estimate, rating.low, thresholds.satisfaction_target)

    # The verdict: the first rule that applies.
    overall_reason = {
        "estimate": adoption.estimate, "low": adoption.low, "high": adoption.high, "n": adoption.n,
    }
    reasons: list[Reason] = []
    if adoption.high < thresholds.viability_floor:
        verdict = Verdict.NOT_VIABLE
        reasons.append(Reason("not_viable", threshold=thresholds.viability_floor, **overall_reason))
    else:
        any_below = bool(below.any()) or State.BELOW in (adoption_state, satisfaction_state)
        any_open = bool((states >= 2).any()) or State.UNPROVEN in (adoption_state, satisfaction_state)
        if any_below:
            verdict, wanted = Verdict.KEEP_OPTIMIZING, (State.BELOW,)
        elif any_open:
            verdict, wanted = Verdict.NEEDS_MORE_DATA, (State.UNPROVEN, State.INSUFFICIENT)
        else:
            verdict, wanted = Verdict.READY_TO_SCALE, (State.PASS,)
        if adoption_state in wanted:
            reasons.append(Reason(f"adoption_{adoption_state}", threshold=thresholds.adoption_target, **overall_reason))
        if satisfaction_state in wanted:
            code = "satisfaction_missing" if rating.estimate is None else f"satisfaction_{satisfaction_state}"
            reasons.append(Reason(code, rating.estimate, rating.low, rating.high, thresholds.satisfaction_target,
                                  rating.n))
        if verdict is Verdict.READY_TO_SCALE and segments:
            weakest = int(np.argmin(low))
            reasons.append(Reason("segments_pass", low=float(low[weakest]), threshold=floor, count=len(segments),
                                  district=current.district[weakest], age_band=current.age_band[weakest]))
        else:
            # Segments in order of how far they fall short: the worst first.
            for i in np.argsort(np.nan_to_num(p, nan=-1.0), kind="stable").tolist():
                segment = segments[i]
                if segment.state in wanted and segment.state is not State.PASS:
                    reasons.append(Reason(
                        f"segment_{segment.state}", segment.estimate, segment.low, segment.high, floor,
                        segment.n, segment.district, segment.age_band, segment.more_needed, thresholds.min_n,
                    ))

    homogeneity = homogeneity_summary(x, n) if int((n > 0).sum()) >= 2 else None

    changes, overall_change = _changes(current, previous, conf) if previous is not None else ([], None)
    return Evaluation(
        verdict=verdict, reasons=reasons, thresholds=thresholds, adoption=adoption, adoption_pooled=pooled,
        adoption_weighted=weighted, satisfaction=rating, adoption_state=adoption_state,
        satisfaction_state=satisfaction_state, segments=segments, homogeneity=homogeneity, changes=changes,
        overall_change=overall_change, notes=notes,
    )


def _changes(current: Counts, previous: Counts, confidence: float) -> tuple[list[Change], dict | None]:
    """Per-segment change (current - previous) for segments with people in both cycles, Holm-
    adjusted, and the CMH test of the overall change stratified by segment."""
    before = {key: i for i, key in enumerate(zip(previous.district, previous.age_band, strict=True))}
    pairs = [(i, before[key]) for i, key in enumerate(zip(current.district, current.age_band, strict=True))
             if key in before and current.eligible[i] > 0 and previous.eligible[before[key]] > 0]
    if not pairs:
        return [], None
    ci = np.array([a for a, _ in pairs], dtype=np.int64)
    pi = np.array([b for _, b in pairs], dtype=np.int64)
    x1, n1 = current.adopters[ci], current.eligible[ci]
    x0, n0 = previous.adopters[pi], previous.eligible[pi]
    low, high = stats.newcombe_interval(x1, n1, x0, n0, confidence)
    _z, p_values = stats.two_proportion_test(x1, n1, x0, n0)
    adjusted = stats.holm(np.atleast_1d(p_values))
    p1, p0 = x1 / n1, x0 / n0
    columns = [np.atleast_1d(v).tolist() for v in (p0, p1, low, high, p_values, adjusted)]
    changes = [
        Change(current.district[c], current.age_band[c], columns[0][k], columns[1][k],
               columns[1][k] - columns[0][k], columns[2][k], columns[3][k], columns[4][k], columns[5][k])
        for k, c in enumerate(ci.tolist())
    ]
    statistic, p_value = stats.cmh_test(x1, n1, x0, n0)
    return changes, {"statistic": float(statistic), "p_value": float(p_value), "segments": len(pairs)}
