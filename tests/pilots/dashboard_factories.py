"""Pilots with figures for the dashboard tests: imported counts over two cycles, and an
evaluation survey whose answers arrive through several channels."""

from __future__ import annotations

import itertools

import pytest

from citylab.models import AgeBand, District
from pilots.models import Cycle, Stage
from surveys.models import Answer, Channel, Choice, Kind, Purpose, Question, Response, Status, Survey

CYCLE_1 = [("laocheng", "18-29", 120, 90), ("laocheng", "60-69", 150, 30), ("xingang", "18-29", 80, 60),
           ("xingang", "70+", 3, 1)]
CYCLE_2 = [("laocheng", "18-29", 120, 100, 90, 100), ("laocheng", "60-69", 150, 112, 90, 100),
           ("xingang", "18-29", 80, 62, 50, 60), ("xingang", "70+", 4, 2, 1, 2)]


@pytest.fixture
def two_cycles(pilot, cycle, add_counts) -> tuple[Cycle, Cycle]:
    add_counts(cycle, CYCLE_1)
    cycle.stage = Stage.OPTIMIZING
    cycle.save()
    second = Cycle.objects.create(pilot=pilot, number=2, stage=Stage.PILOTING)
    add_counts(second, CYCLE_2)
    return cycle, second


@pytest.fixture
def evaluation_survey(team, places) -> Survey:
    survey = Survey.objects.create(team=team, slug="app-check", title_zh="社区应用使用评估", title_en="Community app check",
                                   purpose=Purpose.PILOT_EVALUATION, status=Status.OPEN)
    used = Question.objects.create(survey=survey, key="used", kind=Kind.SINGLE, text_zh="您用过吗？",
                                   text_en="Have you used it?", position=1, prefer_not_to_say=True)
    for position, value in enumerate(["weekly", "once", "never"], start=1):
        Choice.objects.create(question=used, value=value, label_zh=value, label_en=value, position=position)
    Question.objects.create(survey=survey, key="satisfied", kind=Kind.SCALE, text_zh="满意吗？", text_en="Satisfied?",
                            position=2, min_value=1, max_value=5, required=False)
    return survey


def make_survey_cycle(pilot, survey: Survey, number: int = 1) -> Cycle:
    return Cycle.objects.create(
        pilot=pilot, number=number, stage=Stage.PILOTING, survey=survey,
        adoption_question=survey.questions.get(key="used"), adopted_values=["weekly", "once"],
        satisfaction_question=survey.questions.get(key="satisfied"), satisfied_values=["4", "5"],
    )


@pytest.fixture
def survey_cycle(pilot, evaluation_survey) -> Cycle:
    """A cycle evaluated by the survey only (no imported counts)."""
    return make_survey_cycle(pilot, evaluation_survey)


def add_responses(survey: Survey, n: int, *, seed: int = 0) -> None:
    """n responses spread over both districts, three age bands and three channels, in bulk."""
    districts = list(District.objects.order_by("code"))
    bands = list(AgeBand.objects.filter(code__in=["18-29", "60-69", "70+"]).order_by("min_age"))
    channels = [Channel.WEB, Channel.PAPER, Channel.ASSISTED]
    used = survey.questions.get(key="used")
    satisfied = survey.questions.get(key="satisfied")
    combos = itertools.cycle(itertools.product(districts, bands, channels))
    responses = []
    for i in range(n):
        district, band, channel = next(combos)
        responses.append(Response(survey=survey, survey_version=survey.version, channel=channel, district=district,
                                  age_band=band))
    Response.objects.bulk_create(responses)
    created = Response.objects.filter(survey=survey).order_by("-pk")[:n]
    answers = []
    for i, response in enumerate(created):
        k = i + seed
        answers.append(Answer(response=response, question=used, value=["weekly", "once", "never", "never"][k % 4]))
        answers.append(Answer(response=response, question=satisfied, value=str(k % 5 + 1)))
    Answer.objects.bulk_create(answers)
