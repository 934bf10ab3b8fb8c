"""The response store: one function writes every response, from every channel."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone

from citylab.models import AgeBand, Community, District, Occupation
from surveys.models import Answer, Channel, Invitation, Kind, Question, Response, Survey
from surveys.validation import AnswerError, QuestionSpec, Value, clean_all

SEGMENT_MODELS = {
    Kind.AGE_BAND: AgeBand,
    Kind.DISTRICT: District,
    Kind.COMMUNITY: Community,
    Kind.OCCUPATION: Occupation,
}


class ResponseInvalid(Exception):
    """Some answers do not fit their questions; nothing was written."""

    def __init__(self, errors: Mapping[str, AnswerError]) -> None:
        super().__init__(", ".join(f"{key}: {error.code}" for key, error in errors.items()))
        self.errors = dict(errors)


class InvitationUsed(Exception):
    """The single-use link has already been used for a response."""


def question_specs(
    survey: Survey, questions: list[Question] | None = None, segment_codes: Mapping[str, tuple[str, ...]] | None = None
) -> list[QuestionSpec]:
    """The survey's questions as plain specs, with segment choices from the civic core.

    A fixed number of queries: questions with their choices, and one per segment kind used.
    """
    if questions is None:
        questions = list(survey.questions.select_related("show_if_question").prefetch_related("choices"))
    if segment_codes is None:
        kinds = {q.kind for q in questions}
        segment_codes = {
            kind: tuple(model.objects.values_list("code", flat=True))
            for kind, model in SEGMENT_MODELS.items()
            if kind in kinds
        }
    specs = []
    for q in questions:
        if q.kind in SEGMENT_MODELS:
            choices = segment_codes[q.kind]
        elif q.kind == Kind.YES_NO:
            choices = ("yes", "no")
        elif q.kind == Kind.SCALE:
            choices = tuple(str(point) for point in q.scale_points())
        else:
            choices = tuple(c.value for c in q.choices.all())
        specs.append(
            QuestionSpec(
                key=q.key,
                kind=q.kind,
                required=q.required,
                choices=choices,
                prefer_not_to_say=q.prefer_not_to_say,
                min_value=q.min_value,
                max_value=q.max_value,
                show_if=(q.show_if_question.key, q.show_if_equals) if q.show_if_question_id else None,
            )
        )
    return specs


def _answer_rows(question: Question, value: Value) -> list[Answer]:
    if isinstance(value, tuple):
        return [Answer(question=question, value=item) for item in value]
    if isinstance(value, Decimal):
        return [Answer(question=question, number=value)]
    if question.kind in (Kind.SHORT_TEXT, Kind.LONG_TEXT):
        return [Answer(question=question, text=value)]
    return [Answer(question=question, value=value)]


@dataclass(frozen=True)
class SurveyRules:
    """Everything needed to check and store answers to one survey, read once.

    A channel that writes many responses in a row (a scanned batch, an import, the demo)
    reads the rules once and passes them to every `response_record` call.
    """

    questions: list[Question]
    specs: list[QuestionSpec]
    segment_ids: dict[str, dict[str, int]]  # kind -> code -> primary key

    @property
    def by_key(self) -> dict[str, Question]:
        return {q.key: q for q in self.questions}


def survey_rules(survey: Survey) -> SurveyRules:
    questions = list(survey.questions.select_related("show_if_question").prefetch_related("choices"))
    kinds = {q.kind for q in questions}
    segment_ids = {
        kind: dict(model.objects.values_list("code", "pk")) for kind, model in SEGMENT_MODELS.items() if kind in kinds
    }
    codes = {kind: tuple(ids) for kind, ids in segment_ids.items()}
    return SurveyRules(questions, question_specs(survey, questions, codes), segment_ids)


def _segments(rules: SurveyRules, cleaned: Mapping[str, Value]) -> dict[str, int | None]:
    """Copy segment answers onto the response row (a code becomes the foreign key)."""
    fields: dict[str, int | None] = {}
    for question in rules.questions:
        code = cleaned.get(question.key)
        if question.kind in SEGMENT_MODELS and isinstance(code, str):
            fields[f"{question.kind}_id"] = rules.segment_ids[question.kind].get(code)
    return fields


def response_record(
    *,
    survey: Survey,
    answers: Mapping[str, object],
    channel: Channel,
    invitation: Invitation | None = None,
    submission_key: str | None = None,
    entered_by=None,
    started_at: datetime | None = None,
    reject_hidden: bool = False,
    rules: SurveyRules | None = None,
) -> Response:
    """Validate every answer, then write the response and its answers together, or nothing.

    `submission_key` makes the call idempotent: a second call with the same key (a double
    click, two tabs, a retried post, the same paper sheet scanned twice) returns the response
    the first one wrote.
    """
    if submission_key:
        existing = Response.objects.filter(submission_key=submission_key).first()
        if existing is not None:
            return existing
    rules = rules or survey_rules(survey)
    cleaned, errors = clean_all(rules.specs, answers, reject_hidden=reject_hidden)
    if errors:
        raise ResponseInvalid(errors)
    by_key = rules.by_key
    try:
        with transaction.atomic():
            if invitation is not None:
                invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
                if invitation.used_at is not None:
                    raise InvitationUsed
                invitation.used_at = timezone.now()
                invitation.save(update_fields=["used_at"])
            response = Response.objects.create(
                survey=survey,
                survey_version=survey.version,
                channel=channel,
                invitation=invitation,
                submission_key=submission_key or None,
                entered_by=entered_by,
                started_at=started_at,
                **_segments(rules, cleaned),
            )
            rows = [row for key, value in cleaned.items() for row in _answer_rows(by_key[key], value)]
            for row in rows:
                row.response = response
            Answer.objects.bulk_create(rows)
    except IntegrityError:
        # Two submissions with one key raced; the other one won and holds the answers.
        if submission_key:
            existing = Response.objects.filter(submission_key=submission_key).first()
            if existing is not None:
                return existing
        if invitation is not None:
            raise InvitationUsed from None
        raise
    return response
