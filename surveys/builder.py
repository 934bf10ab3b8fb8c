"""The survey builder's rules: what a planner may change once residents have answered, and the
workflows that touch several rows at once (saving a question with its choices, moving,
deleting, publishing, duplicating).

The one rule that matters most is `meaning_change`: a stored answer is only worth something
while the question it answers still means what it meant when the resident answered. Every
builder path that alters a question asks it, so the rule lives here and nowhere else.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from citylab.models import AgeBand, Community, District, Occupation
from surveys import structure
from surveys.models import PREFER_NOT_TO_SAY, OWN_CHOICE_KINDS, Choice, Kind, Question, Status, Survey

# A choice as the builder handles it: (value, label in Chinese, label in English).
ChoiceRow = tuple[str, str, str]

SEGMENT_MODELS = {Kind.AGE_BAND: AgeBand, Kind.DISTRICT: District, Kind.COMMUNITY: Community, Kind.OCCUPATION: Occupation}
# Kinds whose answers are one of a fixed set of values, so a condition can test them.
CONDITION_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE, Kind.YES_NO, *SEGMENT_MODELS})
PREFER_NOT_TO_SAY_KINDS = CONDITION_KINDS
RANGE_KINDS = frozenset({Kind.NUMBER, Kind.SCALE})
# Single and multiple choices are the question's own; a scale may label some of its points.
CHOICE_LIST_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE})
# A scale is printed as a row of bubbles on an A4 page: more than 11 no longer fit.
SCALE_MAX_POINTS = 11
DEFAULT_SCALE = (1, 5)


def scale_points(min_value: Decimal | int | None, max_value: Decimal | int | None) -> tuple[int, int]:
    """A scale's first and last point, with the defaults the response store uses."""
    low = int(min_value) if min_value is not None else DEFAULT_SCALE[0]
    high = int(max_value) if max_value is not None else DEFAULT_SCALE[1]
    return low, high


def duplicate_hint() -> str:
    return _("Duplicate this survey to change it.")


def meaning_change(question_before: Question | None, form_cleaned_data: Mapping[str, Any] | None) -> str | None:
    """Why saving this change would alter what stored answers mean, or None when it would not.

    `question_before` is the question as stored (None for a new question); `form_cleaned_data`
    is what it would become (None to delete it), with `choices` as (value, zh, en) rows.
    Wording (texts, help, labels) never counts; neither does adding an optional question or a
    new choice. The caller decides what to do with the answer: refuse when the survey has
    responses, raise the survey's version otherwise.
    """
    before, after = question_before, form_cleaned_data
    if before is None:
        if after is not None and after.get("required"):
            return _(
                "The survey already has responses: a new question must be optional, because earlier "
                "respondents were never asked it."
            )
        return None
    key = before.key
    if after is None:
        return _(
            "The survey already has responses: question “%(key)s” cannot be deleted, because stored "
            "answers belong to it."
        ) % {"key": key}
    if after.get("key", key) != key:
        return _(
            "The survey already has responses: the key “%(key)s” cannot change, because stored answers "
            "and exports are filed under it."
        ) % {"key": key}
    kind = after.get("kind", before.kind)
    if kind != before.kind:
        return _(
            "The survey already has responses: the kind of question “%(key)s” cannot change, or its "
            "stored answers would no longer fit it."
        ) % {"key": key}
    if kind in OWN_CHOICE_KINDS:
        kept = {row[0] for row in after.get("choices") or ()}
        removed = [c.value for c in before.choices.all() if c.value not in kept]
        if removed:
            return _(
                "The survey already has responses: the choice “%(value)s” of question “%(key)s” cannot be "
                "removed or given another value, because stored answers use it."
            ) % {"value": removed[0], "key": key}
    if before.prefer_not_to_say and not after.get("prefer_not_to_say"):
        return _(
            "The survey already has responses: “prefer not to say” cannot be removed from question "
            "“%(key)s”, because stored answers may use it."
        ) % {"key": key}
    if kind == Kind.SCALE and scale_points(before.min_value, before.max_value) != scale_points(
        after.get("min_value"), after.get("max_value")
    ):
        return _(
            "The survey already has responses: the points of scale “%(key)s” cannot change, because "
            "stored answers are points on it."
        ) % {"key": key}
    condition = after.get("show_if_question")
    if (before.show_if_question_id, before.show_if_equals if before.show_if_question_id else "") != (
        condition.pk if condition else None,
        (after.get("show_if_equals") or "") if condition else "",
    ):
        return _(
            "The survey already has responses: the condition of question “%(key)s” cannot change, "
            "because it decided who was asked."
        ) % {"key": key}
    if after.get("required") and not before.required:
        return _(
            "The survey already has responses: question “%(key)s” cannot become required, because "
            "earlier respondents may have left it empty."
        ) % {"key": key}
    return None


def refusal(survey: Survey, question_before: Question | None, form_cleaned_data: Mapping[str, Any] | None) -> str | None:
    """The message that refuses this change, when the survey has answers whose meaning it would alter."""
    reason = meaning_change(question_before, form_cleaned_data)
    if reason and survey.has_responses():
        return f"{reason} {duplicate_hint()}"
    return None


def answer_values(
    kind: str,
    *,
    choices: Sequence[ChoiceRow] = (),
    min_value: Decimal | None = None,
    max_value: Decimal | None = None,
    prefer_not_to_say: bool = False,
) -> tuple[str, ...] | None:
    """Every value an answer to such a question can take, or None for free answers (numbers, text).

    The same values `surveys.services.question_specs` allows, computed from a form's data so a
    condition can be checked before the question is saved.
    """
    if kind in OWN_CHOICE_KINDS:
        values = tuple(row[0] for row in choices)
    elif kind == Kind.YES_NO:
        values = ("yes", "no")
    elif kind == Kind.SCALE:
        low, high = scale_points(min_value, max_value)
        values = tuple(str(point) for point in range(low, high + 1))
    elif kind in SEGMENT_MODELS:
        values = tuple(SEGMENT_MODELS[kind].objects.values_list("code", flat=True))
    else:
        return None
    return values + ((PREFER_NOT_TO_SAY,) if prefer_not_to_say else ())


def question_answer_values(question: Question) -> tuple[str, ...] | None:
    return answer_values(
        question.kind,
        choices=[(c.value, c.label_zh, c.label_en) for c in question.choices.all()],
        min_value=question.min_value,
        max_value=question.max_value,
        prefer_not_to_say=question.prefer_not_to_say,
    )


def choice_rows(question: Question) -> list[ChoiceRow]:
    return [(c.value, c.label_zh, c.label_en) for c in question.choices.all()]


# --- Writing --------------------------------------------------------------------------------


def _renumber(survey: Survey, questions: list[Question] | None = None) -> None:
    """Positions 1, 2, 3… in the current order, so that "move up" always has a neighbour to swap with."""
    questions = questions if questions is not None else list(survey.questions.order_by("position", "pk"))
    changed = []
    for position, question in enumerate(questions, start=1):
        if question.position != position:
            question.position = position
            changed.append(question)
    Question.objects.bulk_update(changed, ["position"])
    if changed:
        structure.touch([survey.pk])  # bulk_update sends no signal: resident pages must see the new order


def _bump_version(survey: Survey) -> None:
    # Printed paper forms carry the version in their QR code: a form printed before this change
    # must not be read against the new questions.
    Survey.objects.filter(pk=survey.pk).update(version=F("version") + 1)
    survey.version += 1


@transaction.atomic
def question_save(
    *, survey: Survey, question: Question, question_before: Question | None, data: Mapping[str, Any]
) -> Question:
    """Save a question (new or changed) and make its choices match `data["choices"]`.

    Choices are matched by value, so relabelling one keeps its row; the fields a kind does not
    use are cleared so that a kind change leaves nothing stale behind.
    """
    if meaning_change(question_before, data):
        _bump_version(survey)
    kind = question.kind
    if kind not in RANGE_KINDS:
        question.min_value = question.max_value = None
    if kind not in PREFER_NOT_TO_SAY_KINDS:
        question.prefer_not_to_say = False
    if question.show_if_question_id is None:
        question.show_if_equals = ""
    if question.pk is None:
        question.survey = survey
        last = survey.questions.aggregate(last=Max("position"))["last"] or 0
        question.position = last + 1
    question.save()
    rows = list(data.get("choices") or ()) if kind in CHOICE_LIST_KINDS else []
    existing = {c.value: c for c in question.choices.all()}
    wanted = {value for value, _zh, _en in rows}
    question.choices.exclude(value__in=wanted).delete()
    for position, (value, zh, en) in enumerate(rows, start=1):
        choice = existing.get(value)
        if choice is None:
            Choice.objects.create(question=question, value=value, label_zh=zh, label_en=en, position=position)
        elif (choice.label_zh, choice.label_en, choice.position) != (zh, en, position):
            choice.label_zh, choice.label_en, choice.position = zh, en, position
            choice.save(update_fields=["label_zh", "label_en", "position"])
    return question


def delete_refusal(question: Question) -> str | None:
    """Why this question cannot be deleted (another question's condition uses it, or answers do)."""
    dependant = Question.objects.filter(show_if_question=question).order_by("position").values_list("key", flat=True).first()
    if dependant:
        return _(
            "Question “%(key)s” cannot be deleted: question “%(other)s” is shown only after its answer. "
            "Change that question's condition first."
        ) % {"key": question.key, "other": dependant}
    return refusal(question.survey, question, None)


def question_delete(question: Question) -> str | None:
    """Delete a question and close the gap it leaves, or say why not."""
    survey = question.survey
    refused = delete_refusal(question)
    if refused:
        return refused
    with transaction.atomic():
        question.delete()
        _bump_version(survey)
        _renumber(survey)
    return None


def question_move(question: Question, direction: str) -> str | None:
    """Swap a question with its neighbour above ("up") or below ("down"), or say why not.

    A condition must come before the question it shows, so a move that would put them the other
    way round is refused. Moving the first question up or the last one down does nothing.
    """
    survey = question.survey
    with transaction.atomic():
        questions = list(survey.questions.select_for_update().order_by("position", "pk"))
        index = next(i for i, q in enumerate(questions) if q.pk == question.pk)
        other_index = index - 1 if direction == "up" else index + 1
        if not 0 <= other_index < len(questions):
            return None
        other = questions[other_index]
        upper, lower = (other, questions[index]) if direction == "up" else (questions[index], other)
        if lower.show_if_question_id == upper.pk:
            return _(
                "“%(lower)s” cannot move above “%(upper)s”: it is shown only after that question's answer, "
                "so it must come after it."
            ) % {"lower": lower.key, "upper": upper.key}
        questions[index], questions[other_index] = questions[other_index], questions[index]
        _renumber(survey, questions)
    return None


def survey_publish(survey: Survey) -> str | None:
    """Open a draft to residents, or say why it cannot open yet."""
    if survey.status != Status.DRAFT:
        return _("Only a draft can be published; this survey is %(status)s.") % {"status": survey.get_status_display()}
    if not survey.questions.exists():
        return _("Add at least one question before publishing the survey.")
    survey.status = Status.OPEN
    survey.save(update_fields=["status", "updated_at"])
    return None


def survey_close(survey: Survey) -> str | None:
    if survey.status != Status.OPEN:
        return _("Only an open survey can be closed; this survey is %(status)s.") % {"status": survey.get_status_display()}
    survey.status = Status.CLOSED
    survey.save(update_fields=["status", "updated_at"])
    return None


COPY_SUFFIX = re.compile(r"-copy(?:-\d+)?$")
SLUG_MAX = Survey._meta.get_field("slug").max_length


def copy_slug(slug: str) -> str:
    """The first free "<slug>-copy", "<slug>-copy-2", … (a copy of a copy counts on, not nests)."""
    base = COPY_SUFFIX.sub("", slug)
    taken = set(Survey.objects.filter(slug__startswith=base[: SLUG_MAX - 12]).values_list("slug", flat=True))
    number = 1
    while True:
        suffix = "-copy" if number == 1 else f"-copy-{number}"
        candidate = base[: SLUG_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        number += 1


@transaction.atomic
def survey_duplicate(survey: Survey) -> Survey:
    """A draft copy with every question, choice and condition, and no responses: the way to
    change what a survey with answers asks."""
    questions = list(survey.questions.order_by("position", "pk").prefetch_related("choices"))
    copy = Survey.objects.create(
        team=survey.team, slug=copy_slug(survey.slug), title_zh=survey.title_zh, title_en=survey.title_en,
        intro_zh=survey.intro_zh, intro_en=survey.intro_en, purpose=survey.purpose, status=Status.DRAFT,
    )
    new_by_old: dict[int, Question] = {}
    for q in questions:
        new_by_old[q.pk] = Question.objects.create(
            survey=copy, key=q.key, position=q.position, kind=q.kind, text_zh=q.text_zh, text_en=q.text_en,
            help_zh=q.help_zh, help_en=q.help_en, required=q.required, prefer_not_to_say=q.prefer_not_to_say,
            min_value=q.min_value, max_value=q.max_value, show_if_equals=q.show_if_equals,
        )
    Choice.objects.bulk_create(
        Choice(question=new_by_old[q.pk], value=c.value, label_zh=c.label_zh, label_en=c.label_en, position=c.position)
        for q in questions
        for c in q.choices.all()
    )
    # Conditions are linked once every question exists, whatever order they point in.
    conditional = [q for q in questions if q.show_if_question_id in new_by_old]
    for q in conditional:
        new_by_old[q.pk].show_if_question = new_by_old[q.show_if_question_id]
    Question.objects.bulk_update([new_by_old[q.pk] for q in conditional], ["show_if_question"])
    structure.touch([copy.pk])  # the bulk writes above send no signals
    return copy


# --- Preview --------------------------------------------------------------------------------

# A segment question in the preview lists this many answers, then says how many more there are.
PREVIEW_SEGMENT_LIMIT = 12


def _segment_options(kind: str) -> list[tuple[str, str]]:
    model = SEGMENT_MODELS[kind]
    if kind == Kind.COMMUNITY:
        rows = model.objects.select_related("district")
    else:
        rows = model.objects.all()
    return [(row.code, row.label if kind == Kind.AGE_BAND else row.name) for row in rows]


def preview_items(questions: Sequence[Question]) -> list[dict[str, Any]]:
    """What a resident sees of each question, in the active language: its text, help, and the
    answers offered as (value, label). Call it inside `translation.override` for another language."""
    english = (get_language() or "").startswith("en")
    segments = {kind: _segment_options(kind) for kind in {q.kind for q in questions} if kind in SEGMENT_MODELS}
    items: list[dict[str, Any]] = []
    options_by_key: dict[str, dict[str, str]] = {}
    for number, q in enumerate(questions, start=1):
        more = 0
        if q.kind in OWN_CHOICE_KINDS:
            options = [(c.value, c.label) for c in q.choices.all()]
        elif q.kind == Kind.YES_NO:
            options = [("yes", _("Yes")), ("no", _("No"))]
        elif q.kind == Kind.SCALE:
            labels = {c.value: c.label for c in q.choices.all()}
            low, high = scale_points(q.min_value, q.max_value)
            options = [(str(p), f"{p} {labels[str(p)]}" if str(p) in labels else str(p)) for p in range(low, high + 1)]
        elif q.kind in SEGMENT_MODELS:
            options = segments[q.kind]
        else:
            options = []
        if q.prefer_not_to_say and options:
            options = [*options, (PREFER_NOT_TO_SAY, _("Prefer not to say"))]
        options_by_key[q.key] = dict(options)
        if q.kind in SEGMENT_MODELS and len(options) > PREVIEW_SEGMENT_LIMIT:
            more = len(options) - PREVIEW_SEGMENT_LIMIT
            options = options[:PREVIEW_SEGMENT_LIMIT]
        condition = None
        if q.show_if_question_id:
            shown_by = q.show_if_question
            condition = {
                "number": next((i for i, other in enumerate(questions, start=1) if other.pk == shown_by.pk), None),
                "text": shown_by.text,
                "answer": options_by_key.get(shown_by.key, {}).get(q.show_if_equals, q.show_if_equals),
            }
        items.append({
            "number": number,
            "question": q,
            "text": q.text,
            # Texts without an English version stay Chinese on English pages: say so to screen readers.
            "text_lang": "en" if english and q.text_en else "zh-Hans",
            "help": q.help,
            "help_lang": "en" if english and q.help_en else "zh-Hans",
            "shape": "multiple" if q.kind == Kind.MULTIPLE else "single",
            "options": options,
            "more": more,
            "range": (q.min_value, q.max_value) if q.kind == Kind.NUMBER else None,
            "condition": condition,
        })
    return items
