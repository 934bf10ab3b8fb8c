"""Planners triage feedback one step at a time, link the change that answers it, and the
officer hears of every step. Members read; other teams find nothing."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse

from citylab.models import AuditEvent
from pilots.models import CycleChange, Cycle, Feedback, Notice
from tests.pilots.feedback_factories import jpeg_upload, make_assignment, make_feedback, make_task
from tests.pilots.officer_factories import make_officer, make_officer_user

# Every persona, for every staff view: an officer (not staff), another team's planner and a user
# in no team find nothing; an anonymous visitor is sent to sign in.
PERSONAS = ["planner", "clerk", "viewer", "officer", "other_planner", "outsider", "anonymous"]
NOBODY = {"officer": 404, "other_planner": 404, "outsider": 404, "anonymous": 302}
READ = {"planner": 200, "clerk": 200, "viewer": 200, **NOBODY}
DECIDE = {"planner": 302, "clerk": 403, "viewer": 403, **NOBODY}


@pytest.fixture(autouse=True)
def english_and_media(client, settings, tmp_path) -> None:
    client.cookies["django_language"] = "en"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def feedback(cycle, team, places) -> Feedback:
    officer = make_officer(team, age_band=places["bands"][4], email="grandpa@residents.example")
    return make_feedback(make_assignment(make_task(cycle), officer),
                         problems=[("blocker", "字太小，看不清"), ("minor", "颜色浅")], suggestion="王大爷说字要大")


@pytest.fixture
def officer(team, places):
    """An officer of the team with an account, whose feedback this is not."""
    return make_officer_user(team)[0]


def sign_in(client, request, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


def to_sign_in(response) -> bool:
    return response.status_code == HTTPStatus.FOUND and response["Location"].startswith(reverse("account_login"))


@pytest.fixture
def change(cycle) -> CycleChange:
    return CycleChange.objects.create(cycle=cycle, what="Large-font edition", reason="Officers could not read it")


def detail(feedback: Feedback, name: str = "feedback_detail") -> str:
    return reverse(f"pilots:{name}", kwargs={"pk": feedback.pk})


def triage(client, feedback, **data):
    return client.post(detail(feedback, "feedback_triage"), data)


# --- Reading ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_list_and_detail_are_for_members(client, request, persona, feedback):
    sign_in(client, request, persona)
    list_url = reverse("pilots:feedback_list", kwargs={"pk": feedback.cycle.pilot_id})
    listing = client.get(list_url)
    assert listing.status_code == READ[persona]
    response = client.get(detail(feedback))
    assert response.status_code == READ[persona]
    if persona == "anonymous":
        assert to_sign_in(listing) and to_sign_in(response)
    if READ[persona] == 200:
        page = response.content.decode()
        assert "字太小，看不清" in page
        assert ("Triage" in page) == (persona == "planner")
        assert "grandpa@residents.example" not in page and str(feedback.officer.full_name) not in page


def test_list_filters(client, planner, feedback, cycle, team, places):
    make_feedback(make_assignment(make_task(cycle, "Read a notice"), make_officer(team)),
                          managed="yes", problems=[("minor", "ok")], status="accepted")
    later = Cycle.objects.create(pilot=cycle.pilot, number=2)
    make_feedback(make_assignment(make_task(later, "Visitor pass"), make_officer(team)), managed="yes")
    client.force_login(planner)
    url = reverse("pilots:feedback_list", kwargs={"pk": cycle.pilot_id})

    def shown(page: str) -> set[str]:
        return {t for t in ("Book a repair in the app", "Read a notice", "Visitor pass") if t in page}

    def titles(**query) -> set[str]:
        return shown(client.get(url, query).content.decode())

    assert titles() == {"Book a repair in the app", "Read a notice", "Visitor pass"}
    assert titles(cycle=2) == {"Visitor pass"}
    assert titles(status="accepted") == {"Read a notice"}
    assert titles(severity="blocker") == {"Book a repair in the app"}
    assert titles(age_band=places["bands"][4].pk) == {"Book a repair in the app"}
    assert titles(district=feedback.district_id, cycle=1) == {"Book a repair in the app", "Read a notice"}
    # Unknown filters: the form says so beside each field, and the list is shown unfiltered (not a 500).
    bad = client.get(url, {"cycle": "99", "status": "lost"})
    assert bad.status_code == 200
    page = bad.content.decode()
    assert page.count('class="error-message"') == 2 and "99 is not one of the available choices" in page
    assert shown(page) == {"Book a repair in the app", "Read a notice", "Visitor pass"}


def test_list_queries_do_not_grow(client, planner, cycle, team, django_assert_max_num_queries):
    client.force_login(planner)
    url = reverse("pilots:feedback_list", kwargs={"pk": cycle.pilot_id})
    task = make_task(cycle)
    for _ in range(3):
        make_feedback(make_assignment(task), problems=[("major", "x")])
    with django_assert_max_num_queries(20) as first:
        client.get(url)
    for _ in range(20):
        make_feedback(make_assignment(task), problems=[("major", "x")])
    with django_assert_max_num_queries(len(first.captured_queries)):
        client.get(url)


@pytest.mark.parametrize("persona", PERSONAS)
def test_photo_is_served_to_members_only(client, request, persona, feedback):
    feedback.photo.save("x.jpg", jpeg_upload(), save=True)
    sign_in(client, request, persona)
    response = client.get(detail(feedback, "feedback_photo"))
    assert response.status_code == READ[persona]
    if READ[persona] == 200:
        assert response["Content-Type"] == "image/jpeg" and response["Cache-Control"] == "private, max-age=3600"
        assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"  # the picture itself
    elif persona == "anonymous":
        assert to_sign_in(response)


def test_no_photo_is_404(client, planner, feedback):
    client.force_login(planner)
    assert client.get(detail(feedback, "feedback_photo")).status_code == 404


# --- Triage -------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_owning_planner_triages(client, request, persona, feedback):
    sign_in(client, request, persona)
    response = triage(client, feedback, status="accepted")
    assert response.status_code == DECIDE[persona]
    assert to_sign_in(response) == (persona == "anonymous")
    feedback.refresh_from_db()
    assert feedback.status == ("accepted" if persona == "planner" else "new")
    assert Notice.objects.exists() == (persona == "planner")


def test_each_step_is_audited_and_told_to_the_officer(client, planner, feedback, change,
                                                      django_capture_on_commit_callbacks):
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        assert triage(client, feedback, status="accepted").status_code == 302
        assert triage(client, feedback, status="planned", change=change.pk).status_code == 302
        assert triage(client, feedback, status="done").status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == "done" and feedback.change == change and feedback.triaged_by == planner
    events = AuditEvent.objects.filter(action="feedback.triage", target=f"pilots.Feedback:{feedback.pk}")
    assert [e.detail["status"] for e in events.order_by("pk")] == ["accepted", "planned", "done"]
    notices = Notice.objects.filter(officer=feedback.officer, feedback=feedback)
    assert notices.count() == 3
    assert "Large-font edition" in notices.first().text  # the newest: done, with the change
    assert len(mail.outbox) == 3 and mail.outbox[0].to == ["grandpa@residents.example"]


def test_officer_without_email_gets_a_notice_only(client, planner, cycle, team,
                                                  django_capture_on_commit_callbacks):
    quiet = make_feedback(make_assignment(make_task(cycle), make_officer(team, email="")))
    client.force_login(planner)
    with django_capture_on_commit_callbacks(execute=True):
        triage(client, quiet, status="accepted")
    assert Notice.objects.filter(feedback=quiet).count() == 1 and mail.outbox == []


def test_skipping_a_step_is_refused(client, planner, feedback, change):
    client.force_login(planner)
    response = triage(client, feedback, status="done", change=change.pk)
    assert response.status_code == 400
    assert "Choose one of the next steps shown." in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.status == "new" and not Notice.objects.exists() and not AuditEvent.objects.filter(
        action="feedback.triage").exists()


def test_service_refuses_a_skip_too(rf, planner, feedback):
    from pilots import feedback as workflow

    request = rf.post("/")
    request.user = planner
    with pytest.raises(workflow.FeedbackError, match="can only move to"):
        workflow.triage(feedback=feedback, status="planned", request=request)


def test_decline_needs_a_reason(client, planner, feedback, django_capture_on_commit_callbacks):
    client.force_login(planner)
    response = triage(client, feedback, status="declined", reason="  ")
    assert response.status_code == 400
    assert "Say why the feedback is declined" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert triage(client, feedback, status="declined", reason="The old door stays too.").status_code == 302
    feedback.refresh_from_db()
    assert feedback.status == "declined" and feedback.decline_reason == "The old door stays too."
    assert "The old door stays too." in Notice.objects.get().text
    closed = client.post(detail(feedback, "feedback_triage"), {"status": "accepted"}, follow=True)
    assert "it is closed" in closed.content.decode()  # declined moves no further
    feedback.refresh_from_db()
    assert feedback.status == "declined" and Notice.objects.count() == 1


def test_done_needs_a_change(client, planner, feedback):
    client.force_login(planner)
    triage(client, feedback, status="accepted")
    response = triage(client, feedback, status="done")
    assert response.status_code == 400
    assert "Choose the change that answers the feedback" in response.content.decode()


def test_change_of_another_pilot_is_refused(client, planner, feedback, team):
    from pilots.models import Pilot

    elsewhere = Pilot.objects.create(team=team, name="Other", service="x")
    foreign = CycleChange.objects.create(cycle=Cycle.objects.create(pilot=elsewhere, number=1), what="x", reason="y")
    client.force_login(planner)
    response = triage(client, feedback, status="accepted", change=foreign.pk)
    assert response.status_code == 400
    assert "Choose a change of this pilot." in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.change is None and feedback.status == "new"


def test_change_of_another_pilot_is_refused_by_the_service(rf, planner, feedback, other_pilot):
    from pilots import feedback as workflow

    foreign = CycleChange.objects.create(cycle=Cycle.objects.create(pilot=other_pilot, number=1), what="x", reason="y")
    request = rf.post("/")
    request.user = planner
    with pytest.raises(workflow.FeedbackError, match="change of this pilot"):
        workflow.triage(feedback=feedback, status="accepted", change=foreign, request=request)


# --- A new change from the feedback -------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_change_form_is_for_planners(client, request, persona, feedback, cycle):
    sign_in(client, request, persona)
    page = client.get(detail(feedback, "feedback_change_create"))
    assert page.status_code == {**DECIDE, "planner": 200}[persona]
    posted = client.post(detail(feedback, "feedback_change_create"),
                         {"cycle": cycle.pk, "what": "Bigger text", "reason": "Officers could not read it"})
    assert posted.status_code == DECIDE[persona]
    assert to_sign_in(page) == to_sign_in(posted) == (persona == "anonymous")
    feedback.refresh_from_db()
    assert CycleChange.objects.exists() == (persona == "planner")
    assert (feedback.change is not None) == (persona == "planner")


def test_change_from_feedback_is_prefilled_and_linked(client, planner, feedback, cycle):
    client.force_login(planner)
    response = client.get(detail(feedback, "feedback_change_create"))
    page = response.content.decode()
    # The officer's words and segment beside the form, for reference; the draft carries neither.
    assert "王大爷说字要大" in page and "字太小，看不清" in page and "Blocker: I could not go on" in page
    form = response.context["form"]
    assert form["what"].value() == ""
    assert form["reason"].value() == "Officers' feedback on “Book a repair in the app” in cycle 1."
    response = client.post(detail(feedback, "feedback_change_create"),
                           {"cycle": cycle.pk, "what": "Bigger text", "reason": "Officers could not read it"})
    assert response.status_code == 302
    feedback.refresh_from_db()
    assert feedback.change.what == "Bigger text" and feedback.change.created_by == planner
    assert AuditEvent.objects.filter(action="feedback.link_change").exists()


def test_change_from_feedback_refuses_empty_and_foreign_cycle(client, planner, feedback, other_pilot):
    client.force_login(planner)
    foreign = Cycle.objects.create(pilot=other_pilot, number=1)
    response = client.post(detail(feedback, "feedback_change_create"), {"cycle": foreign.pk, "what": "", "reason": ""})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Say what changes." in page and "There is a problem" in page
    assert not CycleChange.objects.exists()


def test_the_drafted_change_brings_no_officers_words_to_the_public_page(client, planner, feedback, cycle):
    """The planner keeps the draft's why, writes the what, and closes the feedback with it: the
    public page then shows the planner's words only, not the officer's, nor their age or district."""
    client.force_login(planner)
    form = client.get(detail(feedback, "feedback_change_create")).context["form"]
    draft = {name: form[name].value() for name in ("cycle", "what", "reason")}
    refused = client.post(detail(feedback, "feedback_change_create"), draft)  # the empty what is the planner's to write
    assert refused.status_code == 200 and "Say what changes." in refused.content.decode()
    response = client.post(detail(feedback, "feedback_change_create"), {**draft, "what": "Text and buttons twice as large"})
    assert response.status_code == 302
    assert triage(client, feedback, status="accepted").status_code == 302
    assert triage(client, feedback, status="done").status_code == 302
    client.logout()
    page = client.get(reverse("pilots:you_said_we_did", kwargs={"pk": cycle.pilot_id})).content.decode()
    assert "Text and buttons twice as large" in page and "Book a repair in the app" in page
    officer = feedback.officer
    for private in ("王大爷说字要大", "字太小，看不清", "颜色浅", "70+", str(feedback.district), feedback.district.name_zh,
                    officer.full_name, officer.email):
        assert private not in page, private
