"""Pilots, their cycles, what changed between cycles, imported counts and decisions.

A pilot tries one service in a few communities; each cycle is one round of trying it, with the
stage it has reached. The readiness rules live in `pilots/verdict.py` (no Django); this module
keeps the records the verdict is computed from and the decisions made on it.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, Community, District, Team, TeamOwnedQuerySet
from pilots.verdict_types import Thresholds

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]


class Stage(models.TextChoices):
    PLANNED = "planned", _("Planned")
    PILOTING = "piloting", _("Piloting")
    OPTIMIZING = "optimizing", _("Optimizing")
    READY_TO_SCALE = "ready_to_scale", _("Ready to scale")
    ROLLED_OUT = "rolled_out", _("Rolled out")
    STOPPED = "stopped", _("Stopped")


# A cycle moves forward along this order (steps may be skipped, never taken back); it may be
# stopped at any point before it is rolled out, and only a cycle ready to scale is rolled out.
STAGE_ORDER = (Stage.PLANNED, Stage.PILOTING, Stage.OPTIMIZING, Stage.READY_TO_SCALE, Stage.ROLLED_OUT)
FINAL_STAGES = (Stage.ROLLED_OUT, Stage.STOPPED)


def next_stages(stage: str) -> list[Stage]:
    """The stages a cycle at `stage` may move to."""
    if stage in FINAL_STAGES:
        return []
    position = STAGE_ORDER.index(Stage(stage))
    allowed = [s for s in STAGE_ORDER[position + 1 :] if s != Stage.ROLLED_OUT]
    if stage == Stage.READY_TO_SCALE:
        allowed = [Stage.ROLLED_OUT]
    return [*allowed, Stage.STOPPED]


class PilotQuerySet(TeamOwnedQuerySet):
    pass


class Pilot(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="pilots")
    name = models.CharField(_("name"), max_length=200)
    service = models.CharField(
        _("service being tried"), max_length=300, help_text=_("For example: face-recognition door access.")
    )
    scenario = models.TextField(_("scenario"), blank=True, help_text=_("Where, when and how residents use it."))
    target_population = models.TextField(_("target population"), blank=True)
    communities = models.ManyToManyField(Community, verbose_name=_("communities"), blank=True, related_name="pilots")
    adoption_target = models.PositiveSmallIntegerField(
        _("adoption target (%)"), default=60, validators=PERCENT,
        help_text=_("Overall share of eligible residents who use the service."),
    )
    equity_floor = models.PositiveSmallIntegerField(
        _("equity floor (%)"), default=40, validators=PERCENT,
        help_text=_("Minimum adoption in every age band and district."),
    )
    satisfaction_target = models.PositiveSmallIntegerField(
        _("satisfaction target (%)"), default=70, validators=PERCENT,
        help_text=_("Share of users who rate it as satisfying."),
    )
    viability_floor = models.PositiveSmallIntegerField(
        _("viability floor (%)"), default=15, validators=PERCENT,
        help_text=_("Below this overall adoption, even at best, the pilot is not viable."),
    )
    min_respondents = models.PositiveIntegerField(
        _("minimum respondents per segment"), default=30, validators=[MaxValueValidator(100_000)]
    )
    confidence = models.PositiveSmallIntegerField(
        _("confidence level (%)"), default=95, choices=[(80, "80%"), (90, "90%"), (95, "95%"), (99, "99%")]
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects = PilotQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("pilot")
        verbose_name_plural = _("pilots")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("pilots:pilot_detail", kwargs={"pk": self.pk})

    def clean(self) -> None:
        if self.equity_floor is not None and self.adoption_target is not None and self.equity_floor > self.adoption_target:
            raise ValidationError({"equity_floor": _("The equity floor cannot be above the adoption target.")})
        if self.viability_floor is not None and self.adoption_target is not None and self.viability_floor > self.adoption_target:
            raise ValidationError({"viability_floor": _("The viability floor cannot be above the adoption target.")})

    def thresholds(self) -> Thresholds:
        return Thresholds(
            adoption_target=self.adoption_target / 100,
            equity_floor=self.equity_floor / 100,
            satisfaction_target=self.satisfaction_target / 100,
            viability_floor=self.viability_floor / 100,
            min_n=self.min_respondents,
            confidence=self.confidence / 100,
        )


class CycleQuerySet(TeamOwnedQuerySet):
    membership_path = "pilot__team__memberships"


class Cycle(models.Model):
    pilot = models.ForeignKey(Pilot, on_delete=models.CASCADE, related_name="cycles")
    number = models.PositiveSmallIntegerField(_("cycle"))
    stage = models.CharField(_("stage"), max_length=20, choices=Stage.choices, default=Stage.PLANNED)
    sites = models.ManyToManyField(Community, verbose_name=_("sites"), blank=True, related_name="+")
    starts_on = models.DateField(_("starts"), null=True, blank=True)
    ends_on = models.DateField(_("ends"), null=True, blank=True)
    # Metrics source (a): an evaluation survey, with the answers that count.
    survey = models.ForeignKey(
        "surveys.Survey", on_delete=models.PROTECT, null=True, blank=True, related_name="pilot_cycles",
        verbose_name=_("evaluation survey"),
    )
    adoption_question = models.ForeignKey(
        "surveys.Question", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("adoption question"),
    )
    adopted_values = models.JSONField(_("answers that count as adopted"), default=list, blank=True)
    satisfaction_question = models.ForeignKey(
        "surveys.Question", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("satisfaction question"),
    )
    satisfied_values = models.JSONField(_("scores that count as satisfied"), default=list, blank=True)
    # Metrics source (b): counts imported from the operator's system (SegmentCount rows).
    counts_imported_at = models.DateTimeField(null=True, blank=True)
    counts_imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    counts_file_name = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CycleQuerySet.as_manager()

    class Meta:
        ordering = ["pilot", "number"]
        constraints = [models.UniqueConstraint(fields=["pilot", "number"], name="one_cycle_number_per_pilot")]
        verbose_name = _("cycle")
        verbose_name_plural = _("cycles")

    def __str__(self) -> str:
        return f"{self.pilot} · {self.number}"

    @property
    def team(self) -> Team:
        return self.pilot.team

    def get_absolute_url(self) -> str:
        return reverse("pilots:cycle_detail", kwargs={"pk": self.pilot_id, "number": self.number})

    def clean(self) -> None:
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The cycle cannot end before it starts.")})


class Variant(models.Model):
    """A version of the service for some residents, e.g. a staffed desk for residents over 70."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="variants")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("age band"))
    district = models.ForeignKey(District, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 verbose_name=_("district"))
    description = models.CharField(_("what is different"), max_length=500)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("variant")
        verbose_name_plural = _("variants")

    def __str__(self) -> str:
        return self.description


class CycleChange(models.Model):
    """A change made since the previous cycle, and why (later linked to officers' feedback)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="changes")
    what = models.CharField(_("what changed"), max_length=500)
    reason = models.TextField(_("why"))
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("change")
        verbose_name_plural = _("changes")

    def __str__(self) -> str:
        return self.what


class SegmentCount(models.Model):
    """Counts for one segment from the operator's own system (metrics source b)."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="segment_counts")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="+")
    age_band = models.ForeignKey(AgeBand, on_delete=models.PROTECT, related_name="+")
    eligible = models.PositiveIntegerField()
    adopters = models.PositiveIntegerField()
    satisfied = models.PositiveIntegerField(null=True, blank=True)
    rated = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "district", "age_band"], name="one_count_per_segment"),
            models.CheckConstraint(condition=models.Q(adopters__lte=models.F("eligible")), name="adopters_within_eligible"),
            models.CheckConstraint(
                condition=models.Q(satisfied__isnull=True) | models.Q(satisfied__lte=models.F("rated")),
                name="satisfied_within_rated",
            ),
        ]


class DecisionKind(models.TextChoices):
    SCALE = "scale", _("Scale up")
    OPTIMIZE = "optimize", _("Optimize again")
    STOP = "stop", _("Stop the pilot")


# The stage a cycle moves to when a decision is recorded on it.
DECISION_STAGE = {
    DecisionKind.SCALE: Stage.READY_TO_SCALE,
    DecisionKind.OPTIMIZE: Stage.OPTIMIZING,
    DecisionKind.STOP: Stage.STOPPED,
}


class Decision(models.Model):
    """A planner's decision on a cycle, with the verdict it was made on. Never edited."""

    cycle = models.ForeignKey(Cycle, on_delete=models.PROTECT, related_name="decisions")
    kind = models.CharField(_("decision"), max_length=10, choices=DecisionKind.choices)
    rationale = models.TextField(_("rationale"))
    override_reason = models.TextField(_("why scale against the verdict"), blank=True)
    verdict = models.CharField(max_length=20)
    snapshot = models.JSONField()  # Evaluation.as_dict() with the sentences in the decider's language
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.cycle}"

    def save(self, *args, **kwargs) -> None:
        # A decision is a record of what was known when it was made: it is written once.
        if self.pk is not None:
            raise ValidationError(_("A decision cannot be changed once it is recorded."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("A decision cannot be deleted."))
