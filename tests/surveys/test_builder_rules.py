"""The builder's rules: what makes a question valid, and what may no longer change once
residents have answered (the stored answers must keep meaning what they meant)."""

from __future__ import annotations

from decimal import Decimal
from http import HTTPStatus

import pytest

from surveys.builder import meaning_change
from surveys.forms import parse_choices
from surveys.models import Kind, Question, Survey
from surveys.services import response_record
from tests.surveys.conftest import add_question
from tests.surveys.test_builder import question_data

DUPLICATE_OFFER = "Duplicate this survey to change it."


@pytest.fixture
def answered(survey, full_answers) -> Survey:
    response_record(survey=survey, answers=full_answers, channel="web")
    return survey


@pytest.fixture
def english(client, planner):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    return client


def q(survey: Survey, key: str) -> Question:
    return survey.questions.get(key=key)


def edit(client, survey: Survey, question_key: str, **changes):
    question = q(survey, question_key)
    return client.post(f"/staff/surveys/{survey.slug}/questions/{question.pk}/edit/", question_data(question, **changes))


def snapshot(survey: Survey) -> list[tuple]:
    """Everything that gives stored answers their meaning."""
    return [
        (x.key, x.kind, x.required, x.prefer_not_to_say, x.min_value, x.max_value, x.show_if_question_id,
         x.show_if_equals, tuple(x.choices.values_list("value", flat=True)))
        for x in survey.questions.order_by("position", "pk")
    ]


# --- Once a survey has responses ---------------------------------------------------------------

REFUSED_EDITS = {
    "kind": ("entry", {"kind": "multiple"}, "the kind of question “entry” cannot change"),
    "key": ("entry", {"key": "gate"}, "the key “entry” cannot change"),
    "choice removed": ("entry", {"choices": "card | 门禁卡 | Key card\nface | 刷脸 | Face recognition"},
                       "the choice “guard” of question “entry” cannot be removed"),
    "choice value changed": ("entry", {"choices": "card | 门禁卡\nface_id | 刷脸\nguard | 保安开门"},
                             "the choice “face” of question “entry” cannot be removed or given another value"),
    "scale max": ("ease", {"max_value": "7"}, "the points of scale “ease” cannot change"),
    "scale min": ("ease", {"min_value": "0"}, "the points of scale “ease” cannot change"),
    "condition changed": ("app_name", {"show_if_equals": "no"}, "the condition of question “app_name” cannot change"),
    "condition removed": ("app_name", {"show_if_question": "", "show_if_equals": ""},
                          "the condition of question “app_name” cannot change"),
    "prefer not to say removed": ("age", {"prefer_not_to_say": ""}, "“prefer not to say” cannot be removed"),
    "made required": ("story", {"required": "on"}, "question “story” cannot become required"),
}


@pytest.mark.parametrize("rule", list(REFUSED_EDITS))
def test_edits_that_change_meaning_are_refused_once_answered(english, answered, rule):
    key, changes, message = REFUSED_EDITS[rule]
    before = snapshot(answered)
    response = edit(english, answered, key, **changes)
    assert response.status_code == HTTPStatus.OK
    assert message in response.text and DUPLICATE_OFFER in response.text
    assert f"/staff/surveys/{answered.slug}/duplicate/" in response.text  # the way out, one button away
    assert snapshot(answered) == before


def test_adding_a_condition_is_refused_once_answered(english, answered):
    response = edit(english, answered, "story", show_if_question=q(answered, "uses_phone").pk, show_if_equals="yes")
    assert "the condition of question “story” cannot change" in response.text
    assert q(answered, "story").show_if_question is None


def test_deleting_a_question_is_refused_once_answered(english, answered):
    story = q(answered, "story")
    page = english.get(f"/staff/surveys/door-access/questions/{story.pk}/delete/").text
    assert "question “story” cannot be deleted" in page and DUPLICATE_OFFER in page
    assert "/duplicate/" in page
    response = english.post(f"/staff/surveys/door-access/questions/{story.pk}/delete/")
    assert response.status_code == HTTPStatus.FOUND
    assert "question “story” cannot be deleted" in english.get(response["Location"]).text
    response = english.post(f"/staff/surveys/door-access/questions/{story.pk}/delete/", HTTP_HX_REQUEST="true")
    assert "question “story” cannot be deleted" in response.text and 'role="alert"' in response.text
    assert answered.questions.filter(pk=story.pk).exists()


def test_adding_a_required_question_is_refused_once_answered(english, answered):
    url = "/staff/surveys/door-access/questions/new/"
    page = english.get(url + "?kind=yes_no").text
    assert 'name="required"' in page and 'name="required" checked' not in page  # optional by default
    data = {"kind": "yes_no", "key": "has_card", "text_zh": "您有门禁卡吗？", "required": "on"}
    response = english.post(url, data)
    assert "a new question must be optional" in response.text and DUPLICATE_OFFER in response.text
    assert not answered.questions.filter(key="has_card").exists()
    response = english.post(url, {**data, "required": ""})
    assert response.status_code == HTTPStatus.FOUND
    assert answered.questions.filter(key="has_card", required=False).exists()


def test_wording_new_choices_and_number_limits_stay_allowed_once_answered(english, answered):
    version = answered.version
    response = edit(
        english, answered, "entry",
        text_zh="您平时怎样进出小区大门？", text_en="How do you usually get through the gate?", help_zh="选最常用的一种。",
        choices="card | 门禁卡片 | Key card\nface | 刷脸 | Face scan\nguard | 保安开门 | Guard opens\napp | 手机开门 | Phone app",
    )
    assert response.status_code == HTTPStatus.FOUND
    entry = q(answered, "entry")
    assert entry.text_zh == "您平时怎样进出小区大门？"
    assert list(entry.choices.values_list("value", "label_zh")) == [
        ("card", "门禁卡片"), ("face", "刷脸"), ("guard", "保安开门"), ("app", "手机开门"),
    ]
    assert edit(english, answered, "trips", max_value="40").status_code == HTTPStatus.FOUND
    assert edit(english, answered, "ease", choices="1 | 非常难用 | Very hard\n5 | 非常好用 | Very easy").status_code == 302
    assert edit(english, answered, "story", required="").status_code == HTTPStatus.FOUND
    answered.refresh_from_db()
    assert answered.version == version  # nothing stored changed meaning


def test_reordering_stays_allowed_once_answered(english, answered):
    story = q(answered, "story")
    english.post(f"/staff/surveys/door-access/questions/{story.pk}/move/", {"direction": "up"})
    assert list(answered.questions.order_by("position").values_list("key", flat=True))[-2:] == ["story", "app_name"]


def test_builder_says_the_survey_is_locked(english, answered):
    html = english.get("/staff/surveys/door-access/").text
    assert "This survey has 1 response." in html and DUPLICATE_OFFER in html


# --- The rule itself ---------------------------------------------------------------------------


def test_meaning_change_is_none_for_wording(survey):
    entry = q(survey, "entry")
    data = {"key": "entry", "kind": "single", "required": True, "text_zh": "改了", "show_if_question": None,
            "choices": [("card", "卡", ""), ("face", "脸", ""), ("guard", "保安", ""), ("new", "新", "")]}
    assert meaning_change(entry, data) is None
    assert meaning_change(None, {"required": False}) is None


@pytest.mark.parametrize(
    ("key", "changes", "fragment"),
    [
        ("entry", {"kind": "multiple"}, "kind"),
        ("entry", {"key": "gate"}, "key"),
        ("entry", {"choices": [("card", "卡", "")]}, "choice"),
        ("ease", {"max_value": Decimal(4)}, "scale"),
        ("app_name", {"show_if_equals": "no"}, "condition"),
        ("story", {"required": True}, "required"),
        ("age", {"prefer_not_to_say": False}, "prefer not to say"),
    ],
)
def test_meaning_change_names_what_would_change(survey, key, changes, fragment):
    question = q(survey, key)
    data = {
        "key": question.key, "kind": question.kind, "required": question.required,
        "prefer_not_to_say": question.prefer_not_to_say, "min_value": question.min_value,
        "max_value": question.max_value, "show_if_question": question.show_if_question,
        "show_if_equals": question.show_if_equals,
        "choices": [(c.value, c.label_zh, c.label_en) for c in question.choices.all()], **changes,
    }
    assert fragment in meaning_change(question, data)
    assert meaning_change(question, None) is not None  # deleting always would


def test_meaning_changes_before_any_response_raise_the_version(client, planner, survey):
    client.force_login(planner)
    assert edit(client, survey, "entry", text_zh="新的措辞").status_code == HTTPStatus.FOUND
    survey.refresh_from_db()
    assert survey.version == 1
    assert edit(client, survey, "entry", kind="multiple").status_code == HTTPStatus.FOUND
    survey.refresh_from_db()
    assert survey.version == 2 and q(survey, "entry").kind == Kind.MULTIPLE


# --- Validation ---------------------------------------------------------------------------------


@pytest.fixture
def draft(team) -> Survey:
    s = Survey.objects.create(team=team, slug="bus-stops", title_zh="公交站需求调查")
    add_question(s, "uses_bus", Kind.YES_NO, "您坐公交车吗？", "Do you take the bus?")
    add_question(s, "stop", Kind.SINGLE, "您常用哪个车站？", "Which stop?",
                 choices=[("north", "北站", "North"), ("south", "南站", "South")])
    add_question(s, "comment", Kind.LONG_TEXT, "还有什么建议？", "Anything else?", required=False)
    return s


def add(client, data):
    return client.post("/staff/surveys/bus-stops/questions/new/", {"text_zh": "题目", "required": "on", **data})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"kind": "yes_no", "key": "stop"}, "Another question of this survey already has the key “stop”"),
        ({"kind": "yes_no", "key": "Has Card"}, "Use lower-case letters"),
        ({"kind": "single", "key": "x", "choices": ""}, "A single choice question needs at least two choices"),
        ({"kind": "single", "key": "x", "choices": "a | 甲"}, "A single choice question needs at least two choices"),
        ({"kind": "multiple", "key": "x", "choices": "\n \n"}, "A multiple choice question needs at least one choice"),
        ({"kind": "number", "key": "x", "min_value": "10", "max_value": "2"},
         "The minimum (10) is greater than the maximum (2)."),
        ({"kind": "scale", "key": "x", "min_value": "5", "max_value": "1"},
         "The minimum (5) is greater than the maximum (1)."),
        ({"kind": "scale", "key": "x", "min_value": "1", "max_value": ""}, "A scale needs a minimum and a maximum"),
        ({"kind": "scale", "key": "x", "min_value": "1.5", "max_value": "5"}, "whole numbers"),
        ({"kind": "scale", "key": "x", "min_value": "0", "max_value": "20"}, "at most 11 points"),
        ({"kind": "scale", "key": "x", "min_value": "1", "max_value": "5", "choices": "9 | 九"},
         "“9” is not a point of this scale (1 to 5)."),
        ({"kind": "age_band", "key": "x", "choices": "young | 年轻"},
         "“Age band” questions take their answers from the city"),
        ({"kind": "district", "key": "x", "choices": "old | 老城"},
         "“District” questions take their answers from the city"),
        ({"kind": "yes_no", "key": "x", "choices": "maybe | 也许"}, "“Yes or no” questions have no choices of their own"),
        ({"kind": "single", "key": "x", "choices": "a | 甲\njust-a-value"}, "Line 2: write the value, a bar"),
        ({"kind": "single", "key": "x", "choices": "a | 甲\na | 乙"}, "Line 2: the value “a” is used twice"),
        ({"kind": "single", "key": "x", "choices": "a b | 甲\nc | 乙"}, "Line 1: the value “a b” must be one word"),
        ({"kind": "yes_no", "key": "x", "show_if_question": "uses_bus", "show_if_equals": "maybe"},
         "“maybe” is not an answer question “uses_bus” can take. Its answers are: yes, no."),
        ({"kind": "yes_no", "key": "x", "show_if_question": "uses_bus", "show_if_equals": ""},
         "Give the answer to “uses_bus” that shows this question."),
        ({"kind": "yes_no", "key": "x", "show_if_question": "comment", "show_if_equals": "yes"},
         "Question “comment” takes free answers"),
        ({"kind": "yes_no", "key": "x", "show_if_question": "", "show_if_equals": "yes"},
         "Choose the question whose answer shows this one"),
    ],
)
def test_new_question_errors_a_planner_can_act_on(english, draft, data, message):
    if data.get("show_if_question"):
        data = {**data, "show_if_question": q(draft, data["show_if_question"]).pk}
    before = Question.objects.count()
    response = add(english, data)
    assert response.status_code == HTTPStatus.OK
    assert "There is a problem" in response.text and message in response.text
    assert "<title>Error:" in response.text
    assert Question.objects.count() == before


def test_condition_must_point_to_an_earlier_question(english, draft):
    response = edit(english, draft, "stop", show_if_question=q(draft, "comment").pk, show_if_equals="x")
    assert "The condition must use an earlier question: “comment” comes after this one." in response.text
    # And the list offers only earlier questions with fixed answers.
    page = english.get(f"/staff/surveys/bus-stops/questions/{q(draft, 'stop').pk}/edit/").text
    select = page[page.index('name="show_if_question"'):]
    select = select[: select.index("</select>")]
    assert "您坐公交车吗？" in select and "还有什么建议？" not in select


def test_condition_with_a_valid_earlier_answer_is_saved(english, draft):
    response = edit(english, draft, "comment", show_if_question=q(draft, "stop").pk, show_if_equals="south")
    assert response.status_code == HTTPStatus.FOUND
    comment = q(draft, "comment")
    assert (comment.show_if_question.key, comment.show_if_equals) == ("stop", "south")


def test_a_condition_question_keeps_the_answer_others_depend_on(english, draft):
    edit(english, draft, "comment", show_if_question=q(draft, "stop").pk, show_if_equals="south")
    response = edit(english, draft, "stop", choices="north | 北站\neast | 东站")
    assert "Question “comment” is shown only when this one is answered “south”" in response.text
    response = edit(english, draft, "stop", kind="short_text", choices="")
    assert "Question “comment” is shown only when this one is answered “south”" in response.text
    assert q(draft, "stop").kind == Kind.SINGLE


def test_changing_kind_clears_what_the_new_kind_does_not_use(english, draft):
    stop = q(draft, "stop")
    response = edit(english, draft, "stop", kind="short_text")
    assert "“Short text” questions have no choices of their own: empty the list of choices." in response.text
    response = edit(english, draft, "stop", kind="short_text", choices="", min_value="1", max_value="3")
    assert response.status_code == HTTPStatus.FOUND
    stop.refresh_from_db()
    assert (stop.kind, stop.min_value, stop.max_value, stop.choices.count()) == (Kind.SHORT_TEXT, None, None, 0)


def test_choice_lines_accept_full_width_bars_and_blank_lines():
    assert parse_choices("a ｜ 甲 ｜ A\n\n b|乙 ", kind="single") == [("a", "甲", "A"), ("b", "乙", "")]
