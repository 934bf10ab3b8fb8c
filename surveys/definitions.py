"""Survey definitions in and out of the database: the ORM side of the definition file format
(`surveys.definition_format` for its types and writer, `surveys.interchange` for its reader).

Import: `parse_definition` (pure) checks the file, `create_survey` checks what only the
database knows and writes the survey with its questions and choices in one transaction, or
nothing. Export: `survey_to_dict` / `survey_to_json` write the same format back, so that an
exported survey imports as an equal one.
"""

from __future__ import annotations

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from citylab.models import Team
from surveys import structure
from surveys.definition_format import (
    SCALE_DEFAULT,
    ChoiceDefinition,
    DefinitionError,
    QuestionDefinition,
    ShowIf,
    SurveyDefinition,
    Text,
    definition_to_dict,
    definition_to_json,
)
from surveys.models import PREFER_NOT_TO_SAY, Choice, Kind, Question, Survey
from surveys.services import SEGMENT_MODELS


def _slug_taken(slug: str) -> str:
    return f"slug: a survey with slug {slug!r} already exists"


def database_problems(definition: SurveyDefinition) -> list[str]:
    """What the file cannot know: is the slug free, are show_if codes real segments?"""
    problems: list[str] = []
    if Survey.objects.filter(slug=definition.slug).exists():
        problems.append(_slug_taken(definition.slug))
    by_key = {q.key: q for q in definition.questions}
    codes: dict[str, list[str]] = {}
    for index, question in enumerate(definition.questions):
        target = by_key.get(question.show_if.question) if question.show_if else None
        if target is None or target.kind not in SEGMENT_MODELS:
            continue
        if target.kind not in codes:
            codes[target.kind] = list(SEGMENT_MODELS[target.kind].objects.values_list("code", flat=True))
        allowed = codes[target.kind] + ([PREFER_NOT_TO_SAY] if target.prefer_not_to_say else [])
        if question.show_if.equals not in allowed:
            known = ", ".join(allowed) or "none set up yet"
            problems.append(
                f"questions[{index}].show_if.equals: {question.show_if.equals!r} is not a {target.kind} code "
                f"in CityLab (known: {known})"
            )
    return problems


def create_survey(definition: SurveyDefinition, *, team: Team) -> Survey:
    """Write the survey, its questions and their choices together, or raise DefinitionError
    and write nothing. `definition` comes from `parse_definition`, which has checked the rest."""
    with transaction.atomic():
        problems = database_problems(definition)
        if problems:
            raise DefinitionError(problems)
        try:
            with transaction.atomic():
                return _write(definition, team)
        except IntegrityError:
            # Someone took the slug between our check and our insert.
            if Survey.objects.filter(slug=definition.slug).exists():
                raise DefinitionError([_slug_taken(definition.slug)]) from None
            raise


def _write(definition: SurveyDefinition, team: Team) -> Survey:
    survey = Survey.objects.create(
        team=team,
        slug=definition.slug,
        title_zh=definition.title.zh,
        title_en=definition.title.en,
        intro_zh=definition.intro.zh,
        intro_en=definition.intro.en,
        purpose=definition.purpose,
        status=definition.status,
        opens_at=definition.opens_at,
        closes_at=definition.closes_at,
    )
    by_key: dict[str, Question] = {}
    choices: list[Choice] = []
    for position, q in enumerate(definition.questions, start=1):
        question = Question.objects.create(
            survey=survey,
            key=q.key,
            position=position,
            kind=q.kind,
            text_zh=q.text.zh,
            text_en=q.text.en,
            help_zh=q.help.zh,
            help_en=q.help.en,
            required=q.required,
            prefer_not_to_say=q.prefer_not_to_say,
            min_value=q.min_value,
            max_value=q.max_value,
            show_if_question=by_key[q.show_if.question] if q.show_if else None,
            show_if_equals=q.show_if.equals if q.show_if else "",
        )
        by_key[q.key] = question
        choices += [
            Choice(question=question, value=c.value, label_zh=c.label.zh, label_en=c.label.en, position=p)
            for p, c in enumerate(q.choices, start=1)
        ]
    Choice.objects.bulk_create(choices)
    structure.touch([survey.pk])  # bulk_create sends no signal
    return survey


def definition_from_survey(survey: Survey) -> SurveyDefinition:
    """The stored survey as plain data. Two queries, whatever its size."""
    questions = (
        survey.questions.select_related("show_if_question").prefetch_related("choices").order_by("position", "pk")
    )
    return SurveyDefinition(
        slug=survey.slug,
        title=Text(survey.title_zh, survey.title_en),
        intro=Text(survey.intro_zh, survey.intro_en),
        purpose=survey.purpose,
        status=survey.status,
        # In the city's time zone, as a person would write it in the file.
        opens_at=timezone.localtime(survey.opens_at) if survey.opens_at else None,
        closes_at=timezone.localtime(survey.closes_at) if survey.closes_at else None,
        questions=tuple(_question_definition(q) for q in questions),
    )


def _question_definition(question: Question) -> QuestionDefinition:
    low, high = question.min_value, question.max_value
    if question.kind == Kind.SCALE:
        # A scale without bounds runs 1 to 5 (as surveys.services reads it); say so in the file.
        low = Decimal(SCALE_DEFAULT[0]) if low is None else low
        high = Decimal(SCALE_DEFAULT[1]) if high is None else high
    return QuestionDefinition(
        key=question.key,
        kind=question.kind,
        text=Text(question.text_zh, question.text_en),
        help=Text(question.help_zh, question.help_en),
        required=question.required,
        prefer_not_to_say=question.prefer_not_to_say,
        choices=tuple(ChoiceDefinition(c.value, Text(c.label_zh, c.label_en)) for c in question.choices.all()),
        min_value=low,
        max_value=high,
        show_if=(
            ShowIf(question.show_if_question.key, question.show_if_equals) if question.show_if_question_id else None
        ),
    )


def survey_to_dict(survey: Survey) -> dict[str, object]:
    """The survey in the interchange format, questions in position order."""
    return definition_to_dict(definition_from_survey(survey))


def survey_to_json(survey: Survey) -> str:
    """The survey as the text of a .json file (what the download and the command write)."""
    return definition_to_json(definition_from_survey(survey))
