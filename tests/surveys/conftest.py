"""A survey with one question of every kind, owned by the persona team."""

from __future__ import annotations

from decimal import Decimal

import pytest

from citylab.models import Occupation
from surveys.models import Choice, Kind, Purpose, Question, Status, Survey


def add_question(survey: Survey, key: str, kind: str, text_zh: str, text_en: str, **fields) -> Question:
    choices = fields.pop("choices", [])
    question = Question.objects.create(
        survey=survey, key=key, kind=kind, text_zh=text_zh, text_en=text_en,
        position=survey.questions.count() + 1, **fields,
    )
    for position, (value, zh, en) in enumerate(choices, start=1):
        Choice.objects.create(question=question, value=value, label_zh=zh, label_en=en, position=position)
    return question


@pytest.fixture
def occupations(db):
    return [
        Occupation.objects.create(code="retired", name_zh="退休", name_en="Retired", order=1),
        Occupation.objects.create(code="office", name_zh="办公室职员", name_en="Office work", order=2),
    ]


@pytest.fixture
def survey(team, places, occupations) -> Survey:
    return make_door_access_survey(team)


def make_door_access_survey(team) -> Survey:
    """新门禁系统需求调查 — every question kind, one condition, one prefer-not-to-say.

    A plain function as well as the fixture, for tests that build their data once per module."""
    s = Survey.objects.create(
        team=team, slug="door-access", title_zh="社区新门禁需求调查", title_en="Community door access needs",
        intro_zh="我们想知道新的门禁系统对您是否方便。", intro_en="Tell us whether the new door system works for you.",
        purpose=Purpose.NEEDS, status=Status.OPEN,
    )
    add_question(s, "age", Kind.AGE_BAND, "您的年龄段是？", "Your age band?", prefer_not_to_say=True)
    add_question(s, "district", Kind.DISTRICT, "您住在哪个区？", "Which district do you live in?")
    add_question(s, "community", Kind.COMMUNITY, "您住在哪个社区？", "Which community?", required=False)
    add_question(s, "occupation", Kind.OCCUPATION, "您的职业是？", "Your occupation?", required=False)
    uses = add_question(s, "uses_phone", Kind.YES_NO, "您平时用智能手机吗？", "Do you use a smartphone?")
    add_question(
        s, "entry", Kind.SINGLE, "您现在怎样进出小区大门？", "How do you get through the gate now?",
        choices=[("card", "门禁卡", "Key card"), ("face", "刷脸", "Face recognition"), ("guard", "保安开门", "The guard opens it")],
    )
    add_question(
        s, "problems", Kind.MULTIPLE, "使用新门禁时遇到过哪些困难？", "Which problems have you had?", required=False,
        prefer_not_to_say=True,
        choices=[("slow", "识别太慢", "Too slow"), ("glasses", "戴眼镜认不出", "Fails with glasses"), ("small", "屏幕字太小", "Text too small")],
    )
    add_question(
        s, "ease", Kind.SCALE, "新门禁好用吗？", "How easy is the new door?", min_value=1, max_value=5,
        choices=[("1", "很难用", "Very hard"), ("5", "很好用", "Very easy")],
    )
    add_question(s, "trips", Kind.NUMBER, "您每天进出几次？", "How many times a day do you go in or out?",
                 min_value=Decimal(0), max_value=Decimal(30))
    add_question(s, "app_name", Kind.SHORT_TEXT, "您用哪个手机应用开门？", "Which app do you open it with?",
                 show_if_question=uses, show_if_equals="yes", required=False)
    add_question(s, "story", Kind.LONG_TEXT, "还有什么想告诉我们的？", "Anything else to tell us?", required=False)
    return s


@pytest.fixture
def full_answers() -> dict[str, object]:
    return {
        "age": "70+", "district": "laocheng", "community": "dengta", "occupation": "retired",
        "uses_phone": "yes", "entry": "face", "problems": ["glasses", "small"], "ease": "2",
        "trips": "4", "app_name": "社区通", "story": "字太小，看不清。",
    }
