"""Records of the paper channel: print batches and their sheets, scan batches, pages and the
review queue. A sheet is one printed copy (its own serial); once all its pages are read and
nothing on it awaits review, it becomes one Response through the same service as the web."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citylab.models import Community, Team, TeamOwnedQuerySet


class PrintBatchQuerySet(TeamOwnedQuerySet):
    membership_path = "survey__team__memberships"


class PrintBatch(models.Model):
    """Who printed how many copies of which survey version, and the serials they carry."""

    survey = models.ForeignKey("surveys.Survey", on_delete=models.PROTECT, related_name="print_batches")
    survey_version = models.PositiveIntegerField()
    copies = models.PositiveIntegerField(_("copies"))
    first_serial = models.PositiveBigIntegerField()
    last_serial = models.PositiveBigIntegerField()
    community = models.ForeignKey(Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("community"))
    languages = models.CharField(_("languages"), max_length=20, default="zh-hans,en")
    layout = models.JSONField(default=dict)  # the geometry the sheets were printed with
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = PrintBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("print batch")
        verbose_name_plural = _("print batches")

    @property
    def team(self) -> Team:
        return self.survey.team


class Sheet(models.Model):
    """One printed copy. Serials are unique across the city, so a page can never be taken
    for another survey's."""

    batch = models.ForeignKey(PrintBatch, on_delete=models.PROTECT, related_name="sheets")
    serial = models.PositiveBigIntegerField(unique=True)
    response = models.OneToOneField("surveys.Response", on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="sheet")

    class Meta:
        ordering = ["serial"]


class ScanStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Reading pages")
    DONE = "done", _("Done")
    FAILED = "failed", _("Stopped with an error")


class ScanBatchQuerySet(TeamOwnedQuerySet):
    pass


class ScanBatch(models.Model):
    """One upload of scanned files; read by a background task that survives restarts."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="scan_batches")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=ScanStatus.choices, default=ScanStatus.QUEUED)
    pages_total = models.PositiveIntegerField(default=0)
    pages_done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # why it stopped, or what was refused

    objects = ScanBatchQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("scan batch")
        verbose_name_plural = _("scan batches")


class ScanFile(models.Model):
    """An uploaded file of a batch, kept until its pages are read."""

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    upload = models.FileField(upload_to="scans/%Y/%m/")
    pages = models.PositiveIntegerField(default=0)
    problem = models.TextField(blank=True)  # a file refused as a whole (not an image, encrypted, too big)

    class Meta:
        ordering = ["pk"]


class PageStatus(models.TextChoices):
    OK = "ok", _("Read")
    REVIEW = "review", _("Needs a clerk")
    DUPLICATE = "duplicate", _("Scanned before")
    UNREADABLE = "unreadable", _("Unreadable")


class ScanPage(models.Model):
    """One page of one file: what the machine read, and why it holds anything back."""

    batch = models.ForeignKey(ScanBatch, on_delete=models.CASCADE, related_name="pages")
    file = models.ForeignKey(ScanFile, on_delete=models.CASCADE, related_name="scan_pages")
    index = models.PositiveIntegerField()  # 1-based page number within the file
    sheet = models.ForeignKey(Sheet, on_delete=models.PROTECT, null=True, blank=True, related_name="pages")
    page = models.PositiveSmallIntegerField(null=True, blank=True)  # page number on the sheet
    status = models.CharField(max_length=10, choices=PageStatus.choices)
    reason = models.TextField(blank=True)
    answers = models.JSONField(default=dict)  # question key -> list of values decided automatically
    image = models.ImageField(upload_to="scans/pages/%Y/%m/", blank=True)  # the straightened page, or as scanned
    # The image is in the layout's frame (straightened on the markers), so question regions can
    # be cut from it; a page whose markers were not found keeps the picture as scanned.
    aligned = models.BooleanField(default=False)
    read_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["batch", "file", "index"]
        constraints = [
            models.UniqueConstraint(fields=["file", "index"], name="one_row_per_scanned_page"),
            # A sheet's page is counted once: a second scan of it is stored as a duplicate.
            models.UniqueConstraint(fields=["sheet", "page"], condition=~models.Q(status="duplicate"),
                                    name="one_counted_scan_per_sheet_page"),
        ]


class ReviewKind(models.TextChoices):
    CHOICE = "choice", _("Mark to check")
    TEXT = "text", _("Writing to type")
    PAGE = "page", _("Page to identify")


class ReviewItem(models.Model):
    """A question on a page that a clerk decides: a doubtful or double mark, or text to type.

    A page the machine could not place (no readable code, too few markers) is one item of kind
    PAGE, with no question: the clerk says which sheet and page it is (decision {"sheet": serial,
    "page": n}) and then answers its questions as items of their own, or sets it aside as not a
    form or to be scanned again ({"rescan": true}).
    """

    page = models.ForeignKey(ScanPage, on_delete=models.CASCADE, related_name="review_items")
    question_key = models.CharField(max_length=40)
    kind = models.CharField(max_length=10, choices=ReviewKind.choices)
    reason = models.CharField(max_length=200)
    crop = models.ImageField(upload_to="scans/review/%Y/%m/")
    machine_read = models.JSONField(default=dict)  # darkness per choice value, and what it guessed
    decision = models.JSONField(null=True, blank=True)  # {"values": [...]} or {"text": "..."} or {"blank": true}
    # (a PAGE item: {"sheet": serial, "page": n} or {"rescan": true})
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["page", "pk"]
        indexes = [models.Index(fields=["decided_at"], name="review_open")]
