"""A page the machine could not place, in the review queue: the clerk looks at its picture and
says which sheet and page it is (then answers its questions as ordinary review items), or sets
it aside as not a form / to be scanned again. Served at the review item's own address, so the
queue's next and skip work the same for every kind of item.

The work is in surveys.paper.identify; this view moves the form and the messages.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from citylab import audit
from surveys.paper.identify import PageRefused, identify_page, set_aside
from surveys.paper.models import ReviewItem, ScanBatch

# Sheet serials are positive 64-bit numbers in the database; anything longer is a typing slip.
MAX_SERIAL = 2**63 - 1


class PageIdentityForm(forms.Form):
    serial = forms.IntegerField(
        label=gettext_lazy("Sheet number"), min_value=1, max_value=MAX_SERIAL,
        help_text=gettext_lazy("Printed after “No.” at the top of the page."),
        error_messages={"required": gettext_lazy("Enter the sheet number printed on the page."),
                        "invalid": gettext_lazy("Enter the sheet number in digits, like 100231."),
                        "min_value": gettext_lazy("Enter the sheet number in digits, like 100231."),
                        "max_value": gettext_lazy("Enter the sheet number in digits, like 100231.")},
    )
    page = forms.IntegerField(
        label=gettext_lazy("Page number"), min_value=1, max_value=9999,
        help_text=gettext_lazy("Printed at the foot of the page, like “2 / 3”."),
        error_messages={"required": gettext_lazy("Enter the page number printed on the page."),
                        "invalid": gettext_lazy("Enter the page number in digits, like 2."),
                        "min_value": gettext_lazy("Enter the page number in digits, like 2."),
                        "max_value": gettext_lazy("Enter the page number in digits, like 2.")},
    )


def _suggested(item: ReviewItem) -> dict:
    """A code read without its markers still names the page: offered, never taken as read."""
    suggested = (item.machine_read or {}).get("suggested") or {}
    return {"serial": suggested.get("serial"), "page": suggested.get("page")} if suggested else {}


def _decision_text(item: ReviewItem) -> str:
    decision = item.decision or {}
    if decision.get("rescan"):
        return _("Set aside: not a form, or to be scanned again")
    if "sheet" in decision:
        return _("Sheet %(serial)s, page %(number)s") % {"serial": decision["sheet"], "number": decision["page"]}
    return ""


def review_page(request: HttpRequest, item: ReviewItem, batch: ScanBatch, following: ReviewItem | None,
                remaining: int) -> HttpResponse:
    """GET shows the page and the form; POST identifies the page or sets it aside."""
    form = PageIdentityForm(request.POST or None, initial=_suggested(item))
    if request.method == "POST":
        if item.decided_at is not None:
            messages.info(request, _("This page was already dealt with; nothing was changed."))
            return redirect("surveys:review_item", pk=item.pk)
        if "rescan" in request.POST:
            try:
                set_aside(item, user=request.user)
            except PageRefused as refused:
                messages.info(request, str(refused))
                return redirect("surveys:review_item", pk=item.pk)
            _record(request, item, batch, {"rescan": True})
            messages.success(request, _("Set aside: page %(index)s of “%(file)s” is not counted. Scan it again "
                                        "if it is a form.") % {"index": item.page.index, "file": item.page.file.name})
            return _onwards(following, batch)
        if form.is_valid():
            serial, number = form.cleaned_data["serial"], form.cleaned_data["page"]
            try:
                outcome = identify_page(item, serial=serial, page_number=number, user=request.user)
            except PageRefused as refused:
                form.add_error(refused.field, str(refused))
            else:
                _record(request, item, batch, {"sheet": serial, "page": number})
                if outcome.response is not None:
                    messages.success(request, _("Saved. Sheet %(serial)s is complete: response #%(number)s.")
                                     % {"serial": serial, "number": outcome.response.pk})
                    return _onwards(following, batch)
                messages.success(request, ngettext(
                    "This is sheet %(serial)s, page %(page)s. Now answer its %(count)s question from the picture.",
                    "This is sheet %(serial)s, page %(page)s. Now answer its %(count)s questions from the picture.",
                    len(outcome.items),
                ) % {"serial": serial, "page": number, "count": len(outcome.items)})
                if outcome.items:
                    return redirect("surveys:review_item", pk=outcome.items[0].pk)
                return _onwards(following, batch)
    return TemplateResponse(request, "surveys/paper/review_page.html", {
        "item": item,
        "batch": batch,
        "form": form,
        "suggested": _suggested(item),
        "remaining": remaining,
        "next_item": following,
        "decided_text": _decision_text(item),
    }, status=400 if form.errors else 200)


def _record(request: HttpRequest, item: ReviewItem, batch: ScanBatch, decision: dict) -> None:
    audit.record(request, "paper.review_decided", item, team=batch.team, question="", kind=item.kind,
                 decision=decision, machine_read=item.machine_read, reason=item.reason,
                 page=f"{item.page.file.name}, page {item.page.index}", sheet=decision.get("sheet"))


def _onwards(following: ReviewItem | None, batch: ScanBatch) -> HttpResponse:
    if following is not None:
        return redirect("surveys:review_item", pk=following.pk)
    return redirect("surveys:scan_batch", pk=batch.pk)
