"""An officer reports on their own task (and only theirs); a clerk records a report for an
officer without an account. Bad input is refused with a sentence, and nothing is half saved."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from citylab.models import AuditEvent
from pilots.models import Assignment, Feedback, Problem
from tests.pilots.feedback_factories import jpeg_upload, make_assignment, make_feedback, make_task, report
from tests.pilots.officer_factories import make_officer, make_officer_user
from tests.pilots.test_photos import gps_exif, png_bomb


@pytest.fixture(autouse=True)
def english_and_media(client, settings, tmp_path) -> None:
    client.cookies["django_language"] = "en"
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def officer_user(team, places):
    return make_officer_user(team, age_band=places["bands"][4])


@pytest.fixture
def assignment(cycle, officer_user) -> Assignment:
    return make_assignment(make_task(cycle), officer_user[1])


def url(assignment: Assignment, name: str = "feedback_report") -> str:
    return reverse(f"pilots:{name}", kwargs={"assignment": assignment.pk})


# --- Who may report ----------------------------------------------------------------------------


def test_officer_sees_the_form_for_their_own_task(client, officer_user, assignment):
    client.force_login(officer_user[0])
    response = client.get(url(assignment))
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "How did it go: Book a repair in the app" in page
    assert "1 – very hard" in page and "5 – very easy" in page
    assert page.count('name="problem-') >= 6  # three problem rows without JavaScript
    assert 'class="aud-public' in page or "aud-public" in page
    assert f'class="back-link" href="{reverse("pilots:officer_home")}"' in page


def test_another_officers_task_is_404(client, team, cycle, officer_user, places):
    other_user, other = make_officer_user(team)
    theirs = make_assignment(make_task(cycle), other)
    client.force_login(officer_user[0])
    assert client.get(url(theirs)).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url(theirs), report()).status_code == HTTPStatus.NOT_FOUND
    assert not Feedback.objects.exists()


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer", "other_planner"])
def test_staff_are_not_the_officer(client, request, persona, assignment):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(assignment)).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("persona,status", [
    ("owner", 200), ("other_officer", 404), ("planner", 404), ("clerk", 404), ("viewer", 404),
    ("other_planner", 404), ("outsider", 404), ("anonymous", 302),
])
def test_confirmation_is_the_reporting_officers_only(client, request, team, places, persona, status, officer_user,
                                                      assignment):
    """After sending, the officer's own summary of what they said: nobody else's page, not even
    the team's staff (who read the feedback on their own pages)."""
    make_feedback(assignment, suggestion="我家楼下的灯坏了")
    people = {"owner": officer_user[0], "other_officer": make_officer_user(team)[0]}
    if persona != "anonymous":
        client.force_login(people.get(persona) or request.getfixturevalue(persona))
    response = client.get(url(assignment, "feedback_report_done"))
    assert response.status_code == status
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("account_login"))
    if status == 200:
        assert "Feedback sent" in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client, assignment):
    response = client.get(url(assignment))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))


def test_cancelled_task_takes_no_report(client, officer_user, assignment):
    Assignment.objects.filter(pk=assignment.pk).update(status="cancelled")
    client.force_login(officer_user[0])
    assert client.get(url(assignment)).status_code == HTTPStatus.NOT_FOUND


# --- A good report -----------------------------------------------------------------------------


def test_report_is_saved_with_the_officers_segment(client, officer_user, assignment, cycle):
    user, officer = officer_user
    before = officer.last_active_at
    client.force_login(user)
    response = client.post(url(assignment), report(**{
        "problem-0-severity": "blocker", "problem-0-description": "字太小，看不清",
        "problem-1-severity": "minor", "problem-1-description": "按钮颜色太浅",
    }))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == url(assignment, "feedback_report_done")
    feedback = Feedback.objects.get()
    assert (feedback.managed, feedback.ease, feedback.usefulness, feedback.accessibility) == ("with_help", 2, 4, 1)
    assert (feedback.age_band, feedback.district, feedback.occupation) == (officer.age_band, officer.district,
                                                                        officer.occupation)
    assert feedback.cycle == cycle and feedback.channel == "web" and feedback.entered_by is None
    assert list(feedback.problems.values_list("severity", "description")) == [
        ("blocker", "字太小，看不清"), ("minor", "按钮颜色太浅")]
    assignment.refresh_from_db()
    officer.refresh_from_db()
    assert assignment.status == "reported"
    assert officer.last_active_at > before
    done = client.get(response["Location"])
    assert "Feedback sent" in done.content.decode()
    assert "2 problems" in done.content.decode()
    assert f'href="{reverse("pilots:officer_home")}"' in done.content.decode()


def test_no_problems_is_a_valid_report(client, officer_user, assignment):
    client.force_login(officer_user[0])
    assert client.post(url(assignment), report()).status_code == HTTPStatus.FOUND
    assert Feedback.objects.count() == 1 and not Problem.objects.exists()


def test_photo_with_gps_is_stored_without_exif(client, officer_user, assignment):
    client.force_login(officer_user[0])
    response = client.post(url(assignment), {**report(), "photo": jpeg_upload(gps_exif())})
    assert response.status_code == HTTPStatus.FOUND
    feedback = Feedback.objects.get()
    with feedback.photo.open("rb") as stored:
        image = Image.open(stored)
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
    assert not feedback.photo.name.endswith("photo.jpg")  # the sender's name is not kept


def test_double_submit_keeps_one_report_and_says_so(client, officer_user, assignment):
    client.force_login(officer_user[0])
    client.post(url(assignment), report())
    second = client.post(url(assignment), report(ease="5"), follow=True)
    assert second.status_code == HTTPStatus.OK
    assert "already been sent" in second.content.decode()
    assert Feedback.objects.get().ease == 2


def test_race_is_refused_by_the_service(rf, officer_user, assignment):
    """Two posts that both passed the view's check: the second is refused, not a 500."""
    from pilots import feedback as workflow
    from pilots.feedback import Report

    request = rf.post("/")
    request.user = officer_user[0]
    data = Report(managed="yes", ease=3, usefulness=3, accessibility=3, suggestion="", problems=[])
    workflow.submit(assignment=assignment, report=data, request=request)
    with pytest.raises(workflow.FeedbackError, match="already been sent"):
        workflow.submit(assignment=assignment, report=data, request=request)
    assert Feedback.objects.count() == 1


# --- Bad input ---------------------------------------------------------------------------------


def bad(client, officer_user, assignment, data, files=None) -> str:
    client.force_login(officer_user[0])
    response = client.post(url(assignment), {**data, **(files or {})})
    assert response.status_code == HTTPStatus.OK
    page = response.content.decode()
    assert "There is a problem" in page and "<title>Error:" in page
    assert not Feedback.objects.exists() and not Problem.objects.exists()
    assignment.refresh_from_db()
    assert assignment.status == "assigned"
    return page


@pytest.mark.parametrize("score", ["0", "6", "-1", "three", ""])
def test_scores_outside_1_to_5_are_refused(client, officer_user, assignment, score):
    page = bad(client, officer_user, assignment, report(ease=score))
    assert "Choose a number from 1 to 5." in page
    assert 'href="#field-ease"' in page


def test_unknown_managed_answer_is_refused(client, officer_user, assignment):
    assert "Say whether you managed" in bad(client, officer_user, assignment, report(managed="maybe"))


def test_unknown_severity_is_refused(client, officer_user, assignment):
    page = bad(client, officer_user, assignment, report(**{
        "problem-0-severity": "catastrophic", "problem-0-description": "It broke"}))
    assert "Choose blocker, major or minor." in page
    assert 'href="#field-problem-0-severity"' in page


def test_half_a_problem_asks_for_the_other_half(client, officer_user, assignment):
    page = bad(client, officer_user, assignment, report(**{
        "problem-0-description": "It broke", "problem-1-severity": "major"}))
    assert "Problem 1: How serious: Choose how serious the problem was." in page
    assert "Problem 2: What happened: Say what happened." in page


def test_too_many_problem_rows_are_refused(client, officer_user, assignment):
    data = report(**{"problem-TOTAL_FORMS": "50"})
    client.force_login(officer_user[0])
    response = client.post(url(assignment), data)
    assert response.status_code == HTTPStatus.OK
    assert not Feedback.objects.exists()


def test_gif_photo_is_refused(client, officer_user, assignment):
    gif = SimpleUploadedFile("tiny.gif", b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04"
                             b"\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;",
                             content_type="image/gif")
    page = bad(client, officer_user, assignment, report(), {"photo": gif})
    assert "The photo must be a JPEG, PNG or WebP picture." in page


def test_text_file_named_jpg_is_refused(client, officer_user, assignment):
    text = SimpleUploadedFile("photo.jpg", b"hello, this is not a photo", content_type="image/jpeg")
    assert "must be a JPEG, PNG or WebP picture" in bad(client, officer_user, assignment, report(), {"photo": text})


def test_png_bomb_is_refused(client, officer_user, assignment):
    bomb = SimpleUploadedFile("bomb.png", png_bomb(100_000, 100_000), content_type="image/png")
    assert "at most 6000 × 6000 pixels" in bad(client, officer_user, assignment, report(), {"photo": bomb})


def test_answers_are_kept_on_error(client, officer_user, assignment):
    page = bad(client, officer_user, assignment, report(ease="9", usefulness="4", suggestion="更大的字"))
    assert 'value="4" id="id_usefulness_3" required checked' in page
    assert "更大的字" in page


def test_add_another_problem_redraws_with_one_more_row_and_saves_nothing(client, officer_user, assignment):
    client.force_login(officer_user[0])
    response = client.post(url(assignment), report(
        ease="9", add_problem="1", **{"problem-0-severity": "major", "problem-0-description": "慢"}))
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'name="problem-3-description"' in page and 'name="problem-4-description"' not in page
    assert "There is a problem" not in page  # half-written answers are not judged yet
    assert "慢" in page
    assert not Feedback.objects.exists()


# --- A clerk records feedback for an officer without an account -------------------------------------


@pytest.fixture
def offline(cycle, team, places) -> Assignment:
    return make_assignment(make_task(cycle), make_officer(team, email="", user=None, age_band=places["bands"][4]))


@pytest.mark.parametrize("persona,status", [("planner", 200), ("clerk", 200), ("viewer", 403),
                                            ("other_planner", 404), ("outsider", 404)])
def test_assisted_form_is_for_clerks_and_planners(client, request, persona, status, offline):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(offline, "feedback_assisted")).status_code == status
    assert client.post(url(offline, "feedback_assisted"), report()).status_code == (302 if status == 200 else status)
    assert Feedback.objects.exists() == (status == 200)


def test_officer_cannot_use_the_assisted_form(client, officer_user, assignment):
    client.force_login(officer_user[0])
    assert client.get(url(assignment, "feedback_assisted")).status_code == HTTPStatus.NOT_FOUND


def test_anonymous_assisted_is_sent_to_sign_in(client, offline):
    assert client.get(url(offline, "feedback_assisted")).status_code == HTTPStatus.FOUND


def test_clerk_records_feedback_as_assisted(client, clerk, offline):
    client.force_login(clerk)
    response = client.post(url(offline, "feedback_assisted"), report(**{
        "problem-0-severity": "blocker", "problem-0-description": "看不清"}))
    feedback = Feedback.objects.get()
    assert response["Location"] == reverse("pilots:feedback_detail", kwargs={"pk": feedback.pk})
    assert feedback.channel == "assisted" and feedback.entered_by == clerk
    assert AuditEvent.objects.filter(action="feedback.assisted", actor=clerk).exists()
    again = client.get(url(offline, "feedback_assisted"))
    assert again.status_code == HTTPStatus.FOUND  # already recorded: to the feedback itself


def test_assisted_bad_input_saves_nothing(client, clerk, offline):
    client.force_login(clerk)
    response = client.post(url(offline, "feedback_assisted"), report(accessibility="7"))
    assert response.status_code == HTTPStatus.OK
    assert "Choose a number from 1 to 5." in response.content.decode()
    assert not Feedback.objects.exists()


def test_add_another_problem_with_htmx_draws_only_the_problems(client, officer_user, assignment):
    client.force_login(officer_user[0])
    response = client.post(url(assignment), report(add_problem="1", **{"problem-0-description": "慢"}),
                           headers={"HX-Request": "true"})
    page = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert page.lstrip().startswith("<section") and "<html" not in page
    assert 'name="problem-3-description"' in page and "慢" in page
    assert 'tabindex="-1" autofocus' in page  # the new row takes focus
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_form_after_reporting_goes_to_the_confirmation(client, officer_user, assignment):
    client.force_login(officer_user[0])
    client.post(url(assignment), report())
    response = client.get(url(assignment), follow=True)
    assert response.redirect_chain[-1][0] == url(assignment, "feedback_report_done")
    assert "already been sent" in response.content.decode()


def test_confirmation_before_reporting_goes_to_the_form(client, officer_user, assignment):
    client.force_login(officer_user[0])
    response = client.get(url(assignment, "feedback_report_done"))
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == url(assignment)
