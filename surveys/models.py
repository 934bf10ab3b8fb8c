"""What we ask and what residents answered.

A Survey has ordered Questions (with Choices where the kind needs them). Every channel (web,
paper, assisted entry, import) ends in `surveys.services.response_record`, which writes one
Response with its Answers. Segment fields are copied onto the Response so that every
dashboard count is one indexed GROUP BY.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, Community, District, Occupation, Team, TeamOwnedQuerySet, code_validator

PREFER_NOT_TO_SAY = "prefer_not_to_say"


def in_language(zh: str, en: str) -> str:
    """The English text on English pages when there is one; Chinese otherwise."""
    return en if (get_language() or "").startswith("en") and en else zh


class Purpose(models.TextChoices):
    NEEDS = "needs", _("Needs survey")
    PILOT_EVALUATION = "pilot_evaluation", _("Pilot evaluation")


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class Kind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Scale")
    YES_NO = "yes_no", _("Yes or no")
    NUMBER = "number", _("Number")
    SHORT_TEXT = "short_text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    AGE_BAND = "age_band", _("Age band")
    DISTRICT = "district", _("District")
    COMMUNITY = "community", _("Community")
    OCCUPATION = "occupation", _("Occupation")


SEGMENT_KINDS = frozenset({Kind.AGE_BAND, Kind.DISTRICT, Kind.COMMUNITY, Kind.OCCUPATION})
OWN_CHOICE_KINDS = frozenset({Kind.SINGLE, Kind.MULTIPLE})
TEXT_KINDS = frozenset({Kind.SHORT_TEXT, Kind.LONG_TEXT})


class Channel(models.TextChoices):
    WEB = "web", _("Web")
    PAPER = "paper", _("Paper")
    ASSISTED = "assisted", _("Assisted")
    IMPORTED = "imported", _("Imported")


class SurveyQuerySet(TeamOwnedQuerySet):
    def accepting(self, now=None) -> SurveyQuerySet:
        """Open surveys whose dates (when set) include `now`."""
        now = now or timezone.now()
        return self.filter(status=Status.OPEN).filter(
            Q(opens_at__isnull=True) | Q(opens_at__lte=now), Q(closes_at__isnull=True) | Q(closes_at__gt=now)
        )


class Survey(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="surveys")
    slug = models.SlugField(_("slug"), max_length=60, unique=True)
    title_zh = models.CharField(_("title (Chinese)"), max_length=200)
    title_en = models.CharField(_("title (English)"), max_length=200, blank=True)
    intro_zh = models.TextField(_("introduction (Chinese)"), blank=True)
    intro_en = models.TextField(_("introduction (English)"), blank=True)
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices, default=Purpose.NEEDS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    # Raised whenever a change alters what stored answers mean; each Response keeps its version.
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SurveyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__isnull=True) | Q(closes_at__isnull=True) | Q(closes_at__gt=models.F("opens_at")),
                name="survey_closes_after_it_opens",
            )
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def title(self) -> str:
        return in_language(self.title_zh, self.title_en)

    @property
    def intro(self) -> str:
        return in_language(self.intro_zh, self.intro_en)

    def get_public_url(self) -> str:
        return reverse("surveys:start", kwargs={"slug": self.slug})

    def is_accepting(self, now=None) -> bool:
        now = now or timezone.now()
        return (
            self.status == Status.OPEN
            and (self.opens_at is None or self.opens_at <= now)
            and (self.closes_at is None or now < self.closes_at)
        )

    def has_responses(self) -> bool:
        return self.responses.exists()


class Question(models.Model):
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="questions")
    key = models.CharField(_("key"), max_length=40, validators=[code_validator])
    position = models.PositiveIntegerField(_("position"), default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    text_zh = models.CharField(_("question (Chinese)"), max_length=500)
    text_en = models.CharField(_("question (English)"), max_length=500, blank=True)
    help_zh = models.TextField(_("help (Chinese)"), blank=True)
    help_en = models.TextField(_("help (English)"), blank=True)
    required = models.BooleanField(_("required"), default=True)
    prefer_not_to_say = models.BooleanField(_("offer “prefer not to say”"), default=False)
    min_value = models.DecimalField(_("minimum"), max_digits=12, decimal_places=3, null=True, blank=True)
    max_value = models.DecimalField(_("maximum"), max_digits=12, decimal_places=3, null=True, blank=True)
    show_if_question = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("show only if question"),
    )
    show_if_equals = models.CharField(_("has the answer"), max_length=64, blank=True)

    class Meta:
        ordering = ["survey", "position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")
        constraints = [models.UniqueConstraint(fields=["survey", "key"], name="question_key_unique_in_survey")]

    def __str__(self) -> str:
        return f"{self.key}: {self.text}"

    @property
    def text(self) -> str:
        return in_language(self.text_zh, self.text_en)

    @property
    def help(self) -> str:
        return in_language(self.help_zh, self.help_en)

    def scale_points(self) -> list[int]:
        """The points of a scale question: min to max, 1–5 when not set (0 is a valid start)."""
        low = 1 if self.min_value is None else int(self.min_value)
        high = 5 if self.max_value is None else int(self.max_value)
        return list(range(low, high + 1))


class Choice(models.Model):
    """An answer option of a single or multiple choice question, or a label on a scale point."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    value = models.CharField(_("value"), max_length=64)
    label_zh = models.CharField(_("label (Chinese)"), max_length=300)
    label_en = models.CharField(_("label (English)"), max_length=300, blank=True)
    position = models.PositiveIntegerField(_("position"), default=0)

    class Meta:
        ordering = ["question", "position", "pk"]
        verbose_name = _("choice")
        verbose_name_plural = _("choices")
        constraints = [models.UniqueConstraint(fields=["question", "value"], name="choice_value_unique_in_question")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return in_language(self.label_zh, self.label_en)


class InvitationBatch(models.Model):
    """Single-use links made together: for a community, a panel or a mailing."""

    class Audience(models.TextChoices):
        COMMUNITY = "community", _("Community")
        PANEL = "panel", _("Panel")
        MAILING = "mailing", _("Mailing")

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="invitation_batches")
    label = models.CharField(_("label"), max_length=200)
    audience = models.CharField(_("for"), max_length=20, choices=Audience.choices)
    community = models.ForeignKey(Community, on_delete=models.PROTECT, null=True, blank=True)
    size = models.PositiveIntegerField(_("number of links"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("invitation batch")
        verbose_name_plural = _("invitation batches")

    def __str__(self) -> str:
        return self.label


class Invitation(models.Model):
    batch = models.ForeignKey(InvitationBatch, on_delete=models.CASCADE, related_name="invitations")
    token = models.CharField(max_length=40, unique=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["batch", "pk"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return self.token


class Response(models.Model):
    """One resident's completed answers, from any channel."""

    survey = models.ForeignKey(Survey, on_delete=models.PROTECT, related_name="responses")
    survey_version = models.PositiveIntegerField()
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    invitation = models.OneToOneField(
        Invitation, on_delete=models.PROTECT, null=True, blank=True, related_name="response"
    )
    # What makes a submission unique for its channel (a web visit, a paper sheet serial, a
    # clerk's form): the same key twice is one response, however many times it is posted.
    submission_key = models.CharField(max_length=80, unique=True, null=True, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    community = models.ForeignKey(Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("response")
        verbose_name_plural = _("responses")
        indexes = [
            models.Index(fields=["survey", "channel"], name="response_survey_channel"),
            models.Index(fields=["survey", "age_band", "district"], name="response_survey_segment"),
            models.Index(fields=["survey", "submitted_at"], name="response_survey_time"),
        ]

    def __str__(self) -> str:
        return f"{self.survey.slug} #{self.pk}"


class Answer(models.Model):
    """One answer; a multiple-choice question has one row per ticked choice."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(max_length=64, blank=True)  # choice value, segment code, yes/no, scale point
    number = models.DecimalField(max_digits=15, decimal_places=3, null=True, blank=True)
    text = models.TextField(blank=True)

    class Meta:
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        indexes = [models.Index(fields=["question", "value"], name="answer_question_value")]

    def __str__(self) -> str:
        return f"{self.question.key}={self.value or self.number or self.text[:20]}"


class Progress(models.Model):
    """An unfinished web response, kept on the server so a resident can close the tab and come
    back to the same link on the same device (a long-lived cookie holds the token)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="progress")
    token = models.CharField(max_length=40, unique=True)
    answers = models.JSONField(default=dict)
    # Keys of the questions already shown, answered or left blank: a resume starts after them.
    seen = models.JSONField(default=list)
    invitation = models.ForeignKey(Invitation, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    response = models.OneToOneField(Response, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("answers in progress")
        verbose_name_plural = _("answers in progress")

    def __str__(self) -> str:
        return f"{self.survey.slug} progress {self.pk}"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Being prepared")
    DONE = "done", _("Ready")
    FAILED = "failed", _("Failed")


class ResponseExportQuerySet(TeamOwnedQuerySet):
    membership_path = "survey__team__memberships"


class ResponseExport(models.Model):
    """A file of a survey's answers written by the task worker, for surveys too large to
    export within one page request (surveys/export_tasks.py). Kept for a few days only: it
    holds every answer, residents' own words included."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="exports")
    format = models.CharField(max_length=4, choices=[("csv", "CSV"), ("xlsx", "XLSX")])
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                     related_name="+")
    requested_at = models.DateTimeField(default=timezone.now)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)  # of the CSV's labels
    status = models.CharField(max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED)
    finished_at = models.DateTimeField(null=True, blank=True)
    responses = models.PositiveIntegerField(default=0)  # how many the file holds
    file = models.FileField(upload_to="exports/%Y/%m/", blank=True)
    message = models.TextField(blank=True)  # why it failed

    objects = ResponseExportQuerySet.as_manager()

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("prepared export")
        verbose_name_plural = _("prepared exports")

    def __str__(self) -> str:
        return f"{self.survey.slug} {self.format} {self.requested_at:%Y-%m-%d %H:%M}"

    @property
    def pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)


# The paper channel's records live beside their code; importing them here registers them.
from surveys.paper.models import (  # noqa: E402, F401
    PageStatus,
    PrintBatch,
    ReviewItem,
    ReviewKind,
    ScanBatch,
    ScanFile,
    ScanPage,
    ScanStatus,
    Sheet,
)
