"""The public sign-up: informed consent, every answer checked on the server, duplicates refused
(or a declined application reopened), nothing half-saved."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, transaction
from django.urls import reverse

from citylab.models import AgeBand, AuditEvent, Community, District, Role
from pilots.models.panels import Officer, OfficerStatus, Recruited
from pilots.officers import CONSENT_VERSION, DuplicateApplication, officer_register, officer_sign_up
from tests.pilots.officer_factories import make_occupations, make_officer


@pytest.fixture(autouse=True)
def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.fixture
def occupations(db):
    return make_occupations()


@pytest.fixture
def url(team) -> str:
    return reverse("pilots:officer_signup", kwargs={"team_code": team.code})


def answers(**overrides) -> dict[str, object]:
    """A complete, valid sign-up: a retired woman of 70+ in Old Town's Lighthouse community."""
    old = District.objects.get(code="laocheng")
    data: dict[str, object] = {
        "full_name": "周秀英",
        "phone": "139 1234-5678",
        "email": "",
        "age_band": AgeBand.objects.get(code="70+").pk,
        "district": old.pk,
        "community": Community.objects.get(code="dengta").pk,
        "occupation": make_occupations()[0].pk,
        "smartphone": "none",
        "accessibility_needs": "Large print, please.",
        "availability": ["weekday_morning", "weekend"],
        "consent": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def test_page_explains_consent_in_both_languages(client, url, places, occupations):
    response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    for heading in ("What we ask", "Why", "Who sees it", "How to stop"):
        assert heading in page
    assert "the team can only reach you through your community office" in page
    client.cookies["django_language"] = "zh-hans"
    assert client.get(url).status_code == HTTPStatus.OK


def test_unknown_team_is_404(client, places):
    assert client.get(reverse("pilots:officer_signup", kwargs={"team_code": "nowhere"})).status_code == 404


def test_sign_up_saves_a_pending_application_with_consent(client, url, team, places, occupations):
    response = client.post(url, answers())
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("pilots:officer_signup_done", kwargs={"team_code": team.code})
    officer = Officer.objects.get()
    assert officer.team == team
    assert officer.status == OfficerStatus.PENDING
    assert officer.recruited == Recruited.SIGN_UP
    assert officer.phone == "13912345678"  # normalised
    assert officer.availability == ["weekday_morning", "weekend"]
    assert officer.consent_at is not None and officer.consent_version == CONSENT_VERSION
    assert officer.user is None
    event = AuditEvent.objects.get(action="officer.signed_up")
    assert "周秀英" not in str(event.detail) and "139" not in str(event.detail)
    done = client.get(response["Location"])
    assert "Application sent" in done.content.decode()


def test_contact_details_are_optional(client, url, places, occupations):
    assert client.post(url, answers(phone="", email="")).status_code == HTTPStatus.FOUND
    assert Officer.objects.get().phone == ""


def test_email_is_kept_in_lower_case(client, url, places, occupations):
    client.post(url, answers(email=" Zhou.XY@Example.COM "))
    assert Officer.objects.get().email == "zhou.xy@example.com"


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"consent": None}, "consent", "Tick the box to say you agree"),
    ({"full_name": ""}, "full_name", "Enter your name."),
    ({"age_band": None}, "age_band", "Choose your age band."),
    ({"age_band": 99999}, "age_band", "Choose your age band from the list."),
    ({"age_band": "old"}, "age_band", "Choose your age band from the list."),
    ({"district": 99999}, "district", "Choose a district from the list."),
    ({"community": 99999}, "community", "Choose a community from the list"),
    ({"occupation": 99999}, "occupation", "Choose what you do from the list."),
    ({"smartphone": "expert"}, "smartphone", "Choose one of the answers about smartphones."),
    ({"availability": ["midnight"]}, "availability", "Choose times from the list."),
    ({"phone": "call me maybe"}, "phone", "Enter a phone number in digits"),
    ({"email": "not-an-address"}, "email", "Enter an email address like name@example.com."),
    ({"full_name": "x" * 101}, "full_name", "Use at most 100 characters (you used 101)."),
    ({"phone": "1" * 31}, "phone", "Use at most 30 characters"),
    ({"accessibility_needs": "x" * 1001}, "accessibility_needs", "Use at most 1000 characters"),
])
def test_bad_answers_are_refused_with_a_message_and_nothing_saved(client, url, places, occupations,
                                                                     overrides, field, message):
    response = client.post(url, answers(**overrides))
    assert response.status_code == HTTPStatus.OK
    assert message in " ".join(response.context["form"].errors[field])
    page = response.content.decode()
    assert "There is a problem" in page and "<title>Error:" in page
    assert 'value="周秀英"' in page or field == "full_name"  # answers kept
    assert not Officer.objects.exists()


def test_community_of_another_district_is_refused_clearly(client, url, places, occupations):
    shipyard = Community.objects.get(code="chuanchang")
    response = client.post(url, answers(community=shipyard.pk))
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["community"] == [
        "Shipyard is in New Harbour, not in Old Town. Choose a community in Old Town, or “Not sure”."
    ]
    assert not Officer.objects.exists()


@pytest.mark.parametrize("status", [OfficerStatus.PENDING, OfficerStatus.APPROVED])
@pytest.mark.parametrize("contact", [{"phone": "139-1234 5678"}, {"phone": "", "email": "ZHOU@example.com"}])
def test_same_contact_again_is_refused_without_revealing_anything(client, url, team, places, occupations,
                                                                   status, contact):
    make_officer(team, status=status, full_name="王秘密", phone="13912345678", email="zhou@example.com")
    response = client.post(url, answers(**contact))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "We already have an application with these contact details" in page
    assert "王秘密" not in page and "zhou@example.com" not in page
    assert Officer.objects.count() == 1


def test_same_contact_in_another_team_is_a_new_application(client, url, other_team, places, occupations):
    make_officer(other_team, phone="13912345678")
    assert client.post(url, answers()).status_code == HTTPStatus.FOUND
    assert Officer.objects.count() == 2


def test_declined_application_is_reopened_with_the_new_answers(client, url, team, places, occupations):
    earlier = make_officer(team, status=OfficerStatus.DECLINED, phone="13912345678", email="zhou@example.com",
                           decline_reason="Panel full")
    assert client.post(url, answers()).status_code == HTTPStatus.FOUND
    earlier.refresh_from_db()
    assert Officer.objects.count() == 1
    assert earlier.status == OfficerStatus.PENDING
    assert earlier.full_name == "周秀英" and earlier.decline_reason == "" and earlier.decided_at is None
    assert earlier.email == "zhou@example.com"  # kept: only the phone was given this time
    assert AuditEvent.objects.filter(action="officer.reapplied").exists()


def test_withdrawn_officer_can_sign_up_again_as_a_new_application(client, url, team, places, occupations):
    make_officer(team, status=OfficerStatus.WITHDRAWN)
    assert client.post(url, answers()).status_code == HTTPStatus.FOUND
    assert Officer.objects.filter(status=OfficerStatus.PENDING).count() == 1


def test_signup_done_page_for_unknown_team_is_404(client, places):
    assert client.get(reverse("pilots:officer_signup_done", kwargs={"team_code": "nowhere"})).status_code == 404


# --- Two at once ----------------------------------------------------------------------------------


def unsaved_applicant() -> Officer:
    return Officer(full_name="周秀英", phone="13912345678", age_band=AgeBand.objects.get(code="70+"),
                   district=District.objects.get(code="laocheng"), occupation=make_occupations()[0],
                   smartphone="none")


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("second_by", ["sign_up", "register"])
def test_two_at_once_with_the_same_phone_save_one_officer(rf, team, clerk, places, occupations, second_by):
    """A sign-up still open in its transaction holds back a second one with the same phone (or a
    clerk's registration of the same person): the second waits, then finds the first and is
    refused. Without the lock both would find no match and both would save."""
    saved, release = threading.Event(), threading.Event()
    outcome: dict[str, str] = {}

    def first() -> None:
        try:
            with transaction.atomic():
                request = rf.post("/")
                request.user = AnonymousUser()
                officer_sign_up(request, team=team, officer=unsaved_applicant())
                saved.set()
                release.wait(10)  # the first sign-up has checked and written, and not yet committed
            outcome["first"] = "saved"
        finally:
            connection.close()

    def second() -> None:
        request = rf.post("/")
        request.user = clerk
        try:
            if second_by == "sign_up":
                request.user = AnonymousUser()
                officer_sign_up(request, team=team, officer=unsaved_applicant())
            else:
                officer_register(request, team=team, officer=unsaved_applicant(), role=Role.CLERK)
            outcome["second"] = "saved"
        except DuplicateApplication:
            outcome["second"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    threads[0].start()
    assert saved.wait(10)
    threads[1].start()
    threads[1].join(0.5)
    waited = threads[1].is_alive()  # still waiting for the first transaction, not deciding without it
    release.set()
    for thread in threads:
        thread.join(15)
    assert waited
    assert outcome == {"first": "saved", "second": "refused"}
    assert Officer.objects.filter(team=team).count() == 1
