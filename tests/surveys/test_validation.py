"""Answer rules, without a database."""

from __future__ import annotations

from decimal import Decimal

import pytest

from surveys.validation import PREFER_NOT_TO_SAY, QuestionSpec, clean_all, clean_one

SINGLE = QuestionSpec("transport", "single", choices=("bus", "walk", "taxi"), prefer_not_to_say=True)
MULTI = QuestionSpec("problems", "multiple", choices=("face", "card", "queue"), prefer_not_to_say=True)
SCALE = QuestionSpec("ease", "scale", choices=("1", "2", "3", "4", "5"))
NUMBER = QuestionSpec("trips", "number", min_value=Decimal(0), max_value=Decimal(50))
SHORT = QuestionSpec("name", "short_text", required=False)
LONG = QuestionSpec("story", "long_text", required=False)
USES = QuestionSpec("uses_app", "yes_no", choices=("yes", "no"))
WHY_NOT = QuestionSpec("why_not", "long_text", show_if=("uses_app", "no"))


@pytest.mark.parametrize(
    ("spec", "raw", "value"),
    [
        (SINGLE, " bus ", "bus"),
        (SINGLE, PREFER_NOT_TO_SAY, PREFER_NOT_TO_SAY),
        (MULTI, ["queue", "face", "face"], ("face", "queue")),  # choice order, no duplicates
        (SCALE, "4", "4"),
        (NUMBER, "１２", Decimal(12)),  # full-width digits from a Chinese keyboard
        (NUMBER, "2.5", Decimal("2.5")),
        (SHORT, "  王  ", "王"),
        (SINGLE, "", None),
        (MULTI, [], None),
    ],
)
def test_clean_values(spec, raw, value):
    assert clean_one(spec, raw) == (value, None)


@pytest.mark.parametrize(
    ("spec", "raw", "code"),
    [
        (SINGLE, "plane", "unknown_choice"),
        (SINGLE, ["bus", "walk"], "unknown_choice"),
        (MULTI, ["face", "plane"], "unknown_choice"),
        (MULTI, ["face", PREFER_NOT_TO_SAY], "exclusive"),
        (SCALE, "6", "unknown_choice"),
        (SCALE, PREFER_NOT_TO_SAY, "unknown_choice"),  # not offered on this question
        (NUMBER, "many", "not_a_number"),
        (NUMBER, "NaN", "not_a_number"),
        (NUMBER, "51", "out_of_range"),
        (NUMBER, "-1", "out_of_range"),
        (SHORT, "x" * 201, "too_long"),
        (LONG, "x" * 100_000, "too_long"),
    ],
)
def test_bad_values(spec, raw, code):
    value, error = clean_one(spec, raw)
    assert value is None and error.code == code


def test_whole_response_checks_required_and_unknown_questions():
    cleaned, errors = clean_all([SINGLE, NUMBER, SHORT], {"transport": "walk", "colour": "red"})
    assert cleaned == {"transport": "walk"}
    assert {k: e.code for k, e in errors.items()} == {"trips": "required", "colour": "unknown_question"}


def test_condition_shows_question_only_for_the_matching_answer():
    cleaned, errors = clean_all([USES, WHY_NOT], {"uses_app": "no"})
    assert errors["why_not"].code == "required"
    cleaned, errors = clean_all([USES, WHY_NOT], {"uses_app": "yes"})
    assert errors == {} and cleaned == {"uses_app": "yes"}


def test_answers_to_hidden_questions_are_dropped_or_refused():
    raw = {"uses_app": "yes", "why_not": "too small"}
    assert clean_all([USES, WHY_NOT], raw) == ({"uses_app": "yes"}, {})
    _, errors = clean_all([USES, WHY_NOT], raw, reject_hidden=True)
    assert errors["why_not"].code == "hidden"


def test_condition_on_a_multiple_choice_answer():
    follow = QuestionSpec("face_detail", "short_text", show_if=("problems", "face"))
    cleaned, errors = clean_all([MULTI, follow], {"problems": ["card", "face"], "face_detail": "glasses"})
    assert errors == {} and cleaned["face_detail"] == "glasses"
