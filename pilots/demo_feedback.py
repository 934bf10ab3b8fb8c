"""The demo's officer feedback: what the panel said in cycle 1 of the community app, and what
became of it.

Officers over 60 could not read the app (字太小，看不清) and said so as blockers; their feedback
is linked to cycle 2's large-font change and marked done, which is what the public "You said,
we did" page shows. Officers 45–59 asked for help registering, which led to the help desk.
Some younger officers' requests are declined with a reason, and the newest are still new.

Runs after the panels demo (pilots.demo_panels), which sets cycle 1's tasks and assignments.
Running it again changes nothing: existing feedback is left as it is.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation

from citylab.models import Role, Team
from pilots.demo import APP, _demo_person
from pilots.demo_panels import MONTHLY_LIMIT
from pilots.feedback import status_sentence
from pilots.models import (
    Assignment,
    AssignmentStatus,
    CycleChange,
    Feedback,
    FeedbackChannel,
    FeedbackStatus,
    Managed,
    Notice,
    Officer,
    OfficerStatus,
    Pilot,
    Problem,
    Severity,
    Task,
)
from pilots.panels import month_start

OLDER_TRYING = 24
LARGE_FONT = "推出大字版（长辈版）"  # the start of cycle 2's change, as pilots.demo writes it
HELP_DESK = "社区活动中心设人工帮办台"

# (managed, ease, usefulness, accessibility, problems, suggestion) by the officer's age.
OLDER = (Managed.NO, 1, 3, 1, ((Severity.BLOCKER, "字太小，看不清"), (Severity.MAJOR, "按钮太小，老是点错")),
         "希望字和按钮都再大一些。")
OLDER_WITH_HELP = (Managed.WITH_HELP, 2, 4, 2, ((Severity.BLOCKER, "字太小，看不清"),), "")
MIDDLE = (Managed.WITH_HELP, 3, 4, 3, ((Severity.MAJOR, "第一次登记要填的内容太多，不知道从哪里开始"),),
          "最好有人当面教一次。")
YOUNGER = (
    (Managed.YES, 4, 4, 4, ((Severity.MINOR, "通知推送太频繁"),), "希望能关掉不重要的通知。"),
    (Managed.YES, 5, 3, 4, (), "能不能做成微信小程序，不用另外下载？"),
    (Managed.YES, 4, 5, 5, ((Severity.MINOR, "报修照片上传有点慢"),), ""),
)
DECLINED = {
    "能不能做成微信小程序，不用另外下载？": "本轮试点只评估社区通应用本身；小程序版本需要另行立项，暂不考虑。",
}


def seed_feedback(*, team: Team) -> str:
    """Create the demo feedback of cycle 1 of `team`'s community app pilot; say what exists."""
    pilot = Pilot.objects.filter(team=team, name=APP.name).first()
    cycle = pilot.cycles.filter(number=1).first() if pilot else None
    if cycle is None:
        return "no demo feedback: seed the demo pilots first"
    if not Assignment.objects.filter(task__cycle=cycle).exists():
        return "no demo feedback: seed the demo panel (officers, tasks, assignments) first"
    planner = _demo_person(team, Role.PLANNER)
    clerk = _demo_person(team, Role.CLERK)
    with transaction.atomic():
        _older_officers_try_it(cycle, planner)
    assignments = list(
        Assignment.objects.filter(task__cycle=cycle).exclude(status=AssignmentStatus.CANCELLED)
        .select_related("officer__age_band", "task").order_by("task__pk", "pk")
    )
    changes = {c.what: c for c in CycleChange.objects.filter(cycle__pilot=pilot)}
    large_font = next((c for what, c in changes.items() if what.startswith(LARGE_FONT)), None)
    help_desk = next((c for what, c in changes.items() if what.startswith(HELP_DESK)), None)
    done = set(Feedback.objects.filter(assignment__in=assignments).values_list("assignment_id", flat=True))
    with transaction.atomic(), translation.override(settings.LANGUAGE_CODE):
        for index, assignment in enumerate(assignments):
            if assignment.pk in done:
                continue
            _report(assignment, index, large_font, help_desk, planner, clerk, cycle.ends_on)
    counts = dict(
        Feedback.objects.filter(cycle=cycle).values_list("status").annotate(n=Count("pk")).order_by()
    )
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    # Say what exists, not what this run added, so that a second run reports the same.
    return f"feedback on cycle 1 of {pilot.name!r}: {sum(counts.values())} reports ({summary})"


def _asked_in_month(when: datetime.datetime) -> Q:
    """Assignments made in the calendar month of `when`, which is what the monthly limit counts."""
    start = month_start(when)
    following = (start + datetime.timedelta(days=32)).replace(day=1)
    return Q(assignments__assigned_at__gte=start, assignments__assigned_at__lt=following)


def _limit(task: Task) -> int:
    return task.panel.monthly_limit if task.panel else MONTHLY_LIMIT


def _older_officers_try_it(cycle, planner) -> None:
    """The story needs officers over 60 in cycle 1: when the panel's tasks chose none, the
    first task is given to the team's approved officers over 45 (at most OLDER_TRYING) who are
    still under the panel's monthly limit, as the assignment page would allow."""
    if Assignment.objects.filter(task__cycle=cycle, officer__age_band__min_age__gte=60).exists():
        return
    task = cycle.tasks.select_related("panel").order_by("pk").first()
    when = timezone.make_aware(datetime.datetime.combine(cycle.starts_on or datetime.date.today(), datetime.time(9)))
    older = (
        Officer.objects.filter(team=cycle.pilot.team, status=OfficerStatus.APPROVED, age_band__min_age__gte=45)
        .exclude(assignments__task__cycle=cycle)
        .annotate(asked=Count("assignments", filter=_asked_in_month(when), distinct=True))
        .filter(asked__lt=_limit(task))
        .order_by("-age_band__min_age", "pk")[:OLDER_TRYING]
    )
    Assignment.objects.bulk_create(
        Assignment(task=task, officer=officer, assigned_at=when, assigned_by=planner) for officer in older
    )


def _report(assignment: Assignment, index: int, large_font: CycleChange | None, help_desk: CycleChange | None,
            planner, clerk, ends_on: datetime.date | None) -> Feedback:
    officer = assignment.officer
    age = officer.age_band.min_age
    if age >= 60:
        managed, ease, useful, access, problems, suggestion = OLDER if index % 3 else OLDER_WITH_HELP
        change = large_font
    elif age >= 45:
        managed, ease, useful, access, problems, suggestion = MIDDLE
        change = help_desk
    else:
        managed, ease, useful, access, problems, suggestion = YOUNGER[index % len(YOUNGER)]
        change = None
    if change is not None:
        status = FeedbackStatus.DONE
    elif suggestion in DECLINED:
        status = FeedbackStatus.DECLINED
    else:
        status = FeedbackStatus.NEW
    submitted = assignment.assigned_at + datetime.timedelta(days=3 + index % 5, hours=index % 7)
    # Officers without an account told a clerk (the oldest mostly have no smartphone).
    channel = FeedbackChannel.WEB if officer.user_id else FeedbackChannel.ASSISTED
    feedback = Feedback.objects.create(
        assignment=assignment, task=assignment.task, cycle_id=assignment.task.cycle_id, officer=officer,
        age_band_id=officer.age_band_id, district_id=officer.district_id, occupation_id=officer.occupation_id,
        managed=managed, ease=ease, usefulness=useful, accessibility=access, suggestion=suggestion,
        channel=channel, entered_by=clerk if channel == FeedbackChannel.ASSISTED else None,
        submitted_at=submitted, status=status, change=change,
        decline_reason=DECLINED.get(suggestion, "") if status == FeedbackStatus.DECLINED else "",
        triaged_by=planner if status != FeedbackStatus.NEW else None,
        triaged_at=_triaged_at(ends_on, submitted) if status != FeedbackStatus.NEW else None,
    )
    Problem.objects.bulk_create(Problem(feedback=feedback, severity=s, description=d) for s, d in problems)
    if assignment.status != AssignmentStatus.REPORTED:
        Assignment.objects.filter(pk=assignment.pk).update(status=AssignmentStatus.REPORTED)
    if status != FeedbackStatus.NEW:
        # The notice the officer would have had (no email: the demo sends none).
        Notice.objects.get_or_create(officer=officer, feedback=feedback, text=status_sentence(feedback))
    return feedback


def _triaged_at(ends_on: datetime.date | None, submitted: datetime.datetime) -> datetime.datetime:
    if ends_on is None:
        return submitted + datetime.timedelta(days=7)
    return timezone.make_aware(datetime.datetime.combine(ends_on + datetime.timedelta(days=5), datetime.time(10)))


DEMO_OFFICER_EMAIL = "officer@lanhai.example"


def seed_officer_login(*, team: Team) -> str:
    """Give one demo officer an account, so the officer's own page can be tried: an officer over
    60 whose cycle-1 blocker led to the large-font change, with a cycle-2 task still to do."""
    from allauth.account.models import EmailAddress

    from citylab.demo import DEMO_PASSWORD
    from citylab.models import User

    officer = Officer.objects.filter(team=team, user__email=DEMO_OFFICER_EMAIL).first()
    if officer is None:
        officer = (
            Officer.objects.filter(team=team, status="approved", user__isnull=True, age_band__min_age__gte=60,
                                   feedback__status=FeedbackStatus.DONE)
            .order_by("pk").first()
        )
    if officer is None:
        return "no demo officer login: seed the demo feedback first"
    with transaction.atomic():
        user = User.objects.filter(email__iexact=DEMO_OFFICER_EMAIL).first()
        if user is None:
            user = User.objects.create_user(email=DEMO_OFFICER_EMAIL, password=DEMO_PASSWORD,
                                            full_name=officer.full_name)
        EmailAddress.objects.get_or_create(user=user, email=DEMO_OFFICER_EMAIL,
                                           defaults={"verified": True, "primary": True})
        if officer.user_id != user.pk or officer.email != DEMO_OFFICER_EMAIL:
            officer.user, officer.email = user, DEMO_OFFICER_EMAIL
            officer.save(update_fields=["user", "email"])
        tasks = Task.objects.filter(cycle__pilot__team=team, cycle__pilot__name=APP.name, cycle__number=2)
        has_one = officer.assignments.filter(task__in=tasks, status=AssignmentStatus.ASSIGNED).exists()
        task = tasks.select_related("panel").exclude(assignments__officer=officer).order_by("due_on", "pk").first()
        now = timezone.now()
        if not has_one and task is not None:
            # Asked today, like any assignment: only while they are under the panel's monthly limit.
            asked = Officer.objects.filter(pk=officer.pk).aggregate(n=Count("assignments", filter=_asked_in_month(now)))
            if asked["n"] < _limit(task):
                Assignment.objects.create(task=task, officer=officer, assigned_at=now)
    return f"officer login {DEMO_OFFICER_EMAIL} for {officer.full_name}"
