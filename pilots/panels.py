"""Panel workflows that span several models: who counts as a member, the coverage report,
quotas (set by hand or derived from population figures) and assigning officers to a task.

The arithmetic lives in `pilots/coverage.py` and `pilots/assignment.py` (no Django); this
module reads the rows they need with a fixed number of aggregate queries and writes results
in one transaction.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from citylab.audit import record
from citylab.models import AgeBand, District, Occupation, PopulationFigure
from pilots.assignment import Candidate, Proposal, propose
from pilots.coverage import CellCoverage, cell_coverage, derive_targets, gap_fillers, representativeness
from pilots.models import Assignment, Notice, Officer, OfficerStatus, Panel, PanelMember, Quota, Task
from pilots.services import WorkflowError

Cell = tuple[int, int, int | None]  # (age band id, occupation id, district id or None)

# "Fewest recent tasks first" looks back this far; the monthly limit looks at the calendar month.
RECENT_DAYS = 90


@dataclass(frozen=True)
class Segments:
    """The city's age bands, occupations and districts, in the order pages show them."""

    bands: list[AgeBand]
    occupations: list[Occupation]
    districts: list[District]

    @classmethod
    def load(cls) -> Segments:
        return cls(list(AgeBand.objects.all()), list(Occupation.objects.all()), list(District.objects.all()))

    def position(self, cell: Cell) -> tuple[int, int, int]:
        """Where a cell comes on the page: by age band, then occupation, then district."""
        band = next(i for i, b in enumerate(self.bands) if b.pk == cell[0])
        occupation = next(i for i, o in enumerate(self.occupations) if o.pk == cell[1])
        district = -1 if cell[2] is None else next(i for i, d in enumerate(self.districts) if d.pk == cell[2])
        return band, occupation, district

    def turn(self, cell: Cell) -> tuple[int, int, int]:
        """The order cells take turns in when officers are chosen: along the diagonals of the
        age band × occupation grid, so that the first picks already differ in both age band
        and occupation (a plain row-by-row order would give the youngest band every early pick)."""
        band, occupation, district = self.position(cell)
        return (occupation - band) % max(len(self.occupations), 1), band, district

    def names(self, cell: Cell) -> dict[str, object]:
        return {
            "age_band": next(b for b in self.bands if b.pk == cell[0]),
            "occupation": next(o for o in self.occupations if o.pk == cell[1]),
            "district": None if cell[2] is None else next(d for d in self.districts if d.pk == cell[2]),
        }


def counted_members(panel: Panel) -> QuerySet[Officer]:
    """The members who count: approved officers (a withdrawn or declined one no longer does)."""
    return Officer.objects.filter(panel_memberships__panel=panel, status=OfficerStatus.APPROVED,
                                  withdrawn_at__isnull=True)


def cell_of(panel: Panel, age_band_id: int, occupation_id: int, district_id: int) -> Cell:
    return age_band_id, occupation_id, district_id if panel.quota_by_district else None


def _segment_counts(officers: QuerySet[Officer]) -> list[tuple[int, int, int, int]]:
    """(age band, occupation, district, officers): one GROUP BY, whatever the panel's size."""
    return list(officers.order_by().values_list("age_band_id", "occupation_id", "district_id")
                .annotate(n=Count("id")))


def member_counts(panel: Panel) -> dict[Cell, int]:
    counts: dict[Cell, int] = {}
    for band, occupation, district, n in _segment_counts(counted_members(panel)):
        cell = cell_of(panel, band, occupation, district)
        counts[cell] = counts.get(cell, 0) + n
    return counts


def quota_targets(panel: Panel) -> dict[Cell, int]:
    return {(band, occupation, district): target for band, occupation, district, target
            in panel.quotas.values_list("age_band_id", "occupation_id", "district_id", "target")}


def population_by_band_district() -> dict[tuple[int, int], int]:
    return {(band, district): n for band, district, n
            in PopulationFigure.objects.values_list("age_band_id", "district_id", "population")}


@dataclass
class CoverageRow:
    coverage: CellCoverage
    age_band: AgeBand
    occupation: Occupation
    district: District | None
    applicants: list[Officer] = field(default_factory=list)

    @property
    def shortfall(self) -> int:
        return self.coverage.shortfall


@dataclass
class CoverageReport:
    rows: list[CoverageRow]
    target_total: int
    member_total: int
    index: float | None  # representativeness against population (see coverage.representativeness)
    has_population: bool

    @property
    def gaps(self) -> list[CoverageRow]:
        return [row for row in self.rows if row.shortfall]

    @property
    def shortfall_total(self) -> int:
        return sum(row.shortfall for row in self.rows)


def coverage_report(panel: Panel) -> CoverageReport:
    """Target against members per cell, the panel's representativeness, and the team's pending
    applications that fall in a cell short of members.

    Seven queries whatever the panel's size: the segments (3), quotas, member counts (grouped
    in SQL), population figures and the team's pending applications (a team has a handful
    waiting at a time; their rows are needed to name and link them).
    """
    segments = Segments.load()
    targets = quota_targets(panel)
    grouped = _segment_counts(counted_members(panel))
    members: dict[Cell, int] = {}
    panel_by_band_district: dict[tuple[int, int], int] = {}
    for band, occupation, district, n in grouped:
        cell = cell_of(panel, band, occupation, district)
        members[cell] = members.get(cell, 0) + n
        panel_by_band_district[(band, district)] = panel_by_band_district.get((band, district), 0) + n
    population = population_by_band_district()
    cells = cell_coverage(targets, members)
    pending = list(
        Officer.objects.filter(team_id=panel.team_id, status=OfficerStatus.PENDING)
        .exclude(panel_memberships__panel=panel).order_by("created_at", "pk")
    )
    by_id = {o.pk: o for o in pending}
    fillers = gap_fillers(
        {cell: c.shortfall for cell, c in cells.items()},
        ((o.pk, cell_of(panel, o.age_band_id, o.occupation_id, o.district_id)) for o in pending),
    )
    rows = [
        CoverageRow(coverage=c, applicants=[by_id[pk] for pk in fillers.get(cell, [])], **segments.names(cell))
        for cell, c in sorted(cells.items(), key=lambda item: segments.position(item[0]))
    ]
    return CoverageReport(
        rows=rows,
        target_total=sum(targets.values()),
        member_total=sum(members.values()),
        index=representativeness(panel_by_band_district, population),
        has_population=bool(population),
    )


@transaction.atomic
def quotas_replace(*, panel: Panel, targets: Mapping[Cell, int]) -> int:
    """Put `targets` in place of the panel's quotas (cells with 0 are simply not stored);
    returns the total target. All or nothing."""
    for cell, target in targets.items():
        if target < 0:
            raise WorkflowError(_("A target cannot be negative."))
        if (cell[2] is None) == panel.quota_by_district:
            raise WorkflowError(_("The targets do not match how this panel is split (per district or not)."))
    panel.quotas.all().delete()
    Quota.objects.bulk_create(
        Quota(panel=panel, age_band_id=band, occupation_id=occupation, district_id=district, target=target)
        for (band, occupation, district), target in targets.items() if target > 0
    )
    return sum(targets.values())


def quotas_from_population(*, panel: Panel, size: int, occupations: Iterable[Occupation]) -> int:
    """Replace the panel's quotas by targets derived from the population figures (see
    `coverage.derive_targets`: the age bands (× districts) in proportion to residents, each
    split evenly across the chosen occupations; the total is exactly `size`)."""
    population = population_by_band_district()
    if not population:
        raise WorkflowError(_("There are no population figures yet: an administrator enters them first."))
    occupation_ids = [o.pk for o in occupations]
    targets = derive_targets(population, occupation_ids, size, by_district=panel.quota_by_district)
    return quotas_replace(panel=panel, targets=targets)


@transaction.atomic
def members_add(*, panel: Panel, officers: Iterable[Officer], request: HttpRequest | None = None) -> int:
    """Add approved officers of the panel's team; refuse anyone else (the form says so first)."""
    added = []
    for officer in officers:
        if officer.team_id != panel.team_id:
            raise WorkflowError(_("%(name)s is not an officer of this panel's team.") % {"name": officer})
        if officer.status != OfficerStatus.APPROVED:
            raise WorkflowError(_("%(name)s is not an approved officer.") % {"name": officer})
        _, created = PanelMember.objects.get_or_create(panel=panel, officer=officer)
        if created:
            added.append(officer.pk)
    if added:
        record(request, "panel.members_added", panel, officers=added)
    return len(added)


# --- Assigning officers to a task -------------------------------------------------------------


def month_start(now: datetime.datetime | None = None) -> datetime.datetime:
    """Midnight on the first of the current month, in the city's time zone."""
    local = timezone.localtime(now)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _with_task_counts(officers: QuerySet[Officer]) -> QuerySet[Officer]:
    # Every assignment made this month counts towards the limit, on any task, cancelled or not:
    # the officer was asked, and the limit is about how often they are asked.
    now = timezone.now()
    return officers.annotate(
        this_month=Count("assignments", filter=Q(assignments__assigned_at__gte=month_start(now)), distinct=True),
        recent=Count("assignments", filter=Q(assignments__assigned_at__gte=now - datetime.timedelta(days=RECENT_DAYS)),
                     distinct=True),
    )


def candidates_for(task: Task) -> QuerySet[Officer]:
    """The task panel's counted members not yet assigned to it, with their task counts."""
    if task.panel is None:
        return Officer.objects.none()
    officers = counted_members(task.panel).exclude(assignments__task=task)
    return _with_task_counts(officers).select_related("age_band", "occupation", "district")


@dataclass
class AssignmentProposal:
    chosen: list[Officer]
    at_limit: list[Officer]
    available: int  # candidates under the limit


def assignment_proposal(task: Task, wanted: int) -> AssignmentProposal:
    """A balanced set of `wanted` officers across the panel's cells (see `assignment.propose`)."""
    panel = task.panel
    officers = {o.pk: o for o in candidates_for(task)}
    segments = Segments.load()
    candidates = [
        Candidate(o.pk, segments.turn(cell_of(panel, o.age_band_id, o.occupation_id, o.district_id)),
                  o.this_month, o.recent)
        for o in officers.values()
    ]
    proposal: Proposal = propose(candidates, wanted, panel.monthly_limit)
    return AssignmentProposal(
        chosen=[officers[c.officer_id] for c in proposal.chosen],
        at_limit=[officers[c.officer_id] for c in proposal.at_limit],
        available=len(candidates) - len(proposal.at_limit),
    )


def notice_text(task: Task) -> str:
    """What the officer reads on their home page and in the email: what, where, by when."""
    lines = [_("You are asked to try: %(title)s") % {"title": task.title}]
    if task.place:
        lines.append(_("Where: %(place)s") % {"place": task.place})
    lines.append(_("By: %(date)s") % {"date": task.due_on.isoformat()})
    if task.instructions:
        lines.append(_("How: %(how)s") % {"how": task.instructions})
    return "\n".join(lines)


@transaction.atomic
def assign(*, task: Task, officer_ids: Iterable[int], user, request: HttpRequest | None = None) -> list[Assignment]:
    """Assign the officers to the task, each with a notice (and an email when they gave an
    address), all or nothing. Whatever was proposed, the limit is checked again here, on rows
    locked for the transaction, so a tampered form or a colleague assigning at the same moment
    cannot push anyone over it."""
    ids = sorted(set(officer_ids))
    if not ids:
        raise WorkflowError(_("Choose at least one officer."))
    if task.panel is None:
        raise WorkflowError(_("This task has no panel to choose officers from."))
    # Lock the officers' rows first (PostgreSQL): a concurrent assignment waits for this one.
    list(Officer.objects.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
    officers = {o.pk: o for o in candidates_for(task).filter(pk__in=ids)}
    limit = task.panel.monthly_limit
    for pk in ids:
        officer = officers.get(pk)
        if officer is None:
            raise WorkflowError(_("One of the officers chosen is not an approved member of this panel, "
                                  "or already has this task. Choose again."))
        if officer.this_month >= limit:
            raise WorkflowError(
                _("%(name)s already has %(count)s task(s) this month, the panel's limit: untick them.")
                % {"name": officer, "count": officer.this_month}
            )
    now = timezone.now()
    assignments = Assignment.objects.bulk_create(
        Assignment(task=task, officer=officers[pk], assigned_at=now, assigned_by=user) for pk in ids
    )
    # Officers read in the city's language (the site's default), not the planner's.
    with translation.override(settings.LANGUAGE_CODE):
        text = notice_text(task)
        subject = _("New test task: %(title)s") % {"title": task.title}
    Notice.objects.bulk_create(Notice(officer=officers[pk], text=text) for pk in ids)
    emails = [officers[pk].email for pk in ids if officers[pk].email]
    for email in emails:
        # After commit: no email about an assignment that was rolled back.
        transaction.on_commit(lambda email=email: send_mail(subject, text, None, [email]))
    record(request, "panel.assign", task, team=task.panel.team, user=None if request else user,
           officers=ids, panel=task.panel.pk)
    return assignments
