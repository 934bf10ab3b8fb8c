"""Check answers against their questions. Django-free: plain specs in, clean values or errors out.

Every channel (web page, paper scan, clerk's form, import) goes through the same rules, so a
tampered post, a misread bubble and a typo all meet the same checks. Errors carry a code and
parameters, not sentences: the web layer words them in the reader's language.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from citylab.idnumbers import contains_national_id

PREFER_NOT_TO_SAY = "prefer_not_to_say"
SHORT_TEXT_LIMIT = 200
LONG_TEXT_LIMIT = 5000
CHOICE_LIKE = frozenset({"single", "multiple", "scale", "yes_no", "age_band", "district", "community", "occupation"})

Value = str | Decimal | tuple[str, ...]


@dataclass(frozen=True)
class QuestionSpec:
    key: str
    kind: str
    required: bool = True
    # Allowed values for choice-like kinds, in display order (scale points included).
    choices: tuple[str, ...] = ()
    prefer_not_to_say: bool = False
    min_value: Decimal | None = None
    max_value: Decimal | None = None
    show_if: tuple[str, str] | None = None  # (question key, value it must equal)

    @property
    def text_limit(self) -> int:
        return LONG_TEXT_LIMIT if self.kind == "long_text" else SHORT_TEXT_LIMIT

    def allowed(self) -> tuple[str, ...]:
        return self.choices + ((PREFER_NOT_TO_SAY,) if self.prefer_not_to_say else ())


@dataclass(frozen=True)
class AnswerError:
    code: str  # required, unknown_choice, not_a_number, out_of_range, too_long, id_number, exclusive, hidden
    params: Mapping[str, object] = field(default_factory=dict)


def _clean_text(raw: object) -> str:
    # NUL cannot be typed, means nothing, and PostgreSQL refuses it in text and jsonb (the
    # save would fail): dropped here, for every channel, rather than refused with a message.
    return raw.replace("\x00", "").strip() if isinstance(raw, str) else ""


def _as_list(raw: object) -> list[str]:
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw] if raw.strip() else []
    if isinstance(raw, Sequence):
        return [item for item in raw if isinstance(item, str) and item.strip()]
    return []


def clean_one(spec: QuestionSpec, raw: object) -> tuple[Value | None, AnswerError | None]:
    """One question's answer: (clean value, None), (None, None) when blank, or (None, error)."""
    if spec.kind == "multiple":
        values = list(dict.fromkeys(v.strip() for v in _as_list(raw)))
        if not values:
            return None, None
        unknown = [v for v in values if v not in spec.allowed()]
        if unknown:
            return None, AnswerError("unknown_choice", {"value": unknown[0]})
        if PREFER_NOT_TO_SAY in values and len(values) > 1:
            return None, AnswerError("exclusive")
        order = {v: i for i, v in enumerate(spec.allowed())}
        return tuple(sorted(values, key=order.__getitem__)), None
    if isinstance(raw, (list, tuple)):
        if len(raw) > 1:
            return None, AnswerError("unknown_choice", {"value": ", ".join(map(str, raw))})
        raw = raw[0] if raw else None
    if spec.kind in CHOICE_LIKE:
        value = raw.strip() if isinstance(raw, str) else ""
        if not value:
            return None, None
        if value not in spec.allowed():
            return None, AnswerError("unknown_choice", {"value": value})
        return value, None
    text = _clean_text(raw)
    if not text:
        return None, None
    if spec.kind == "number":
        # Full-width digits from Chinese input methods become plain ones (only here: in text
        # answers, full-width punctuation is the resident's own writing).
        plain = unicodedata.normalize("NFKC", text).replace(",", "")
        try:
            number = Decimal(plain)
        except InvalidOperation:
            return None, AnswerError("not_a_number", {"value": text})
        if not number.is_finite():
            return None, AnswerError("not_a_number", {"value": text})
        if (spec.min_value is not None and number < spec.min_value) or (
            spec.max_value is not None and number > spec.max_value
        ):
            return None, AnswerError("out_of_range", {"min": spec.min_value, "max": spec.max_value})
        return number, None
    if len(text) > spec.text_limit:
        return None, AnswerError("too_long", {"limit": spec.text_limit, "length": len(text)})
    if contains_national_id(text):
        # CityLab keeps no national ID numbers (see citylab.idnumbers): refused, never stored.
        return None, AnswerError("id_number")
    return text, None


def is_shown(spec: QuestionSpec, answers: Mapping[str, Value]) -> bool:
    """A question with a condition is asked only when the earlier answer matches."""
    if spec.show_if is None:
        return True
    other = answers.get(spec.show_if[0])
    if isinstance(other, tuple):
        return spec.show_if[1] in other
    return other is not None and str(other) == spec.show_if[1]


def clean_all(
    specs: Sequence[QuestionSpec], raw: Mapping[str, object], *, reject_hidden: bool = False
) -> tuple[dict[str, Value], dict[str, AnswerError]]:
    """Every answer of a whole response, in question order.

    Answers to questions hidden by their condition are dropped (a resident may have changed an
    earlier answer); with `reject_hidden` they are an error instead, for channels where
    answering a hidden question can only be a mistake or a tampered post.
    Answers to keys that are not questions of the survey are errors.
    """
    cleaned: dict[str, Value] = {}
    errors: dict[str, AnswerError] = {}
    known = {spec.key for spec in specs}
    for key in raw:
        if key not in known:
            errors[key] = AnswerError("unknown_question")
    for spec in specs:
        value, error = clean_one(spec, raw.get(spec.key))
        if not is_shown(spec, cleaned):
            if reject_hidden and (value is not None or error is not None):
                errors[spec.key] = AnswerError("hidden")
            continue
        if error is not None:
            errors[spec.key] = error
        elif value is None:
            if spec.required:
                errors[spec.key] = AnswerError("required")
        else:
            cleaned[spec.key] = value
    return cleaned, errors
