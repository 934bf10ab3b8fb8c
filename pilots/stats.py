"""Small, dependency-light statistics for pilot survey results.

Pure NumPy/SciPy (no Django import). Every function is vectorised: scalars or arrays go in,
inputs broadcast against each other, and results come back in the broadcast shape (NumPy
scalars for scalar input). Functions that act on a *set* (segments, strata, p-values,
weights) take that set along the last axis and broadcast over any leading axes.

Each docstring names the method's reference and the SciPy/statsmodels routine that computes
the same quantity; the tests in ``tests/pilots/test_stats.py`` check against both.
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
    "sample_size_for_margin",
    "two_proportion_test",
    "weighted_proportion",
    "wilson_interval",
]


def _z(confidence):
    """Two-sided standard normal critical value for `confidence` (e.g. 1.959964 for 0.95)."""
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
    ``scipy.stats.binomtest(...).proportion_ci(method="wilson")``.

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
    method="newcomb")``.

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
    routine; ``scipy.stats.false_discovery_control`` is Benjamini-Hochberg).

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
    the empty columns.

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
    uncorrected Pearson chi-square of the 2 x 2 table.

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
    .test_null_odds(correction=False)``.

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
    Weights along the last axis; all-zero weights give 0.
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
    ``numpy.average(y, weights=w)``. ``y`` may be a boolean mask or values in [0, 1]; the
    last axis runs over respondents. Returns ``(p, n_eff)``; p is NaN when all weights are 0.
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


def sample_size_for_margin(p, margin, confidence=0.95):
    """Respondents needed for an interval half-width of at most `margin` at proportion p.

    Uses the normal (Wald) approximation n = z^2 p (1 - p) / margin^2, rounded up (at least
    1), as in Cochran, *Sampling Techniques* (3rd ed., 1977), eq. 4.2 - the usual planning
    formula; the Wilson half-width at that n is at most this margin to a close approximation
    (it is narrower than Wald's for p near 0.5). statsmodels computes the same via
    ``statsmodels.stats.proportion.samplesize_confint_proportion(p, margin, alpha)``
    (without rounding). Returns an int64 array (NumPy integer for scalar input).
    """
    p, margin, z = np.broadcast_arrays(
        np.asarray(p, dtype=float), np.asarray(margin, dtype=float), _z(confidence)
    )
    if np.any((p < 0) | (p > 1)):
        raise ValueError("p must lie in [0, 1]")
    if np.any(margin <= 0):
        raise ValueError("margin must be positive")
    raw = z * z * p * (1 - p) / (margin * margin)
    n = np.maximum(np.ceil(raw - 1e-9), 1).astype(np.int64)
    return _out(n)
