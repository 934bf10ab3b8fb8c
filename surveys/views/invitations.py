"""Invitations in the staff area: a survey's batches of single-use links, a form to make one,
and the downloads — the links as CSV for a mailing, and printable posters or cut-out cards.

Every member of the owning team sees the batches. Making them and downloading the links takes
a role that prints and enters (planner, clerk): each link lets a person answer once, so the
links are handed out like ballot papers. The open-link poster is for every member, since that
address is public anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from http import HTTPStatus

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe, require_http_methods

from citylab import audit
from citylab.access import Action, get_for_member_or_404, may
from citylab.models import Community
from surveys import posters
from surveys.invitations import (
    MAX_BATCH,
    batch_sheet,
    create_batch,
    links_csv,
    open_sheet,
    open_url,
    part_count,
    part_range,
)
from surveys.models import InvitationBatch, Status, Survey


class BatchForm(forms.Form):
    label = forms.CharField(
        label=_("Name of the batch"),
        max_length=200,
        help_text=_(
            "So that your team can tell the batches apart, for example “Lighthouse community, notice "
            "boards”. It is printed small at the foot of each poster or card."
        ),
        error_messages={"required": _("Enter a name for the batch.")},
    )
    audience = forms.ChoiceField(
        label=_("Who the links are for"),
        choices=InvitationBatch.Audience.choices,
        error_messages={
            "required": _("Choose who the links are for."),
            "invalid_choice": _("Choose who the links are for: a community, a panel or a mailing."),
        },
    )
    community = forms.TypedChoiceField(
        label=_("Community"),
        required=False,
        coerce=int,
        empty_value=None,
        help_text=_("Needed when the links are for a community."),
        error_messages={"invalid_choice": _("Choose a community from the list.")},
    )
    size = forms.IntegerField(
        label=_("Number of links"),
        min_value=1,
        max_value=MAX_BATCH,
        help_text=_(
            "From 1 to 2000. Up to 50 links print as one A4 poster each; more print as cut-out "
            "cards, six to a page."
        ),
        error_messages={
            "required": _("Enter how many links to make."),
            "invalid": _("Enter the number of links as a whole number, such as 200."),
            "min_value": _("Make at least 1 link."),
            "max_value": _("A batch holds at most 2000 links. For more, make several batches."),
        },
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Grouped by district, as people know them; one query for the whole list.
        self.communities = {c.pk: c for c in Community.objects.select_related("district")}
        groups: dict[str, list[tuple[int, str]]] = {}
        for community in self.communities.values():
            groups.setdefault(community.district.name, []).append((community.pk, community.name))
        self.fields["community"].choices = [("", _("No community")), *groups.items()]
        self.fields["size"].widget.attrs["inputmode"] = "numeric"

    def clean_community(self) -> Community | None:
        pk = self.cleaned_data["community"]
        return None if pk is None else self.communities[pk]

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("audience") == InvitationBatch.Audience.COMMUNITY and not cleaned.get("community"):
            if "community" not in self.errors:
                self.add_error("community", ValidationError(_("Choose the community these links are for.")))
        return cleaned


@dataclass(frozen=True)
class Download:
    """One PDF of a batch: `part` for the URL, the 1-based numbers of the links it holds."""

    part: int
    first: int
    last: int
    cards: bool  # cut-out cards rather than one poster a link
    only: bool  # the whole batch is this one file


def batches_of(survey: Survey) -> QuerySet[InvitationBatch]:
    """The survey's batches with how many links were used: one query, however many links."""
    return survey.invitation_batches.select_related("community__district", "created_by").annotate(
        used=Count("invitations", filter=Q(invitations__used_at__isnull=False))
    )


def downloads(batch: InvitationBatch) -> list[Download]:
    count = part_count(batch)
    cards = batch.size > posters.POSTER_LIMIT
    return [
        Download(part, links.start + 1, links.stop, cards, count == 1)
        for part, links in ((part, part_range(batch, part)) for part in range(1, count + 1))
    ]


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def batch_list(request: HttpRequest, slug: str) -> HttpResponse:
    """The batches, their downloads, and for planners and clerks the form to make one."""
    survey = get_for_member_or_404(Survey.objects.all(), request.user, Action.VIEW, slug=slug)
    may_make = may(request.user, Action.ENTER, survey)
    if request.method == "POST" and not may_make:
        raise PermissionDenied
    form = BatchForm(request.POST or None) if may_make else None
    if request.method == "POST" and form.is_valid():
        batch = create_batch(survey=survey, created_by=request.user, **form.cleaned_data)
        messages.success(
            request,
            ngettext(
                "Made %(count)s link in the batch “%(label)s”. Download it below.",
                "Made %(count)s links in the batch “%(label)s”. Download them below.",
                batch.size,
            )
            % {"count": batch.size, "label": batch.label},
        )
        return redirect("surveys:invitations", slug=survey.slug)
    batches = [(batch, downloads(batch)) for batch in batches_of(survey)]
    return TemplateResponse(
        request,
        "surveys/invitations/batch_list.html",
        {
            "survey": survey,
            "form": form,
            "batches": batches,
            "may_make": may_make,
            "open_url": open_url(request, survey),
            "not_open": not_open_reason(survey),
        },
    )


def not_open_reason(survey: Survey) -> str:
    """Why links would not work today ("draft", "not_yet", "closed"), or "" when they do."""
    now = timezone.now()
    if survey.is_accepting(now):
        return ""
    if survey.status == Status.DRAFT:
        return "draft"
    if survey.status == Status.OPEN and survey.opens_at and now < survey.opens_at:
        return "not_yet"
    return "closed"


@require_safe
@login_required
@never_cache  # the file holds the links themselves: no copy should stay in a shared cache
def batch_links(request: HttpRequest, slug: str, batch_id: int) -> HttpResponse:
    batch = _batch(request, slug, batch_id)
    # The links are the residents' keys to the survey: who took a copy is in the trail.
    audit.record(request, "invitations.exported", batch, team=batch.survey.team, survey=slug)
    response = HttpResponse(links_csv(request, batch), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{slug}-invitations-{batch.pk}.csv"'
    return response


@require_safe
@login_required
@never_cache
def batch_poster(request: HttpRequest, slug: str, batch_id: int) -> HttpResponse:
    """Posters or cards of one batch; a large batch in parts of 300 cards (`?part=2`)."""
    batch = _batch(request, slug, batch_id)
    try:
        part = int(request.GET.get("part", "1"))
    except ValueError:
        raise Http404 from None
    if not 1 <= part <= part_count(batch):
        raise Http404
    suffix = f"-{part}" if part_count(batch) > 1 else ""
    return _pdf(posters.poster_pdf(batch_sheet(request, batch, part)), f"{slug}-invitations-{batch.pk}{suffix}.pdf")


@require_safe
@login_required
def open_poster(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_for_member_or_404(Survey.objects.all(), request.user, Action.VIEW, slug=slug)
    return _pdf(posters.poster_pdf(open_sheet(request, survey)), f"{slug}-poster.pdf")


def _batch(request: HttpRequest, slug: str, batch_id: int) -> InvitationBatch:
    """Through the survey, so that another team's batch is not found whatever its id."""
    survey = get_for_member_or_404(Survey.objects.all(), request.user, Action.ENTER, slug=slug)
    return get_object_or_404(survey.invitation_batches, pk=batch_id)


def _pdf(data: bytes, filename: str) -> HttpResponse:
    # Inline: the browser opens its viewer, from which the clerk prints.
    response = HttpResponse(data, content_type="application/pdf", status=HTTPStatus.OK)
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response
