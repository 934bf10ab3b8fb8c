"""Answer errors in words a person can act on, shared by every web channel.

`surveys.validation` reports what is wrong as a code with parameters; this module turns that
into one short sentence in the reader's language, so the resident's question page and the
clerk's assisted-entry form say the same thing about the same mistake.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext, ngettext

from surveys.validation import CHOICE_LIKE, AnswerError


def plain_number(value: object) -> str:
    """30.000 → "30", 2.500 → "2.5": the stored precision is not what a person typed."""
    if isinstance(value, Decimal):
        text = format(value.normalize(), "f")
        return "0" if text in ("-0", "") else text
    return str(value)


def _out_of_range(params) -> str:
    low, high = params.get("min"), params.get("max")
    if low is not None and high is not None:
        return gettext("Enter a number from %(min)s to %(max)s") % {"min": plain_number(low), "max": plain_number(high)}
    if low is not None:
        return gettext("Enter a number of %(min)s or more") % {"min": plain_number(low)}
    if high is not None:
        return gettext("Enter a number of %(max)s or less") % {"max": plain_number(high)}
    return gettext("Enter a number, like 3")


def error_message(error: AnswerError, question=None) -> str:
    """The sentence shown beside the field and in the error summary.

    `question` (a Question or a QuestionSpec; anything with `kind`) lets a blank choice
    question ask the person to choose rather than to type.
    """
    kind = getattr(question, "kind", None)
    params = error.params
    match error.code:
        case "required":
            if kind in CHOICE_LIKE:
                return gettext("Choose an answer")
            return gettext("Answer this question")
        case "unknown_choice":
            return gettext("Choose one of the answers shown")
        case "not_a_number":
            return gettext("Enter a number, like 3")
        case "out_of_range":
            return _out_of_range(params)
        case "too_long":
            limit = int(params.get("limit", 0))
            length = int(params.get("length", 0))
            return ngettext(
                "Shorten your answer to %(limit)s character or fewer (it has %(length)s)",
                "Shorten your answer to %(limit)s characters or fewer (it has %(length)s)",
                limit,
            ) % {"limit": limit, "length": length}
        case "id_number":
            return gettext("Remove the ID card number: this survey does not need it, and CityLab does not keep them")
        case "exclusive":
            return gettext("“Prefer not to say” cannot be ticked with other answers")
        case "hidden":
            return gettext("This question does not apply to your earlier answers")
        case "unknown_question":
            return gettext("This question is not part of the survey")
    # A code added to validation before it gets its own words here: still a sentence, not a crash.
    return gettext("Check this answer")
