"""Find resident identity card numbers (居民身份证号码) in free text. Django-free.

CityLab never needs to know who a resident is, only their segment, so it stores no national
ID numbers anywhere: not as a field, and not inside what people type. Residents, officers and
clerks sometimes write one into a text box out of habit (many offline forms ask for it); the
text channels refuse such text with a message instead of keeping it.

A number counts when it has the shape of the 18-character card number (GB 11643-1999): six
region digits, a real date of birth, three sequence digits and the ISO 7064 MOD 11-2 check
character, which rules out almost every other 18-digit number (order numbers, bank cards).
Full-width digits and spaces or dashes between groups, as typed on phones, are seen through.
The old 15-digit numbers have no check digit and look like many other numbers; they are left.
"""

from __future__ import annotations

import datetime
import re
import unicodedata

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
# 18 characters, optionally grouped 6-8-4 with spaces or dashes, not inside a longer number.
_CANDIDATE = re.compile(r"(?<![0-9])(\d{6})[ -]?(\d{8})[ -]?(\d{3}[0-9Xx])(?![0-9A-Za-z])")


def check_character(first17: str) -> str:
    """The 18th character of a card number whose first 17 digits are given."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def _plausible_birth_date(digits: str) -> bool:
    try:
        born = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return datetime.date(1880, 1, 1) <= born <= datetime.date.today()


def is_national_id(number: str) -> bool:
    """True for a well-formed 18-character number with a valid date and check character."""
    number = number.upper()
    if len(number) != 18 or not number[:17].isdigit():
        return False
    return _plausible_birth_date(number[6:14]) and check_character(number[:17]) == number[17]


def contains_national_id(text: str) -> bool:
    """True when the text holds an identity card number anywhere in it."""
    if not text:
        return False
    plain = unicodedata.normalize("NFKC", text)
    return any(is_national_id("".join(match.groups())) for match in _CANDIDATE.finditer(plain))
