"""Small, dependency-light statistics for pilot survey results.

Pure NumPy/SciPy (no Django import). Every function is vectorised: scalars or arrays go in,
inputs broadcast against each other, and results come back in the broadcast shape (NumPy
scalars for scalar input). Functions that act on a *set* (segments, strata, p-values,
weights) take that set along the last axis and broadcast over any leading axes.

Each docstring names the method's reference, the SciPy/statsmodels routine that computes the
same quantity (or says there is none), and what the tests compare it with: those routines and
published values in ``tests/pilots/test_stats.py``, the weighting functions in
``tests/pilots/test_weights.py``. SciPy is called where it computes the thing (the normal
quantile, the chi-square and normal tail areas); the statsmodels routines are the tests'
references, since these functions also settle the edge cases the verdict relies on (empty
segments, degenerate tables) and take 10,000 segments in one call.

The respondents a segment still needs are computed by ``pilots.verdict.more_needed``, which
inverts the Wilson lower bound exactly rather than use a normal-approximation planning formula.
"""

from __future__ import annotations

import numpy as np
from scipy import special, stats

__all__ = [
    "chi2_homogeneity",
    "cmh_test",
    "holm",
    "kish_effective_n",
    "newcombe_interval",
    "two_proportion_test",
    "weighted_proportion",
    "wilson_interval",
]


def _z(confidence):
    """Two-sided standard normal critical value for `confidence` (e.g. 1.959964 for 0.95).

    ``scipy.special.ndtri`` is ``scipy.stats.norm.ppf`` without the distribution overhead;
    tested through the Wilson intervals, which match statsmodels and SciPy at 95% and 99%.
    """
    confidence = np.asarray(confidence, dtype=float)
    if np.any((confidence <= 0) | (confidence >= 1)):
        raise ValueError("confidence must lie strictly between 0 and 1")
    return special.ndtri(0.5 + confidence / 2.0)


def _out(a):
    """Return 0-d arrays as NumPy scalars, other arrays unchanged."""
    return a[()] if isinstance(a, np.ndarray) else a


def wilson_interval(successes, n, confidence=0.95):
    """Wilson score interval for a single binomial proportion.

    Reference: E. B. Wilson (1927), JASA 22:209-212; Newcombe (1998), Statistics in
    Medicine 17:857-872, method 3 (score interval without continuity correction).
    Same as ``statsmodels.stats.proportion.proportion_confint(method="wilson")`` and
    ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``; the tests compare with both,
    and with Newcombe's Table I to 4 decimals.

    Returns ``(low, high)`` clipped to [0, 1]; ``n == 0`` gives ``(0, 1)``.
    """
    x, n, z = np.broadcast_arrays(
        np.asarray(successes, dtype=float), np.asarray(n, dtype=float), _z(confidence)
    )
    if np.any((x < 0) | (x > n)):
        raise ValueError("successes must lie between 0 and n")
    empty = n <= 0
    n_safe = np.where(empty, 1.0, n)
    z2 = z * z
    denom = n_safe + z2
    centre = (x + z2 / 2.0) / denom
    half = z * np.sqrt(np.maximum(x * (n_safe - x) / n_safe, 0.0) + z2 / 4.0) / denom
    low = np.where(x <= 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(x >= n_safe, 1.0, np.clip(centre + half, 0.0, 1.0))
    low = np.where(empty, 0.0, low)
    high = np.where(empty, 1.0, high)
    return _out(low), _out(high)


def newcombe_interval(x1, n1, x2, n2, confidence=0.95):
    """Newcombe's hybrid score interval for the difference of proportions p1 - p2.

    Reference: R. G. Newcombe (1998), "Interval estimation for the difference between
    independent proportions", Statistics in Medicine 17:873-890, method 10: with
    (l_i, u_i) the Wilson limits of p_i and delta = p1 - p2,
    L = delta - sqrt((p1 - l1)^2 + (u2 - p2)^2), U = delta + sqrt((u1 - p1)^2 + (p2 - l2)^2).
    Same as ``statsmodels.stats.proportion.confint_proportions_2indep(..., compare="diff",
    method="newcomb")`` (SciPy has no such interval); the tests compare with it, and with
    Newcombe's Table II to 4 decimals.

    A group with n = 0 is treated as p = 0 with Wilson limits (0, 1).
    """
    x1, n1, x2, n2 = (np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    l1, u1 = (np.asarray(v) for v in wilson_interval(x1, n1, confidence))
    l2, u2 = (np.asarray(v) for v in wilson_interval(x2, n2, confidence))
    p1 = np.where(n1 > 0, x1 / np.where(n1 > 0, n1, 1.0), 0.0)
    p2 = np.where(n2 > 0, x2 / np.where(n2 > 0, n2, 1.0), 0.0)
    delta = p1 - p2
    low = delta - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    high = delta + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return _out(np.clip(low, -1.0, 1.0)), _out(np.clip(high, -1.0, 1.0))


def holm(p_values):
    """Holm step-down adjusted p-values, in the order given.

    Reference: S. Holm (1979), "A simple sequentially rejective multiple test procedure",
    Scandinavian Journal of Statistics 6:65-70. Adjusted p_(i) = max_{j<=i} min(1,
    (m - j + 1) p_(j)) over the sorted p-values. Same as
    ``statsmodels.stats.multitest.multipletests(p, method="holm")[1]`` (SciPy has no Holm
    routine; ``scipy.stats.false_discovery_control`` is Benjamini-Hochberg); the tests compare
    with statsmodels.

    The family is the last axis; leading axes are independent families.
    """
    p = np.asarray(p_values, dtype=float)
    if p.ndim == 0:
        return _out(np.minimum(p, 1.0))
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p-values must lie in [0, 1]")
    m = p.shape[-1]
    if m == 0:
        return p.copy()
    order = np.argsort(p, axis=-1, kind="stable")
    p_sorted = np.take_along_axis(p, order, axis=-1)
    factors = np.arange(m, 0, -1, dtype=float)
    adjusted_sorted = np.minimum(
        np.maximum.accumulate(p_sorted * factors, axis=-1), 1.0
    )
    adjusted = np.empty_like(adjusted_sorted)
    np.put_along_axis(adjusted, order, adjusted_sorted, axis=-1)
    return adjusted


def chi2_homogeneity(successes, totals):
    """Pearson chi-square test that all segments share one proportion (2 x k table).

    Reference: K. Pearson (1900); Agresti, *Categorical Data Analysis* (3rd ed., 2013),
    section 3.2.1. No continuity correction. Same as
    ``scipy.stats.chi2_contingency([[x...], [n - x...]], correction=False)`` after dropping
    the empty columns; the tests compare with SciPy.

    Segments are along the last axis. Segments with total 0 are dropped; dof is
    (number of non-empty segments) - 1. With fewer than 2 non-empty segments, or a pooled
    proportion of 0 or 1, returns ``(0.0, 1.0, max(k - 1, 0))`` where k counts the non-empty
    segments. Returns ``(statistic, p_value, dof)``.
    """
    x, n = np.broadcast_arrays(
        np.asarray(successes, dtype=float), np.asarray(totals, dtype=float)
    )
    if x.ndim == 0:
        x, n = x[None], n[None]
    if np.any((x < 0) | (x > n)):
        raise ValueError("successes must lie between 0 and the totals")
    nonempty = n > 0
    k = nonempty.sum(axis=-1)
    big_n = n.sum(axis=-1)
    big_x = x.sum(axis=-1)
    pooled = np.where(big_n > 0, big_x / np.where(big_n > 0, big_n, 1.0), 0.0)
    degenerate = (k < 2) | (pooled <= 0) | (pooled >= 1)
    pq = np.where(degenerate, 1.0, pooled * (1 - pooled))[..., None]
    pc = np.where(degenerate, 0.5, pooled)[..., None]
    # Sum over both rows of (O - E)^2 / E collapses to (x - n p)^2 / (n p (1 - p)).
    n_safe = np.where(nonempty, n, 1.0)
    terms = np.where(nonempty, (x - n * pc) ** 2 / (n_safe * pq), 0.0)
    statistic = np.where(degenerate, 0.0, terms.sum(axis=-1))
    dof = np.maximum(k - 1, 0)
    p_value = np.where(degenerate, 1.0, stats.chi2.sf(statistic, np.maximum(dof, 1)))
    return _out(statistic), _out(p_value), _out(dof.astype(np.int64))


def two_proportion_test(x1, n1, x2, n2):
    """Pooled two-sided z test of p1 = p2 for two independent binomial samples.

    Reference: Agresti, *Categorical Data Analysis* (3rd ed., 2013), section 3.1.x; Fleiss,
    Levin & Paik, *Statistical Methods for Rates and Proportions* (3rd ed., 2003), 2.5.
    z = (p1 - p2) / sqrt(p (1 - p) (1/n1 + 1/n2)) with the pooled p. Same as
    ``statsmodels.stats.proportion.proportions_ztest([x1, x2], [n1, n2])``; z**2 equals the
    uncorrected Pearson chi-square of the 2 x 2 table (``scipy.stats.chi2_contingency``). The
    tests compare with statsmodels.

    Where the test is undefined (an empty group, or pooled p of 0 or 1) returns z = 0, p = 1.
    """
    x1, n1, x2, n2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    )
    pooled_n = n1 + n2
    ok = (n1 > 0) & (n2 > 0)
    pooled = np.where(ok, (x1 + x2) / np.where(ok, pooled_n, 1.0), 0.0)
    ok &= (pooled > 0) & (pooled < 1)
    n1s, n2s = np.where(ok, n1, 1.0), np.where(ok, n2, 1.0)
    se = np.sqrt(np.where(ok, pooled * (1 - pooled) * (1 / n1s + 1 / n2s), 1.0))
    diff = np.where(ok, x1 / n1s - x2 / n2s, 0.0)
    z = np.where(ok, diff / se, 0.0)
    p_value = np.where(ok, 2.0 * stats.norm.sf(np.abs(z)), 1.0)
    return _out(z), _out(p_value)


def cmh_test(x1, n1, x2, n2):
    """Cochran-Mantel-Haenszel test (1 df, no continuity correction) of no cycle effect.

    Reference: W. G. Cochran (1954), Biometrics 10:417-451; N. Mantel & W. Haenszel (1959),
    JNCI 22:719-748. Each stratum (segment) is the 2 x 2 table
    [[x1, n1 - x1], [x2, n2 - x2]] (rows: cycle 1, cycle 2; columns: success, failure);
    statistic = (sum(a - E[a]))^2 / sum(Var[a]) with the hypergeometric mean and variance.
    Same as ``statsmodels.stats.contingency_tables.StratifiedTable(tables)
    .test_null_odds(correction=False)`` (SciPy has none); the tests compare with statsmodels.

    Strata are along the last axis; strata with total n1 + n2 below 2 are skipped. When the
    total variance is 0 (no informative stratum) returns ``(0.0, 1.0)``.
    """
    a, n1, x2, n2 = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (x1, n1, x2, n2))
    )
    if a.ndim == 0:
        a, n1, x2, n2 = a[None], n1[None], x2[None], n2[None]
    total = n1 + n2
    keep = total >= 2
    t_safe = np.where(keep, total, 2.0)
    m1 = a + x2  # successes in the stratum
    m0 = total - m1
    expected = n1 * m1 / t_safe
    variance = n1 * n2 * m1 * m0 / (t_safe**2 * (t_safe - 1))
    num = np.where(keep, a - expected, 0.0).sum(axis=-1)
    var = np.where(keep, variance, 0.0).sum(axis=-1)
    ok = var > 0
    statistic = np.where(ok, num**2 / np.where(ok, var, 1.0), 0.0)
    p_value = np.where(ok, stats.chi2.sf(statistic, 1), 1.0)
    return _out(statistic), _out(p_value)


def kish_effective_n(weights):
    """Kish's effective sample size (sum w)^2 / sum w^2 of a weighted sample.

    Reference: L. Kish (1965), *Survey Sampling*, Wiley, section 11.7. Not in SciPy;
    statsmodels has no public function for it (``DescrStatsW`` exposes ``sum_weights`` only).
    The tests check hand-computed values, and in ``test_weights.py`` that it is the n_eff of
    :func:`weighted_adoption`. Weights along the last axis; all-zero weights give 0.
    """
    w = np.asarray(weights, dtype=float)
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    s1 = w.sum(axis=-1)
    s2 = (w * w).sum(axis=-1)
    return _out(np.where(s2 > 0, s1 * s1 / np.where(s2 > 0, s2, 1.0), 0.0))


def weighted_proportion(successes_mask_or_values, weights):
    """Weighted proportion sum(w y) / sum(w) and its Kish effective sample size.

    Reference: Kish (1965), *Survey Sampling*; the ratio (Hajek) estimator. Same point
    estimate as ``statsmodels.stats.weightstats.DescrStatsW(y, weights).mean`` and
    ``numpy.average(y, weights=w)``; the tests compare with both. SciPy has none. ``y`` may
    be a boolean mask or values in [0, 1]; the last axis runs over respondents. Returns
    ``(p, n_eff)``; p is NaN when all weights are 0.
    Use n_eff as the ``n`` of ``wilson_interval`` for a design-effect-adjusted interval.
    """
    y, w = np.broadcast_arrays(
        np.asarray(successes_mask_or_values, dtype=float),
        np.asarray(weights, dtype=float),
    )
    n_eff = kish_effective_n(w)
    s1 = w.sum(axis=-1)
    p = np.where(s1 > 0, (w * y).sum(axis=-1) / np.where(s1 > 0, s1, 1.0), np.nan)
    return _out(p), n_eff


__all__ += ["post_stratification_weights", "rake", "weighted_adoption"]


def post_stratification_weights(sample_counts, population_counts):
    """Post-stratification weight per respondent in each cell, and the uncovered cells.

    Reference: Holt & Smith (1979), "Post stratification", JRSS A 142:23-31; Kish (1965),
    *Survey Sampling*, section 12.3. Weight of a respondent in cell c is the population
    share over the sample share, w_c = (N_c / N) / (n_c / n), so that sum(n_c w_c) = n when
    every populated cell has respondents. Neither SciPy nor statsmodels has a routine for it;
    the tests (``test_weights.py``) check a hand-computed example and the weighted total.

    Cells are all the elements of the (same-shaped) arrays, e.g. district x age band. Cells
    without respondents get weight 0; ``empty`` flags those of them with population > 0 (the
    segments that need data) - their population share is then not represented, and
    ``sum(n_c w_c)`` falls short of n by that share. Returns ``(weights, empty)``.
    """
    n = np.asarray(sample_counts, dtype=float)
    pop = np.asarray(population_counts, dtype=float)
    if n.shape != pop.shape:
        raise ValueError(
            f"sample_counts shape {n.shape} differs from population_counts shape {pop.shape}"
        )
    if np.any(n < 0) or np.any(pop < 0):
        raise ValueError("counts must be non-negative")
    big_n = pop.sum()
    if big_n <= 0:
        raise ValueError("population_counts must have a positive total")
    n_total = n.sum()
    has = n > 0
    weights = np.where(
        has, (pop / big_n) * n_total / np.where(has, n, 1.0), 0.0
    )
    empty = (~has) & (pop > 0)
    return _out(weights), _out(empty)


def rake(sample_table, row_margins, col_margins, *, max_iter=100, tol=1e-8):
    """Rake (iterative proportional fitting) a 2-D table of respondent counts to margins.

    Reference: W. E. Deming & F. F. Stephan (1940), "On a least squares adjustment of a
    sampled frequency table when the expected marginal totals are known", Annals of
    Mathematical Statistics 11:427-444; Bishop, Fienberg & Holland (1975), *Discrete
    Multivariate Analysis*, ch. 3. SciPy/statsmodels have no public IPF routine; the
    converged table equals the maximum-likelihood fit of the log-linear model
    log m_ij = log s_ij + a_i + b_j (it keeps every cross-product ratio of the sample). The
    tests (``test_weights.py``) check two iterations worked by hand, the kept odds ratio, and
    with hypothesis that the fitted margins meet their targets.

    Rows are e.g. districts, columns e.g. age bands; the margins are population totals and
    are rescaled so that both sum to the sample total n (so weights average 1 per
    respondent, as in :func:`post_stratification_weights`). One iteration scales rows, then
    columns; iteration stops once max(|fitted margin - target|) / n < tol (checked before
    the first iteration too, so a table already on its margins returns after 0). Zero
    cells stay zero. A row or column with sample total 0 but target > 0 raises ValueError;
    reaching ``max_iter`` returns ``converged=False`` (e.g. zero cells making the margins
    unattainable). Returns ``(weights_table, converged, iterations)`` where the weights are
    fitted count / sample count per cell (0 where the sample count is 0).
    """
    s = np.asarray(sample_table, dtype=float)
    r = np.asarray(row_margins, dtype=float)
    c = np.asarray(col_margins, dtype=float)
    if s.ndim != 2:
        raise ValueError("sample_table must be 2-D (rows x columns)")
    if r.shape != (s.shape[0],) or c.shape != (s.shape[1],):
        raise ValueError(
            f"margins of lengths {r.shape} and {c.shape} do not fit a table of shape {s.shape}"
        )
    if np.any(s < 0) or np.any(r < 0) or np.any(c < 0):
        raise ValueError("counts and margins must be non-negative")
    if max_iter < 0:
        raise ValueError("max_iter must be non-negative")
    total = s.sum()
    if total <= 0:
        raise ValueError("sample_table has no respondents")
    if r.sum() <= 0 or c.sum() <= 0:
        raise ValueError("row and column margins must have positive totals")
    row_s, col_s = s.sum(axis=1), s.sum(axis=0)
    for name, sample_tot, target in (("row", row_s, r), ("column", col_s, c)):
        bad = np.flatnonzero((sample_tot <= 0) & (target > 0))
        if bad.size:
            raise ValueError(
                f"{name} {int(bad[0])} has no respondents but a positive target margin; "
                f"cannot rake (offending {name} indices: {bad.tolist()})"
            )
    r = r * (total / r.sum())
    c = c * (total / c.sum())

    def deviation(m):
        return max(
            np.abs(m.sum(axis=1) - r).max(), np.abs(m.sum(axis=0) - c).max()
        ) / total

    m = s.copy()
    iterations = 0
    converged = deviation(m) < tol
    while not converged and iterations < max_iter:
        rs = m.sum(axis=1)
        m *= np.where(rs > 0, r / np.where(rs > 0, rs, 1.0), 0.0)[:, None]
        cs = m.sum(axis=0)
        m *= np.where(cs > 0, c / np.where(cs > 0, cs, 1.0), 0.0)[None, :]
        iterations += 1
        converged = deviation(m) < tol
    has = s > 0
    weights = np.where(has, m / np.where(has, s, 1.0), 0.0)
    return weights, bool(converged), iterations


def weighted_adoption(successes_table, sample_table, weights_table, confidence=0.95):
    """Weighted overall proportion from cell tables, with a Wilson interval at Kish n_eff.

    Reference: Kish (1965), *Survey Sampling*, section 11.7 (effective sample size); Wilson
    (1927) via :func:`wilson_interval`; the Hajek ratio estimator
    p = sum(w_c x_c) / sum(w_c n_c). Same point estimate and n_eff as
    :func:`weighted_proportion` / :func:`kish_effective_n` on the per-respondent arrays
    (``numpy.repeat(w, n)``), computed from the cells as sum w = sum n_c w_c and
    sum w^2 = sum n_c w_c^2. statsmodels' ``proportion_confint(p * n_eff, n_eff,
    method="wilson")`` gives the same interval. The tests (``test_weights.py``) compare with
    statsmodels for the interval and with the per-respondent computation for p and n_eff.

    The tables share one shape (any number of axes) and are all summed over. Returns
    ``(p, low, high, n_eff)``; with no weighted respondents p is NaN, the interval (0, 1)
    and n_eff 0.
    """
    x = np.asarray(successes_table, dtype=float)
    n = np.asarray(sample_table, dtype=float)
    w = np.asarray(weights_table, dtype=float)
    if not (x.shape == n.shape == w.shape):
        raise ValueError(
            f"tables must share one shape, got {x.shape}, {n.shape} and {w.shape}"
        )
    if np.any(x < 0) or np.any(x > n):
        raise ValueError("successes must lie between 0 and the sample counts")
    if np.any(w < 0):
        raise ValueError("weights must be non-negative")
    s1 = (n * w).sum()
    s2 = (n * w * w).sum()
    if s1 > 0:
        p = float(np.clip((x * w).sum() / s1, 0.0, 1.0))
        n_eff = float(s1 * s1 / s2)
        low, high = wilson_interval(p * n_eff, n_eff, confidence)
    else:
        p, n_eff = float("nan"), 0.0
        low, high = wilson_interval(0.0, 0.0, confidence)
    return p, float(low), float(high), n_eff
