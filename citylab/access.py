"""One answer to "may this user do this to this object?".

Objects belong to a team (they have `team` or are a Team). What a member may do follows from
their role; outsiders may do nothing, and views turn that into a 404 so that another team's
objects cannot even be seen to exist.
"""

from __future__ import annotations

from enum import StrEnum

from django.db.models import Model, QuerySet
from django.http import Http404
from django.core.exceptions import PermissionDenied

from citylab.models import Membership, Role, Team


class Action(StrEnum):
    VIEW = "view"  # read pages, dashboards and reports
    ENTER = "enter"  # print forms, upload scans, review marks, type in paper answers
    DESIGN = "design"  # build surveys, pilots and panels; import data
    DECIDE = "decide"  # record readiness decisions, change stages, triage feedback


ALLOWED: dict[Role, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.VIEW}),
    Role.CLERK: frozenset({Action.VIEW, Action.ENTER}),
    Role.PLANNER: frozenset({Action.VIEW, Action.ENTER, Action.DESIGN, Action.DECIDE}),
}


def team_of(obj: Model) -> Team:
    return obj if isinstance(obj, Team) else obj.team


def role_in(user, team: Team) -> Role | None:
    if not user.is_authenticated:
        return None
    role = Membership.objects.filter(user=user, team=team).values_list("role", flat=True).first()
    return Role(role) if role else None


def may(user, action: Action, obj: Model) -> bool:
    """True when `user` is a member of `obj`'s team with a role that allows `action`."""
    role = role_in(user, team_of(obj))
    return role is not None and action in ALLOWED[role]


def roles_allowed(action: Action) -> tuple[Role, ...]:
    return tuple(role for role, actions in ALLOWED.items() if action in actions)


def get_for_member_or_404(queryset: QuerySet, user, action: Action = Action.VIEW, **lookup) -> Model:
    """Fetch one object of the user's teams: 404 for outsiders, 403 for a member whose role
    does not allow `action` (they can see it exists, so saying "not allowed" is honest)."""
    try:
        obj = queryset.for_member(user).get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404 from None
    if action not in ALLOWED[Role(obj.member_role)]:  # the role came with the object
        raise PermissionDenied
    return obj
