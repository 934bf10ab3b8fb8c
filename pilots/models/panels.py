"""Experience officers (市民体验官), their panels and quotas, test tasks and their feedback.

Personal data lives on `Officer` only (name, phone, email, needs, times): withdrawing erases
those fields and keeps the officer's segment, so their feedback stays, anonymised, in the
counts. Feedback copies the officer's segment when it is written, like survey responses do,
so the pilot page counts it with one GROUP BY.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, Community, District, Occupation, Team, TeamOwnedQuerySet
from pilots.models.pilots import Cycle, CycleChange, Pilot

SCORE = [MinValueValidator(1), MaxValueValidator(5)]


class SmartphoneUse(models.TextChoices):
    NONE = "none", _("I don't use a smartphone")
    BASIC = "basic", _("Calls, messages and a few apps")
    CONFIDENT = "confident", _("Confident with most apps")


class Availability(models.TextChoices):
    WEEKDAY_MORNING = "weekday_morning", _("Weekday mornings")
    WEEKDAY_AFTERNOON = "weekday_afternoon", _("Weekday afternoons")
    WEEKDAY_EVENING = "weekday_evening", _("Weekday evenings")
    WEEKEND = "weekend", _("Weekends")


class OfficerStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for approval")
    APPROVED = "approved", _("Approved")
    DECLINED = "declined", _("Declined")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Recruited(models.TextChoices):
    SIGN_UP = "sign_up", _("Signed up online")
    IN_PERSON = "in_person", _("Registered in person by staff")


class OfficerQuerySet(TeamOwnedQuerySet):
    def active(self) -> OfficerQuerySet:
        return self.filter(status=OfficerStatus.APPROVED)


class Officer(models.Model):
    """A volunteer resident. Contact details are for the owning team's planners and clerks."""

    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="officers")
    # Personal data: erased on withdrawal (and after inactivity, see the retention setting).
    full_name = models.CharField(_("name"), max_length=100, blank=True)
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    email = models.EmailField(_("email"), blank=True)
    accessibility_needs = models.TextField(_("accessibility needs"), blank=True)
    availability = models.JSONField(_("times they can help"), default=list, blank=True)
    # The officer's segment: kept after withdrawal so that their feedback still counts.
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+", verbose_name=_("age band"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"))
    community = models.ForeignKey(Community, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                  verbose_name=_("community"))
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("occupation"))
    smartphone = models.CharField(_("smartphone use"), max_length=10, choices=SmartphoneUse.choices)
    # The account an officer signs in with; officers registered in person usually have none.
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="officer")
    status = models.CharField(_("status"), max_length=10, choices=OfficerStatus.choices,
                              default=OfficerStatus.PENDING)
    recruited = models.CharField(_("recruited"), max_length=10, choices=Recruited.choices, default=Recruited.SIGN_UP)
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                      related_name="+")
    consent_at = models.DateTimeField(_("consent given"), null=True, blank=True)
    consent_version = models.CharField(max_length=20, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.TextField(_("why declined"), blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_active_at = models.DateTimeField(default=timezone.now)  # for the retention rule
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = OfficerQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["team", "status"], name="officer_team_status")]
        verbose_name = _("experience officer")
        verbose_name_plural = _("experience officers")

    def __str__(self) -> str:
        return self.full_name or _("Officer %(number)s") % {"number": self.pk}

    def get_absolute_url(self) -> str:
        return reverse("pilots:officer_detail", kwargs={"pk": self.pk})

    PERSONAL_FIELDS = ("full_name", "phone", "email", "accessibility_needs", "availability")


class PanelQuerySet(TeamOwnedQuerySet):
    pass


class Panel(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="panels")
    pilot = models.ForeignKey(Pilot, on_delete=models.SET_NULL, null=True, blank=True, related_name="panels",
                              verbose_name=_("pilot"))
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    quota_by_district = models.BooleanField(_("quotas per district too"), default=False)
    monthly_limit = models.PositiveSmallIntegerField(
        _("tasks per officer per month"), default=2, validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text=_("No officer is asked more often than this in any calendar month."),
    )
    members = models.ManyToManyField(Officer, through="PanelMember", related_name="panels")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PanelQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("panel")
        verbose_name_plural = _("panels")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilots:panel_detail", kwargs={"pk": self.pk})


class PanelMember(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="memberships")
    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="panel_memberships")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["panel", "officer"], name="one_membership_per_panel")]


class Quota(models.Model):
    """How many officers a panel wants in one cell (age band x occupation [x district])."""

    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="quotas")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    target = models.PositiveIntegerField(_("target"), validators=[MaxValueValidator(10_000)])

    class Meta:
        # Two partial constraints rather than NULLS NOT DISTINCT, which SQLite lacks: one target
        # per cell, whether or not the panel splits its cells by district.
        constraints = [
            models.UniqueConstraint(fields=["panel", "age_band", "occupation", "district"], name="one_quota_per_cell",
                                    condition=models.Q(district__isnull=False)),
            models.UniqueConstraint(fields=["panel", "age_band", "occupation"], name="one_quota_per_citywide_cell",
                                    condition=models.Q(district__isnull=True)),
        ]


class TaskQuerySet(TeamOwnedQuerySet):
    membership_path = "cycle__pilot__team__memberships"


class Task(models.Model):
    """Something officers try in a pilot cycle: what, where, by when."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="tasks", verbose_name=_("cycle"))
    panel = models.ForeignKey(Panel, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks",
                              verbose_name=_("panel"))
    title = models.CharField(_("what to try"), max_length=200)
    instructions = models.TextField(_("how"), blank=True)
    place = models.CharField(_("where"), max_length=200, blank=True)
    due_on = models.DateField(_("by when"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TaskQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "pk"]
        verbose_name = _("test task")
        verbose_name_plural = _("test tasks")

    def __str__(self) -> str:
        return self.title

    @property
    def team(self) -> Team:
        return self.cycle.pilot.team


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("To do")
    REPORTED = "reported", _("Reported")
    CANCELLED = "cancelled", _("Cancelled")


class Assignment(models.Model):
    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="assignments")
    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="assignments")
    status = models.CharField(max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED)
    assigned_at = models.DateTimeField(default=timezone.now)
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                    related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["task", "officer"], name="one_assignment_per_task")]
        indexes = [models.Index(fields=["officer", "assigned_at"], name="assignment_officer_month")]


class Managed(models.TextChoices):
    YES = "yes", _("Yes, on my own")
    WITH_HELP = "with_help", _("Yes, with help")
    NO = "no", _("No")


class FeedbackStatus(models.TextChoices):
    NEW = "new", _("New")
    ACCEPTED = "accepted", _("Accepted")
    DECLINED = "declined", _("Declined")
    PLANNED = "planned", _("Planned")
    DONE = "done", _("Done")


# Triage moves feedback along these steps only.
FEEDBACK_NEXT = {
    FeedbackStatus.NEW: (FeedbackStatus.ACCEPTED, FeedbackStatus.DECLINED),
    FeedbackStatus.ACCEPTED: (FeedbackStatus.PLANNED, FeedbackStatus.DONE, FeedbackStatus.DECLINED),
    FeedbackStatus.PLANNED: (FeedbackStatus.DONE,),
    FeedbackStatus.DECLINED: (),
    FeedbackStatus.DONE: (),
}


class FeedbackChannel(models.TextChoices):
    WEB = "web", _("Officer online")
    ASSISTED = "assisted", _("Recorded by a clerk")


class FeedbackQuerySet(TeamOwnedQuerySet):
    membership_path = "task__cycle__pilot__team__memberships"


class Feedback(models.Model):
    """One officer's report on one task."""

    assignment = models.OneToOneField(Assignment, on_delete=models.PROTECT, related_name="feedback")
    task = models.ForeignKey(Task, on_delete=models.PROTECT, related_name="feedback")
    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="feedback")  # for per-cycle counts
    officer = models.ForeignKey(Officer, on_delete=models.PROTECT, related_name="feedback")
    # The officer's segment when they reported (copied, like a survey response's).
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    occupation = models.ForeignKey(Occupation, on_delete=models.PROTECT, related_name="+")
    managed = models.CharField(_("did you manage?"), max_length=10, choices=Managed.choices)
    ease = models.PositiveSmallIntegerField(_("how easy"), validators=SCORE)
    usefulness = models.PositiveSmallIntegerField(_("how useful"), validators=SCORE)
    accessibility = models.PositiveSmallIntegerField(_("how accessible"), validators=SCORE)
    suggestion = models.TextField(_("suggestion"), blank=True, max_length=4000)
    photo = models.ImageField(_("photo"), upload_to="feedback/%Y/%m/", blank=True)
    channel = models.CharField(max_length=10, choices=FeedbackChannel.choices, default=FeedbackChannel.WEB)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    submitted_at = models.DateTimeField(default=timezone.now)
    # Triage
    status = models.CharField(_("status"), max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.NEW)
    decline_reason = models.TextField(_("why declined"), blank=True)
    change = models.ForeignKey(CycleChange, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="feedback", verbose_name=_("change that answers it"))
    triaged_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    triaged_at = models.DateTimeField(null=True, blank=True)

    objects = FeedbackQuerySet.as_manager()

    class Meta:
        ordering = ["-submitted_at", "-pk"]
        indexes = [
            models.Index(fields=["cycle", "age_band", "district"], name="feedback_cycle_segment"),
            models.Index(fields=["cycle", "status"], name="feedback_cycle_status"),
        ]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")

    @property
    def team(self) -> Team:
        return self.task.cycle.pilot.team


class Severity(models.TextChoices):
    BLOCKER = "blocker", _("Blocker: I could not go on")
    MAJOR = "major", _("Major: hard, but I managed")
    MINOR = "minor", _("Minor: an annoyance")


class Problem(models.Model):
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="problems")
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    description = models.TextField(_("what happened"), max_length=2000)

    class Meta:
        ordering = ["pk"]


class Notice(models.Model):
    """A message on an officer's home page (and by email when they gave an address)."""

    officer = models.ForeignKey(Officer, on_delete=models.CASCADE, related_name="notices")
    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, null=True, blank=True, related_name="notices")
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
