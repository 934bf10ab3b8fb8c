"""The resident web channel: one question per page, check your answers, submit.

Plain form posts and redirects (works without JavaScript); progress lives on the server under
a long-lived cookie, so a resident can close the tab and come back to the same link.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Sequence
from http import HTTPStatus

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe, require_http_methods

from citylab.keptpages import render_kept
from surveys import flow
from surveys.messages import error_message
from surveys.options import Option
from surveys.models import PREFER_NOT_TO_SAY, Channel, Invitation, Kind, Progress, Question, Status, Survey
from surveys.services import InvitationUsed, ResponseInvalid, response_record
from surveys.structure import SurveyStructure, survey_structure
from surveys.visits import save_answers, survey_visit
from surveys.validation import AnswerError, clean_one

COOKIE_AGE = 365 * 24 * 3600  # no time limit: a year to come back


COOKIE_PREFIX = "citylab_survey_"
# Progress and invitation tokens are made by secrets.token_urlsafe. Anything else in a cookie
# or a link was not made here and is not looked up: a NUL in it made PostgreSQL refuse the
# query, a server error instead of a fresh start or the "unknown link" page.
TOKEN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _cookie(survey: Survey) -> str:
    return f"{COOKIE_PREFIX}{survey.pk}"


def _survey_or_unavailable(request: HttpRequest, slug: str) -> Survey | TemplateResponse:
    """The survey when residents may answer it now; otherwise a friendly page saying why.

    A returning resident's progress is read in the same query (its cookie is scoped to this
    survey's path) and kept on the request for `_progress`: one query fewer on every page.
    """
    tokens = [value for name, value in request.COOKIES.items()
              if name.startswith(COOKIE_PREFIX) and TOKEN.fullmatch(value)]
    survey, progress = survey_visit(slug, tokens)
    if survey is None:
        raise Http404
    request.survey_progress = progress  # type: ignore[attr-defined]
    if survey.is_accepting():
        return survey
    if survey.status == Status.DRAFT:
        reason, status = "draft", HTTPStatus.NOT_FOUND
    elif survey.status == Status.OPEN and survey.opens_at and timezone.now() < survey.opens_at:
        reason, status = "not_yet", HTTPStatus.OK
    else:
        reason, status = "closed", HTTPStatus.GONE
    return TemplateResponse(
        request, "surveys/resident/unavailable.html", {"survey": survey, "reason": reason}, status=status
    )


def _progress(request: HttpRequest, survey: Survey) -> Progress | None:
    token = request.COOKIES.get(_cookie(survey))
    if not token or not TOKEN.fullmatch(token):
        return None
    known = getattr(request, "survey_progress", None)
    if known is not None and known.survey_id == survey.pk and known.token == token:
        return known
    return Progress.objects.filter(survey=survey, token=token).first()


def _remember(response: HttpResponse, request: HttpRequest, survey: Survey, progress: Progress) -> HttpResponse:
    response.set_cookie(
        _cookie(survey), progress.token, max_age=COOKIE_AGE, httponly=True, samesite="Lax",
        secure=request.is_secure(), path=f"/s/{survey.slug}/",
    )
    return response


def _question_url(survey: Survey, key: str | None, *, change: bool = False) -> str:
    if key is None:
        return reverse("surveys:check", kwargs={"slug": survey.slug})
    url = reverse("surveys:question", kwargs={"slug": survey.slug, "key": key})
    return f"{url}?change=1" if change else url


@require_safe
def start(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_or_unavailable(request, slug)
    if not isinstance(survey, Survey):
        return survey
    progress = _progress(request, survey)
    if progress is not None and progress.response_id:
        return TemplateResponse(request, "surveys/resident/done.html", {"survey": survey, "again": True})
    specs = survey_structure(survey).flow
    resume = None
    if progress is not None and progress.seen:
        resume = _question_url(survey, flow.first_unseen(specs, progress.answers, progress.seen))
    first = _question_url(survey, flow.next_key(specs, {}, None))
    return TemplateResponse(
        request, "surveys/resident/start.html",
        {"survey": survey, "first_url": first, "resume_url": resume, "question_count": len(specs)},
    )


def _options(structure: SurveyStructure, question: Question, district_code: str | None) -> list[tuple[str, str]]:
    """(value, label) pairs in display order; "prefer not to say" is added by the template.

    Communities are narrowed to the district answered earlier, so an older resident scrolls
    past five names, not thirty.
    """
    options = [o for o in structure.answer_options([question])[question.pk] if o.value != PREFER_NOT_TO_SAY]
    if question.kind == Kind.COMMUNITY and district_code:
        options = [o for o in options if o.group_code == district_code] or options
    return [(o.value, o.label) for o in options]


def _district_answer(questions: Sequence[Question], answers: dict[str, object]) -> str | None:
    for q in questions:
        if q.kind == Kind.DISTRICT and isinstance(answers.get(q.key), str):
            return answers[q.key]  # type: ignore[return-value]
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def question(request: HttpRequest, slug: str, key: str) -> HttpResponse:
    survey = _survey_or_unavailable(request, slug)
    if not isinstance(survey, Survey):
        return survey
    progress = _progress(request, survey)
    if progress is not None and progress.response_id:
        return HttpResponseRedirect(reverse("surveys:start", kwargs={"slug": slug}))
    answers: dict[str, object] = dict(progress.answers) if progress else {}
    structure = survey_structure(survey)
    questions, specs = structure.questions, structure.flow
    current = structure.by_key.get(key)
    if current is None:
        raise Http404
    shown = [spec.key for spec in flow.visible(specs, answers)]
    change = request.GET.get("change") == "1"
    error: AnswerError | None = None
    raw: object = answers.get(key)

    if key not in shown:
        if request.method == "POST":
            error = AnswerError("hidden")
        else:  # an earlier answer made this question irrelevant: go on where the resident is
            seen = progress.seen if progress else []
            return HttpResponseRedirect(_question_url(survey, flow.first_unseen(specs, answers, seen)))
    elif request.method == "POST":
        raw = request.POST.getlist("answer") if current.kind == Kind.MULTIPLE else request.POST.get("answer", "")
        value, error = clean_one(structure.spec(survey, current), raw)
        if error is None and value is None and current.required:
            error = AnswerError("required")
        if error is None:
            progress = _save_answer(survey, progress, key, value)
            answers = progress.answers
            if change and flow.first_unseen(specs, answers, progress.seen) is None:
                target = _question_url(survey, None)
            else:
                target = _question_url(survey, flow.next_key(specs, answers, key))
            return _remember(HttpResponseRedirect(target), request, survey, progress)

    previous = flow.previous_key(specs, answers, key)
    back_url = (
        _question_url(survey, None) if change
        else _question_url(survey, previous) if previous
        else reverse("surveys:start", kwargs={"slug": slug})
    )
    selected = raw if isinstance(raw, list) else ([raw] if isinstance(raw, str) and raw else [])
    is_choice = current.kind not in (Kind.NUMBER, Kind.SHORT_TEXT, Kind.LONG_TEXT)
    context = {
        "survey": survey,
        "question": current,
        "options": _options(structure, current, _district_answer(questions, answers)),
        "is_choice": is_choice,
        "input_type": "checkbox" if current.kind == Kind.MULTIPLE else "radio",
        "prefer_not_value": PREFER_NOT_TO_SAY,
        "selected": selected,
        # A chosen answer is one of the question's own values, not text the resident typed.
        "text_value": raw if isinstance(raw, str) and not is_choice else "",
        "error": error_message(error, current) if error else "",
        "back_url": back_url,
        "number": shown.index(key) + 1 if key in shown else None,
        "total": len(shown),
        "change": change,
    }
    if error or context["text_value"]:
        # What the resident typed is theirs alone: a page holding it is not one to share, and
        # keeping every such page would let a script fill the store with its posts.
        status = HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK
        return TemplateResponse(request, "surveys/resident/question.html", context, status=status)
    return render_kept(request, "surveys/resident/question.html", context)


def _save_answer(survey: Survey, progress: Progress | None, key: str, value) -> Progress:
    if progress is None:
        progress = Progress(survey=survey, token=secrets.token_urlsafe(24))
    if value is None:
        progress.answers.pop(key, None)
    else:
        progress.answers[key] = flow.stored(value)
    if key not in progress.seen:
        progress.seen.append(key)
    save_answers(progress)
    return progress


@require_http_methods(["GET", "HEAD", "POST"])
def check(request: HttpRequest, slug: str) -> HttpResponse:
    survey = _survey_or_unavailable(request, slug)
    if not isinstance(survey, Survey):
        return survey
    progress = _progress(request, survey)
    structure = survey_structure(survey)
    questions, specs = structure.questions, structure.flow
    if progress is None:
        return HttpResponseRedirect(_question_url(survey, flow.next_key(specs, {}, None)))
    if progress.response_id:
        return HttpResponseRedirect(reverse("surveys:done", kwargs={"slug": slug}))
    unseen = flow.first_unseen(specs, progress.answers, progress.seen)
    if unseen is not None:
        return HttpResponseRedirect(_question_url(survey, unseen))
    if request.method == "POST":
        try:
            response = response_record(
                survey=survey, answers=progress.answers, channel=Channel.WEB, invitation=progress.invitation,
                submission_key=f"web:{progress.token}", started_at=progress.created_at,
            )
        except InvitationUsed:
            return TemplateResponse(
                request, "surveys/resident/unavailable.html", {"survey": survey, "reason": "used"},
                status=HTTPStatus.GONE,
            )
        except ResponseInvalid as invalid:
            # The survey changed while this resident was answering: ask the question again, or,
            # when only answers to questions deleted since were refused, drop those and check again.
            first_bad = next((q.key for q in questions if q.key in invalid.errors), None)
            keys = {q.key for q in questions}
            for key in [k for k in invalid.errors if k not in keys] + [first_bad]:
                progress.answers.pop(key, None)
            progress.seen = [k for k in progress.seen if k != first_bad]
            progress.save(update_fields=["answers", "seen", "updated_at"])
            return HttpResponseRedirect(_question_url(survey, first_bad))
        progress.response = response
        progress.save(update_fields=["response", "updated_at"])
        return HttpResponseRedirect(reverse("surveys:done", kwargs={"slug": slug}))
    shown = {spec.key for spec in flow.visible(specs, progress.answers)}
    options = structure.answer_options([q for q in questions if q.key in shown])
    rows = [
        {
            "question": q,
            "answer": _answer_text(q, progress.answers.get(q.key), options[q.pk]),
            "url": _question_url(survey, q.key, change=True),
        }
        for q in questions if q.key in shown
    ]
    return TemplateResponse(request, "surveys/resident/check.html", {"survey": survey, "rows": rows})


def _answer_text(question: Question, value: object, options: list[Option]) -> list[str]:
    """What the resident chose, in words, for the check-your-answers page."""
    if value is None or value == "" or value == []:
        return []
    values = value if isinstance(value, list) else [value]
    labels = {o.value: o.label for o in options}
    return [labels.get(str(v), str(v)) for v in values]


@require_safe
def done(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_object_or_404(Survey.objects.exclude(status=Status.DRAFT), slug=slug)
    progress = _progress(request, survey)
    if progress is None or not progress.response_id:
        return HttpResponseRedirect(reverse("surveys:start", kwargs={"slug": slug}))
    return TemplateResponse(request, "surveys/resident/done.html", {"survey": survey})


@require_safe
def invitation(request: HttpRequest, slug: str, token: str) -> HttpResponse:
    """A single-use link: start a fresh answer sheet tied to it, then go to the start page."""
    survey = _survey_or_unavailable(request, slug)
    if not isinstance(survey, Survey):
        return survey
    invite = Invitation.objects.filter(token=token, batch__survey=survey).first() if TOKEN.fullmatch(token) else None
    if invite is None:
        return TemplateResponse(
            request, "surveys/resident/unavailable.html", {"survey": survey, "reason": "unknown_link"},
            status=HTTPStatus.NOT_FOUND,
        )
    if invite.used_at is not None:
        return TemplateResponse(
            request, "surveys/resident/unavailable.html", {"survey": survey, "reason": "used"}, status=HTTPStatus.GONE
        )
    progress = _progress(request, survey)
    if progress is None or progress.response_id or (progress.invitation_id and progress.invitation_id != invite.pk):
        progress = Progress(survey=survey, token=secrets.token_urlsafe(24))
    progress.invitation = invite
    progress.save()
    redirect = HttpResponseRedirect(reverse("surveys:start", kwargs={"slug": slug}))
    return _remember(redirect, request, survey, progress)
