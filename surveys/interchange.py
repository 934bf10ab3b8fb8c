"""The survey JSON interchange: read a survey definition file into plain data.

The format itself (its field names, limits, value types) and the writer live in
`surveys.definition_format`; this module is the validating reader on top of it, kept apart
because checking every field and wording every problem is most of the code, and only import
needs it.

Django-free: the whole file is checked here and EVERY problem is reported at once, each
starting with its JSON path (`questions[3].choices: must not be empty`), so a person fixes
the file in one go. What needs the database (is the slug taken? is a show_if code a real
district?) is checked by `surveys.definitions` before anything is written.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from surveys.definition_format import (
    CHOICE_FIELDS,
    DECIMAL_PLACES,
    KEY_LIMIT,
    KEY_PATTERN,
    KINDS,
    LABEL_LIMIT,
    LANGUAGES,
    NUMBER_LIMIT,
    OWN_CHOICE_KINDS,
    PURPOSES,
    QUESTION_FIELDS,
    QUESTION_LIMIT,
    RANGE_KINDS,
    RESERVED_SLUGS,
    SCALE_DEFAULT,
    SCALE_MAX_POINTS,
    SEGMENT_KINDS,
    SHOW_IF_FIELDS,
    SLUG_LIMIT,
    SLUG_PATTERN,
    STATUSES,
    SURVEY_FIELDS,
    TITLE_LIMIT,
    VALUE_LIMIT,
    YES_NO,
    ChoiceDefinition,
    DefinitionError,
    QuestionDefinition,
    ShowIf,
    SurveyDefinition,
    Text,
)
from surveys.validation import CHOICE_LIKE, PREFER_NOT_TO_SAY

# The path of a problem with the file as a whole (not JSON, not one object, …).
FILE = "(file)"


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING = _Missing()


def _describe(value: object) -> str:
    """A value's JSON type, the way a person editing the file sees it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    if isinstance(value, str):
        # A whole paragraph pasted into the wrong field would drown the other problems.
        return repr(value) if len(value) <= 60 else repr(value[:57] + "…")
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _one_of(options: tuple[str, ...] | list[str]) -> str:
    return ", ".join(options)


@dataclass
class _Earlier:
    """The questions read so far, for checking conditions."""

    positions: Mapping[str, int]  # every key in the file, at its first position
    questions: dict[str, QuestionDefinition] = field(default_factory=dict)
    flawed: set[str] = field(default_factory=set)  # keys of questions with problems


class _Reader:
    """Walks the parsed JSON, collecting every problem instead of stopping at the first."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def add(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    # -- building blocks

    def fields(self, obj: Mapping[str, object], path: str, known: tuple[str, ...]) -> None:
        for name in obj:
            if name not in known:
                where = f"{path}.{name}" if path else name
                self.add(where, f"unknown field; the fields here are {_one_of(known)}")

    def string(self, value: object, path: str, *, limit: int | None, required: bool) -> str:
        if value is MISSING or value is None:
            if required:
                self.add(path, "required")
            return ""
        if not isinstance(value, str):
            self.add(path, f"must be a text in quotes, got {_describe(value)}")
            return ""
        value = value.strip()
        if required and not value:
            self.add(path, "must not be empty")
        if limit is not None and len(value) > limit:
            self.add(path, f"must be at most {limit} characters, got {len(value)}")
        return value

    def text(self, value: object, path: str, *, limit: int | None, required: bool) -> Text:
        """A string (Chinese only) or {"zh-hans": …, "en": …}."""
        if isinstance(value, dict):
            self.fields(value, path, LANGUAGES)
            zh = self.string(value.get("zh-hans", MISSING), f"{path}.zh-hans", limit=limit, required=False)
            en = self.string(value.get("en", MISSING), f"{path}.en", limit=limit, required=False)
            if not zh and en:
                self.add(f"{path}.zh-hans", 'must not be empty when "en" is given: Chinese is the default language')
            elif not zh and required:
                self.add(f"{path}.zh-hans", "required")
            return Text(zh, en)
        if value is not MISSING and value is not None and not isinstance(value, str):
            self.add(path, f'must be a text, or {{"zh-hans": …, "en": …}}, got {_describe(value)}')
            return Text("")
        return Text(self.string(value, path, limit=limit, required=required))

    def boolean(self, value: object, path: str, *, default: bool) -> bool:
        if value is MISSING or value is None:
            return default
        if not isinstance(value, bool):
            self.add(path, f"must be true or false, got {_describe(value)}")
            return default
        return value

    def option(self, value: object, path: str, options: tuple[str, ...], *, default: str | None) -> str:
        if value is MISSING or value is None:
            if default is None:
                self.add(path, f"required: one of {_one_of(options)}")
                return ""
            return default
        if value not in options:
            self.add(path, f"must be one of {_one_of(options)}, got {_describe(value)}")
            return ""
        return value  # type: ignore[return-value]

    def moment(self, value: object, path: str) -> datetime | None:
        if value is MISSING or value is None:
            return None
        if not isinstance(value, str):
            self.add(path, f"must be a date and time such as \"2025-03-01T09:00:00+08:00\", got {_describe(value)}")
            return None
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            self.add(path, f"must be an ISO-8601 date and time such as \"2025-03-01T09:00:00+08:00\", got {value!r}")
            return None
        if moment.tzinfo is None:
            # Without an offset the same file would mean different moments on different servers.
            self.add(path, f"give the time zone too, e.g. \"{moment.isoformat()}+08:00\"")
            return None
        return moment

    def number(self, value: object, path: str, *, whole: bool) -> Decimal | None:
        if value is MISSING or value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
            self.add(path, f"must be a number, got {_describe(value)}")
            return None
        number = Decimal(value)
        if whole and number != number.to_integral_value():
            self.add(path, f"must be a whole number, got {value}")
            return None
        if abs(number) >= NUMBER_LIMIT:
            self.add(path, f"must be between -{NUMBER_LIMIT - 1} and {NUMBER_LIMIT - 1}, got {value}")
            return None
        if number != number.quantize(Decimal(1).scaleb(-DECIMAL_PLACES)):
            self.add(path, f"must have at most {DECIMAL_PLACES} decimal places, got {value}")
            return None
        return Decimal(int(number)) if whole else number

    # -- the survey

    def survey(self, data: object) -> SurveyDefinition | None:
        if not isinstance(data, dict):
            self.add(FILE, f'must hold one object {{"slug": …, "title": …, "questions": […]}}, got {_describe(data)}')
            return None
        self.fields(data, "", SURVEY_FIELDS)
        slug = self.string(data.get("slug", MISSING), "slug", limit=SLUG_LIMIT, required=True)
        if slug and not SLUG_PATTERN.match(slug):
            self.add("slug", f"use only letters, digits, '-' and '_' (it goes into web addresses), got {slug!r}")
        elif slug in RESERVED_SLUGS:
            self.add("slug", f"{slug!r} is the name of a page; choose another slug")
        title = self.text(data.get("title", MISSING), "title", limit=TITLE_LIMIT, required=True)
        intro = self.text(data.get("intro", MISSING), "intro", limit=None, required=False)
        purpose = self.option(data.get("purpose", MISSING), "purpose", PURPOSES, default=None)
        status = self.option(data.get("status", MISSING), "status", STATUSES, default="draft")
        opens_at = self.moment(data.get("opens_at", MISSING), "opens_at")
        closes_at = self.moment(data.get("closes_at", MISSING), "closes_at")
        if opens_at and closes_at and closes_at <= opens_at:
            self.add("closes_at", f"must be after opens_at ({opens_at.isoformat()}), got {closes_at.isoformat()}")
        questions = self.questions(data.get("questions", MISSING))
        return SurveyDefinition(
            slug=slug, title=title, intro=intro, purpose=purpose, status=status,
            opens_at=opens_at, closes_at=closes_at, questions=questions,
        )

    def questions(self, value: object) -> tuple[QuestionDefinition, ...]:
        if value is MISSING:
            self.add("questions", "required: a list of questions (it may be empty [])")
            return ()
        if not isinstance(value, list):
            self.add("questions", f"must be a list [{{…}}, …], got {_describe(value)}")
            return ()
        # Every key with its position first, so that a condition on a later question can be
        # told apart from a condition on a key that does not exist.
        positions: dict[str, int] = {}
        for index, item in enumerate(value):
            key = item.get("key") if isinstance(item, dict) else None
            if isinstance(key, str):
                positions.setdefault(key.strip(), index)
        result: list[QuestionDefinition] = []
        earlier = _Earlier(positions)
        for index, item in enumerate(value):
            before = len(self.problems)
            question = self.question(item, f"questions[{index}]", earlier, index)
            if question is None:
                continue
            if question.key and question.key not in earlier.questions:
                earlier.questions[question.key] = question
                if len(self.problems) > before:
                    earlier.flawed.add(question.key)
            result.append(question)
        return tuple(result)

    def question(self, item: object, path: str, earlier: _Earlier, index: int) -> QuestionDefinition | None:
        if not isinstance(item, dict):
            self.add(path, f'must be an object {{"key": …, "kind": …, "text": …}}, got {_describe(item)}')
            return None
        self.fields(item, path, QUESTION_FIELDS)
        key = self.string(item.get("key", MISSING), f"{path}.key", limit=KEY_LIMIT, required=True)
        if key and not KEY_PATTERN.match(key):
            self.add(
                f"{path}.key",
                f"use lower-case letters, digits, '-', '_' or '+', starting with a letter or digit; got {key!r}",
            )
        if key in earlier.questions:
            self.add(f"{path}.key", f"{key!r} is already the key of questions[{earlier.positions[key]}]")
        kind = self.option(item.get("kind", MISSING), f"{path}.kind", KINDS, default=None)
        text = self.text(item.get("text", MISSING), f"{path}.text", limit=QUESTION_LIMIT, required=True)
        help_text = self.text(item.get("help", MISSING), f"{path}.help", limit=None, required=False)
        required = self.boolean(item.get("required", MISSING), f"{path}.required", default=True)
        prefer_not = self.boolean(item.get("prefer_not_to_say", MISSING), f"{path}.prefer_not_to_say", default=False)
        if prefer_not and kind and kind not in CHOICE_LIKE:
            choice_like = [k for k in KINDS if k in CHOICE_LIKE]
            self.add(
                f"{path}.prefer_not_to_say",
                f"only {_one_of(choice_like)} questions can offer it; remove it from this {kind} question",
            )
            prefer_not = False
        low, high = self.range(item, path, kind)
        choices = self.choices(item.get("choices", MISSING), f"{path}.choices", kind, low, high)
        show_if = self.show_if(item.get("show_if", MISSING), f"{path}.show_if", earlier, index)
        return QuestionDefinition(
            key=key, kind=kind, text=text, help=help_text, required=required, prefer_not_to_say=prefer_not,
            choices=choices, min_value=low, max_value=high, show_if=show_if,
        )

    def range(self, item: Mapping[str, object], path: str, kind: str) -> tuple[Decimal | None, Decimal | None]:
        raw_low, raw_high = item.get("min", MISSING), item.get("max", MISSING)
        if kind and kind not in RANGE_KINDS:
            for name, raw in (("min", raw_low), ("max", raw_high)):
                if raw is not MISSING and raw is not None:
                    self.add(f"{path}.{name}", f"only scale and number questions have {name}; remove it")
            return None, None
        whole = kind == "scale"
        low = self.number(raw_low, f"{path}.min", whole=whole)
        high = self.number(raw_high, f"{path}.max", whole=whole)
        if kind == "scale":
            bad = (raw_low not in (MISSING, None) and low is None) or (raw_high not in (MISSING, None) and high is None)
            low = Decimal(SCALE_DEFAULT[0]) if low is None else low
            high = Decimal(SCALE_DEFAULT[1]) if high is None else high
            if bad:
                return None, None
            if low >= high:
                self.add(f"{path}.max", f"a scale must end above its start: min is {low}, max is {high}")
                return None, None
            if high - low + 1 > SCALE_MAX_POINTS:
                self.add(
                    f"{path}.max",
                    f"a scale has at most {SCALE_MAX_POINTS} points (such as 0 to 10), got {low} to {high}",
                )
                return None, None
        elif low is not None and high is not None and low > high:
            self.add(f"{path}.max", f"must not be below min ({low}), got {high}")
        return low, high

    def choices(
        self, value: object, path: str, kind: str, low: Decimal | None, high: Decimal | None
    ) -> tuple[ChoiceDefinition, ...]:
        if value is MISSING or value is None:
            value = []
        if not isinstance(value, list):
            self.add(path, f'must be a list [{{"value": …, "label": …}}, …], got {_describe(value)}')
            return ()
        if value and kind in SEGMENT_KINDS:
            self.add(path, f"must be absent or empty: {kind} choices come from the civic core set up in CityLab")
            return ()
        if value and kind in ("number", "short_text", "long_text"):
            self.add(path, f"a {kind} question has no choices; remove them")
            return ()
        if not value and kind in OWN_CHOICE_KINDS:
            self.add(path, f"must not be empty: a {kind} question needs at least one choice")
            return ()
        result: list[ChoiceDefinition] = []
        first: dict[str, int] = {}
        for index, item in enumerate(value):
            at = f"{path}[{index}]"
            if not isinstance(item, dict):
                self.add(at, f'must be an object {{"value": …, "label": …}}, got {_describe(item)}')
                continue
            self.fields(item, at, CHOICE_FIELDS)
            choice_value = self.string(item.get("value", MISSING), f"{at}.value", limit=VALUE_LIMIT, required=True)
            label = self.text(item.get("label", MISSING), f"{at}.label", limit=LABEL_LIMIT, required=True)
            if choice_value == PREFER_NOT_TO_SAY:
                self.add(
                    f"{at}.value",
                    f'{PREFER_NOT_TO_SAY!r} is reserved: set "prefer_not_to_say": true on the question instead',
                )
            elif choice_value in first:
                self.add(f"{at}.value", f"{choice_value!r} is already the value of {path}[{first[choice_value]}]")
            elif choice_value:
                first[choice_value] = index
                if kind == "scale" and low is not None and high is not None:
                    points = [str(p) for p in range(int(low), int(high) + 1)]
                    if choice_value not in points:
                        self.add(
                            f"{at}.value",
                            f"must be a point of the scale, {points[0]} to {points[-1]}, got {choice_value!r}",
                        )
            result.append(ChoiceDefinition(choice_value, label))
        if kind == "yes_no" and value and sorted(first) != sorted(YES_NO):
            self.add(
                path,
                'a yes_no question\'s choices are absent, or exactly the values "yes" and "no" '
                f"(to set their labels), got {_one_of(list(first)) or 'none'}",
            )
        return tuple(result)

    def show_if(self, value: object, path: str, earlier: _Earlier, index: int) -> ShowIf | None:
        if value is MISSING or value is None:
            return None
        if not isinstance(value, dict):
            self.add(path, f'must be an object {{"question": …, "equals": …}}, got {_describe(value)}')
            return None
        self.fields(value, path, SHOW_IF_FIELDS)
        key = self.string(value.get("question", MISSING), f"{path}.question", limit=KEY_LIMIT, required=True)
        equals = self.string(value.get("equals", MISSING), f"{path}.equals", limit=VALUE_LIMIT, required=True)
        if not key:
            return None
        positions = earlier.positions
        if key not in earlier.questions:
            if positions.get(key) == index:
                self.add(f"{path}.question", "a question cannot depend on itself")
            elif key in positions and positions[key] > index:
                self.add(
                    f"{path}.question",
                    f"{key!r} is questions[{positions[key]}], which comes later: "
                    "a condition can only depend on an earlier question",
                )
            else:
                self.add(f"{path}.question", f"no earlier question has the key {key!r}")
            return ShowIf(key, equals)
        target = earlier.questions[key]
        if not target.kind:
            return ShowIf(key, equals)
        if target.kind not in CHOICE_LIKE:
            self.add(
                f"{path}.question",
                f"{key!r} is a {target.kind} question: a condition can only depend on a question with set answers "
                f"({_one_of([k for k in KINDS if k in CHOICE_LIKE])})",
            )
            return ShowIf(key, equals)
        if key in earlier.flawed:
            return ShowIf(key, equals)  # its values are in doubt; its own problems are reported
        allowed = target.values()
        if equals and allowed is not None and equals not in allowed:
            self.add(f"{path}.equals", f"must be one of the values of {key!r}: {_one_of(allowed)}; got {equals!r}")
        return ShowIf(key, equals)


def _load_json(data: bytes | str, reader: _Reader) -> object:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            byte = error.object[error.start]
            reader.add(FILE, f"not UTF-8 text (byte {byte:#04x} at position {error.start}); save it as UTF-8")
            return MISSING
    if not data.strip():
        reader.add(FILE, "the file is empty")
        return MISSING

    def no_duplicates(pairs: list[tuple[str, object]]) -> dict[str, object]:
        seen: dict[str, object] = {}
        for name, value in pairs:
            if name in seen:
                # json.loads would quietly keep the last one; the author meant one of them.
                reader.add(FILE, f"the field {name!r} appears twice in one object; keep one")
            seen[name] = value
        return seen

    def no_constant(name: str) -> object:
        raise ValueError(f"{name} is not a number JSON allows")

    try:
        # Decimals, not floats: 0.1 stays 0.1 on its way into a DecimalField.
        return json.loads(data, parse_float=Decimal, parse_constant=no_constant, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as error:
        reader.add(FILE, f"not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")
    except ValueError as error:
        reader.add(FILE, f"not valid JSON: {error}")
    except RecursionError:  # "[[[[…" thousands deep: the parser gives up, and so do we
        reader.add(FILE, "not a survey definition: its lists and objects are nested thousands deep")
    return MISSING


def parse_definition(data: bytes | str) -> SurveyDefinition:
    """Read a survey definition file; raise DefinitionError listing every problem."""
    reader = _Reader()
    loaded = _load_json(data, reader)
    definition = None if loaded is MISSING else reader.survey(loaded)
    if reader.problems or definition is None:
        raise DefinitionError(reader.problems)
    return definition
