"""Scanned paper forms in the back office: upload a batch, watch it being read, and decide the
marks the machine is unsure of, one question at a time.

The work itself is in surveys.paper.scanning (reading) and surveys.paper.completion (decisions);
these views move files and decisions. Clerks and planners upload, review and decide
(Action.ENTER); viewers follow the batches' progress and counts only. A scanned page is one
resident's whole form, handwriting included, so its image, its crops and the review pages
showing them are for those who work with single answers (as the response exports are), and
are served through `page_image` and `review_crop`, never as public media.
"""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext
from django.views.decorators.http import require_safe, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from citylab import audit
from citylab.access import Action, get_for_member_or_404, may, roles_allowed
from citylab.models import Team
from surveys.models import Kind, Question
from surveys.options import answer_options
from surveys.paper.completion import decide
from surveys.paper.models import PageStatus, ReviewItem, ReviewKind, ScanBatch, ScanPage, ScanStatus
from surveys.paper.scanfiles import MAX_FILE_BYTES, MAX_PAGES_PER_FILE
from surveys.paper.scanning import accept_upload
from surveys.paper.tasks import enqueue_batch
from surveys.views.paper_identify import review_page

PAGES_PER_SCREEN = 100


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one field (Django's documented pattern)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ".pdf,.tif,.tiff,.png,.jpg,.jpeg"}))
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            return [single(item, initial) for item in data]
        return [single(data, initial)]


class ScanUploadForm(forms.Form):
    team = forms.ModelChoiceField(queryset=Team.objects.none(), empty_label=None, label=gettext_lazy("Team"))
    files = MultipleFileField(
        label=gettext_lazy("Scanned forms"),
        error_messages={"required": gettext_lazy("Choose at least one scanned file.")},
    )

    def __init__(self, *args, teams, only: bool = False, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Set per form, in the request's language (a lazy string interpolated at import would
        # be fixed in whatever language was active then).
        self.fields["files"].help_text = _(
            "PDF, TIFF, PNG or JPEG files from a scanner or phone; choose as many as you like. "
            "At most %(size)s MB and %(pages)s pages per file."
        ) % {"size": MAX_FILE_BYTES // 1024 // 1024, "pages": f"{MAX_PAGES_PER_FILE:,}"}
        self.fields["team"].queryset = teams
        if only:  # one team: nothing to choose
            self.fields["team"].widget = forms.HiddenInput()

    def clean_files(self):
        files = self.cleaned_data["files"]
        if not files:
            raise ValidationError(_("Choose at least one scanned file."))
        return files


def _open_items(batch_ref) -> Subquery:
    return Subquery(
        ReviewItem.objects.filter(page__batch=batch_ref, decided_at=None)
        .order_by().values("page__batch").annotate(n=Count("pk")).values("n")
    )


@require_safe
@login_required
def scan_list(request: HttpRequest) -> HttpResponse:
    """The user's teams' scan batches, newest first, with what remains to review in each."""
    batches = (
        ScanBatch.objects.for_member(request.user)
        .select_related("uploaded_by", "team")
        .annotate(open_items=Coalesce(_open_items(OuterRef("pk")), 0))
        .order_by("-created_at", "-pk")
    )
    page = Paginator(batches, 50).get_page(request.GET.get("page"))
    can_upload = Team.objects.for_member(request.user, roles=roles_allowed(Action.ENTER)).exists()
    return TemplateResponse(request, "surveys/paper/scan_list.html", {
        "page": page, "can_upload": can_upload,
        "reviewing_teams": set(Team.objects.for_member(request.user, roles=roles_allowed(Action.ENTER))
                               .values_list("pk", flat=True)),
    })


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def scan_upload(request: HttpRequest) -> HttpResponse:
    teams = Team.objects.for_member(request.user, roles=roles_allowed(Action.ENTER)).order_by("code")
    choices = list(teams)
    if not choices:
        raise PermissionDenied
    form = ScanUploadForm(request.POST or None, request.FILES or None, teams=teams, only=len(choices) == 1,
                          initial={"team": choices[0]} if len(choices) == 1 else None)
    if request.method == "POST" and form.is_valid():
        outcome = accept_upload(team=form.cleaned_data["team"], user=request.user, files=form.cleaned_data["files"])
        batch = outcome.batch
        audit.record(request, "paper.scan_uploaded", batch, files=len(outcome.accepted),
                     refused=len(outcome.refused), pages=batch.pages_total)
        enqueue_batch(batch)
        if outcome.accepted:
            messages.success(request, ngettext(
                "%(files)s file with %(pages)s pages is being read.",
                "%(files)s files with %(pages)s pages are being read.",
                len(outcome.accepted),
            ) % {"files": len(outcome.accepted), "pages": batch.pages_total})
        if outcome.refused:
            messages.warning(request, ngettext(
                "%(count)s file could not be read; the reason is shown below.",
                "%(count)s files could not be read; the reasons are shown below.",
                len(outcome.refused),
            ) % {"count": len(outcome.refused)})
        return redirect("surveys:scan_batch", pk=batch.pk)
    return TemplateResponse(request, "surveys/paper/scan_upload.html", {"form": form})


@require_safe
@login_required
@vary_on_headers("HX-Request")
def scan_batch(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's progress and each page's outcome; htmx polls the progress fragment."""
    batch = get_for_member_or_404(ScanBatch.objects.select_related("uploaded_by"), request.user, Action.VIEW, pk=pk)
    running = batch.status in (ScanStatus.QUEUED, ScanStatus.RUNNING)
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.boosted:
        response = TemplateResponse(request, "surveys/paper/scan_batch.html#progress",
                                    {"batch": batch, "running": running})
        if not running:
            response["HX-Refresh"] = "true"  # finished: reload once to show every page's outcome
        return response
    counts = dict(batch.pages.order_by().values_list("status").annotate(n=Count("pk")))
    pages = (
        ScanPage.objects.filter(batch=batch).select_related("file", "sheet")
        .annotate(open_items=Count("review_items", filter=Q(review_items__decided_at=None)))
        .order_by("file", "index")
    )
    open_items = ReviewItem.objects.filter(page__batch=batch, decided_at=None).count()
    return TemplateResponse(request, "surveys/paper/scan_batch.html", {
        "batch": batch,
        "running": running,
        "refused": batch.files.exclude(problem=""),
        "counts": [(status, label, counts.get(status, 0)) for status, label in PageStatus.choices],
        "page": Paginator(pages, PAGES_PER_SCREEN).get_page(request.GET.get("page")),
        "open_items": open_items,
        "can_review": may(request.user, Action.ENTER, batch),
        "stalled": stalled(batch),
    })


# A batch reading no page for this long has lost its worker (a crash, a restart): a clerk may
# start it again, and it goes on with the pages not stored yet.
STALLED_AFTER = timedelta(minutes=10)


def stalled(batch: ScanBatch) -> bool:
    if batch.status == ScanStatus.FAILED:
        return True
    if batch.status != ScanStatus.RUNNING:
        return False
    last = batch.pages.order_by("-read_at").values_list("read_at", flat=True).first() or batch.created_at
    return timezone.now() - last > STALLED_AFTER


@require_POST
@login_required
def scan_restart(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_for_member_or_404(ScanBatch.objects, request.user, Action.ENTER, pk=pk)
    if stalled(batch):
        ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.QUEUED, message="")
        batch.status = ScanStatus.QUEUED
        enqueue_batch(batch)
        audit.record(request, "paper.scan_restarted", batch, pages_done=batch.pages_done)
        messages.success(request, _("Reading starts again with the pages not read yet."))
    return redirect("surveys:scan_batch", pk=batch.pk)


@require_safe
@login_required
def review_next(request: HttpRequest, pk: int) -> HttpResponse:
    """The batch's first item still to decide, or the batch page when none is left."""
    batch = get_for_member_or_404(ScanBatch.objects, request.user, Action.ENTER, pk=pk)
    item = ReviewItem.objects.filter(page__batch=batch, decided_at=None).order_by("page__file", "page__index", "pk").first()
    if item is None:
        messages.info(request, _("Nothing in this batch awaits review."))
        return redirect("surveys:scan_batch", pk=batch.pk)
    return redirect("surveys:review_item", pk=item.pk)


def _item_for(request: HttpRequest, pk: int, action: Action) -> tuple[ReviewItem, ScanBatch]:
    item = get_object_or_404(
        ReviewItem.objects.select_related("page__file", "page__sheet__batch__survey", "decided_by"), pk=pk
    )
    batch = get_for_member_or_404(ScanBatch.objects, request.user, action, pk=item.page.batch_id)
    return item, batch


def _question(item: ReviewItem) -> Question | None:
    if item.page.sheet is None:
        return None
    return item.page.sheet.batch.survey.questions.filter(key=item.question_key).prefetch_related("choices").first()


def _posted_decision(request: HttpRequest, item: ReviewItem, question: Question | None, options) -> tuple[dict | None, str]:
    if "blank" in request.POST:
        return {"blank": True}, ""
    if item.kind == ReviewKind.TEXT:
        # NUL cannot be typed and PostgreSQL refuses it in the decision's and the audit's jsonb.
        text = request.POST.get("text", "").replace("\x00", "").strip()
        if not text:
            return None, _("Type what is written, or choose “Blank” when nothing is.")
        return {"text": text}, ""
    values = [v for v in request.POST.getlist("value") if v]
    allowed = {option.value for option in options}
    if not values:
        return None, _("Choose the answer the resident marked, or “Blank” when none is.")
    if any(v not in allowed for v in values):
        return None, _("Choose one of the answers shown.")
    if len(values) > 1 and (question is None or question.kind != Kind.MULTIPLE):
        return None, _("This question takes one answer: choose one.")
    return {"values": values}, ""


def _next_item(item: ReviewItem, batch: ScanBatch) -> ReviewItem | None:
    """The next open item of the batch after this one (wrapping round to the first)."""
    open_items = ReviewItem.objects.filter(page__batch=batch, decided_at=None).exclude(pk=item.pk).order_by(
        "page__file", "page__index", "pk"
    )
    later = open_items.filter(
        Q(page__file=item.page.file_id, page__index=item.page.index, pk__gt=item.pk)
        | Q(page__file=item.page.file_id, page__index__gt=item.page.index)
        | Q(page__file__gt=item.page.file_id)
    ).first()
    return later or open_items.first()


@require_http_methods(["GET", "HEAD", "POST"])
@login_required
def review_item(request: HttpRequest, pk: int) -> HttpResponse:
    item, batch = _item_for(request, pk, Action.ENTER)
    if item.kind == ReviewKind.PAGE:  # a page to identify before its questions can be answered
        return review_page(request, item, batch, _next_item(item, batch) if item.decided_at is None else None,
                           ReviewItem.objects.filter(page__batch=batch, decided_at=None).count())
    question = _question(item)
    options = answer_options([question])[question.pk] if question is not None else []
    error = ""
    if request.method == "POST":
        if item.decided_at is not None:
            messages.info(request, _("This question was already decided; nothing was changed."))
            return redirect("surveys:review_item", pk=item.pk)
        decision, error = _posted_decision(request, item, question, options)
        if decision is not None:
            following = _next_item(item, batch)
            response = decide(item, decision, user=request.user)
            audit.record(request, "paper.review_decided", item, team=batch.team, question=item.question_key,
                         decision=decision, machine_read=item.machine_read, sheet=item.page.sheet.serial
                         if item.page.sheet else None)
            if response is not None:
                messages.success(request, _("Saved. Sheet %(serial)s is complete: response #%(number)s.")
                                 % {"serial": item.page.sheet.serial, "number": response.pk})
            else:
                messages.success(request, _("Saved."))
            if following is not None:
                return redirect("surveys:review_item", pk=following.pk)
            return redirect("surveys:scan_batch", pk=batch.pk)
    remaining = ReviewItem.objects.filter(page__batch=batch, decided_at=None).count()
    following = _next_item(item, batch) if item.decided_at is None else None
    darkness = (item.machine_read or {}).get("darkness", {})
    guess = (item.machine_read or {}).get("guess", [])
    choices = [
        {"number": n, "value": o.value, "label": o.label, "darkness": darkness.get(o.value), "guessed": o.value in guess}
        for n, o in enumerate(options, start=1)
    ]
    return TemplateResponse(request, "surveys/paper/review_item.html", {
        "item": item,
        "batch": batch,
        "question": question,
        "choices": choices,
        "machine_read": bool(darkness),  # a page a clerk identified was never read by the machine
        "multiple": question is not None and question.kind == Kind.MULTIPLE,
        "remaining": remaining,
        "next_item": following,
        "error": error,
        "typed": request.POST.get("text", "") if request.method == "POST" else "",
        "decided_text": _decision_text(item, options),
    }, status=400 if error else 200)


def _decision_text(item: ReviewItem, options) -> str:
    decision = item.decision
    if not decision:
        return ""
    if decision.get("blank"):
        return _("Blank (no answer)")
    if "text" in decision:
        return decision["text"]
    labels = {o.value: o.label for o in options}
    return ", ".join(labels.get(v, v) for v in decision.get("values", []))


def _image_response(field) -> FileResponse:
    if not field:
        raise Http404
    try:
        handle = field.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type="image/png")
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_safe
@login_required
def review_crop(request: HttpRequest, pk: int) -> HttpResponse:
    item, _batch = _item_for(request, pk, Action.ENTER)
    return _image_response(item.crop)


@require_safe
@login_required
def page_image(request: HttpRequest, pk: int) -> HttpResponse:
    page = get_object_or_404(ScanPage.objects.only("pk", "batch_id", "image"), pk=pk)
    get_for_member_or_404(ScanBatch.objects, request.user, Action.ENTER, pk=page.batch_id)
    return _image_response(page.image)
