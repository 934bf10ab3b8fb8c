"""CityLab keeps no national ID numbers: how they are recognised in text, and the answer rule
that refuses them on every survey channel. No database."""

from __future__ import annotations

import pytest
from django.utils import translation

from citylab.idnumbers import check_character, contains_national_id, is_national_id
from surveys.messages import error_message
from surveys.validation import QuestionSpec, clean_one

# The worked example of GB 11643-1999 (a Beijing number with the check character X), and a
# Guangdong number whose check digit was computed by hand from the standard's weights.
STANDARD_EXAMPLE = "11010519491231002X"
GUANGDONG = "440524188001010014"


def test_check_character_follows_the_standard():
    assert check_character(STANDARD_EXAMPLE[:17]) == "X"
    assert check_character(GUANGDONG[:17]) == "4"


@pytest.mark.parametrize("number", [STANDARD_EXAMPLE, STANDARD_EXAMPLE.lower(), GUANGDONG])
def test_valid_numbers(number):
    assert is_national_id(number)


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check character
    "110105194913310029",  # month 13
    "110105219912310021",  # born in the future
    "11010519491231002",  # 17 characters
    "1101051949123100X2",  # X out of place
])
def test_not_numbers(number):
    assert not is_national_id(number)


@pytest.mark.parametrize("text", [
    f"我的身份证号是{STANDARD_EXAMPLE}，电话13912345678",
    "身份证：１１０１０５１９４９１２３１００２Ｘ",  # full-width, as a Chinese keyboard types it
    "110105 19491231 002X",
    "110105-19491231-002x",
])
def test_found_inside_text(text):
    assert contains_national_id(text)


@pytest.mark.parametrize("text", [
    "",
    "电话 139 1234 5678，门牌 12 号",
    "订单号 110105194912310021",  # 18 digits, but the check digit is wrong
    f"银行卡 6222{STANDARD_EXAMPLE[:-1]}1",  # part of a longer number
    "2025年12月31日 10:00 到 11:00",
])
def test_other_numbers_are_left_alone(text):
    assert not contains_national_id(text)


@pytest.mark.parametrize("kind", ["short_text", "long_text"])
def test_text_answer_with_a_number_is_refused(kind):
    spec = QuestionSpec("story", kind, required=False)
    value, error = clean_one(spec, f"请联系我，身份证 {STANDARD_EXAMPLE}")
    assert value is None and error.code == "id_number"


def test_the_refusal_says_what_to_do_in_both_languages():
    spec = QuestionSpec("story", "long_text", required=False)
    _, error = clean_one(spec, STANDARD_EXAMPLE)
    with translation.override("en"):
        assert error_message(error, spec).startswith("Remove the ID card number")
    with translation.override("zh-hans"):
        assert "身份证" in error_message(error, spec)
