"""Staff pages for officers, persona by persona: planners and clerks see contact details (and
each look is audited), viewers see the segment only, other teams find nothing, and planners
approve, decline and register."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from citylab.models import AgeBand, AuditEvent, District, User
from pilots.models.panels import Officer, OfficerStatus, Recruited
from pilots.officers import CONSENT_IN_PERSON
from tests.pilots.officer_factories import PASSWORD, make_occupations, make_officer, make_officer_user

PERSONAS = ["planner", "clerk", "viewer", "officer", "other_planner", "anonymous"]


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.fixture
def officer_user(team, places):
    return make_officer_user(team)[0]


@pytest.fixture
def applicant(team, places) -> Officer:
    return make_officer(team, status=OfficerStatus.PENDING, full_name="周秀英", phone="13912345678",
                        email="zhou@example.com", accessibility_needs="Large print")


def sign_in(client, request, persona: str) -> None:
    if persona == "officer":
        client.force_login(request.getfixturevalue("officer_user"))
    elif persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


def is_login_redirect(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response["Location"].startswith(reverse("account_login"))


# --- The list -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_officer_list_by_persona(client, request, persona, applicant):
    sign_in(client, request, persona)
    response = client.get(reverse("pilots:officer_list"))
    if persona == "anonymous":
        assert is_login_redirect(response)
        return
    if persona in ("officer",):  # not a team member: there is no staff list for them
        assert response.status_code == HTTPStatus.NOT_FOUND
        return
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    if persona == "other_planner":
        assert applicant.get_absolute_url() not in page
        return
    assert applicant.get_absolute_url() in page
    assert ("周秀英" in page) == (persona in ("planner", "clerk"))
    assert "13912345678" not in page and "zhou@example.com" not in page  # never in the list


def test_list_filters_and_counts(client, planner, team, places):
    retired, office, _ = make_occupations()
    bands = places["bands"]
    make_officer(team, status=OfficerStatus.PENDING, occupation=retired, age_band=bands[4])
    make_officer(team, status=OfficerStatus.APPROVED, occupation=office, age_band=bands[0])
    make_officer(team, status=OfficerStatus.APPROVED, occupation=retired, age_band=bands[4])
    client.force_login(planner)
    url = reverse("pilots:officer_list")
    assert client.get(url, {"status": "pending"}).context["total"] == 1
    assert client.get(url, {"status": "approved", "occupation": retired.pk}).context["total"] == 1
    assert client.get(url, {"age_band": bands[4].pk}).context["total"] == 2
    assert client.get(url, {"district": places["districts"][1].pk}).context["total"] == 0
    counts = {value: n for value, _, n in client.get(url).context["status_counts"]}
    assert counts == {"pending": 1, "approved": 2, "declined": 0, "withdrawn": 0}


def test_list_ignores_tampered_filters(client, planner, team, places):
    make_officer(team)
    client.force_login(planner)
    response = client.get(reverse("pilots:officer_list"), {"status": "boss", "age_band": "x", "district": "999"})
    assert response.status_code == HTTPStatus.OK and response.context["total"] == 1


# --- The detail page -----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_officer_detail_by_persona(client, request, persona, applicant):
    sign_in(client, request, persona)
    response = client.get(applicant.get_absolute_url())
    if persona == "anonymous":
        assert is_login_redirect(response)
        return
    if persona in ("officer", "other_planner"):
        assert response.status_code == HTTPStatus.NOT_FOUND
        assert not AuditEvent.objects.filter(action="officer.viewed").exists()
        return
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    contacts = persona in ("planner", "clerk")
    for secret in ("周秀英", "13912345678", "zhou@example.com", "Large print"):
        assert (secret in page) == contacts, secret
    assert "60–69" in page  # the segment, for everyone
    assert AuditEvent.objects.filter(action="officer.viewed", target=f"pilots.Officer:{applicant.pk}").count() == (
        1 if contacts else 0
    )


# --- Approve or decline --------------------------------------------------------------------------


def decide_url(officer: Officer) -> str:
    return reverse("pilots:officer_decide", kwargs={"pk": officer.pk})


@pytest.mark.parametrize("persona", PERSONAS)
def test_decide_page_by_persona(client, request, persona, applicant):
    sign_in(client, request, persona)
    response = client.get(decide_url(applicant))
    expected = {"planner": 200, "clerk": 403, "viewer": 403, "officer": 404, "other_planner": 404}
    if persona == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected[persona]


@pytest.mark.parametrize("persona", ["clerk", "viewer", "officer", "other_planner"])
def test_only_the_owning_planner_may_approve(client, request, persona, applicant):
    sign_in(client, request, persona)
    client.post(decide_url(applicant), {"decision": "approve"})
    applicant.refresh_from_db()
    assert applicant.status == OfficerStatus.PENDING


def test_approval_creates_an_account_without_password_and_emails_a_link(
        client, planner, applicant, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(decide_url(applicant), {"decision": "approve"})
    assert response.status_code == HTTPStatus.FOUND
    applicant.refresh_from_db()
    assert applicant.status == OfficerStatus.APPROVED and applicant.decided_by == planner
    user = applicant.user
    assert user.email == "zhou@example.com" and not user.has_usable_password()
    assert not user.memberships.exists()
    assert EmailAddress.objects.get(user=user).verified
    assert len(mailoutbox) == 1 and mailoutbox[0].to == ["zhou@example.com"]
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+)", mailoutbox[0].body).group(1)
    event = AuditEvent.objects.get(action="officer.approved")
    assert event.detail == {"account": "created"}
    # The link works: the officer chooses a password and reaches their page.
    client.logout()
    form = client.get(link, follow=True)
    assert form.status_code == HTTPStatus.OK
    set_url = form.redirect_chain[-1][0]
    client.post(set_url, {"password1": "A-long-new-passphrase-9", "password2": "A-long-new-passphrase-9"})
    user.refresh_from_db()
    assert user.check_password("A-long-new-passphrase-9")


def test_approval_links_an_existing_account(client, planner, applicant, mailoutbox,
                                            django_capture_on_commit_callbacks):
    existing = User.objects.create_user(email="zhou@example.com", password=PASSWORD)
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(decide_url(applicant), {"decision": "approve"})
    applicant.refresh_from_db()
    assert applicant.user == existing
    assert "/accounts/login/" in mailoutbox[0].body and "reset" not in mailoutbox[0].body


def test_approval_without_email_makes_no_account(client, planner, team, places, mailoutbox,
                                                 django_capture_on_commit_callbacks):
    officer = make_officer(team, status=OfficerStatus.PENDING, email="")
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):  # an email would leave here
        client.post(decide_url(officer), {"decision": "approve"})
    officer.refresh_from_db()
    assert officer.status == OfficerStatus.APPROVED and officer.user is None
    assert mailoutbox == []


def test_decline_needs_a_reason(client, planner, applicant):
    client.force_login(planner)
    response = client.post(decide_url(applicant), {"decision": "decline", "reason": "  "})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["reason"] == ["Say why you decline the application."]
    applicant.refresh_from_db()
    assert applicant.status == OfficerStatus.PENDING


def test_decline_with_reason(client, planner, applicant, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):  # an email would leave here
        response = client.post(decide_url(applicant), {"decision": "decline", "reason": "Lives outside the city"})
    assert response["Location"] == reverse("pilots:officer_list") + "?status=pending"
    applicant.refresh_from_db()
    assert applicant.status == OfficerStatus.DECLINED and applicant.decline_reason == "Lives outside the city"
    assert applicant.user is None and mailoutbox == []
    assert "Lives outside" not in str(AuditEvent.objects.get(action="officer.declined").detail)


@pytest.mark.parametrize("data", [{}, {"decision": "promote"}, {"decision": "decline", "reason": "x" * 1001}])
def test_tampered_decisions_are_refused(client, planner, applicant, data):
    client.force_login(planner)
    assert client.post(decide_url(applicant), data).status_code == HTTPStatus.OK
    applicant.refresh_from_db()
    assert applicant.status == OfficerStatus.PENDING


def test_decided_application_cannot_be_decided_again(client, planner, team, places):
    officer = make_officer(team, status=OfficerStatus.DECLINED)
    client.force_login(planner)
    response = client.post(decide_url(officer), {"decision": "approve"})
    assert response.status_code == HTTPStatus.FOUND
    officer.refresh_from_db()
    assert officer.status == OfficerStatus.DECLINED


# --- Registration in person ----------------------------------------------------------------------


def in_person(**overrides) -> dict[str, object]:
    data: dict[str, object] = {
        "full_name": "刘大爷", "phone": "", "email": "",
        "age_band": AgeBand.objects.get(code="70+").pk,
        "district": District.objects.get(code="xingang").pk, "community": "",
        "occupation": make_occupations()[2].pk, "smartphone": "none",
        "accessibility_needs": "", "availability": ["weekday_morning"], "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


@pytest.mark.parametrize("persona", PERSONAS)
def test_register_page_by_persona(client, request, persona, places):
    sign_in(client, request, persona)
    response = client.get(reverse("pilots:officer_register"))
    expected = {"planner": 200, "clerk": 200, "viewer": 403, "officer": 404, "other_planner": 200}
    if persona == "anonymous":
        assert is_login_redirect(response)
    else:
        assert response.status_code == expected[persona]


@pytest.mark.parametrize(("persona", "status"), [("planner", OfficerStatus.APPROVED),
                                                 ("clerk", OfficerStatus.PENDING)])
def test_register_in_person(client, request, persona, status, team, places):
    user = request.getfixturevalue(persona)
    client.force_login(user)
    response = client.post(reverse("pilots:officer_register"), in_person())
    officer = Officer.objects.get()
    assert response["Location"] == officer.get_absolute_url()
    assert officer.team == team and officer.status == status
    assert officer.recruited == Recruited.IN_PERSON and officer.registered_by == user
    assert officer.consent_version == CONSENT_IN_PERSON and officer.consent_at is not None
    assert officer.user is None


def test_other_teams_planner_registers_into_their_own_team(client, other_planner, other_team, places):
    client.force_login(other_planner)
    client.post(reverse("pilots:officer_register"), in_person())
    assert Officer.objects.get().team == other_team


@pytest.mark.parametrize(("overrides", "field"), [
    ({"consent": None}, "consent"),
    ({"community": "99999"}, "community"),
    ({"age_band": "99999"}, "age_band"),
    ({"full_name": "x" * 101}, "full_name"),
])
def test_register_refuses_bad_input(client, planner, places, overrides, field):
    client.force_login(planner)
    response = client.post(reverse("pilots:officer_register"), in_person(**overrides))
    assert response.status_code == HTTPStatus.OK and field in response.context["form"].errors
    assert not Officer.objects.exists()


def test_register_refuses_a_community_of_another_district(client, planner, places):
    from citylab.models import Community

    client.force_login(planner)
    response = client.post(reverse("pilots:officer_register"),
                           in_person(community=Community.objects.get(code="dengta").pk))
    assert "Lighthouse is in Old Town, not in New Harbour" in response.context["form"].errors["community"][0]


def test_register_refuses_a_duplicate_contact(client, clerk, team, places):
    make_officer(team, phone="13800001111")
    client.force_login(clerk)
    response = client.post(reverse("pilots:officer_register"), in_person(phone="138 0000 1111"))
    assert response.status_code == HTTPStatus.OK
    assert "already has an officer" in response.content.decode()
    assert Officer.objects.count() == 1


# --- Export --------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_export_by_persona(client, request, persona, applicant):
    sign_in(client, request, persona)
    response = client.get(reverse("pilots:officer_export"))
    if persona == "anonymous":
        assert is_login_redirect(response)
        return
    expected = {"planner": 200, "clerk": 403, "viewer": 403, "officer": 404, "other_planner": 200}[persona]
    assert response.status_code == expected
    if persona == "other_planner":
        assert response.content.decode("utf-8-sig").strip().count("\n") == 0  # the header only


def test_export_carries_no_contact_details(client, planner, applicant, team, places):
    make_officer(team, status=OfficerStatus.WITHDRAWN)
    client.force_login(planner)
    response = client.get(reverse("pilots:officer_export"), {"status": "pending"})
    text = response.content.decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert lines[0].startswith("officer,team,status") and len(lines) == 2
    assert f"{applicant.pk},digital,pending,sign_up,60-69,laocheng,dengta,retired," in lines[1]
    for secret in ("周秀英", "13912345678", "zhou@example.com", "Large print", "weekday"):
        assert secret not in text
    event = AuditEvent.objects.get(action="officers.exported")
    assert event.actor == planner and event.detail == {"rows": 1, "filters": {"status": "pending"}}


def test_list_pages_take_the_same_queries_whatever_the_number_of_officers(client, planner, team, places,
                                                                            django_assert_max_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_officer(team)
    client.force_login(planner)
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("pilots:officer_list"))
    for _ in range(20):
        make_officer(team)
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("pilots:officer_list"))


def test_tampered_signup_fields_are_ignored(client, team, other_team, officer_user, places):
    """Fields the form does not offer (status, team, user, consent version) cannot be posted in."""
    from tests.pilots.test_officers_signup import answers

    url = reverse("pilots:officer_signup", kwargs={"team_code": team.code})
    client.post(url, {**answers(), "status": "approved", "team": other_team.pk, "user": officer_user.pk,
                      "consent_version": "none", "recruited": "in_person"})
    officer = Officer.objects.exclude(user=officer_user).get()
    assert officer.status == OfficerStatus.PENDING and officer.team == team and officer.user is None
    assert officer.recruited == Recruited.SIGN_UP and officer.consent_version != "none"
