"""Every answer error has a sentence a person can act on, in both languages."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from surveys.messages import error_message, plain_number
from surveys.validation import AnswerError, QuestionSpec

NUMBER = QuestionSpec(key="trips", kind="number")
SINGLE = QuestionSpec(key="entry", kind="single")
TEXT = QuestionSpec(key="story", kind="long_text")


@pytest.mark.parametrize(
    ("error", "question", "english", "chinese"),
    [
        (AnswerError("required"), TEXT, "Answer this question", "请回答这个问题"),
        (AnswerError("required"), SINGLE, "Choose an answer", "请选择一个答案"),
        (AnswerError("required"), QuestionSpec(key="age", kind="age_band"), "Choose an answer", "请选择一个答案"),
        (AnswerError("required"), None, "Answer this question", "请回答这个问题"),
        (AnswerError("unknown_choice", {"value": "x"}), SINGLE, "Choose one of the answers shown", "请从列出的答案中选择"),
        (AnswerError("not_a_number", {"value": "four"}), NUMBER, "Enter a number, like 3", "请输入一个数字，例如 3"),
        (
            AnswerError("out_of_range", {"min": Decimal("0.000"), "max": Decimal("30.000")}), NUMBER,
            "Enter a number from 0 to 30", "请输入 0 到 30 之间的数字",
        ),
        (AnswerError("out_of_range", {"min": Decimal("1.500"), "max": None}), NUMBER, "Enter a number of 1.5 or more", "请输入不小于 1.5 的数字"),
        (AnswerError("out_of_range", {"min": None, "max": Decimal(10)}), NUMBER, "Enter a number of 10 or less", "请输入不大于 10 的数字"),
        (
            AnswerError("too_long", {"limit": 5000, "length": 100000}), TEXT,
            "Shorten your answer to 5000 characters or fewer (it has 100000)", "请把答案缩短到 5000 个字以内（现在有 100000 个字）",
        ),
        (
            AnswerError("exclusive"), None,
            "“Prefer not to say” cannot be ticked with other answers", "“不愿透露”不能和其他答案同时勾选",
        ),
        (AnswerError("hidden"), TEXT, "This question does not apply to your earlier answers", "根据您前面的回答，这个问题不需要回答"),
        (AnswerError("unknown_question"), None, "This question is not part of the survey", "问卷中没有这个问题"),
    ],
)
def test_each_error_reads_as_a_sentence(error, question, english, chinese):
    with translation.override("en"):
        assert error_message(error, question) == english
    with translation.override("zh-hans"):
        assert error_message(error, question) == chinese


def test_an_unknown_code_still_gets_a_sentence():
    with translation.override("en"):
        assert error_message(AnswerError("new_rule")) == "Check this answer"


@pytest.mark.parametrize(
    ("value", "text"),
    [(Decimal("30.000"), "30"), (Decimal("2.500"), "2.5"), (Decimal("0.000"), "0"), (Decimal("-1.250"), "-1.25"), (7, "7")],
)
def test_numbers_read_as_typed(value, text):
    assert plain_number(value) == text
