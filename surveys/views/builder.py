"""The survey builder: planners design surveys; every member of the team may read them.

Every change is a plain form post that redirects back to the builder, so it all works without
JavaScript. With htmx, the same views answer with only the part of the page that changed
(`TEMPLATE + "#question-list"`, the question editor, the status card): one view, one
template, two renderings.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget
from django_htmx.middleware import HtmxDetails

from citylab import textsize
from citylab.access import ALLOWED, Action, get_for_member_or_404, role_in, roles_allowed
from citylab.models import Team
from surveys import builder
from surveys.forms import KindForm, QuestionForm, SurveyForm
from surveys.models import Kind, Question, Survey

TEMPLATE = "surveys/builder/builder.html"
PREVIEW_LANGUAGES = {"zh-hans": "zh-Hans", "en": "en"}


class HtmxRequest(HttpRequest):
    htmx: HtmxDetails


def _survey(request: HttpRequest, slug: str, action: Action = Action.VIEW) -> Survey:
    """A survey of the user's teams: 404 for anyone else's, 403 when the role does not allow `action`."""
    return get_for_member_or_404(Survey.objects.select_related("team"), request.user, action, slug=slug)


def _question(survey: Survey, pk: int) -> Question:
    question = get_object_or_404(survey.questions.select_related("show_if_question"), pk=pk)
    question.survey = survey  # the one we already checked access to; saves a query
    return question


def _fragment(request: HtmxRequest) -> bool:
    return bool(request.htmx) and not request.htmx.boosted


def preview_links(survey: Survey) -> list[dict[str, object]]:
    """The six previews (two languages × three text sizes), labelled in the reader's language."""
    url = reverse("surveys:preview", kwargs={"slug": survey.slug})
    names = {"zh-hans": _("Chinese"), "en": _("English")}
    return [
        {
            "code": code,
            "name": names[code],
            "sizes": [
                {"size": size, "label": label, "url": f"{url}?{urlencode({'lang': code, 'size': size})}"}
                for size, label in textsize.SIZES.items()
            ],
        }
        for code in PREVIEW_LANGUAGES
    ]


def _builder_context(request: HtmxRequest, survey: Survey, **extra: object) -> dict[str, object]:
    allowed = ALLOWED.get(role_in(request.user, survey.team), frozenset())
    response_count = survey.responses.count()
    return {
        "survey": survey,
        "questions": list(
            survey.questions.order_by("position", "pk").select_related("show_if_question").prefetch_related("choices")
        ),
        "can_design": Action.DESIGN in allowed,
        "can_enter": Action.ENTER in allowed,
        "response_count": response_count,
        "locked": response_count > 0,
        "kinds": Kind.choices,
        "previews": preview_links(survey),
        "status": "",
        "error": "",
        "focus": "",
        "focus_fallback": "",
        **extra,
    }


def _list_changed(
    request: HtmxRequest, survey: Survey, message: str, *, error: bool = False, focus: str = "",
    focus_fallback: str = "", anchor: str = "",
) -> HttpResponse:
    """After a change to the questions: the fresh list for htmx, else a redirect with a message.

    `focus` (and `focus_fallback` when that element is gone) is where builder.js puts keyboard
    focus after the swap; `anchor` is where the redirected page scrolls to.
    """
    if _fragment(request):
        context = _builder_context(
            request, survey, status=message, error=message if error else "", focus=focus, focus_fallback=focus_fallback
        )
        response = TemplateResponse(request, TEMPLATE + "#question-list", context)
        # An editor posts to itself; on success the whole list replaces it (keys and conditions
        # shown on other cards may have changed too).
        return reswap(retarget(response, "#question-list"), "outerHTML")
    messages.add_message(request, messages.ERROR if error else messages.SUCCESS, message)
    return redirect(reverse("surveys:builder", kwargs={"slug": survey.slug}) + (f"#{anchor}" if anchor else ""))


def _status_changed(request: HtmxRequest, survey: Survey, message: str, *, error: bool = False) -> HttpResponse:
    if _fragment(request):
        context = _builder_context(request, survey, status=message, error=message if error else "")
        return TemplateResponse(request, TEMPLATE + "#survey-status", context)
    messages.add_message(request, messages.ERROR if error else messages.SUCCESS, message)
    return redirect("surveys:builder", slug=survey.slug)


# --- Surveys --------------------------------------------------------------------------------


@require_safe
@login_required
def survey_list(request: HtmxRequest) -> TemplateResponse:
    # One query for the table, however many surveys: the response count is a SQL aggregate.
    surveys = (
        Survey.objects.for_member(request.user)
        .select_related("team")
        .annotate(response_count=Count("responses"))
        .order_by("-created_at", "pk")
    )
    can_create = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN)).exists()
    return TemplateResponse(
        request, "surveys/builder/survey_list.html", {"surveys": surveys, "can_create": can_create}
    )


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def survey_create(request: HtmxRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN))
    if not teams.exists():
        raise PermissionDenied
    form = SurveyForm(request.POST or None, teams=teams)
    if request.method == "POST" and form.is_valid():
        survey = form.save()
        messages.success(request, _("Survey created. Now add its questions."))
        return redirect("surveys:builder", slug=survey.slug)
    return TemplateResponse(request, "surveys/builder/survey_form.html", {"form": form, "survey": None})


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def survey_edit(request: HtmxRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    form = SurveyForm(request.POST or None, instance=survey)
    if request.method == "POST" and form.is_valid():
        survey = form.save()
        messages.success(request, _("Survey details saved."))
        return redirect("surveys:builder", slug=survey.slug)
    return TemplateResponse(request, "surveys/builder/survey_form.html", {"form": form, "survey": survey})


@require_safe
@login_required
@vary_on_headers("HX-Request")
def survey_builder(request: HtmxRequest, slug: str) -> TemplateResponse:
    survey = _survey(request, slug)
    template = TEMPLATE
    if _fragment(request):
        template += "#question-list"  # "Cancel" in an editor brings back the list as it is
    return TemplateResponse(request, template, _builder_context(request, survey))


@require_safe
@login_required
def survey_preview(request: HtmxRequest, slug: str) -> HttpResponse:
    """The questions as residents will see them, in the chosen language and text size."""
    survey = _survey(request, slug)
    language = request.GET.get("lang", "")
    language = language if language in PREVIEW_LANGUAGES else translation.get_language()
    language = language if language in PREVIEW_LANGUAGES else "zh-hans"
    size = request.GET.get("size", "")
    size = size if size in textsize.SIZES else textsize.DEFAULT
    # Rendered inside the override: labels and texts are chosen as the template reads them.
    with translation.override(language):
        questions = list(
            survey.questions.order_by("position", "pk").select_related("show_if_question").prefetch_related("choices")
        )
        context = {
            "survey": survey,
            "items": builder.preview_items(questions),
            "text_size": size,  # overrides the visitor's own setting, for this page only
            "preview_language": language,
            "previews": preview_links(survey),
        }
        response = TemplateResponse(request, "surveys/builder/preview.html", context)
        response.render()
    return response


@require_POST
@login_required
@vary_on_headers("HX-Request")
def survey_publish(request: HtmxRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    error = builder.survey_publish(survey)
    return _status_changed(request, survey, error or _("The survey is open: residents can answer it."), error=bool(error))


@require_POST
@login_required
@vary_on_headers("HX-Request")
def survey_close(request: HtmxRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    error = builder.survey_close(survey)
    return _status_changed(request, survey, error or _("The survey is closed: it takes no more answers."), error=bool(error))


@require_POST
@login_required
def survey_duplicate(request: HtmxRequest, slug: str) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    copy = builder.survey_duplicate(survey)
    messages.success(
        request, _("This is a draft copy of “%(slug)s”, without its responses: change it as you need.") % {"slug": survey.slug}
    )
    url = reverse("surveys:builder", kwargs={"slug": copy.slug})
    # A new survey is a new page, also when the button was pressed inside an htmx fragment.
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


# --- Questions ------------------------------------------------------------------------------


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def question_new(request: HtmxRequest, slug: str) -> HttpResponse:
    """Step 1 picks the kind (GET without one); step 2 fills the question of that kind."""
    survey = _survey(request, slug, Action.DESIGN)
    kind = request.POST.get("kind") if request.method == "POST" else request.GET.get("kind")
    if kind not in Kind.values:
        template = "surveys/builder/question_kind.html"
        if _fragment(request):
            template += "#kind-picker"
        form = KindForm(request.GET if "kind" in request.GET else None)
        return TemplateResponse(request, template, {"survey": survey, "form": form})
    form = QuestionForm(
        request.POST or None, survey=survey, kind=kind, locked=survey.has_responses(), auto_id="add-question-%s"
    )
    if request.method == "POST" and form.is_valid():
        question = form.save()
        return _list_changed(
            request, survey, _("Question “%(key)s” added.") % {"key": question.key},
            focus=f"q-{question.pk}-title", anchor=f"q-{question.pk}",
        )
    return _editor(request, survey, form, editor_id="add-question", action=request.path)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def question_edit(request: HtmxRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    question = _question(survey, pk)
    form = QuestionForm(
        request.POST or None, instance=question, survey=survey, locked=survey.has_responses(), auto_id=f"q-{pk}-%s"
    )
    if request.method == "POST" and form.is_valid():
        question = form.save()
        return _list_changed(
            request, survey, _("Question “%(key)s” saved.") % {"key": question.key},
            focus=f"q-{question.pk}-title", anchor=f"q-{question.pk}",
        )
    return _editor(request, survey, form, editor_id=f"q-{question.pk}", action=request.path, question=question)


def _editor(request: HtmxRequest, survey: Survey, form: QuestionForm, *, editor_id: str, action: str,
            question: Question | None = None) -> TemplateResponse:
    template = "surveys/builder/question_form.html"
    if _fragment(request):
        template += "#question-editor"
    earlier = [
        q for q in survey.questions.order_by("position", "pk").prefetch_related("choices")
        if q.kind in builder.CONDITION_KINDS and (question is None or (q.position, q.pk) < (question.position, question.pk))
    ]
    context = {
        "survey": survey,
        "form": form,
        "question": question,
        "editor_id": editor_id,
        "action": action,
        "locked": form.locked,
        "condition_values": [(q, builder.question_answer_values(q)) for q in earlier],
    }
    return TemplateResponse(request, template, context)


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@vary_on_headers("HX-Request")
def question_delete(request: HtmxRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    question = _question(survey, pk)
    if request.method == "POST":
        error = builder.question_delete(question)
        if error:
            return _list_changed(request, survey, error, error=True, focus_fallback=f"q-{pk}-title")
        return _list_changed(request, survey, _("Question “%(key)s” deleted.") % {"key": question.key},
                             focus="questions-heading")
    template = "surveys/builder/question_delete.html"
    if _fragment(request):
        template += "#delete-confirm"
    context = {"survey": survey, "question": question, "refused": builder.delete_refusal(question),
               "locked": survey.has_responses()}
    return TemplateResponse(request, template, context)


@require_POST
@login_required
@vary_on_headers("HX-Request")
def question_move(request: HtmxRequest, slug: str, pk: int) -> HttpResponse:
    survey = _survey(request, slug, Action.DESIGN)
    question = _question(survey, pk)
    direction = request.POST.get("direction")
    if direction not in ("up", "down"):
        return HttpResponseBadRequest(_("Say which way to move: up or down."))
    error = builder.question_move(question, direction)
    if error:
        return _list_changed(request, survey, error, error=True, focus_fallback=f"q-{pk}-title")
    message = (_("Moved “%(key)s” up.") if direction == "up" else _("Moved “%(key)s” down.")) % {"key": question.key}
    return _list_changed(request, survey, message, focus=f"move-{direction}-{pk}", focus_fallback=f"q-{pk}-title")


