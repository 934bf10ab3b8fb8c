"""The resident's path through a survey: which question comes next, which came before.

Pure functions over plain specs and the answers so far, so that conditions ("only if you
answered no") are followed the same way going forward, going back and when checking answers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from surveys.validation import QuestionSpec, Value, is_shown


def typed(answers: Mapping[str, object]) -> dict[str, Value]:
    """Stored progress (JSON: strings and lists) in the shape the validation rules use."""
    return {key: tuple(v) if isinstance(v, list) else v for key, v in answers.items()}  # type: ignore[misc]


def visible(specs: Sequence[QuestionSpec], answers: Mapping[str, object]) -> list[QuestionSpec]:
    """Questions asked, given the answers so far (a condition looks only at earlier answers)."""
    shown: list[QuestionSpec] = []
    values = typed(answers)
    asked: dict[str, Value] = {}
    for spec in specs:
        if is_shown(spec, asked):
            shown.append(spec)
            if spec.key in values:
                asked[spec.key] = values[spec.key]
    return shown


def next_key(specs: Sequence[QuestionSpec], answers: Mapping[str, object], after: str | None) -> str | None:
    """The next question to ask after `after` (or the first), or None when all are asked."""
    keys = [spec.key for spec in visible(specs, answers)]
    if after is None:
        return keys[0] if keys else None
    if after in keys:
        index = keys.index(after) + 1
        return keys[index] if index < len(keys) else None
    return None


def previous_key(specs: Sequence[QuestionSpec], answers: Mapping[str, object], before: str) -> str | None:
    keys = [spec.key for spec in visible(specs, answers)]
    if before in keys and keys.index(before) > 0:
        return keys[keys.index(before) - 1]
    return None


def first_unseen(specs: Sequence[QuestionSpec], answers: Mapping[str, object], seen: Sequence[str]) -> str | None:
    """The first asked question the resident has not been shown yet (optional ones included)."""
    for spec in visible(specs, answers):
        if spec.key not in seen:
            return spec.key
    return None


def stored(value: Value) -> object:
    """A clean value as it is kept in progress (JSON)."""
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return value
