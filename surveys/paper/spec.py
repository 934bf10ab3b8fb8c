"""The thin adapter between the survey records and the pure paper layout: a Survey becomes plain
data (texts in both languages, choices with segment lists expanded from the civic core,
"prefer not to say" where offered, hints such as "tick all that apply").

Conditions cannot hide a question on paper, so a conditional question says when to skip it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from surveys.messages import plain_number
from surveys.models import SEGMENT_KINDS, Kind, Question, Survey
from surveys.options import Option, answer_options, both_languages

LANGS = ("zh-hans", "en")


def _both(message) -> dict[str, str]:
    return dict(zip(LANGS, both_languages(message)))


def _pair(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def _format(message, **values) -> dict[str, str]:
    return {lang: text % values for lang, text in _both(message).items()}


def _hints(question: Question, number_of: dict[int, int], labels: dict[int, dict[str, Option]]) -> list[dict]:
    kind = question.kind
    hints = []
    if kind == Kind.MULTIPLE:
        hints.append(_both(_("Tick all that apply.")))
    elif kind in SEGMENT_KINDS or kind in (Kind.SINGLE, Kind.YES_NO, Kind.SCALE):
        hints.append(_both(_("Choose one.")))
    elif kind == Kind.NUMBER:
        low, high = question.min_value, question.max_value
        if low is not None and high is not None:
            hints.append(_format(_("Write a number from %(min)s to %(max)s in the box."),
                                 min=plain_number(low), max=plain_number(high)))
        else:
            hints.append(_both(_("Write a number in the box.")))
    else:
        hints.append(_both(_("Write in the box in clear letters.")))
    if not question.required:
        hints.append(_both(_("You may leave this question blank.")))
    earlier = question.show_if_question
    if earlier is not None and earlier.pk in number_of:
        option = labels.get(earlier.pk, {}).get(question.show_if_equals)
        answer = _pair(option.label_zh, option.label_en or option.label_zh) if option else _pair(
            question.show_if_equals, question.show_if_equals)
        words = _both(_("Answer only if your answer to question %(number)s was “%(answer)s”; otherwise skip it."))
        hints.append({lang: words[lang] % {"number": number_of[earlier.pk], "answer": answer[lang]} for lang in LANGS})
    return hints


def _choices(question: Question, options: list[Option]) -> list[dict]:
    if question.kind == Kind.SCALE:
        # The numbers are printed above the bubbles; a point's own words (the ends, usually) below.
        own = {c.value: c for c in question.choices.all()}
        out = []
        for option in options:
            choice = own.get(option.value)
            item = {"value": option.value, "label": _pair(option.label_zh, option.label_en)}
            if choice is not None:
                item["point_label"] = _pair(choice.label_zh, choice.label_en)
            elif option.value == "prefer_not_to_say":
                item["point_label"] = _pair(option.label_zh, option.label_en)
            out.append(item)
        return out
    return [
        {"value": o.value, "label": _pair(o.label_zh, o.label_en),
         **({"group": _pair(o.group_zh, o.group_en)} if o.group_code else {})}
        for o in options
    ]


def survey_spec(survey: Survey) -> dict:
    """Everything the layout needs, as plain data; a fixed number of queries."""
    questions = list(survey.questions.select_related("show_if_question").prefetch_related("choices"))
    options = answer_options(questions)
    number_of = {q.pk: n for n, q in enumerate(questions, start=1)}
    labels = {pk: {o.value: o for o in opts} for pk, opts in options.items()}
    return {
        "survey": survey.pk,
        "version": survey.version,
        "slug": survey.slug,
        "title": _pair(survey.title_zh, survey.title_en),
        "intro": _pair(survey.intro_zh, survey.intro_en),
        "instructions": INSTRUCTIONS(),
        "strings": {
            "page": _page_words(),
            "turn": _both(_("Please turn over.")),
            "end": _both(_("Thank you for your answers!")),
        },
        "questions": [
            {
                "key": q.key,
                "kind": q.kind,
                "text": _pair(q.text_zh, q.text_en),
                "required": q.required,
                "hints": _hints(q, number_of, labels),
                "choices": _choices(q, options[q.pk]),
            }
            for q in questions
        ],
    }


def _page_words() -> dict[str, str]:
    # A str.format template for the layout (it knows the page numbers, we know the words).
    return {lang: text % {"page": "{page}", "pages": "{pages}"}
            for lang, text in _both(_("Page %(page)s of %(pages)s")).items()}


def INSTRUCTIONS() -> list[dict[str, str]]:  # noqa: N802 - read as a constant, built per call for translation
    """How to fill in the form, honest about what the reader understands."""
    return [
        _both(_("How to answer")),
        _both(_("Use a dark pen. Fill in the circle next to your answer. A tick or a cross in the circle counts too.")),
        _both(_("To change an answer, scribble out the wrong circle completely and mark the right one. "
                "A person checks every question with more marks than it allows.")),
        _both(_("Write in the boxes in clear letters. Please do not write in the black squares or the code.")),
    ]
