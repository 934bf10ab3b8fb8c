"""A survey's structure (its questions in order with their choices, the path through them and
the answers each offers), built once per state of the survey and kept in this process.

Building it was half of a resident's question page: two queries and milliseconds of Python
turning rows into specs and options, on every page, for something that changes only when a
planner edits the survey. The page reads the survey row anyway, so that row's
(pk, version, updated_at) names the structure it needs: a structure built before an edit is
never served after it, in any process. For that, every write to a question or a choice touches
the survey's `updated_at`: the signals connected in `surveys.apps`, and `touch` for bulk writes,
which send no signals.

Segment lists (age bands, districts, communities, occupations) are not kept here: they are the
civic core's rows, edited without touching any survey, so a page still reads the one it shows.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone

from citylab.lru import LRU
from surveys.models import SEGMENT_KINDS, Choice, Question, Survey
from surveys.options import Option, answer_options
from surveys.services import question_specs
from surveys.validation import QuestionSpec

# Surveys open at the same time in one city: a few. Past this, the least recently used goes.
MAX_SURVEYS = 64

Stamp = tuple[int, int, datetime]


@dataclass(frozen=True)
class SurveyStructure:
    """What every resident page of one survey needs that only a planner's edit can change.

    Shared by every request of the process: read it, never change it (or its questions).
    """

    questions: tuple[Question, ...]  # in order; choices prefetched, show_if_question selected
    by_key: dict[str, Question]
    # The path: keys and conditions only (no choices), enough for surveys.flow.
    flow: tuple[QuestionSpec, ...]
    # Validation specs and answers offered, for every question that is not a segment question.
    specs: dict[str, QuestionSpec]
    options: dict[int, tuple[Option, ...]]

    def spec(self, survey: Survey, question: Question) -> QuestionSpec:
        """The question's validation spec; a segment question's codes are read now (one query)."""
        found = self.specs.get(question.key)
        return found if found is not None else question_specs(survey, [question])[0]

    def answer_options(self, questions: Sequence[Question]) -> dict[int, list[Option]]:
        """`surveys.options.answer_options` for these questions: kept lists, segments read now."""
        segment = [q for q in questions if q.kind in SEGMENT_KINDS]
        options = answer_options(segment) if segment else {}
        options.update({q.pk: list(self.options[q.pk]) for q in questions if q.kind not in SEGMENT_KINDS})
        return options


_kept: LRU[int, tuple[Stamp, SurveyStructure]] = LRU(MAX_SURVEYS)


def _stamp(survey: Survey) -> Stamp:
    return (survey.pk, survey.version, survey.updated_at)


def survey_structure(survey: Survey) -> SurveyStructure:
    """The structure for this state of the survey row: kept, or built now (two queries)."""
    stamp = _stamp(survey)
    kept = _kept.get(survey.pk)
    if kept is not None and kept[0] == stamp:
        return kept[1]
    # Built outside the lock: two requests may build the same structure once each, harmlessly.
    # The questions are read after the survey row, so they are at least as new as its stamp.
    built = _build(survey)
    _kept.put(survey.pk, (stamp, built))
    return built


def _build(survey: Survey) -> SurveyStructure:
    questions = tuple(survey.questions.select_related("show_if_question").prefetch_related("choices"))
    own = [q for q in questions if q.kind not in SEGMENT_KINDS]
    flow = tuple(
        QuestionSpec(
            key=q.key, kind=q.kind, required=q.required,
            show_if=(q.show_if_question.key, q.show_if_equals) if q.show_if_question_id else None,
        )
        for q in questions
    )
    specs = question_specs(survey, own, segment_codes={})
    options = answer_options(own)
    return SurveyStructure(
        questions=questions,
        by_key={q.key: q for q in questions},
        flow=flow,
        specs={spec.key: spec for spec in specs},
        options={pk: tuple(items) for pk, items in options.items()},
    )


def forget() -> None:
    """Drop every kept structure (for tests that compare a fresh build with a kept one)."""
    _kept.clear()


def touch(survey_ids: Iterable[int]) -> None:
    """Mark these surveys changed, so the next page builds their structure again.

    For writes that send no signals (bulk_create, bulk_update, QuerySet.update).
    """
    Survey.objects.filter(pk__in=list(survey_ids)).update(updated_at=timezone.now())


def question_changed(sender: type[Question], instance: Question, **kwargs: object) -> None:
    """post_save and post_delete of a question: its survey's structure is out of date."""
    touch([instance.survey_id])


def choice_changed(sender: type[Choice], instance: Choice, **kwargs: object) -> None:
    """post_save and post_delete of a choice: found through its question id, so that a deleted
    choice (whose question may not be loaded) costs one query, not two."""
    Survey.objects.filter(questions=instance.question_id).update(updated_at=timezone.now())
