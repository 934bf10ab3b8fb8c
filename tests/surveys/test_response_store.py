"""One function writes every response: all answers or none, one response per submission."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection

from surveys.models import Answer, Channel, Invitation, InvitationBatch, Response
from surveys.services import InvitationUsed, ResponseInvalid, response_record


def test_writes_response_answers_and_segments(survey, full_answers):
    response = response_record(survey=survey, answers=full_answers, channel=Channel.WEB)
    assert (response.age_band.code, response.district.code, response.community.code, response.occupation.code) == (
        "70+", "laocheng", "dengta", "retired",
    )
    assert response.survey_version == 1 and response.channel == "web"
    rows = {(a.question.key, a.value, a.number, a.text) for a in response.answers.select_related("question")}
    assert ("problems", "glasses", None, "") in rows and ("problems", "small", None, "") in rows
    assert ("trips", "", Decimal(4), "") in rows
    assert ("story", "", None, "字太小，看不清。") in rows
    assert response.answers.count() == 12


def test_prefer_not_to_say_leaves_the_segment_empty(survey, full_answers):
    response = response_record(survey=survey, answers={**full_answers, "age": "prefer_not_to_say"}, channel=Channel.WEB)
    assert response.age_band is None
    assert response.answers.get(question__key="age").value == "prefer_not_to_say"


@pytest.mark.parametrize(
    ("change", "key", "code"),
    [
        ({"entry": "helicopter"}, "entry", "unknown_choice"),
        ({"trips": "99"}, "trips", "out_of_range"),
        ({"district": ""}, "district", "required"),
        ({"story": "长" * 100_000}, "story", "too_long"),
        ({"district": "atlantis"}, "district", "unknown_choice"),
        ({"colour": "red"}, "colour", "unknown_question"),
    ],
)
def test_tampered_answers_write_nothing(survey, full_answers, change, key, code):
    with pytest.raises(ResponseInvalid) as error:
        response_record(survey=survey, answers={**full_answers, **change}, channel=Channel.WEB)
    assert error.value.errors[key].code == code
    assert Response.objects.count() == 0 and Answer.objects.count() == 0


def test_hidden_answer_is_dropped_or_refused(survey, full_answers):
    answers = {**full_answers, "uses_phone": "no"}  # app_name is now hidden
    response = response_record(survey=survey, answers=answers, channel=Channel.WEB)
    assert not response.answers.filter(question__key="app_name").exists()
    with pytest.raises(ResponseInvalid) as error:
        response_record(survey=survey, answers=answers, channel=Channel.ASSISTED, reject_hidden=True)
    assert error.value.errors["app_name"].code == "hidden"


def test_same_submission_key_gives_one_response(survey, full_answers):
    first = response_record(survey=survey, answers=full_answers, channel=Channel.WEB, submission_key="web:abc")
    second = response_record(survey=survey, answers=full_answers, channel=Channel.WEB, submission_key="web:abc")
    assert first.pk == second.pk and Response.objects.count() == 1


def test_invitation_is_single_use(survey, full_answers):
    batch = InvitationBatch.objects.create(survey=survey, label="灯塔社区", audience="community", size=1)
    invitation = Invitation.objects.create(batch=batch, token="t1")
    response_record(survey=survey, answers=full_answers, channel=Channel.WEB, invitation=invitation)
    with pytest.raises(InvitationUsed):
        response_record(survey=survey, answers=full_answers, channel=Channel.WEB, invitation=invitation)
    assert Response.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_submit_writes_one_response(survey, full_answers):
    """Two requests with the same key at the same moment (two tabs, a double click)."""
    barrier = threading.Barrier(2)
    results: list[object] = []

    def submit() -> None:
        try:
            barrier.wait()
            results.append(
                response_record(survey=survey, answers=full_answers, channel=Channel.WEB, submission_key="web:race").pk
            )
        except Exception as error:  # noqa: BLE001 - the test reports whatever happened
            results.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 2 and results[0] == results[1], results
    assert Response.objects.count() == 1
    assert Answer.objects.count() == 12


def test_a_scale_may_start_at_zero(survey, full_answers):
    ease = survey.questions.get(key="ease")
    ease.min_value, ease.max_value = 0, 10
    ease.save()
    response = response_record(survey=survey, answers={**full_answers, "ease": "0"}, channel=Channel.WEB)
    assert response.answers.get(question=ease).value == "0"


def test_a_survey_with_conditions_can_be_deleted_before_it_has_answers(survey):
    survey.delete()
    assert not Response.objects.exists()
