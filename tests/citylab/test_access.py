"""Who may do what: roles within a team, nothing across teams."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from citylab.access import Action, get_for_member_or_404, may, roles_allowed
from citylab.models import Role, Team


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [
        ("planner", {Action.VIEW, Action.ENTER, Action.DESIGN, Action.DECIDE}),
        ("clerk", {Action.VIEW, Action.ENTER}),
        ("viewer", {Action.VIEW}),
        ("other_planner", set()),
        ("outsider", set()),
    ],
)
def test_may_follows_the_role_in_the_objects_team(request, team, persona, allowed):
    user = request.getfixturevalue(persona)
    assert {action for action in Action if may(user, action, team)} == allowed


def test_anonymous_may_do_nothing(team):
    from django.contrib.auth.models import AnonymousUser

    assert not any(may(AnonymousUser(), action, team) for action in Action)


def test_for_member_scopes_to_the_users_teams(planner, other_planner, team, other_team):
    assert list(Team.objects.for_member(planner)) == [team]
    assert list(Team.objects.for_member(other_planner)) == [other_team]
    assert list(Team.objects.for_member(planner, roles=(Role.VIEWER,))) == []


def test_roles_allowed_lists_the_roles_for_an_action():
    assert set(roles_allowed(Action.ENTER)) == {Role.PLANNER, Role.CLERK}
    assert roles_allowed(Action.DECIDE) == (Role.PLANNER,)


def test_get_for_member_or_404(planner, viewer, other_planner, team):
    assert get_for_member_or_404(Team.objects.all(), planner, Action.DECIDE, code="digital") == team
    with pytest.raises(PermissionDenied):  # a member without the role is told so
        get_for_member_or_404(Team.objects.all(), viewer, Action.DESIGN, code="digital")
    with pytest.raises(Http404):  # an outsider cannot tell the team exists
        get_for_member_or_404(Team.objects.all(), other_planner, Action.VIEW, code="digital")


class TestTeamPage:
    url = "/staff/teams/digital/"

    @pytest.mark.parametrize("persona", ["planner", "clerk", "viewer"])
    def test_members_see_the_team(self, client, request, persona, planner, clerk, viewer):
        client.force_login(request.getfixturevalue(persona))
        response = client.get(self.url)
        assert response.status_code == HTTPStatus.OK
        for name in ["王芳", "李明", "张伟"]:
            assert name in response.text

    def test_other_teams_planner_gets_404(self, client, other_planner, team):
        client.force_login(other_planner)
        assert client.get(self.url).status_code == HTTPStatus.NOT_FOUND

    def test_outsider_gets_404(self, client, outsider, team):
        client.force_login(outsider)
        assert client.get(self.url).status_code == HTTPStatus.NOT_FOUND

    def test_anonymous_is_sent_to_sign_in(self, client, team):
        response = client.get(self.url)
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"].startswith("/accounts/login/")
