"""Every form a person can post, fuzzed (#8): whatever is sent, the server answers without an
error, and a refused post changes nothing. The rules and the generators are in fuzzing.py;
each test here sets up the data a group of forms needs and names the forms to fuzz.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote

import pytest
from django.test import Client
from hypothesis import strategies as st

from surveys.models import Progress, Status, Survey
from tests.pilots.conftest import cycle, pilot  # noqa: F401  (fixtures)
from tests.security.fuzzing import (
    NASTY_TEXT, Form, Target, any_text, check_post, choose, form_for, forms_on, fuzz, nasty_value,
)
from tests.surveys.conftest import full_answers, occupations, survey  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


def _language(client) -> None:
    client.cookies["django_language"] = "en"


# --- Residents ----------------------------------------------------------------------------------


def _visit(survey: Survey, answers: dict) -> Progress:
    return Progress.objects.create(survey=survey, token=secrets.token_urlsafe(24), answers=answers,
                                   seen=[q.key for q in survey.questions.all()])


def _survey_state(survey: Survey):
    """Draws what the survey is now: open, closed, a draft again, or not open yet."""

    def prepare(data: st.DataObject | None) -> None:
        state = choose(data, ["open", "open", "open", "closed", "draft", "later"], "survey state")
        if state != "open":
            from django.utils import timezone

            fields = {"closed": {"status": Status.CLOSED}, "draft": {"status": Status.DRAFT},
                      "later": {"opens_at": timezone.now() + timezone.timedelta(days=3)}}[state]
            Survey.objects.filter(pk=survey.pk).update(**fields)

    return prepare


def test_resident_question_pages_and_check(client, survey, full_answers):
    """Every question kind's answer page, and check-your-answers, for a resident who has
    answered everything, one who has not started, and one whose stored answers are garbage
    (as if the survey had changed under them)."""
    _language(client)
    progress = _visit(survey, {key: value for key, value in full_answers.items()})
    cookie = f"citylab_survey_{survey.pk}"
    client.cookies[cookie] = progress.token
    state = _survey_state(survey)

    def visitor(data: st.DataObject | None) -> None:
        who = choose(data, ["returning", "returning", "new", "garbage", "tampered cookie"], "visitor")
        if who == "new":
            client.cookies.pop(cookie, None)
        elif who == "garbage":
            # What a database could hold: no NUL and no lone surrogate, which PostgreSQL's jsonb
            # would never have stored (nor could a request bring them: see fuzz_input.py).
            text = nasty_value.map(lambda v: v.replace("\x00", "").encode("utf-8", "replace").decode())
            keys = st.one_of(st.sampled_from(list(full_answers)), text)
            answers = data.draw(st.dictionaries(keys, st.one_of(text, st.lists(text, max_size=3), st.integers(),
                                                               st.none()), max_size=6), label="stored answers")
            Progress.objects.filter(pk=progress.pk).update(answers={**full_answers, **answers})
        elif who == "tampered cookie":
            client.cookies[cookie] = data.draw(st.text("abc-_%;=\" ,\x00\\", max_size=60), label="cookie")
        state(data)

    targets = []
    for question in survey.questions.all():
        page = f"/s/{survey.slug}/q/{question.key}/"
        targets.append(Target(page, form_for(client, page), prepare=visitor))
    check = f"/s/{survey.slug}/check/"
    targets.append(Target(check, form_for(client, check), prepare=visitor))
    elsewhere = [  # the same forms posted where they do not belong: after a change, to no question
        Target(target.url + "?change=1", target.form, prepare=visitor) for target in targets
    ] + [Target(f"/s/{survey.slug}/q/none/", targets[0].form, prepare=visitor)]
    fuzz(client, targets, examples=80)
    fuzz(client, elsewhere, examples=20, sweep_first=False)


def test_invitation_links(client, survey, clerk):
    """An invitation link is a GET that starts an answer sheet: any token, used or not, any
    survey state, answers a page and writes nothing unless it starts one."""
    from surveys.invitations import create_batch

    _language(client)
    batch = create_batch(survey=survey, created_by=clerk, label="Notice boards", audience="mailing", size=3)
    tokens = list(batch.invitations.values_list("token", flat=True))
    batch.invitations.filter(token=tokens[0]).update(used_at=batch.created_at)
    state = _survey_state(survey)

    def link(data: st.DataObject | None) -> str:
        state(data)
        if data is None:
            token, slug = tokens[1], survey.slug
        else:
            tokens_or_not = st.one_of(st.sampled_from(tokens), st.sampled_from(NASTY_TEXT[:25]), any_text)
            token = data.draw(tokens_or_not, label="token")
            slug = data.draw(st.sampled_from([survey.slug, "no-such-survey"]), label="slug")
        return f"/s/{slug}/i/{quote(token.encode('utf-8', 'surrogatepass'), safe='')}/"

    fuzz(client, [Target("", Form(action="", enctype=""), prepare=link, method="GET")], examples=40)


# --- The survey builder ------------------------------------------------------------------------


def _question_hints(kind: str) -> dict[str, list[str]]:
    """What a new question of this kind needs to be accepted: a key, and choices or a range."""
    hints = {"key": ["fuzzed", "a-key_1"]}
    if kind in ("single", "multiple"):
        hints["choices"] = ["a | 甲 | A\nb | 乙 | B"]
    if kind in ("scale", "number"):
        hints |= {"min_value": ["1", "0"], "max_value": ["5", "10"]}
    return hints


def test_survey_builder_forms(client, planner, survey, full_answers):
    """Survey create and settings, every kind of question created, every question edited,
    moved and deleted, publish, close and duplicate: on a draft, and on an open survey with
    and without responses (where changes of meaning are refused)."""
    from surveys import builder
    from surveys.models import Channel, Kind
    from surveys.services import response_record

    client.force_login(planner)
    _language(client)
    draft = builder.survey_duplicate(survey)

    def responses(data: st.DataObject | None) -> None:
        if choose(data, [False, True], "with responses"):
            response_record(survey=survey, answers=full_answers, channel=Channel.ASSISTED)

    # The sweep attacks each field of the draft's forms, for three kinds of question (choices,
    # a scale, a number); Hypothesis covers the other kinds and the open survey's forms.
    swept_kinds = {Kind.SINGLE, Kind.SCALE, Kind.NUMBER}
    targets = [Target("/staff/surveys/new/", form_for(client, "/staff/surveys/new/"), accepts_baseline=True,
                      hints={"slug": ["fuzzed-survey"]})]
    for s in (draft, survey):
        base = f"/staff/surveys/{s.slug}"
        targets.append(Target(f"{base}/details/", form_for(client, f"{base}/details/"), prepare=responses,
                              accepts_baseline=True))
        for kind in Kind.values:
            targets.append(Target(f"{base}/questions/new/",
                                  form_for(client, f"{base}/questions/new/?kind={kind}", f"{base}/questions/new/"),
                                  prepare=responses, hints=_question_hints(kind),
                                  sweep=s == draft and kind in swept_kinds, accepts_baseline=True))
        for question in s.questions.all():
            q = f"{base}/questions/{question.pk}"
            targets.append(Target(f"{q}/edit/", form_for(client, f"{q}/edit/"), prepare=responses,
                                  sweep=s == draft and question.kind in swept_kinds, accepts_baseline=True))
            targets.append(Target(f"{q}/delete/", form_for(client, f"{q}/delete/", missing_ok=True), prepare=responses))
        for action in ("questions/{pk}/move/", "publish/", "close/", "duplicate/"):
            url = f"{base}/{action}".format(pk=s.questions.order_by("position").last().pk)
            targets.append(Target(url, form_for(client, f"{base}/", url, missing_ok=True), prepare=responses))
    fuzz(client, targets, examples=100)


# --- Back office of the survey channels ----------------------------------------------------------


def test_assisted_entry_invitations_and_printing(client, clerk, survey, full_answers):
    """A clerk's forms on a survey: an answer sheet typed in, a batch of invitation links, a
    batch of printed forms; on the open survey and, through `state`, a closed or draft one."""
    client.force_login(clerk)
    _language(client)
    base = f"/staff/surveys/{survey.slug}"
    state = _survey_state(survey)
    targets = [
        Target(f"{base}/assisted/", form_for(client, f"{base}/assisted/"), prepare=state, accepts_baseline=True,
               hints={f"q-{key}": value if isinstance(value, list) else [value]
                      for key, value in full_answers.items()}),
        Target(f"{base}/invitations/", form_for(client, f"{base}/invitations/"), prepare=state,
               hints={"size": ["3"], "audience": ["mailing", "community", "panel"]}, accepts_baseline=True),
        Target(f"{base}/paper/print/", form_for(client, f"{base}/paper/print/"), prepare=state,
               hints={"copies": ["2"]}, accepts_baseline=True),
    ]
    fuzz(client, targets, examples=60)


# --- Experience officers ---------------------------------------------------------------------


def test_officer_sign_up_and_registration(client, clerk, planner, team, places, occupations):
    """The public sign-up under /join/<team>/, a clerk's registration in person, and a
    planner's decision on an application."""
    from pilots.models.panels import OfficerStatus
    from tests.pilots.officer_factories import make_officer, make_officer_user

    _language(client)
    applicant = make_officer(team, status=OfficerStatus.PENDING)
    officer_user = make_officer_user(team)[0]
    targets = [Target(f"/join/{team.code}/", form_for(client, f"/join/{team.code}/"), accepts_baseline=True,
                      hints={"consent": ["on"], "phone": ["13900001234", "+86 139 0000 1234"]})]
    fuzz(client, targets, examples=40)

    client.force_login(clerk)
    targets = [Target("/staff/officers/new/", form_for(client, "/staff/officers/new/"), accepts_baseline=True)]
    fuzz(client, targets, examples=30)

    client.force_login(officer_user)
    fuzz(client, [Target("/officer/withdraw/", form_for(client, "/officer/withdraw/"), accepts_baseline=True)],
         examples=10)

    client.force_login(planner)
    decide = f"/staff/officers/{applicant.pk}/decide/"
    withdraw = f"/staff/officers/{applicant.pk}/withdraw/"
    targets = [Target(decide, form_for(client, decide), hints={"decision": ["approve", "decline"]},
                      accepts_baseline=True),
               Target(withdraw, form_for(client, withdraw), accepts_baseline=True)]
    fuzz(client, targets, examples=30)


# --- Pilots and their cycles ---------------------------------------------------------------------


def test_pilot_and_cycle_forms(client, planner, survey, pilot, cycle):
    """A pilot's details, a new cycle, a cycle's settings (and its re-draw without saving),
    changes, variants, stage and decision; on a cycle at each stage it can be in."""
    from citylab.models import AgeBand
    from pilots.models import Cycle, Stage

    client.force_login(planner)
    _language(client)
    page = f"/staff/pilots/{pilot.pk}/cycles/{cycle.number}/"

    def stage(data: st.DataObject | None) -> None:
        Cycle.objects.filter(pk=cycle.pk).update(stage=choose(data, [Stage.PILOTING, *Stage.values], "stage"))

    targets = [
        Target("/staff/pilots/new/", form_for(client, "/staff/pilots/new/"), accepts_baseline=True,
               hints={"name": ["Door screen"], "service": ["Face door"]}),
        Target(f"/staff/pilots/{pilot.pk}/edit/", form_for(client, f"/staff/pilots/{pilot.pk}/edit/"),
               accepts_baseline=True),
        Target(f"/staff/pilots/{pilot.pk}/cycles/new/",
               form_for(client, f"/staff/pilots/{pilot.pk}/", f"/staff/pilots/{pilot.pk}/cycles/new/", missing_ok=True),
               prepare=stage),
        Target(f"{page}edit/", form_for(client, f"{page}edit/"), prepare=stage, accepts_baseline=True,
               hints={"survey": ["", str(survey.pk)]}),
        Target(f"{page}changes/new/", form_for(client, f"{page}changes/new/"), accepts_baseline=True,
               hints={"what": ["Larger buttons"], "reason": ["Officers missed them"]}),
        Target(f"{page}variants/new/", form_for(client, f"{page}variants/new/"), accepts_baseline=True,
               hints={"description": ["A staffed desk"], "age_band": [str(AgeBand.objects.last().pk), ""]}),
        Target(f"{page}stage/", form_for(client, page, f"{page}stage/"), prepare=stage,
               hints={"stage": [Stage.OPTIMIZING, Stage.STOPPED]}),
        Target(f"{page}decide/", form_for(client, f"{page}decide/"), prepare=stage, accepts_baseline=True,
               hints={"kind": ["optimize", "stop", "scale"], "rationale": ["The over-70s do not use it yet."]}),
    ]
    fuzz(client, targets, examples=80)


# --- Panels, quotas and tasks ------------------------------------------------------------------


def test_panel_quota_task_and_assign_forms(client, planner, team, pilot, cycle):
    from pilots.models import Panel, PanelMember, Task
    from tests.pilots.officer_factories import make_occupations, make_officer

    client.force_login(planner)
    _language(client)
    make_occupations()
    officers = [make_officer(team) for _ in range(4)]
    panel = Panel.objects.create(team=team, pilot=pilot, name="App testers", monthly_limit=4)
    PanelMember.objects.create(panel=panel, officer=officers[0])
    task = Task.objects.create(cycle=cycle, panel=panel, title="Book a repair", due_on="2030-05-01")
    p, t = f"/staff/panels/{panel.pk}/", f"/staff/tasks/{task.pk}/"
    targets = [
        Target("/staff/panels/new/", form_for(client, "/staff/panels/new/"), accepts_baseline=True),
        Target(f"{p}edit/", form_for(client, f"{p}edit/"), accepts_baseline=True),
        Target(f"{p}members/add/", form_for(client, f"{p}members/add/"), accepts_baseline=True,
               hints={"officers": [str(o.pk) for o in officers[1:]]}),
        Target(f"{p}members/{officers[0].pk}/remove/", form_for(client, p, f"{p}members/{officers[0].pk}/remove/")),
        Target(f"{p}quotas/", form_for(client, f"{p}quotas/"), accepts_baseline=True),
        Target(f"{p}quotas/derive/", form_for(client, f"{p}quotas/derive/")),
        Target(f"{p}tasks/new/", form_for(client, f"{p}tasks/new/"), accepts_baseline=True,
               hints={"due_on": ["2030-05-01"], "cycle": [str(cycle.pk)]}),
        Target(f"{t}assign/", form_for(client, f"{t}assign/?wanted=2", f"{t}assign/"), accepts_baseline=True,
               hints={"wanted": ["2"]}),
    ]
    fuzz(client, targets, examples=80)


# --- Triage of officers' feedback ----------------------------------------------------------------


def test_feedback_triage_and_change(client, planner, team, places, cycle):
    from tests.pilots.feedback_factories import make_assignment, make_feedback, make_task

    client.force_login(planner)
    _language(client)
    feedback = make_feedback(make_assignment(make_task(cycle)), problems=[("major", "The button is too small.")])
    detail = f"/staff/feedback/{feedback.pk}/"
    targets = [
        Target(f"{detail}triage/", form_for(client, detail, f"{detail}triage/"), accepts_baseline=True,
               hints={"status": ["accepted", "declined"], "reason": ["Too costly this year."]}),
        Target(f"{detail}change/", form_for(client, f"{detail}change/"), accepts_baseline=True),
    ]
    fuzz(client, targets, examples=50)


# --- Signing in, language and text size ----------------------------------------------------------


def test_sign_in_language_and_text_size(client, clerk, planner):
    """allauth's sign-in (a clerk's, and a planner's, who goes on to the authenticator code),
    password reset, the language switch and the text-size control every page carries."""
    from tests.conftest import PASSWORD

    _language(client)
    home = "/"
    signed_in = Client()
    signed_in.force_login(clerk)
    targets = [
        Target("/accounts/login/", form_for(client, "/accounts/login/"), accepts_baseline=True,
               hints={"login": [clerk.email, planner.email, "nobody@lanhai.example"], "password": [PASSWORD]}),
        Target("/accounts/password/reset/", form_for(client, "/accounts/password/reset/"), accepts_baseline=True,
               hints={"email": [clerk.email]}),
        Target("/accounts/password/change/", form_for(signed_in, "/accounts/password/change/"), accepts_baseline=True,
               hints={"oldpassword": [PASSWORD], "password1": ["a-new-horse-battery"],
                      "password2": ["a-new-horse-battery"]}, prepare=lambda data: client.force_login(clerk)),
        Target("/i18n/setlang/", form_for(client, home, "/i18n/setlang/"), accepts_baseline=True),
        Target("/text-size/", form_for(client, home, "/text-size/"), accepts_baseline=True),
    ]
    fuzz(client, targets, examples=60)

    client.post("/accounts/login/", {"login": planner.email, "password": PASSWORD})  # on to the code
    code = "/accounts/2fa/authenticate/"
    fuzz(client, [Target(code, form_for(client, code))], examples=25)


# --- Filters (GET forms) ----------------------------------------------------------------------


def test_filter_forms(client, planner, team, survey, pilot, cycle):
    """The dashboards' and lists' filters are GET forms: any query answers a page, and no
    page that answers one writes anything."""
    client.force_login(planner)
    _language(client)
    pages = [f"/staff/surveys/{survey.slug}/dashboard/", f"/staff/pilots/{pilot.pk}/dashboard/", "/staff/officers/",
             f"/staff/pilots/{pilot.pk}/feedback/", f"/staff/surveys/{survey.slug}/questions/new/"]
    targets = [
        Target(form.action, form, method="GET")
        for page in pages for form in forms_on(client, page) if form.method == "GET" and form.fields
    ]
    assert len(targets) >= len(pages)
    officers = next(t for t in targets if t.url == "/staff/officers/")
    targets.append(Target("/staff/officers/export.csv", officers.form, method="GET"))  # the list's filters
    fuzz(client, targets, examples=80)


# --- What the fuzzing found, kept as plain tests --------------------------------------------------


def test_a_nul_in_a_text_answer_is_dropped(client, survey):
    _language(client)
    response = client.post(f"/s/{survey.slug}/q/story/", {"answer": "字太小\x00"})
    assert response.status_code == 302
    assert Progress.objects.get().answers == {"story": "字太小"}


def test_a_nul_in_a_link_or_cookie_is_not_looked_up(client, survey):
    """PostgreSQL refuses NUL in a query: an invitation link or progress cookie with one was a
    server error there. Now it is an unknown link, and a fresh start."""
    _language(client)
    assert check_post(client, f"/s/{survey.slug}/i/%00/", [], method="GET").status_code == 404
    client.cookies[f"citylab_survey_{survey.pk}"] = "\x00"
    assert check_post(client, f"/s/{survey.slug}/q/age/", [("answer", "70+")]).status_code == 302


def test_check_after_an_answered_question_was_deleted(client, survey, full_answers):
    """The resident answered a question that the planner deleted before they sent the answers."""
    _language(client)
    progress = _visit(survey, {**full_answers, "deleted_since": "yes"})
    client.cookies[f"citylab_survey_{survey.pk}"] = progress.token
    response = client.post(f"/s/{survey.slug}/check/")
    assert response.status_code == 302 and response.url == f"/s/{survey.slug}/check/"
    assert client.post(f"/s/{survey.slug}/check/").url == f"/s/{survey.slug}/done/"


def test_a_survey_opening_in_year_one_is_refused(client, planner, survey):
    client.force_login(planner)
    _language(client)
    response = client.post(f"/staff/surveys/{survey.slug}/details/", {
        "title_zh": survey.title_zh, "purpose": survey.purpose, "opens_at": "0001-01-01T00:00",
    })
    assert response.status_code == 200
    assert "Enter a date between the years 2000 and 2100." in response.content.decode()
