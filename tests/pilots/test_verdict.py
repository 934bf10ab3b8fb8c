"""The readiness rules, exactly as the pilots issue states them, on plain counts."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pilots import stats
from pilots.verdict import evaluate, more_needed
from pilots.verdict_types import Counts, Population, State, Thresholds, Verdict, percent

RULES = Thresholds(adoption_target=0.5, equity_floor=0.4, satisfaction_target=0.7, viability_floor=0.15, min_n=30)


def counts(*rows) -> Counts:
    return Counts.of(rows)


def states(evaluation) -> dict[tuple[str, str], State]:
    return {(s.district, s.age_band): s.state for s in evaluation.segments}


# --- Segment states -----------------------------------------------------------------------


def test_segment_states_follow_the_rules():
    result = evaluate(
        counts(
            ("A", "young", 200, 160, 90, 100),  # 80%: lower bound well above the 40% floor
            ("A", "old", 200, 40),  # 20%: estimate under the floor
            ("B", "old", 40, 18),  # 45%: estimate above the floor, lower bound under it
            ("B", "young", 12, 12),  # 12 < 30 respondents, however good
        ),
        RULES,
    )
    assert states(result) == {
        ("A", "young"): State.PASS,
        ("A", "old"): State.BELOW,
        ("B", "old"): State.UNPROVEN,
        ("B", "young"): State.INSUFFICIENT,
    }
    low, high = stats.wilson_interval(18, 40)
    segment = next(s for s in result.segments if (s.district, s.age_band) == ("B", "old"))
    assert (segment.estimate, segment.low, segment.high) == pytest.approx((0.45, low, high))


def test_a_lower_bound_exactly_on_the_floor_passes():
    low, _high = stats.wilson_interval(60, 100)
    rules = Thresholds(adoption_target=float(low), equity_floor=float(low), satisfaction_target=0.0,
                       viability_floor=0.0, min_n=10)
    result = evaluate(counts(("A", "all", 100, 60, 10, 10)), rules)
    assert result.segments[0].state is State.PASS
    assert result.verdict is Verdict.READY_TO_SCALE


def test_a_segment_with_nobody_is_insufficient_even_without_a_minimum():
    rules = Thresholds(**{**RULES.__dict__, "min_n": 0})
    result = evaluate(counts(("A", "young", 100, 90, 90, 100), ("A", "old", 0, 0, 0, 0)), rules)
    assert states(result)[("A", "old")] is State.INSUFFICIENT
    assert result.verdict is Verdict.NEEDS_MORE_DATA


# --- The verdict: the first rule that applies --------------------------------------------


def test_not_viable_comes_first_even_when_segments_are_below():
    result = evaluate(counts(("A", "young", 400, 20, 10, 20), ("A", "old", 400, 12, 5, 12)), RULES)
    assert result.verdict is Verdict.NOT_VIABLE
    assert result.adoption.high < RULES.viability_floor
    assert len(result.reasons) == 1
    assert "viability floor of 15%" in result.sentences()[0]


def test_keep_optimizing_names_the_segment_below_the_floor():
    result = evaluate(
        counts(("Old Town", "18-29", 150, 120, 95, 110), ("Old Town", "60+", 150, 30, 20, 30),
               ("New Harbour", "60+", 10, 5, 4, 5)),
        RULES,
    )
    assert result.verdict is Verdict.KEEP_OPTIMIZING
    sentences = result.sentences()
    named = [s for s in sentences if s.startswith("60+ in Old Town")]
    low, high = stats.wilson_interval(30, 150)
    assert named == [
        f"60+ in Old Town: adoption 20% (95% interval {percent(low)} to {percent(high)}, 150 respondents) "
        "is below the equity floor of 40%."
    ]
    # Only what is below drives this verdict; the small segment is not listed as a reason.
    assert not any("New Harbour" in s for s in sentences)


def test_needs_more_data_says_how_many_more_each_segment_needs():
    result = evaluate(counts(("A", "young", 300, 240, 250, 300), ("A", "old", 40, 19)), RULES)
    assert result.verdict is Verdict.NEEDS_MORE_DATA
    old = next(s for s in result.segments if s.age_band == "old")
    assert old.state is State.UNPROVEN and old.more_needed > 0
    total = old.n + old.more_needed
    assert stats.wilson_interval(19 / 40 * total, total)[0] >= RULES.equity_floor
    assert stats.wilson_interval(19 / 40 * (total - 1), total - 1)[0] < RULES.equity_floor
    assert any(f"About {old.more_needed} more respondents" in s for s in result.sentences())


def test_an_insufficient_segment_needs_at_least_the_minimum():
    result = evaluate(counts(("A", "young", 300, 240, 250, 300), ("A", "old", 5, 5)), RULES)
    old = next(s for s in result.segments if s.age_band == "old")
    assert old.state is State.INSUFFICIENT
    assert old.more_needed == RULES.min_n - 5  # at 100% the minimum alone settles it


def test_no_number_of_respondents_helps_a_rate_at_the_floor():
    result = evaluate(counts(("A", "young", 300, 240, 250, 300), ("A", "old", 10, 4)), RULES)
    old = next(s for s in result.segments if s.age_band == "old")
    assert old.more_needed is None
    assert any("no number of extra respondents" in s for s in result.sentences())


def test_ready_to_scale_when_every_lower_bound_clears_its_threshold():
    result = evaluate(
        counts(("A", "young", 200, 170, 170, 190), ("A", "old", 200, 150, 160, 180), ("B", "old", 120, 90, 80, 90)),
        RULES,
    )
    assert result.verdict is Verdict.READY_TO_SCALE
    assert [r.code for r in result.reasons] == ["adoption_pass", "satisfaction_pass", "segments_pass"]
    assert "All 3 segments reach the equity floor of 40%" in result.sentences()[2]


def test_satisfaction_below_target_keeps_optimizing():
    result = evaluate(counts(("A", "young", 200, 170, 50, 190), ("A", "old", 200, 150, 40, 180)), RULES)
    assert result.satisfaction_state is State.BELOW
    assert result.verdict is Verdict.KEEP_OPTIMIZING
    assert [r.code for r in result.reasons] == ["satisfaction_below"]


def test_no_ratings_at_all_is_more_data_needed_not_a_pass():
    result = evaluate(counts(("A", "young", 200, 170), ("A", "old", 200, 150)), RULES)
    assert result.satisfaction.estimate is None
    assert result.verdict is Verdict.NEEDS_MORE_DATA
    assert "No satisfaction ratings yet" in result.sentences()[0]


def test_satisfaction_from_another_source_overrides_the_counts():
    result = evaluate(counts(("A", "young", 200, 170), ("A", "old", 200, 150)), RULES, satisfaction=(90, 100))
    assert result.satisfaction.estimate == pytest.approx(0.9)
    assert result.verdict is Verdict.READY_TO_SCALE


# --- Weighting ---------------------------------------------------------------------------


def test_population_cells_post_stratify_overall_adoption():
    current = counts(("A", "young", 300, 240, 250, 300), ("A", "old", 100, 45, 80, 100))
    population = Population.of([("A", "young", 1000), ("A", "old", 3000)])
    result = evaluate(current, RULES, population=population)
    weights, _empty = stats.post_stratification_weights([300, 100], [1000, 3000])
    p, low, high, n_eff = stats.weighted_adoption([240, 45], [300, 100], weights)
    assert result.adoption_weighted.estimate == pytest.approx(p) == pytest.approx(0.25 * 0.8 + 0.75 * 0.45)
    assert (result.adoption.low, result.adoption.high, result.adoption.n) == pytest.approx((low, high, n_eff))
    assert result.adoption_pooled.estimate == pytest.approx(285 / 400)
    assert result.as_dict()["overall"]["adoption"]["weighted"] is True


def test_population_margins_rake_overall_adoption():
    current = counts(("A", "young", 100, 80), ("A", "old", 50, 20), ("B", "young", 60, 50), ("B", "old", 90, 30))
    population = Population.of([("A", "", 5000), ("B", "", 5000), ("", "young", 4000), ("", "old", 6000)])
    result = evaluate(current, RULES, population=population)
    table = np.array([[100, 50], [60, 90]])
    weights, converged, _ = stats.rake(table, [5000, 5000], [4000, 6000])
    assert converged
    p, *_ = stats.weighted_adoption([[80, 20], [50, 30]], table, weights)
    assert result.adoption_weighted.estimate == pytest.approx(p)


def test_segments_without_population_are_noted_not_silently_dropped():
    current = counts(("A", "young", 100, 80), ("A", "old", 100, 50))
    result = evaluate(current, RULES, population=Population.of([("A", "young", 1000)]))
    assert any("no population figure" in note for note in result.note_sentences())
    assert result.as_dict()["notes"] == result.note_sentences()


def test_unusable_population_falls_back_to_pooled_with_a_note():
    current = counts(("A", "young", 100, 80), ("B", "old", 100, 50))
    result = evaluate(current, RULES, population=Population.of([("A", "", 1000)]))
    assert result.adoption_weighted is None
    assert result.adoption is result.adoption_pooled
    assert result.notes


# --- Between cycles ----------------------------------------------------------------------


def test_changes_use_newcombe_intervals_and_holm_across_segments():
    before = counts(("A", "young", 120, 90), ("A", "old", 150, 30), ("B", "old", 40, 10))
    after = counts(("A", "young", 120, 100), ("A", "old", 150, 112), ("C", "old", 30, 20))
    result = evaluate(after, RULES, previous=before)
    assert [(c.district, c.age_band) for c in result.changes] == [("A", "young"), ("A", "old")]
    low, high = stats.newcombe_interval([100, 112], [120, 150], [90, 30], [120, 150])
    _z, p_values = stats.two_proportion_test([100, 112], [120, 150], [90, 30], [120, 150])
    adjusted = stats.holm(p_values)
    old = result.changes[1]
    assert old.difference == pytest.approx(112 / 150 - 30 / 150)
    assert (old.low, old.high, old.p_value, old.p_adjusted) == pytest.approx((low[1], high[1], p_values[1], adjusted[1]))
    assert old.significant
    statistic, p_value = stats.cmh_test([100, 112], [120, 150], [90, 30], [120, 150])
    assert result.overall_change == pytest.approx({"statistic": statistic, "p_value": p_value, "segments": 2})


# --- Input checks and output ---------------------------------------------------------------


@pytest.mark.parametrize(
    "rows, message",
    [
        ([("A", "x", 10, 11)], "adopters must lie between 0 and eligible"),
        ([("A", "x", -1, 0)], "adopters must lie between 0 and eligible"),
        ([("A", "x", 10, 5, 6, 5)], "satisfied must lie between 0 and rated"),
        ([("A", "x", 10, 5), ("A", "x", 20, 5)], "appears twice"),
    ],
)
def test_impossible_counts_are_refused(rows, message):
    with pytest.raises(ValueError, match=message):
        Counts.of(rows)


def test_impossible_thresholds_are_refused_with_every_problem():
    with pytest.raises(ValueError) as error:
        evaluate(counts(("A", "x", 10, 5)), Thresholds(adoption_target=60, confidence=1.0, min_n=-1))
    assert "adoption target must be a proportion" in str(error.value)
    assert "confidence" in str(error.value) and "minimum respondents" in str(error.value)


def test_the_json_form_is_plain_json():
    result = evaluate(counts(("A", "young", 100, 80, 70, 90), ("A", "old", 0, 0, 0, 0), ("B", "old", 50, 20, 9, 10)), RULES,
                      previous=counts(("A", "young", 100, 60)))
    data = json.loads(json.dumps(result.as_dict(), allow_nan=False))
    assert set(data) >= {"verdict", "reasons", "overall", "segments", "homogeneity", "changes"}
    assert set(data["overall"]["adoption"]) >= {"estimate", "low", "high", "n"}
    assert set(data["segments"][0]) == {"district", "age_band", "n", "estimate", "low", "high", "state", "more_needed"}
    assert set(data["changes"][0]) >= {"district", "age_band", "difference", "low", "high", "p_value", "p_adjusted"}
    assert set(data["homogeneity"]) == {"statistic", "p_value", "dof"}


def test_one_segment_has_no_homogeneity_test_but_the_json_form_keeps_its_object():
    result = evaluate(counts(("A", "old", 150, 30), ("B", "old", 0, 0)), RULES)
    assert result.homogeneity is None  # the pages show no test
    assert result.as_dict()["homogeneity"] == {"statistic": 0.0, "p_value": 1.0, "dof": 0}
    assert tuple(result.as_dict()["homogeneity"].values()) == stats.chi2_homogeneity([30, 0], [150, 0])


def test_sentences_go_through_the_callers_translation():
    result = evaluate(counts(("A", "old", 150, 30, 20, 30)), RULES)
    translated = result.sentences(gettext=lambda s: s.replace("adoption", "采用率"), label=lambda code: f"<{code}>")
    assert translated[0].startswith("Overall 采用率")
    assert any(s.startswith("<old> in <A>: 采用率 20%") for s in translated)


# --- Invariants --------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 400), st.floats(0, 1)), min_size=1, max_size=12))
def test_states_are_consistent_with_their_intervals(cells):
    rows = [(f"d{i}", "band", n, int(n * share)) for i, (n, share) in enumerate(cells)]
    result = evaluate(counts(*rows), RULES)
    for segment in result.segments:
        assert 0.0 <= segment.low <= segment.high <= 1.0
        if segment.state is State.PASS:
            assert segment.low >= RULES.equity_floor and segment.n >= RULES.min_n
        elif segment.state is State.BELOW:
            assert segment.estimate < RULES.equity_floor
        elif segment.state is State.UNPROVEN:
            assert segment.low < RULES.equity_floor <= segment.estimate
        else:
            assert segment.n < RULES.min_n or segment.n == 0
    if result.verdict is Verdict.READY_TO_SCALE:
        assert all(s.state is State.PASS for s in result.segments)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 500), st.floats(0.41, 0.99), st.integers(0, 60))
def test_more_needed_is_the_smallest_total_that_settles_it(n, p, minimum):
    more = int(more_needed(np.array([p]), np.array([n]), 0.4, minimum, 0.95)[0])
    total = n + more
    assert total >= minimum
    assert stats.wilson_interval(p * total, total)[0] >= 0.4
    if total - 1 >= max(n, minimum, 1):
        assert stats.wilson_interval(p * (total - 1), total - 1)[0] < 0.4
