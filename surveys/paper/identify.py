"""Pages the machine could not place: a clerk says which sheet and page they are, then answers
their questions from the picture.

A page with no readable code (QR) or too few corner markers is stored unreadable with one
review item of kind PAGE (see `scanning.store_page`). From the page's picture the clerk either

- names it, `identify_page`: the sheet serial and page number, checked against the sheets this
  team printed; a page already stored for that sheet is refused (the same page scanned twice
  must not count twice). The page then joins its sheet and every question printed on it becomes
  a review item of its own, cut from the page when the page was straightened, else shown on
  the whole picture. Once they are decided the sheet completes through `complete_sheet`, like
  any other; or
- sets it aside, `set_aside`: not a form, or a page to scan again. It stays unreadable.

Both are decisions of the PAGE item: who and when are kept with it, like any review decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from surveys.models import Kind, Response
from surveys.paper.completion import complete_sheet, crop_question, png_file, question_regions
from surveys.paper.models import PageStatus, ReviewItem, ReviewKind, ScanPage, Sheet

TEXT_KINDS = (Kind.SHORT_TEXT, Kind.LONG_TEXT, Kind.NUMBER)


class PageRefused(Exception):
    """The clerk's identification does not fit; `field` names the input it is about."""

    def __init__(self, message: str, field: str = "serial") -> None:
        super().__init__(message)
        self.field = field


@dataclass
class Identified:
    page: ScanPage
    items: list[ReviewItem] = field(default_factory=list)  # the page's questions, to answer
    response: Response | None = None  # when the page had nothing left to decide


def _open_page_item(item: ReviewItem) -> ReviewItem:
    """The item, locked and checked still open (two clerks may have the same page in front of them)."""
    if item.kind != ReviewKind.PAGE:
        raise ValueError("only a page to identify is identified")
    locked = ReviewItem.objects.select_for_update().select_related("page__batch").get(pk=item.pk)
    if locked.decided_at is not None:
        raise PageRefused(_("This page was already dealt with; nothing was changed."))
    return locked


def _sheet_for(team_id: int, serial: int, number: int) -> Sheet:
    sheet = (Sheet.objects.select_related("batch__survey")
             .filter(serial=serial, batch__survey__team_id=team_id).first())
    if sheet is None:
        # The same sentence for a serial of another team's: their serials are not ours to confirm.
        raise PageRefused(_("No sheet %(serial)s was printed for this team's surveys. Check the number "
                            "printed after “No.” at the top of the page.") % {"serial": serial})
    pages = len(sheet.batch.layout.get("pages", []))
    if not 1 <= number <= pages:
        raise PageRefused(ngettext(
            "Sheet %(serial)s has %(count)s page: give page 1.",
            "Sheet %(serial)s has %(count)s pages: give a page number from 1 to %(count)s.",
            pages,
        ) % {"serial": serial, "count": pages}, field="page")
    return sheet


def _already_stored(sheet: Sheet, number: int) -> PageRefused | None:
    earlier = (ScanPage.objects.filter(sheet=sheet, page=number).exclude(status=PageStatus.DUPLICATE)
               .select_related("file").first())
    if earlier is None:
        return None
    return PageRefused(_("Page %(page)s of sheet %(serial)s is already stored (page %(index)s of “%(file)s”, "
                         "scan batch %(batch)s). If this is the same page scanned again, set it aside.")
                       % {"page": number, "serial": sheet.serial, "index": earlier.index,
                          "file": earlier.file.name, "batch": earlier.batch_id}, field="page")


def question_items(page: ScanPage) -> list[ReviewItem]:
    """One review item per question printed on the page, in print order, for a clerk to answer."""
    layout = page.sheet.batch.layout
    keys = [r["key"] for r in question_regions(layout) if r.get("page") == page.page and r.get("key")]
    kinds = dict(page.sheet.batch.survey.questions.filter(key__in=keys).values_list("key", "kind"))
    items = []
    for key in dict.fromkeys(keys):
        if key not in kinds:  # no longer a question of the survey: nothing to record it as
            continue
        item = ReviewItem(page=page, question_key=key,
                          kind=ReviewKind.TEXT if kinds[key] in TEXT_KINDS else ReviewKind.CHOICE,
                          reason=_("The machine could not read this page: answer from the picture."),
                          machine_read={})
        crop = crop_question(page, key)
        if crop is not None and crop.size:
            item.crop.save(f"crop-{page.pk}-{key}.png", png_file(crop), save=False)
        item.save()
        items.append(item)
    return items


def identify_page(item: ReviewItem, *, serial: int, page_number: int, user) -> Identified:
    """Place an unreadable page on its sheet, or raise PageRefused with what to correct."""
    with transaction.atomic():
        item = _open_page_item(item)
        page = item.page
        sheet = _sheet_for(page.batch.team_id, serial, page_number)
        if refused := _already_stored(sheet, page_number):
            raise refused
        page.sheet, page.page, page.status, page.answers = sheet, page_number, PageStatus.REVIEW, {}
        try:
            with transaction.atomic():
                page.save(update_fields=["sheet", "page", "status", "answers"])
        except IntegrityError:  # another clerk placed a page there a moment ago
            refused = _already_stored(sheet, page_number) or PageRefused(_("The page could not be placed; try again."))
            raise refused from None
        item.decision = {"sheet": serial, "page": page_number}
        item.decided_by, item.decided_at = user, timezone.now()
        item.save(update_fields=["decision", "decided_by", "decided_at"])
        outcome = Identified(page, question_items(page))
    # A page with no question of its own still completes its sheet; otherwise this waits.
    outcome.response = complete_sheet(sheet, user=user)
    return outcome


def set_aside(item: ReviewItem, *, user) -> None:
    """Not a form, or a page to scan again: decided, and the page stays unreadable."""
    with transaction.atomic():
        item = _open_page_item(item)
        item.decision = {"rescan": True}
        item.decided_by, item.decided_at = user, timezone.now()
        item.save(update_fields=["decision", "decided_by", "decided_at"])
