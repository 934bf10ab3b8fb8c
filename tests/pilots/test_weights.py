"""Tests for the survey-weighting helpers in pilots.stats (no database)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from statsmodels.stats.proportion import proportion_confint

from pilots.stats import (
    kish_effective_n,
    post_stratification_weights,
    rake,
    weighted_adoption,
    weighted_proportion,
)

# --- post-stratification ---------------------------------------------------------------


def test_post_stratification_hand_example():
    # n = 60 respondents, N = 500 residents; w_c = (N_c / 500) / (n_c / 60).
    sample = np.array([[10, 20, 0], [25, 0, 5]])
    population = np.array([[100, 100, 0], [200, 100, 0]])
    weights, empty = post_stratification_weights(sample, population)
    expected = np.array(
        [
            [0.2 / (10 / 60), 0.2 / (20 / 60), 0.0],  # 1.2, 0.6, (no one, no pop.)
            [0.4 / (25 / 60), 0.0, 0.0],  # 0.96, (populated, no respondents), (pop. 0)
        ]
    )
    np.testing.assert_allclose(weights, [[1.2, 0.6, 0.0], [0.96, 0.0, 0.0]])
    np.testing.assert_allclose(weights, expected)
    np.testing.assert_array_equal(empty, [[False, False, False], [False, True, False]])
    # Weighted count = n times the covered population share (400 / 500).
    assert (sample * weights).sum() == pytest.approx(60 * 400 / 500)


def test_post_stratification_full_coverage_sums_to_n_and_validates():
    sample = np.array([3, 7, 10])
    weights, empty = post_stratification_weights(sample, [50, 20, 30])
    assert not empty.any()
    assert (sample * weights).sum() == pytest.approx(20)
    with pytest.raises(ValueError, match="shape"):
        post_stratification_weights([1, 2], [1, 2, 3])
    with pytest.raises(ValueError, match="non-negative"):
        post_stratification_weights([1, -2], [1, 2])
    with pytest.raises(ValueError, match="positive total"):
        post_stratification_weights([1, 2], [0, 0])


# --- raking ------------------------------------------------------------------------------

SAMPLE = np.array([[10.0, 20.0], [30.0, 40.0]])  # n = 100
ROWS = np.array([50.0, 50.0])
COLS = np.array([40.0, 60.0])


def test_rake_two_hand_iterations():
    # Iteration 1: rows x (50/30, 50/70) -> [[16.667, 33.333], [21.429, 28.571]];
    # column sums 38.095, 61.905 -> x (1.05, 0.969231) -> [[35/2, 420/13], [45/2, 360/13]].
    w1, conv1, it1 = rake(SAMPLE, ROWS, COLS, max_iter=1)
    assert (conv1, it1) == (False, 1)
    np.testing.assert_allclose(
        w1 * SAMPLE, [[35 / 2, 420 / 13], [45 / 2, 360 / 13]], rtol=1e-12
    )
    # Iteration 2: rows x (260/259, 260/261), then columns x (2146/2145, ...):
    w2, conv2, it2 = rake(SAMPLE, ROWS, COLS, max_iter=2)
    assert (conv2, it2) == (False, 2)
    np.testing.assert_allclose(
        w2 * SAMPLE, [[580 / 33, 5220 / 161], [740 / 33, 4440 / 161]], rtol=1e-12
    )


def test_rake_converges_to_margins_keeping_odds_ratio():
    w, converged, iterations = rake(SAMPLE, ROWS, COLS)
    assert converged and 2 < iterations < 100
    fitted = w * SAMPLE
    np.testing.assert_allclose(fitted.sum(axis=1), ROWS, atol=1e-6)
    np.testing.assert_allclose(fitted.sum(axis=0), COLS, atol=1e-6)
    assert np.all(w >= 0)
    # IPF keeps the cross-product ratio of the sample (10*40)/(20*30) = 2/3.
    odds = fitted[0, 0] * fitted[1, 1] / (fitted[0, 1] * fitted[1, 0])
    assert odds == pytest.approx(2 / 3, rel=1e-6)


def test_rake_rescales_population_margins_to_sample_total():
    # Population totals (5000 residents) scaled to n = 100: same answer as ROWS/COLS.
    w_pop, conv, _ = rake(SAMPLE, ROWS * 50, COLS * 50)
    w, _, _ = rake(SAMPLE, ROWS, COLS)
    assert conv
    np.testing.assert_allclose(w_pop, w)
    np.testing.assert_allclose((w_pop * SAMPLE).sum(), 100)


def test_rake_table_already_on_margins_gets_unit_weights():
    table = np.array([[5.0, 10.0, 15.0], [10.0, 20.0, 30.0]])
    w, converged, iterations = rake(table, table.sum(axis=1), table.sum(axis=0))
    assert converged and iterations == 0
    np.testing.assert_array_equal(w, np.ones_like(table))


def test_rake_zero_cells_stay_zero():
    table = np.array([[0.0, 10.0, 5.0], [8.0, 4.0, 3.0], [2.0, 0.0, 6.0]])
    w, converged, _ = rake(table, [30, 40, 30], [20, 50, 30])
    assert converged
    assert w[0, 0] == 0 and w[2, 1] == 0
    fitted = w * table  # margins are rescaled to the sample total n = 38
    np.testing.assert_allclose(fitted.sum(axis=1), np.array([30, 40, 30]) * 0.38, atol=1e-6)
    np.testing.assert_allclose(fitted.sum(axis=0), np.array([20, 50, 30]) * 0.38, atol=1e-6)


def test_rake_unfittable_zero_row_or_column_raises():
    table = np.array([[5.0, 5.0], [0.0, 0.0], [3.0, 7.0]])
    with pytest.raises(ValueError, match="row 1"):
        rake(table, [10, 5, 10], [12, 13])
    # A zero row with a zero target is fine.
    w, converged, _ = rake(table, [10, 0, 10], [12, 8])
    assert converged and np.all(w[1] == 0)
    with pytest.raises(ValueError, match="column 0"):
        rake(np.array([[0.0, 4.0], [0.0, 6.0]]), [5, 5], [3, 7])
    with pytest.raises(ValueError, match="do not fit"):
        rake(table, [1, 2], [1, 2])


def test_rake_unattainable_margins_returns_not_converged():
    # Diagonal table: row i only meets column i, so rows (50, 50) vs columns (30, 70)
    # can never both be met; raking oscillates instead of raising.
    w, converged, iterations = rake(np.eye(2) * 10, [50, 50], [30, 70], max_iter=25)
    assert not converged and iterations == 25
    assert np.all(np.isfinite(w)) and np.all(w >= 0)


@settings(max_examples=60, deadline=None)
@given(
    shape=st.tuples(st.integers(2, 4), st.integers(2, 5)).flatmap(
        lambda sh: st.tuples(
            hnp.arrays(float, sh, elements=st.integers(1, 200).map(float)),
            hnp.arrays(float, sh[0], elements=st.integers(1, 10_000).map(float)),
            hnp.arrays(float, sh[1], elements=st.integers(1, 10_000).map(float)),
        )
    )
)
def test_rake_property_fitted_margins_match_targets(shape):
    table, rows, cols = shape
    w, converged, _ = rake(table, rows, cols, max_iter=1000, tol=1e-10)
    assert np.all(w >= 0)
    # Strictly positive tables always admit a raked fit (Bishop, Fienberg & Holland 1975).
    assert converged
    total = table.sum()
    fitted = w * table
    np.testing.assert_allclose(
        fitted.sum(axis=1), rows * total / rows.sum(), atol=1e-6 * total
    )
    np.testing.assert_allclose(
        fitted.sum(axis=0), cols * total / cols.sum(), atol=1e-6 * total
    )


# --- weighted adoption -------------------------------------------------------------------


def test_weighted_adoption_unit_weights_is_plain_proportion():
    sample = np.array([[10, 20], [30, 40]])
    successes = np.array([[4, 9], [12, 25]])  # 50 of 100
    p, low, high, n_eff = weighted_adoption(successes, sample, np.ones((2, 2)))
    assert p == pytest.approx(0.5)
    assert n_eff == pytest.approx(100)
    exp_low, exp_high = proportion_confint(50, 100, method="wilson")
    assert (low, high) == pytest.approx((exp_low, exp_high))


def test_weighted_adoption_matches_per_respondent_computation():
    sample = np.array([[10, 20], [30, 40]])
    successes = np.array([[4, 9], [12, 25]])
    w, converged, _ = rake(sample, [50, 50], [40, 60])
    assert converged
    p, low, high, n_eff = weighted_adoption(successes, sample, w)
    # Expand to respondents: in each cell, x_c ones and n_c - x_c zeros with weight w_c.
    y = np.concatenate(
        [np.r_[np.ones(x), np.zeros(n - x)] for x, n in zip(successes.ravel(), sample.ravel())]
    )
    w_resp = np.repeat(w.ravel(), sample.ravel())
    p_ref, n_eff_ref = weighted_proportion(y, w_resp)
    assert p == pytest.approx(p_ref)
    assert n_eff == pytest.approx(n_eff_ref)
    assert n_eff == pytest.approx(kish_effective_n(w_resp))
    assert n_eff < sample.sum()  # weights vary -> design effect > 1
    exp_low, exp_high = proportion_confint(p * n_eff, n_eff, method="wilson")
    assert (low, high) == pytest.approx((exp_low, exp_high))
    assert low < p < high


def test_weighted_adoption_edge_cases():
    p, low, high, n_eff = weighted_adoption([0, 0], [3, 2], [0, 0])
    assert np.isnan(p) and (low, high, n_eff) == (0.0, 1.0, 0.0)
    with pytest.raises(ValueError, match="successes"):
        weighted_adoption([4, 0], [3, 2], [1, 1])
    with pytest.raises(ValueError, match="shape"):
        weighted_adoption([1, 0], [3, 2], [1, 1, 1])
