"""Survey definition files in the builder: download a survey as JSON, upload one to create a
survey. The format lives in surveys.definition_format, its checks in surveys.interchange; these
views only move files."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe, require_http_methods

from citylab.access import Action, roles_allowed
from citylab.models import Team
from surveys.definitions import create_survey, survey_to_json
from surveys.definition_format import DefinitionError
from surveys.interchange import parse_definition
from surveys.models import Survey

# A definition with a hundred questions is some 50 kB; anything near a megabyte is the wrong file.
UPLOAD_LIMIT = 1024 * 1024


class DefinitionUploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None, label=_("Team"))
    file = forms.FileField(
        label=_("Survey file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".json,application/json"}),
        help_text=_(
            "A survey definition file, such as one downloaded from a survey's page. "
            "The survey is created as the file describes it. At most 1 MB."
        ),
    )

    def __init__(self, *args, teams: QuerySet[Team], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > UPLOAD_LIMIT:
            raise ValidationError(
                _("The file is larger than 1 MB, so it cannot be a survey definition. Choose the survey's file.")
            )
        return upload


@require_safe
@login_required
def definition_export(request: HttpRequest, slug: str) -> HttpResponse:
    """Any member of the owning team may download; to everyone else the survey does not exist."""
    survey = get_object_or_404(Survey.objects.for_member(request.user), slug=slug)
    response = HttpResponse(survey_to_json(survey), content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{survey.slug}.json"'
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def definition_import(request: HttpRequest) -> HttpResponse:
    """Create a survey from an uploaded definition, for one of the user's teams where they
    design surveys. A file with problems creates nothing and lists every problem."""
    teams = Team.objects.for_member(request.user, roles=roles_allowed(Action.DESIGN)).order_by("code")
    if not teams.exists():
        raise PermissionDenied
    form = DefinitionUploadForm(request.POST or None, request.FILES or None, teams=teams)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            definition = parse_definition(form.cleaned_data["file"].read())
            survey = create_survey(definition, team=form.cleaned_data["team"])
        except DefinitionError as error:
            problems = error.problems
        else:
            count = len(definition.questions)
            messages.success(
                request,
                ngettext(
                    "Survey “%(title)s” created with %(count)s question.",
                    "Survey “%(title)s” created with %(count)s questions.",
                    count,
                )
                % {"title": survey.title, "count": count},
            )
            return redirect("surveys:builder", slug=survey.slug)
    return TemplateResponse(
        request, "surveys/interchange/definition_import.html", {"form": form, "problems": problems}
    )
