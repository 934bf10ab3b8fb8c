"""The survey definition file format: its names, its limits, its values, and the writer.

Other tools script against this format, so its names are a contract:

    {"slug", "title", "intro", "purpose", "status", "opens_at", "closes_at",
     "questions": [{"key", "kind", "text", "help", "required", "prefer_not_to_say",
                    "choices": [{"value", "label"}], "min", "max",
                    "show_if": {"question", "equals"}}]}

Every text is a string (Chinese, the default language) or {"zh-hans": …, "en": …}.

This module holds what both directions share: the constants, the frozen value types a definition
is read into (and `DefinitionError`, which reports what is wrong with one), and the writer that
turns a definition back into the file. Writing needs nothing else, so the ORM side
(`surveys.definitions`) exports from here alone. Reading, which checks every field and words
every problem, is the larger half and lives in `surveys.interchange`, on top of these types.

Django-free, like the reader. The constants mirror surveys.models and citylab.models; a test
keeps them equal.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from surveys.validation import PREFER_NOT_TO_SAY

KINDS = (
    "single", "multiple", "scale", "yes_no", "number", "short_text", "long_text",
    "age_band", "district", "community", "occupation",
)
SEGMENT_KINDS = frozenset({"age_band", "district", "community", "occupation"})
OWN_CHOICE_KINDS = frozenset({"single", "multiple"})
RANGE_KINDS = frozenset({"scale", "number"})
PURPOSES = ("needs", "pilot_evaluation")
STATUSES = ("draft", "open", "closed")
YES_NO = ("yes", "no")

# Field sizes of the models the definition is written to.
SLUG_LIMIT = 60
KEY_LIMIT = 40
VALUE_LIMIT = 64
TITLE_LIMIT = 200
QUESTION_LIMIT = 500
LABEL_LIMIT = 300
# Question.min_value/max_value: DecimalField(max_digits=12, decimal_places=3).
NUMBER_LIMIT = Decimal(10) ** 9
DECIMAL_PLACES = 3
SCALE_DEFAULT = (1, 5)
# A scale is read as a row of boxes on paper and on a phone: 0–10 is the widest in use.
SCALE_MAX_POINTS = 11

SLUG_PATTERN = re.compile(r"^[-a-zA-Z0-9_]+\Z")  # Django's SlugField
KEY_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_+-]*$")  # citylab.models.code_validator
# Pages beside the surveys under /staff/surveys/ (the builder's "new", our "import"): a survey
# with one of these slugs could not be reached.
RESERVED_SLUGS = frozenset({"import", "new"})

SURVEY_FIELDS = ("slug", "title", "intro", "purpose", "status", "opens_at", "closes_at", "questions")
QUESTION_FIELDS = (
    "key", "kind", "text", "help", "required", "prefer_not_to_say", "choices", "min", "max", "show_if",
)
CHOICE_FIELDS = ("value", "label")
SHOW_IF_FIELDS = ("question", "equals")
LANGUAGES = ("zh-hans", "en")


class DefinitionError(Exception):
    """The definition cannot be used as it is; `problems` says everything that is wrong."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


@dataclass(frozen=True)
class Text:
    """A text in Simplified Chinese (always there) and English (may be empty)."""

    zh: str
    en: str = ""


@dataclass(frozen=True)
class ChoiceDefinition:
    value: str
    label: Text


@dataclass(frozen=True)
class ShowIf:
    question: str  # key of an earlier question
    equals: str  # one of that question's values


@dataclass(frozen=True)
class QuestionDefinition:
    key: str
    kind: str
    text: Text
    help: Text = Text("")
    required: bool = True
    prefer_not_to_say: bool = False
    choices: tuple[ChoiceDefinition, ...] = ()
    # Scale: whole numbers, always set (1 and 5 when the file gives none). Number: optional.
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    show_if: ShowIf | None = None

    def values(self) -> tuple[str, ...] | None:
        """The answers this question can have, or None when the civic core decides (segments)
        or the answer is free (numbers, text)."""
        if self.kind in OWN_CHOICE_KINDS:
            own = tuple(c.value for c in self.choices)
        elif self.kind == "yes_no":
            own = YES_NO
        elif self.kind == "scale" and self.min_value is not None and self.max_value is not None:
            own = tuple(str(p) for p in range(int(self.min_value), int(self.max_value) + 1))
        else:
            return None
        return own + ((PREFER_NOT_TO_SAY,) if self.prefer_not_to_say else ())


@dataclass(frozen=True)
class SurveyDefinition:
    slug: str
    title: Text
    purpose: str
    intro: Text = Text("")
    status: str = "draft"
    opens_at: datetime | None = None
    closes_at: datetime | None = None
    questions: tuple[QuestionDefinition, ...] = ()


# --- Writing ----------------------------------------------------------------------------------


def _text_out(text: Text) -> str | dict[str, str]:
    return {"zh-hans": text.zh, "en": text.en} if text.en else text.zh


def _number_out(number: Decimal) -> int | float:
    # JSON has one number type; a whole number is written without ".0" so scales read 1 to 5.
    return int(number) if number == number.to_integral_value() else float(number)


def definition_to_dict(definition: SurveyDefinition) -> dict[str, object]:
    """The definition in the file format, fields in the format's order.

    Optional fields that only matter when set (dates, "prefer not to say", number ranges,
    conditions) are written only then, so that a simple survey gives a simple file.
    """
    out: dict[str, object] = {
        "slug": definition.slug,
        "title": _text_out(definition.title),
        "intro": _text_out(definition.intro),
        "purpose": definition.purpose,
        "status": definition.status,
    }
    if definition.opens_at:
        out["opens_at"] = definition.opens_at.isoformat()
    if definition.closes_at:
        out["closes_at"] = definition.closes_at.isoformat()
    out["questions"] = [_question_out(q) for q in definition.questions]
    return out


def _question_out(question: QuestionDefinition) -> dict[str, object]:
    out: dict[str, object] = {
        "key": question.key,
        "kind": question.kind,
        "text": _text_out(question.text),
        "help": _text_out(question.help),
        "required": question.required,
    }
    if question.prefer_not_to_say:
        out["prefer_not_to_say"] = True
    out["choices"] = [{"value": c.value, "label": _text_out(c.label)} for c in question.choices]
    if question.min_value is not None:
        out["min"] = _number_out(question.min_value)
    if question.max_value is not None:
        out["max"] = _number_out(question.max_value)
    if question.show_if is not None:
        out["show_if"] = {"question": question.show_if.question, "equals": question.show_if.equals}
    return out


def definition_to_json(definition: SurveyDefinition) -> str:
    """The file's text: readable Chinese (not \\u escapes), two-space indents, final newline."""
    return json.dumps(definition_to_dict(definition), ensure_ascii=False, indent=2) + "\n"
