"""The civic core: people and teams, places, and the segments residents are counted in.

Every later object (survey, pilot, panel) belongs to a Team; `TeamOwnedQuerySet.for_member`
is the one way views fetch them, so another team's object is simply not found.
"""

from __future__ import annotations

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

code_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_+-]*$",
    _("Use lower-case letters, digits, '-', '_' or '+', starting with a letter or digit."),
)


class BilingualName(models.Model):
    """A place or category named in Simplified Chinese and in English."""

    code = models.CharField(_("code"), max_length=40, unique=True, validators=[code_validator])
    name_zh = models.CharField(_("name (Chinese)"), max_length=100)
    name_en = models.CharField(_("name (English)"), max_length=100)

    class Meta:
        abstract = True

    @property
    def name(self) -> str:
        """The name in the language of the current request."""
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    def __str__(self) -> str:
        return self.name


# --- Users, teams and roles -----------------------------------------------------------------


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> User:
        if not email:
            raise ValueError("Users must have an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> User:
        fields.update(is_staff=True, is_superuser=True)
        return self.create_user(email, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in: staff of a city team, or (later) an experience officer.

    Residents who only answer surveys never have one.
    """

    email = models.EmailField(_("email address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    is_staff = models.BooleanField(_("may use the admin site"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name or self.email


class Role(models.TextChoices):
    PLANNER = "planner", _("Planner")
    CLERK = "clerk", _("Clerk")
    VIEWER = "viewer", _("Viewer")


class TeamOwnedQuerySet(models.QuerySet):
    """Base for every model with a `team` foreign key (and, with another path, for Team)."""

    membership_path = "team__memberships"

    def for_member(self, user, roles: tuple[Role, ...] | None = None) -> TeamOwnedQuerySet:
        """Objects of the teams `user` belongs to (with one of `roles`, when given), each
        annotated with `member_role`, the user's role in its team.

        A membership is unique per team and user, so the join never duplicates rows, and the
        annotation reuses that join: knowing the role costs no second query.
        """
        if not user.is_authenticated:
            return self.none()
        filters = Q(**{f"{self.membership_path}__user": user})
        if roles:
            filters &= Q(**{f"{self.membership_path}__role__in": roles})
        return self.filter(filters).annotate(member_role=F(f"{self.membership_path}__role"))


class TeamQuerySet(TeamOwnedQuerySet):
    membership_path = "memberships"


class Team(BilingualName):
    """A city office or bureau. It owns surveys, pilots and panels; its members have roles."""

    objects = TeamQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("team")
        verbose_name_plural = _("teams")

    def get_absolute_url(self) -> str:
        return reverse("team_detail", kwargs={"code": self.code})


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user) -> MembershipQuerySet:
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class Membership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_role_per_team")]
        ordering = ["team__code", "role", "user__email"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} · {self.team} · {self.get_role_display()}"


# --- Places ---------------------------------------------------------------------------------


class District(BilingualName):
    class Meta:
        ordering = ["code"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")


class Community(BilingualName):
    """A residential community (社区) within a district: where pilots run and forms go out."""

    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="communities")

    class Meta:
        ordering = ["district__code", "code"]
        verbose_name = _("community")
        verbose_name_plural = _("communities")


# --- Segments -------------------------------------------------------------------------------


class AgeBandQuerySet(models.QuerySet["AgeBand"]):
    def for_age(self, age: int) -> AgeBand | None:
        return self.filter(Q(max_age__isnull=True) | Q(max_age__gte=age), min_age__lte=age).first()


class AgeBand(models.Model):
    """An age range residents are counted in. Ordered by its lower bound; the last may be open."""

    code = models.CharField(_("code"), max_length=20, unique=True, validators=[code_validator])
    min_age = models.PositiveSmallIntegerField(_("from age"), validators=[MaxValueValidator(130)])
    max_age = models.PositiveSmallIntegerField(
        _("to age"), null=True, blank=True, validators=[MaxValueValidator(130)],
        help_text=_("Leave empty for an open band such as 70+."),
    )

    objects = AgeBandQuerySet.as_manager()

    class Meta:
        ordering = ["min_age"]
        verbose_name = _("age band")
        verbose_name_plural = _("age bands")
        constraints = [
            models.UniqueConstraint(fields=["min_age"], name="age_band_unique_start"),
            models.CheckConstraint(
                condition=Q(max_age__isnull=True) | Q(max_age__gte=models.F("min_age")),
                name="age_band_ordered_bounds",
            ),
        ]

    @property
    def label(self) -> str:
        return f"{self.min_age}+" if self.max_age is None else f"{self.min_age}–{self.max_age}"

    @property
    def name(self) -> str:
        return self.label

    def __str__(self) -> str:
        return self.label

    def clean(self) -> None:
        if self.max_age is not None and self.max_age < self.min_age:
            raise ValidationError({"max_age": _("The band must end at or after its first age.")})
        others = AgeBand.objects.exclude(pk=self.pk)
        top = 10_000 if self.max_age is None else self.max_age
        overlap = others.filter(min_age__lte=top).filter(Q(max_age__isnull=True) | Q(max_age__gte=self.min_age))
        if overlap.exists():
            raise ValidationError(
                _("This band overlaps %(band)s: each age must fall in one band only.")
                % {"band": overlap.first().label}
            )


class Occupation(BilingualName):
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("occupation")
        verbose_name_plural = _("occupations")


class PopulationFigure(models.Model):
    """Residents of one district in one age band: the target for weighting and quotas."""

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="population")
    age_band = models.ForeignKey(AgeBand, on_delete=models.CASCADE, related_name="population")
    population = models.PositiveIntegerField(_("population"))
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["district__code", "age_band__min_age"]
        constraints = [
            models.UniqueConstraint(fields=["district", "age_band"], name="one_figure_per_cell"),
        ]
        verbose_name = _("population figure")
        verbose_name_plural = _("population figures")

    def __str__(self) -> str:
        return f"{self.district} · {self.age_band}: {self.population}"


class AuditEvent(models.Model):
    """Who did what to which record, when and from where. Written, never edited."""

    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    actor_email = models.CharField(_("who"), max_length=254, blank=True)  # kept if the account goes
    team = models.ForeignKey(Team, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    action = models.CharField(_("what"), max_length=60, db_index=True)  # e.g. "pilot.decision"
    target = models.CharField(_("record"), max_length=200, blank=True)  # e.g. "pilots.Decision:12"
    detail = models.JSONField(_("details"), default=dict, blank=True)
    address = models.GenericIPAddressField(_("from"), null=True, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_email} {self.action} {self.target}"
