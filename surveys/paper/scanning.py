"""Scanned paper forms, from upload to Response.

Two workflows, both used by the web pages, the background task and the `scan` command:

- `accept_upload`: store the files of one batch and count their pages; a file that cannot be
  read (not an image, damaged or encrypted PDF, empty, too big, a decompression bomb) is refused
  with a sentence that says why, and the rest of the batch goes through.
- `process_batch`: read the stored files page by page, one page in memory at a time, and write
  what each page says (a ScanPage, ReviewItems for what a clerk must decide). A page nobody
  can place (no readable code, too few markers) gets one item for a clerk to identify it from
  its picture (surveys.paper.identify). A task restarted after a crash skips the pages already
  stored: (file, index) is unique, so a page is read once.

After each page (and after each clerk's decision), a sheet whose pages are all in and that
awaits no decision becomes one Response: that step, and recording a clerk's decisions, are in
surveys.paper.completion (`complete_sheet`, `decide`).

The mark reading itself is pure and lives in surveys.paper.marks (`read_page`); files, their
limits and their pages are in surveys.paper.scanfiles.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from django.core.files.base import File
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from citylab.models import Team
from surveys.models import Response, Survey
from surveys.paper.completion import complete_sheet, png_file
from surveys.paper.models import (
    PageStatus, PrintBatch, ReviewItem, ReviewKind, ScanBatch, ScanFile, ScanPage, ScanStatus, Sheet,
)
from surveys.paper.scanfiles import FileRefused, check_file, iter_pages

# --- Upload ------------------------------------------------------------------------------------


@dataclass
class UploadOutcome:
    batch: ScanBatch
    accepted: list[ScanFile] = field(default_factory=list)
    refused: list[ScanFile] = field(default_factory=list)


STORED_EXTENSIONS = {"pdf": "pdf", "tiff": "tif", "png": "png", "jpeg": "jpg"}


@transaction.atomic  # all of the batch or none of it, whatever goes wrong on the way
def accept_upload(*, team: Team, user, files: Iterable[File]) -> UploadOutcome:
    """Create a scan batch from uploaded (or, for the command, opened) files.

    Refused files are kept as a row with the reason and no content, so the batch page lists
    them; the others are stored and counted. Nothing is read yet: that is the task's work.
    """
    batch = ScanBatch.objects.create(team=team, uploaded_by=user if getattr(user, "is_authenticated", False) else None)
    outcome = UploadOutcome(batch)
    for upload in files:
        name = (getattr(upload, "name", "") or "scan").rsplit("/", 1)[-1][:255]
        try:
            kind, pages = check_file(name, upload.size, upload)
        except FileRefused as refused:
            outcome.refused.append(ScanFile.objects.create(batch=batch, name=name, problem=str(refused)))
            continue
        scan_file = ScanFile(batch=batch, name=name, pages=pages)
        # Stored under a name of our own (the sender's stays in `name`): a name with no
        # character a file name may keep, such as "×.pdf", made the storage refuse the file.
        scan_file.upload.save(f"scan.{STORED_EXTENSIONS[kind]}", upload, save=False)
        scan_file.save()
        outcome.accepted.append(scan_file)
    batch.pages_total = sum(f.pages for f in outcome.accepted)
    if not outcome.accepted:
        batch.status = ScanStatus.DONE
        batch.message = _("No file could be read.")
    batch.save(update_fields=["pages_total", "status", "message"])
    return outcome


# --- Reading pages ----------------------------------------------------------------------------


def site_code() -> str:
    from surveys.paper.layout import site_code as layout_site_code

    return layout_site_code()


def translated(reason: object) -> str:
    """The reader's sentences are English with their template kept (marks.Reason): say them
    in the active language, capitalised and ended like the rest of our sentences."""
    template = getattr(reason, "template", None)
    text = (_(template) % reason.params if reason.params else _(template)) if template else str(reason or "")
    text = text.strip()
    if text and text[0].isascii():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".。!?！？":
        text += "." if text[-1].isascii() else "。"
    return text


class SheetLookup:
    """`layout_for` for read_page: the layout a page was printed with, or None with the reason.

    One per batch run (not module state): it caches the sheets and print batches it has seen.
    With a team, pages of other teams' surveys are refused; with None (the scan command, which
    stores each page with the team of its survey) any team's survey is looked up, and `team_id`
    says whose it was.
    """

    def __init__(self, team: Team | None) -> None:
        self.team = team
        self.site = site_code()
        self.problem = ""
        self.sheet: Sheet | None = None
        self.team_id: int | None = None
        self._sheets: dict[int, Sheet | None] = {}

    def forget(self) -> None:
        """Before each page: the reader does not call the lookup when it fails early (too few
        markers), and that page must not inherit the previous page's sheet, team or problem."""
        self.problem, self.sheet, self.team_id = "", None, None

    def __call__(self, payload) -> dict | None:
        self.forget()
        if payload.site != self.site:
            self.problem = _("Not a form printed by this CityLab: the page comes from another city's survey.")
            return None
        survey = Survey.objects.filter(pk=payload.survey).only("pk", "team_id").first()
        if survey is None:
            self.problem = _("Not a form printed by this CityLab: survey %(survey)s does not exist here.") % {
                "survey": payload.survey
            }
            return None
        if self.team is not None and survey.team_id != self.team.pk:
            self.problem = _("This form belongs to another team's survey. Upload it under that team.")
            return None
        self.team_id = survey.team_id
        if not PrintBatch.objects.filter(survey_id=payload.survey, survey_version=payload.version).exists():
            self.problem = _("Survey version %(version)s is unknown: no forms of that version were printed.") % {
                "version": payload.version
            }
            return None
        if payload.serial not in self._sheets:
            self._sheets[payload.serial] = (
                Sheet.objects.select_related("batch__survey").filter(serial=payload.serial).first()
            )
        sheet = self._sheets[payload.serial]
        if sheet is None or sheet.batch.survey_id != payload.survey or sheet.batch.survey_version != payload.version:
            self.problem = _("Sheet %(serial)s was not printed for this survey and version.") % {"serial": payload.serial}
            return None
        if not 1 <= payload.page <= len(sheet.batch.layout.get("pages", [])):
            self.problem = _("The form has no page %(page)s.") % {"page": payload.page}
            return None
        self.sheet = sheet
        return sheet.batch.layout


def _scaled(gray: np.ndarray, longest: int = 1600) -> np.ndarray:
    """A page that could not be read is kept small enough to look at, not at scan size."""
    import cv2

    height, width = gray.shape[:2]
    factor = longest / max(height, width)
    if factor >= 1:
        return gray
    return cv2.resize(gray, (int(width * factor), int(height * factor)), interpolation=cv2.INTER_AREA)


@dataclass
class PageOutcome:
    page: ScanPage
    response: Response | None = None  # a response this page completed
    holds: list[str] = field(default_factory=list)


Reader = Callable[[np.ndarray, Callable[[Any], dict | None]], Any]


def default_reader() -> Reader:
    from surveys.paper.marks import read_page

    return read_page


# Where a page is stored, given the file it came from and the team of its survey (None when
# unknown): the file itself, or its twin in that team's batch (surveys.paper.routing).
Route = Callable[[ScanFile, int | None], ScanFile]


def store_page(scan_file: ScanFile, index: int, gray: np.ndarray | Exception, *, read: Reader,
               lookup: SheetLookup, user=None, route: Route | None = None) -> PageOutcome | None:
    """Read one page and store what it says. None when the page was stored before (a resumed task)."""
    page = ScanPage(index=index)
    holds = []
    identify: dict | None = None  # what the machine saw of a page a clerk must identify
    keep: np.ndarray | None = None  # the picture kept of a page that was not read cleanly
    lookup.forget()
    if isinstance(gray, Exception):
        page.status = PageStatus.UNREADABLE
        page.reason = str(gray) if isinstance(gray, FileRefused) else _("The page could not be decoded from the file.")
    else:
        result = read(gray, lookup)
        payload = getattr(result, "payload", None)
        if payload is not None and lookup.sheet is None and lookup.problem:
            # Known to be no page of ours (another city, team or version): reported, not queued.
            page.status, page.reason = PageStatus.UNREADABLE, lookup.problem
        elif result.status == "unreadable" or payload is None or lookup.sheet is None:
            page.status = PageStatus.UNREADABLE
            page.reason = translated(result.reason) or _("The page could not be read.")
            # Nobody knows for sure which sheet this is: a clerk says so from the picture.
            identify = {"markers": getattr(result, "markers_found", None),
                        "suggested": {"serial": payload.serial, "page": payload.page}
                        if payload is not None and payload.site == lookup.site else None}
        else:
            page.sheet, page.page = lookup.sheet, payload.page
            page.answers = {key: list(values) for key, values in result.answers.items()}
            holds = list(result.holds)
            page.status = PageStatus.REVIEW if holds else PageStatus.OK
            page.reason = translated(result.reason) if holds else ""
        image = getattr(result, "straightened", None)
        if page.status != PageStatus.OK:
            # Kept for the clerk and for questions about the page later; pages read cleanly
            # are not stored again, the uploaded file still holds them. A page straightened on
            # its markers whose code alone failed is kept straightened: once a clerk names it,
            # its questions are cut from it as from any other page.
            page.aligned = image is not None and (page.sheet is not None or payload is None)
            keep = image if page.aligned else _scaled(gray)
    if route is not None:
        scan_file = route(scan_file, lookup.team_id)
    batch = scan_file.batch
    page.batch, page.file = batch, scan_file
    if keep is not None:
        page.image.save(f"page-{scan_file.pk}-{index}.png", png_file(keep), save=False)
    if page.sheet is not None:
        earlier = ScanPage.objects.filter(sheet=page.sheet, page=page.page).exclude(status=PageStatus.DUPLICATE).first()
        if earlier is not None:
            _mark_duplicate(page, earlier)
            holds = []
    try:
        with transaction.atomic():
            page.save()
            if identify is not None and page.image:
                ReviewItem.objects.create(page=page, question_key="", kind=ReviewKind.PAGE, reason=page.reason[:200],
                                          machine_read=identify)
            for hold in holds:
                item = ReviewItem(page=page, question_key=hold.question_key, kind=hold.kind, reason=translated(hold.reason)[:200],
                                  machine_read=_plain(hold.machine_read))
                item.crop.save(f"crop-{page.pk}-{hold.question_key}.png", png_file(hold.crop), save=False)
                item.save()
    except IntegrityError:
        if ScanPage.objects.filter(file=scan_file, index=index).exists():
            return None  # stored by an earlier run of the task
        # Another worker counted the same sheet page a moment ago: this scan is the duplicate.
        earlier = ScanPage.objects.filter(sheet=page.sheet, page=page.page).exclude(status=PageStatus.DUPLICATE).first()
        page.pk = None
        _mark_duplicate(page, earlier)
        page.save()
        holds = []
    ScanBatch.objects.filter(pk=batch.pk).update(pages_done=F("pages_done") + 1)
    response = None
    if page.status in (PageStatus.OK, PageStatus.REVIEW):
        response = complete_sheet(page.sheet, user=user)
    return PageOutcome(page, response, [hold.question_key for hold in holds])


def _mark_duplicate(page: ScanPage, earlier: ScanPage | None) -> None:
    page.status = PageStatus.DUPLICATE
    page.answers = {}
    page.reason = _("Sheet %(serial)s page %(page)s was scanned before; it is not counted again.") % {
        "serial": page.sheet.serial, "page": page.page,
    }
    if earlier is not None:
        page.reason += " " + _("The first scan is page %(index)s of “%(file)s”.") % {
            "index": earlier.index, "file": earlier.file.name,
        }


def _plain(value):
    """numpy numbers in the machine's reading become JSON numbers."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    return value


@dataclass
class BatchOutcome:
    pages: list[PageOutcome] = field(default_factory=list)
    responses_created: int = 0


def process_batch(batch: ScanBatch, *, read: Reader | None = None, user=None,
                  on_page: Callable[[PageOutcome], None] | None = None, route: Route | None = None) -> BatchOutcome:
    """Read every page of the batch not read yet. Safe to run again after a crash.

    With `route`, each page is stored with the team of its survey (see surveys.paper.routing),
    whatever the batch's team; the router then sets every batch's counts when all are read.
    """
    read = read or default_reader()
    user = user or batch.uploaded_by
    lookup = SheetLookup(None if route is not None else batch.team)
    outcome = BatchOutcome()
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.RUNNING)
    try:
        for scan_file in batch.files.filter(problem="").exclude(upload=""):
            stored = set(scan_file.scan_pages.values_list("index", flat=True))
            if len(stored) >= scan_file.pages:
                continue
            try:
                for index, gray in iter_pages(scan_file, skip=stored):
                    page = store_page(scan_file, index, gray, read=read, lookup=lookup, user=user, route=route)
                    del gray  # one page in memory at a time
                    if page is None:
                        continue
                    outcome.pages.append(page)
                    outcome.responses_created += page.response is not None
                    if on_page:
                        on_page(page)
            except FileRefused as refused:
                scan_file.problem = str(refused)
                scan_file.save(update_fields=["problem"])
        # A worker killed between storing a sheet's last page and writing (or linking) its
        # response leaves the sheet complete without one, and the restarted task skips that
        # page: complete such sheets here. A few queries per sheet still waiting, once a run.
        for sheet in Sheet.objects.filter(pages__batch=batch, response=None).distinct():
            outcome.responses_created += complete_sheet(sheet, user=user) is not None
        # Done: the counter says so even when a file had fewer pages than first counted.
        done = batch.pages.count()
        ScanBatch.objects.filter(pk=batch.pk).update(
            status=ScanStatus.DONE, pages_done=done,
            pages_total=done if route is not None else max(done, _pages_total_now(batch)),
            message=batch_summary(batch),
        )
    except Exception as error:
        ScanBatch.objects.filter(pk=batch.pk).update(
            status=ScanStatus.FAILED,
            message=_("Reading stopped with an error after %(count)s pages; start it again to go on: %(error)s")
            % {"count": batch.pages.count(), "error": error},
        )
        raise
    return outcome


def _pages_total_now(batch: ScanBatch) -> int:
    return sum(batch.files.filter(problem="").values_list("pages", flat=True))


def batch_summary(batch: ScanBatch) -> str:
    counts = dict.fromkeys(PageStatus.values, 0)
    for status in batch.pages.values_list("status", flat=True):
        counts[status] += 1
    return ngettext(
        "%(total)s page read: %(ok)s read, %(review)s for review, %(duplicate)s scanned before, %(unreadable)s unreadable.",
        "%(total)s pages read: %(ok)s read, %(review)s for review, %(duplicate)s scanned before, %(unreadable)s unreadable.",
        sum(counts.values()),
    ) % {"total": sum(counts.values()), **counts}
