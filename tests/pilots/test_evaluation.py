"""A cycle's verdict from the database: imported counts, survey answers, or both."""

from __future__ import annotations

import pytest

from citylab.models import AgeBand, District, PopulationFigure
from pilots import stats
from pilots.evaluation import evaluate_cycle, segment_labels, survey_rows
from pilots.models import Cycle, Stage
from pilots.verdict_types import State, Verdict
from surveys.models import Channel, Choice, Kind, Purpose, Question, Status, Survey
from surveys.services import response_record


@pytest.fixture
def evaluation_survey(team, places) -> Survey:
    survey = Survey.objects.create(team=team, slug="app-check", title_zh="社区应用使用评估",
                                   title_en="Community app check", purpose=Purpose.PILOT_EVALUATION,
                                   status=Status.OPEN)
    for position, (key, kind) in enumerate([("age", Kind.AGE_BAND), ("district", Kind.DISTRICT)], start=1):
        Question.objects.create(survey=survey, key=key, kind=kind, text_zh=key, text_en=key, position=position,
                                prefer_not_to_say=key == "age")
    used = Question.objects.create(survey=survey, key="used", kind=Kind.SINGLE, text_zh="您用过吗？",
                                   text_en="Have you used it?", position=3, prefer_not_to_say=True)
    for position, value in enumerate(["weekly", "once", "never"], start=1):
        Choice.objects.create(question=used, value=value, label_zh=value, label_en=value, position=position)
    Question.objects.create(survey=survey, key="satisfied", kind=Kind.SCALE, text_zh="满意吗？", text_en="Satisfied?",
                            position=4, min_value=1, max_value=5, required=False)
    return survey


def answer(survey: Survey, age: str, district: str, used: str, score: str | None = None) -> None:
    answers = {"age": age, "district": district, "used": used}
    if score:
        answers["satisfied"] = score
    response_record(survey=survey, answers=answers, channel=Channel.WEB)


def survey_cycle(cycle: Cycle, survey: Survey) -> Cycle:
    cycle.survey = survey
    cycle.adoption_question = survey.questions.get(key="used")
    cycle.adopted_values = ["weekly", "once"]
    cycle.satisfaction_question = survey.questions.get(key="satisfied")
    cycle.satisfied_values = ["4", "5"]
    cycle.save()
    return cycle


def test_imported_counts_give_the_verdict(cycle, add_counts):
    add_counts(cycle, [("laocheng", "18-29", 120, 96, 80, 90), ("laocheng", "60-69", 150, 30, 20, 28)])
    result = evaluate_cycle(cycle).evaluation
    assert result.verdict is Verdict.KEEP_OPTIMIZING
    assert {(s.district, s.age_band): s.state for s in result.segments}[("laocheng", "60-69")] is State.BELOW
    assert result.satisfaction.n == 118


def test_a_cycle_without_figures_has_no_verdict_yet(cycle):
    assert evaluate_cycle(cycle).evaluation is None


def test_survey_answers_are_counted_per_segment_and_kept(cycle, evaluation_survey, django_assert_max_num_queries):
    survey_cycle(cycle, evaluation_survey)
    for _ in range(3):
        answer(evaluation_survey, "60-69", "laocheng", "weekly", "5")
    answer(evaluation_survey, "60-69", "laocheng", "never", "2")
    answer(evaluation_survey, "60-69", "laocheng", "prefer_not_to_say")  # not eligible: said nothing
    answer(evaluation_survey, "18-29", "xingang", "once")
    answer(evaluation_survey, "prefer_not_to_say", "xingang", "never", "4")
    rows = survey_rows(cycle)
    assert rows == [
        ("laocheng", "60-69", 4, 3, 3, 4),
        ("xingang", "", 1, 0, 1, 1),
        ("xingang", "18-29", 1, 1, 0, 0),
    ]
    # The next visit reads the kept counts (surveys.tallies): the cache entry, where the
    # survey's responses stand, and a count of those not settled yet (here all: seconds old).
    with django_assert_max_num_queries(3):
        assert survey_rows(cycle) == rows
    answer(evaluation_survey, "18-29", "xingang", "weekly", "1")
    assert survey_rows(cycle)[-1] == ("xingang", "18-29", 2, 2, 0, 1)


def test_survey_counts_do_not_grow_in_queries_with_responses(
    cycle, evaluation_survey, django_assert_num_queries, django_assert_max_num_queries
):
    survey_cycle(cycle, evaluation_survey)
    answer(evaluation_survey, "60-69", "laocheng", "weekly", "5")
    evaluate_cycle(cycle)  # the survey's counts are kept from here on
    # imported counts; the kept survey counts (cache, where the responses stand, the new ones);
    # population figures
    with django_assert_max_num_queries(5) as few:
        evaluate_cycle(cycle)
    for i in range(40):
        answer(evaluation_survey, ["18-29", "60-69"][i % 2], ["laocheng", "xingang"][i % 3 % 2], "weekly", "4")
    with django_assert_num_queries(len(few.captured_queries)):
        evaluate_cycle(cycle)


def test_imported_counts_give_adoption_and_the_survey_satisfaction(cycle, evaluation_survey, add_counts):
    survey_cycle(cycle, evaluation_survey)
    add_counts(cycle, [("laocheng", "18-29", 120, 96), ("laocheng", "60-69", 150, 120)])
    answer(evaluation_survey, "60-69", "laocheng", "never", "5")
    answer(evaluation_survey, "60-69", "laocheng", "weekly", "2")
    result = evaluate_cycle(cycle)
    assert (result.sources.adoption, result.sources.satisfaction) == ("counts", "survey")
    assert result.evaluation.adoption_pooled.n == 270
    assert (result.evaluation.satisfaction.estimate, result.evaluation.satisfaction.n) == (0.5, 2)


def test_population_figures_of_the_pilots_districts_weight_adoption(cycle, add_counts, places):
    old, port = places["districts"]
    bands = {b.code: b for b in AgeBand.objects.all()}
    PopulationFigure.objects.create(district=old, age_band=bands["18-29"], population=4000)
    PopulationFigure.objects.create(district=old, age_band=bands["60-69"], population=6000)
    PopulationFigure.objects.create(district=port, age_band=bands["60-69"], population=9000)  # not in the pilot
    add_counts(cycle, [("laocheng", "18-29", 200, 160, 90, 100), ("laocheng", "60-69", 100, 50, 80, 100)])
    result = evaluate_cycle(cycle).evaluation
    assert result.adoption_weighted.estimate == pytest.approx(0.4 * 0.8 + 0.6 * 0.5)
    assert result.adoption_pooled.estimate == pytest.approx(210 / 300)
    assert not result.notes  # New Harbour's figures are outside the pilot, not a gap in it


def test_changes_since_the_previous_cycle(pilot, cycle, add_counts):
    add_counts(cycle, [("laocheng", "60-69", 150, 30), ("laocheng", "18-29", 120, 90)])
    cycle.stage = Stage.OPTIMIZING
    cycle.save()
    second = Cycle.objects.create(pilot=pilot, number=2, stage=Stage.PILOTING)
    add_counts(second, [("laocheng", "60-69", 150, 112, 90, 100), ("laocheng", "18-29", 120, 100, 90, 100)])
    result = evaluate_cycle(second, previous=cycle).evaluation
    older = next(c for c in result.changes if c.age_band == "60-69")
    low, high = stats.newcombe_interval(112, 150, 30, 150)
    assert (older.low, older.high) == pytest.approx((low, high))
    assert older.significant


def test_segment_labels_name_codes_in_the_current_language(places, settings):
    from django.utils import translation

    with translation.override("en"):
        labels = segment_labels()
    assert labels["laocheng"] == "Old Town" and labels["70+"] == AgeBand.objects.get(code="70+").name
    assert District.objects.count() == 2


def test_an_imported_segment_without_ratings_counts_as_nobody_rated(cycle, add_counts):
    add_counts(cycle, [("laocheng", "18-29", 120, 96, 80, 90)])
    add_counts(cycle, [("laocheng", "60-69", 150, 120)])  # the operator had no ratings there
    result = evaluate_cycle(cycle).evaluation
    assert (result.satisfaction.estimate, result.satisfaction.n) == (pytest.approx(80 / 90), 90)
