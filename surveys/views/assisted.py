"""Assisted entry: a clerk types in a resident's answers, taken by phone, at a service counter
or from a paper form, on one compact page, then goes straight on to the next one.

The answers go through the same `response_record` as every other channel, so the same rules
and the same error sentences apply; an answer to a question its condition hides is refused
rather than dropped, since here it can only be a slip of the clerk's hand.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from citylab.access import Action, get_for_member_or_404
from surveys.messages import error_message, plain_number
from surveys.models import SEGMENT_KINDS, Channel, Kind, Question, Response, Status, Survey
from surveys.options import Option, answer_options
from surveys.services import ResponseInvalid, response_record
from surveys.validation import AnswerError

# A token_urlsafe(16) made when the form is shown; anything else in the field is a tampered post.
NONCE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
# Radios are quickest to read and click up to this many options; beyond it a select is shorter.
SELECT_OVER = 6


@dataclass
class EntryField:
    """One question as the clerk sees it, with what was entered and what is wrong with it."""

    number: int
    question: Question
    widget: str  # radios, checkboxes, select, number, text, textarea
    options: list[Option] = field(default_factory=list)
    selected: list[str] = field(default_factory=list)  # choices ticked, or the text typed
    condition: str = ""
    error: str = ""

    @property
    def name(self) -> str:
        # Prefixed so that no question key can clash with the form's own fields.
        return f"q-{self.question.key}"

    @property
    def text(self) -> str:
        return self.selected[0] if self.selected else ""

    @property
    def range(self) -> str:
        """The allowed numbers, said before the clerk types rather than after."""
        low, high = self.question.min_value, self.question.max_value
        if self.question.kind != Kind.NUMBER or (low is None and high is None):
            return ""
        if low is not None and high is not None:
            return _("From %(min)s to %(max)s") % {"min": plain_number(low), "max": plain_number(high)}
        if low is not None:
            return _("%(min)s or more") % {"min": plain_number(low)}
        return _("%(max)s or less") % {"max": plain_number(high)}

    @property
    def grouped(self) -> bool:
        return any(option.group for option in self.options)


def _widget(question: Question, options: list[Option]) -> str:
    if question.kind == Kind.MULTIPLE:
        return "checkboxes"
    if question.kind in SEGMENT_KINDS:
        return "select" if len(options) > SELECT_OVER else "radios"
    if question.kind in (Kind.SINGLE, Kind.YES_NO, Kind.SCALE):
        return "radios"
    return {Kind.NUMBER: "number", Kind.LONG_TEXT: "textarea"}.get(question.kind, "text")


def _condition(question: Question, options: dict[int, list[Option]]) -> str:
    """"Only if <question> is <answer>", in the words of the earlier question's options."""
    earlier = question.show_if_question
    if earlier is None:
        return ""
    labels = {option.value: option.label for option in options.get(earlier.pk, [])}
    return _("Only if “%(question)s” is “%(answer)s”") % {
        "question": earlier.text,
        "answer": labels.get(question.show_if_equals, question.show_if_equals),
    }


def entry_fields(
    questions: list[Question],
    options: dict[int, list[Option]],
    entered: dict[str, object],
    errors: dict[str, AnswerError],
) -> list[EntryField]:
    fields = []
    for number, question in enumerate(questions, start=1):
        raw = entered.get(question.key)
        selected = [v for v in (raw if isinstance(raw, list) else [raw]) if isinstance(v, str) and v != ""]
        error = errors.get(question.key)
        fields.append(
            EntryField(
                number=number,
                question=question,
                widget=_widget(question, options[question.pk]),
                options=options[question.pk],
                selected=selected,
                condition=_condition(question, options),
                error=error_message(error, question) if error else "",
            )
        )
    return fields


def _posted(data: QueryDict, question: Question) -> object:
    """The raw answer as posted. Two values for a single-choice question are passed on as a
    list, so validation refuses them instead of one being picked silently."""
    values = data.getlist(f"q-{question.key}")
    if question.kind == Kind.MULTIPLE or len(values) > 1:
        return values
    return values[0] if values else None


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@never_cache  # the Back button fetches a fresh form (and nonce) instead of the filled-in one
def assisted_entry(request: HttpRequest, slug: str) -> HttpResponse:
    """Show an empty form (with a fresh nonce), or record the posted one.

    The nonce, made when the form is shown, is the response's submission key: a double click
    or a retried post records one response, and the clerk sees its number either way.
    """
    # A draft's questions may still change, so answers entered now could lose their meaning.
    survey = get_for_member_or_404(
        Survey.objects.exclude(status=Status.DRAFT).select_related("team"), request.user, Action.ENTER, slug=slug
    )
    questions = list(survey.questions.select_related("show_if_question").prefetch_related("choices"))
    options = answer_options(questions)
    entered: dict[str, object] = {}
    errors: dict[str, AnswerError] = {}
    if request.method == "POST":
        nonce = request.POST.get("nonce", "")
        if not NONCE.fullmatch(nonce):
            return HttpResponseBadRequest(_("This form is incomplete. Open the entry page again and enter the answers."))
        key = f"assisted:{nonce}"
        earlier = Response.objects.filter(submission_key=key).values_list("pk", flat=True).first()
        if earlier is not None:
            # A double click, a retried post, or an old form posted again from the browser's
            # history: its answers are kept once, and the clerk is told which response has them.
            messages.info(
                request, _("This form was already saved as response #%(number)s; it was not saved again.") % {"number": earlier}
            )
            return redirect("surveys:assisted", slug=survey.slug)
        entered = {question.key: _posted(request.POST, question) for question in questions}
        try:
            response = response_record(
                survey=survey, answers=entered, channel=Channel.ASSISTED, entered_by=request.user,
                reject_hidden=True, submission_key=key,
            )
        except ResponseInvalid as invalid:
            errors = invalid.errors
        else:
            messages.success(request, _("Response #%(number)s saved.") % {"number": response.pk})
            # Redirect to an empty form: the clerk goes on to the next one, and reloading the
            # page cannot post the same answers again.
            return redirect("surveys:assisted", slug=survey.slug)
    else:
        nonce = secrets.token_urlsafe(16)
    fields = entry_fields(questions, options, entered, errors)
    return TemplateResponse(
        request,
        "surveys/assisted/response_entry.html",
        {
            "survey": survey,
            "fields": fields,
            "errors": [f for f in fields if f.error],
            "nonce": nonce,
            "closed": survey.status == Status.CLOSED,
        },
    )
