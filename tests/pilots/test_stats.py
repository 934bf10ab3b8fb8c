"""Tests for pilots.stats against published values and SciPy/statsmodels (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import (
    confint_proportions_2indep,
    proportion_confint,
    proportions_ztest,
)
from statsmodels.stats.weightstats import DescrStatsW

from pilots.stats import (
    chi2_homogeneity,
    cmh_test,
    holm,
    kish_effective_n,
    newcombe_interval,
    two_proportion_test,
    weighted_proportion,
    wilson_interval,
)

FAST = settings(max_examples=200, deadline=None)

# Newcombe (1998), Stat Med 17:857-872, Table I, method 3 (Wilson score, no CC).
WILSON_PUBLISHED = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]

# Newcombe (1998), Stat Med 17:873-890, Table II, method 10 (hybrid score, no CC).
# 6/7 - 2/7 is checked separately below: the brief's remembered 0.0205..0.8329 disagrees
# with both this implementation and statsmodels (0.0582..0.8062).
NEWCOMBE_PUBLISHED = [
    (56, 70, 48, 80, 0.0524, 0.3339),
    (9, 10, 3, 10, 0.1705, 0.8090),
    (5, 56, 0, 29, -0.0381, 0.1926),
    (0, 10, 0, 20, -0.1611, 0.2775),
    (10, 10, 0, 20, 0.6791, 1.0000),
]


@pytest.mark.parametrize(("x", "n", "low", "high"), WILSON_PUBLISHED)
def test_wilson_matches_newcombe_table_i(x, n, low, high):
    lo, hi = wilson_interval(x, n)
    assert round(float(lo), 4) == pytest.approx(low, abs=1e-9)
    assert round(float(hi), 4) == pytest.approx(high, abs=1e-9)
    sm_lo, sm_hi = proportion_confint(x, n, alpha=0.05, method="wilson")
    assert lo == pytest.approx(sm_lo, abs=1e-10)
    assert hi == pytest.approx(sm_hi, abs=1e-10)
    scipy_ci = binomtest(x, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert (lo, hi) == pytest.approx((scipy_ci.low, scipy_ci.high), abs=1e-10)


def test_wilson_other_confidence_matches_statsmodels():
    lo, hi = wilson_interval(81, 263, confidence=0.99)
    sm = proportion_confint(81, 263, alpha=0.01, method="wilson")
    assert (lo, hi) == pytest.approx(sm, abs=1e-10)
    scipy_ci = binomtest(81, 263).proportion_ci(confidence_level=0.99, method="wilson")
    assert (lo, hi) == pytest.approx((scipy_ci.low, scipy_ci.high), abs=1e-10)


def test_wilson_empty_sample_is_uninformative():
    assert wilson_interval(0, 0) == (0.0, 1.0)
    lo, hi = wilson_interval(np.array([0, 3]), np.array([0, 10]))
    assert lo[0] == 0.0 and hi[0] == 1.0 and 0 < lo[1] < hi[1] < 1


def test_wilson_vectorised_and_broadcast():
    xs = np.array([[81, 15], [0, 1]])
    ns = np.array([[263, 148], [20, 29]])
    lo, hi = wilson_interval(xs, ns)
    assert lo.shape == hi.shape == (2, 2)
    for idx in np.ndindex(2, 2):
        s_lo, s_hi = wilson_interval(int(xs[idx]), int(ns[idx]))
        assert lo[idx] == pytest.approx(s_lo) and hi[idx] == pytest.approx(s_hi)
    lo, hi = wilson_interval(np.arange(6), 10, confidence=np.array([[0.9], [0.95]]))
    assert lo.shape == (2, 6)
    assert np.all(lo[0] >= lo[1]) and np.all(hi[0] <= hi[1])


@pytest.mark.parametrize(("x1", "n1", "x2", "n2", "low", "high"), NEWCOMBE_PUBLISHED)
def test_newcombe_matches_table_ii_method_10(x1, n1, x2, n2, low, high):
    lo, hi = newcombe_interval(x1, n1, x2, n2)
    assert round(float(lo), 4) == pytest.approx(low, abs=1e-9)
    assert round(float(hi), 4) == pytest.approx(high, abs=1e-9)
    sm_lo, sm_hi = confint_proportions_2indep(
        x1, n1, x2, n2, method="newcomb", compare="diff"
    )
    assert lo == pytest.approx(sm_lo, abs=1e-10)
    assert hi == pytest.approx(sm_hi, abs=1e-10)


def test_newcombe_six_of_seven_minus_two_of_seven_follows_statsmodels():
    lo, hi = newcombe_interval(6, 7, 2, 7)
    sm_lo, sm_hi = confint_proportions_2indep(
        6, 7, 2, 7, method="newcomb", compare="diff"
    )
    assert lo == pytest.approx(sm_lo, abs=1e-10) and hi == pytest.approx(
        sm_hi, abs=1e-10
    )
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0582, 0.8062)


def test_newcombe_vectorised():
    rows = np.array([r[:4] for r in NEWCOMBE_PUBLISHED])
    lo, hi = newcombe_interval(*rows.T)
    assert lo.shape == hi.shape == (len(rows),)
    np.testing.assert_allclose(lo, [r[4] for r in NEWCOMBE_PUBLISHED], atol=5e-5)
    np.testing.assert_allclose(hi, [r[5] for r in NEWCOMBE_PUBLISHED], atol=5e-5)


def test_holm_matches_statsmodels():
    p = np.array([0.01, 0.04, 0.03, 0.005, 0.2, 0.04])
    expected = multipletests(p, method="holm")[1]
    np.testing.assert_allclose(holm(p), expected, atol=1e-12)
    assert holm([0.5, 0.6, 0.9]).tolist() == [1.0, 1.0, 1.0]


def test_holm_leading_axes_are_separate_families():
    p = np.array([[0.01, 0.02, 0.5], [0.3, 0.001, 0.04]])
    out = holm(p)
    assert out.shape == p.shape
    for row, adj in zip(p, out, strict=True):
        np.testing.assert_allclose(adj, multipletests(row, method="holm")[1])


def test_chi2_matches_scipy():
    x = np.array([12, 30, 7, 19])
    n = np.array([40, 70, 35, 41])
    stat, p, dof = chi2_homogeneity(x, n)
    ref = chi2_contingency(np.vstack([x, n - x]), correction=False)
    assert stat == pytest.approx(ref.statistic, rel=1e-10)
    assert p == pytest.approx(ref.pvalue, rel=1e-10)
    assert dof == ref.dof == 3


def test_chi2_two_segments_matches_scipy_and_drops_empty():
    stat, p, dof = chi2_homogeneity([5, 0, 9], [20, 0, 15])
    ref = chi2_contingency([[5, 9], [15, 6]], correction=False)
    assert (stat, p, dof) == (
        pytest.approx(ref.statistic),
        pytest.approx(ref.pvalue),
        1,
    )


@pytest.mark.parametrize(
    ("x", "n", "dof"),
    [
        ([3], [10], 0),
        ([0, 0, 0], [5, 6, 7], 2),
        ([5, 6], [5, 6], 1),
        ([], [], 0),
        ([2, 0], [4, 0], 0),
    ],
)
def test_chi2_degenerate(x, n, dof):
    assert chi2_homogeneity(x, n) == (0.0, 1.0, dof)


def test_chi2_batched_rows():
    x = np.array([[12, 30, 7], [1, 2, 3]])
    n = np.array([[40, 70, 35], [10, 10, 10]])
    stat, p, dof = chi2_homogeneity(x, n)
    assert stat.shape == p.shape == dof.shape == (2,)
    for i in range(2):
        assert (stat[i], p[i], dof[i]) == chi2_homogeneity(x[i], n[i])


@pytest.mark.parametrize(
    ("x1", "n1", "x2", "n2"), [(56, 70, 48, 80), (9, 10, 3, 10), (5, 56, 2, 29)]
)
def test_two_proportion_matches_statsmodels(x1, n1, x2, n2):
    z, p = two_proportion_test(x1, n1, x2, n2)
    ref_z, ref_p = proportions_ztest([x1, x2], [n1, n2])
    assert z == pytest.approx(ref_z, rel=1e-10) and p == pytest.approx(ref_p, rel=1e-10)


def test_two_proportion_vectorised_and_degenerate():
    z, p = two_proportion_test(
        np.array([56, 9, 0]), np.array([70, 10, 10]), np.array([48, 3, 0]), 80
    )
    assert z.shape == p.shape == (3,)
    assert z[0] == pytest.approx(float(two_proportion_test(56, 70, 48, 80)[0]))
    assert (z[2], p[2]) == (0.0, 1.0)
    assert two_proportion_test(3, 0, 2, 5) == (0.0, 1.0)


def _tables(x1, n1, x2, n2):
    return [
        np.array([[a, b - a], [c, d - c]])
        for a, b, c, d in zip(x1, n1, x2, n2, strict=True)
    ]


def test_cmh_matches_statsmodels():
    x1, n1 = np.array([10, 22, 5, 30]), np.array([40, 50, 20, 60])
    x2, n2 = np.array([18, 25, 9, 33]), np.array([42, 48, 21, 58])
    stat, p = cmh_test(x1, n1, x2, n2)
    ref = StratifiedTable(_tables(x1, n1, x2, n2)).test_null_odds(correction=False)
    assert stat == pytest.approx(ref.statistic, rel=1e-10)
    assert p == pytest.approx(ref.pvalue, rel=1e-10)


def test_cmh_skips_tiny_strata():
    x1, n1, x2, n2 = [10, 1, 5], [40, 1, 20], [18, 0, 9], [42, 0, 21]
    keep = [0, 2]
    ref = StratifiedTable(
        _tables(*(np.array(v)[keep] for v in (x1, n1, x2, n2)))
    ).test_null_odds(correction=False)
    stat, p = cmh_test(x1, n1, x2, n2)
    assert stat == pytest.approx(ref.statistic) and p == pytest.approx(ref.pvalue)
    assert cmh_test([1], [1], [0], [0]) == (0.0, 1.0)


def test_cmh_batched():
    x1 = np.array([[10, 22], [5, 30]])
    n1 = np.array([[40, 50], [20, 60]])
    stat, _p = cmh_test(x1, n1, x1 + 3, n1)
    assert stat.shape == (2,)
    assert stat[1] == pytest.approx(float(cmh_test(x1[1], n1[1], x1[1] + 3, n1[1])[0]))


def test_kish_and_weighted_proportion():
    assert kish_effective_n([1, 1, 1, 1]) == pytest.approx(4.0)
    assert kish_effective_n([1, 2, 3]) == pytest.approx(36 / 14)
    assert kish_effective_n([0, 0]) == 0.0
    w = np.array([1.0, 2.0, 1.0, 4.0])
    y = np.array([True, False, True, True])
    p, n_eff = weighted_proportion(y, w)
    assert p == pytest.approx(np.average(y, weights=w))
    assert p == pytest.approx(DescrStatsW(y.astype(float), weights=w).mean)
    assert n_eff == pytest.approx(64 / 22)
    ps, ns = weighted_proportion(np.vstack([y, ~y]), w)
    assert ps.shape == ns.shape == (2,)
    assert ps.sum() == pytest.approx(1.0)
    assert np.isnan(weighted_proportion([1, 0], [0, 0])[0])


@st.composite
def _binomial(draw):
    n = draw(st.integers(0, 500))
    return draw(st.integers(0, n)), n


@FAST
@given(_binomial(), st.sampled_from([0.8, 0.9, 0.95, 0.99]))
def test_wilson_invariants(xn, conf):
    x, n = xn
    lo, hi = wilson_interval(x, n, conf)
    assert 0.0 <= lo <= hi <= 1.0
    if n:
        assert lo <= x / n <= hi
        # Narrower when the same proportion is observed on a sample 4 times larger.
        lo4, hi4 = wilson_interval(4 * x, 4 * n, conf)
        assert hi4 - lo4 <= hi - lo + 1e-12


@FAST
@given(_binomial(), _binomial())
def test_newcombe_invariants(a, b):
    (x1, n1), (x2, n2) = a, b
    lo, hi = newcombe_interval(x1, n1, x2, n2)
    assert -1.0 <= lo <= hi <= 1.0
    d = (x1 / n1 if n1 else 0.0) - (x2 / n2 if n2 else 0.0)
    assert lo - 1e-12 <= d <= hi + 1e-12


@FAST
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30))
def test_holm_invariants(ps):
    raw = np.array(ps)
    adj = holm(raw)
    assert adj.shape == raw.shape
    assert np.all(adj >= raw - 1e-15) and np.all(adj <= 1.0)
    order = np.argsort(raw, kind="stable")
    assert np.all(np.diff(adj[order]) >= 0)
