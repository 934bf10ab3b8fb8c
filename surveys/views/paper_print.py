"""The print page of a survey's paper forms: a form to print a batch, the batches printed so far,
and each batch's PDF, drawn again from the layout and serials it was printed with.

Every member of the owning team sees the batches; printing and downloading take a role that
enters answers (planner, clerk), since each serial on a form becomes one counted response.
"""

from __future__ import annotations

import io
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe, require_http_methods

from citylab.access import Action, get_for_member_or_404, may
from citylab.models import Community
from surveys.models import Survey
from surveys.paper.printing import (
    LANGUAGE_OPTIONS,
    MAX_COPIES,
    PART_COPIES,
    PrintRefused,
    batch_parts,
    batch_serials,
    print_batch,
    printable_problem,
    write_batch_pdf,
)


LANGUAGE_LABELS = {
    "zh-hans,en": _("Chinese, with English below"),
    "zh-hans": _("Chinese only"),
    "en": _("English only"),
}


class PrintForm(forms.Form):
    copies = forms.IntegerField(
        label=_("Number of copies"),
        min_value=1,
        max_value=MAX_COPIES,
        help_text=_("From 1 to 5000. Each copy gets its own serial number, printed on every page."),
        error_messages={
            "required": _("Enter how many copies to print."),
            "invalid": _("Enter the number of copies as a whole number, such as 200."),
            "min_value": _("Print at least 1 copy."),
            "max_value": _("A batch holds at most 5000 copies. For more, print several batches."),
        },
    )
    languages = forms.ChoiceField(
        label=_("Languages on the form"),
        choices=[(code, label) for code, label in LANGUAGE_LABELS.items()],
        initial="zh-hans,en",
        error_messages={"invalid_choice": _("Choose the languages from the list.")},
    )
    community = forms.TypedChoiceField(
        label=_("Community"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("When the forms go to one community, its answers are known to come from there."),
        error_messages={"invalid_choice": _("Choose a community from the list.")},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Grouped by district, as people know them; one query for the whole list.
        self.communities = {c.pk: c for c in Community.objects.select_related("district")}
        groups: dict[str, list[tuple[int, str]]] = {}
        for community in self.communities.values():
            groups.setdefault(community.district.name, []).append((community.pk, community.name))
        self.fields["community"].choices = [("", _("Not for one community")), *groups.items()]
        self.fields["copies"].widget.attrs["inputmode"] = "numeric"

    def clean_community(self) -> Community | None:
        pk = self.cleaned_data["community"]
        return None if pk is None else self.communities[pk]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def print_page(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.VIEW, slug=slug)
    may_print = may(request.user, Action.ENTER, survey)
    if request.method == "POST" and not may_print:
        raise PermissionDenied
    problem = printable_problem(survey)
    form = PrintForm(request.POST or None) if may_print and not problem else None
    if request.method == "POST" and form is not None and form.is_valid():
        try:
            batch = print_batch(
                survey=survey, copies=form.cleaned_data["copies"],
                languages=LANGUAGE_OPTIONS[form.cleaned_data["languages"]],
                community=form.cleaned_data["community"], user=request.user, request=request,
            )
        except PrintRefused as refused:
            form.add_error(None, str(refused))
        else:
            messages.success(
                request,
                _("Print batch #%(number)s is ready: %(copies)s copies, serials %(first)s to %(last)s. "
                  "Download its PDF below.")
                % {"number": batch.pk, "copies": batch.copies, "first": batch.first_serial, "last": batch.last_serial},
            )
            return redirect("surveys:paper_print", slug=survey.slug)
    batches = list(survey.print_batches.select_related("community__district", "created_by"))
    for batch in batches:
        batch.languages_label = LANGUAGE_LABELS.get(batch.languages, batch.languages)
        batch.parts = batch_parts(batch) if batch.copies > PART_COPIES else []
    return TemplateResponse(
        request,
        "surveys/paper/print_page.html",
        {"survey": survey, "form": form, "batches": batches, "may_print": may_print, "problem": problem,
         "max_copies": MAX_COPIES, "part_copies": PART_COPIES}
    )


@require_safe
@login_required
@never_cache  # the serials on the forms are like ballot papers: no copy in a shared cache
def batch_pdf(request: HttpRequest, slug: str, batch_id: int) -> HttpResponse:
    """The batch's forms, drawn again from the layout and serials it was printed with."""
    survey = get_for_member_or_404(Survey.objects.all(), request.user, Action.ENTER, slug=slug)
    batch = get_object_or_404(survey.print_batches, pk=batch_id)
    part, serials = None, batch_serials(batch)
    if "part" in request.GET:  # ?part=N of a large batch, as the print page links them
        parts = batch_parts(batch)
        number = request.GET["part"]
        if not (number.isascii() and number.isdigit() and 1 <= int(number) <= len(parts)):
            raise Http404
        part, serials = int(number), parts[int(number) - 1]
    buffer = io.BytesIO()
    write_batch_pdf(batch, buffer, part)
    response = HttpResponse(buffer.getvalue(), content_type="application/pdf")
    # Inline: the browser opens its viewer, from which the clerk prints.
    response["Content-Disposition"] = f'inline; filename="{slug}-paper-{serials[0]}-{serials[-1]}.pdf"'
    return response
