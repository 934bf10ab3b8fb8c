"""The audit trail: role changes made in the admin are recorded, and the trail can be read
out as CSV, from the admin (with its filters) and by command."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from django.core.management import CommandError, call_command

from citylab import audit
from citylab.models import AuditEvent, Membership, Role
from tests.conftest import make_user


def team_form(team, rows: list[dict[str, object]], initial: int) -> dict[str, object]:
    """The team's change form as the admin posts it, with its membership rows."""
    data: dict[str, object] = {
        "code": team.code, "name_zh": team.name_zh, "name_en": team.name_en,
        "memberships-TOTAL_FORMS": str(len(rows)), "memberships-INITIAL_FORMS": str(initial),
        "memberships-MIN_NUM_FORMS": "0", "memberships-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"memberships-{i}-{key}"] = value
        data[f"memberships-{i}-team"] = team.pk
    return data


def test_role_changes_in_the_admin_are_recorded(client, admin_user, team, planner, clerk):
    newcomer = make_user("newcomer@lanhai.example")
    planner_row = Membership.objects.get(user=planner)
    clerk_row = Membership.objects.get(user=clerk)
    client.force_login(admin_user)
    response = client.post(f"/admin/citylab/team/{team.pk}/change/", team_form(team, [
        {"id": planner_row.pk, "user": planner.pk, "role": Role.PLANNER},  # unchanged
        {"id": clerk_row.pk, "user": clerk.pk, "role": Role.VIEWER},  # clerk becomes viewer
        {"user": newcomer.pk, "role": Role.CLERK},  # a new member
    ], initial=2))
    assert response.status_code == HTTPStatus.FOUND, response.context["errors"] if response.context else ""
    events = {e.action: e for e in AuditEvent.objects.all()}
    assert set(events) == {"team.role_changed", "team.member_added"}
    assert events["team.role_changed"].detail == {
        "member": clerk.email, "role": "viewer", "previous_role": "clerk", "previous_member": clerk.email}
    assert events["team.member_added"].detail == {"member": "newcomer@lanhai.example", "role": "clerk"}
    assert all(e.actor == admin_user and e.team == team and e.address == "127.0.0.1" for e in events.values())

    AuditEvent.objects.all().delete()
    response = client.post(f"/admin/citylab/team/{team.pk}/change/", team_form(team, [
        {"id": clerk_row.pk, "user": clerk.pk, "role": Role.VIEWER, "DELETE": "on"},
    ], initial=1))
    assert response.status_code == HTTPStatus.FOUND
    removed = AuditEvent.objects.get()
    assert removed.action == "team.member_removed" and removed.detail == {"member": clerk.email, "role": "viewer"}


def test_granting_admin_rights_is_recorded(client, admin_user, viewer):
    client.force_login(admin_user)
    response = client.post(f"/admin/citylab/user/{viewer.pk}/change/", {
        "email": viewer.email, "full_name": viewer.full_name, "is_active": "on", "is_staff": "on",
        "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-01-05", "date_joined_1": "09:00:00",
    })
    assert response.status_code == HTTPStatus.FOUND
    event = AuditEvent.objects.get(action="user.privileges_changed")
    assert event.detail == {"member": viewer.email, "is_staff": True} and event.actor == admin_user


@pytest.fixture
def events(team, planner):
    audit.record(None, "pilot.decision", team=team, user=planner, pilot=3, verdict="READY_TO_SCALE")
    audit.record(None, "officer.viewed", team=team, user=planner, note="带逗号, 和\"引号\"")
    return AuditEvent.objects.order_by("pk")


def read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"))))


def test_admin_downloads_the_filtered_trail(client, admin_user, events):
    client.force_login(admin_user)
    response = client.get("/admin/citylab/auditevent/export.csv?action=officer.viewed")
    assert response.status_code == HTTPStatus.OK
    rows = read(b"".join(response.streaming_content).decode())
    assert rows[0] == audit.CSV_HEADER
    assert [row[1:5] for row in rows[1:]] == [["planner@lanhai.example", "digital", "officer.viewed", ""]]
    assert rows[1][6] == '{"note": "带逗号, 和\\"引号\\""}'
    assert AuditEvent.objects.filter(action="audit.exported", actor=admin_user).exists()
    listing = client.get("/admin/citylab/auditevent/?action=officer.viewed").content.decode()
    assert 'href="/admin/citylab/auditevent/export.csv?action=officer.viewed"' in listing


def test_staff_without_admin_rights_cannot_download_the_trail(client, planner, events):
    client.force_login(planner)
    response = client.get("/admin/citylab/auditevent/export.csv")
    assert response.status_code == HTTPStatus.FOUND and "/admin/login/" in response["Location"]


def test_command_writes_the_trail_oldest_first(events, tmp_path):
    out = io.StringIO()
    call_command("export_audit", stdout=out)
    rows = read(out.getvalue())
    assert [row[3] for row in rows[1:]] == ["pilot.decision", "officer.viewed"]
    call_command("export_audit", "--action", "pilot.decision", "--output", str(tmp_path / "a.csv"), stdout=out)
    assert "wrote 1 audit events" in out.getvalue()
    assert read((tmp_path / "a.csv").read_text(encoding="utf-8"))[1][3] == "pilot.decision"
    out = io.StringIO()
    call_command("export_audit", "--until", "2000-01-01", stdout=out)
    assert len(read(out.getvalue())) == 1  # the header only


@pytest.mark.parametrize(("arguments", "message"), [
    (["--since", "yesterday"], "expected a date like 2026-01-31, got 'yesterday'"),
    (["--output", "/nonexistent/dir/a.csv"], "/nonexistent/dir/a.csv: No such file or directory"),
])
def test_command_errors_say_what_to_do(db, arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("export_audit", *arguments)


def test_behind_the_proxy_the_trail_names_the_person_not_the_proxy(rf, settings, planner, team):
    settings.CITYLAB_BEHIND_PROXY = True
    request = rf.get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.9")
    request.user = planner
    assert audit.record(request, "pilot.decision", team=team).address == "203.0.113.9"
    settings.CITYLAB_BEHIND_PROXY = False  # then anyone could write the header: it is ignored
    assert audit.record(request, "pilot.decision", team=team).address == "10.0.0.2"
