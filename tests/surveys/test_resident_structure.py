"""Resident pages keep a survey's structure between requests; a planner's edit, however it is
made, shows on the very next page (the structure is named by the survey row's state)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.test import Client

from surveys import structure
from surveys.models import Choice, Kind, Question, Survey
from tests.surveys.test_builder import question_data
from tests.surveys.test_resident import answer, q


@pytest.fixture
def resident(survey) -> Client:
    """A resident who answered the first question, on English pages: the survey's structure is
    now kept in this process."""
    browser = Client()
    browser.cookies["django_language"] = "en"
    assert answer(browser, "age", "70+").status_code == HTTPStatus.FOUND
    return browser


@pytest.fixture
def designer(client, planner) -> Client:
    client.force_login(planner)
    return client


def edit(designer: Client, survey: Survey, key: str, **changes: object) -> None:
    question = survey.questions.get(key=key)
    response = designer.post(f"/staff/surveys/{survey.slug}/questions/{question.pk}/edit/", question_data(question, **changes))
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]


def test_choice_edits_show_on_the_next_page(resident, designer, survey):
    assert "Key card" in resident.get(q("entry")).text
    edit(designer, survey, "entry", choices="card | 门禁卡 | Door card\nface | 刷脸 | Face recognition\napp | 手机开门 | Phone app")
    page = resident.get(q("entry")).text
    assert "Door card" in page and "Phone app" in page
    assert "Key card" not in page and "The guard opens it" not in page
    # The answers allowed follow the edit too: the removed choice is refused, the new one taken.
    assert answer(resident, "entry", "guard").status_code == HTTPStatus.BAD_REQUEST
    assert answer(resident, "entry", "app").status_code == HTTPStatus.FOUND


def test_question_text_edit_shows_on_the_next_page(resident, designer, survey):
    assert "How do you get through the gate now?" in resident.get(q("entry")).text
    edit(designer, survey, "entry", text_en="How do you open the gate today?")
    assert "How do you open the gate today?" in resident.get(q("entry")).text


def test_reordering_shows_in_the_numbering_and_the_path(resident, designer, survey):
    assert "Question 6 of 10" in resident.get(q("entry")).text
    entry = survey.questions.get(key="entry")
    designer.post(f"/staff/surveys/{survey.slug}/questions/{entry.pk}/move/", {"direction": "up"})
    assert "Question 5 of 10" in resident.get(q("entry")).text
    assert answer(resident, "occupation", "retired")["Location"] == q("entry")


def test_added_and_deleted_questions_show_on_the_next_page(resident, designer, survey):
    data = {"kind": "yes_no", "key": "lift", "text_zh": "您的楼有电梯吗？", "text_en": "Does your building have a lift?"}
    assert designer.post(f"/staff/surveys/{survey.slug}/questions/new/", data).status_code == HTTPStatus.FOUND
    assert "Does your building have a lift?" in resident.get(q("lift")).text
    assert "Question 6 of 11" in resident.get(q("entry")).text
    story = survey.questions.get(key="story")
    assert designer.post(f"/staff/surveys/{survey.slug}/questions/{story.pk}/delete/").status_code == HTTPStatus.FOUND
    assert resident.get(q("story")).status_code == HTTPStatus.NOT_FOUND
    assert "Question 6 of 10" in resident.get(q("entry")).text


def test_changes_outside_the_builder_show_too(resident, survey):
    """The admin, a shell or a later feature saving rows directly: the signals touch the survey."""
    assert "Key card" in resident.get(q("entry")).text
    card = Choice.objects.get(question__survey=survey, value="card")
    card.label_en = "Old key card"
    card.save()
    assert "Old key card" in resident.get(q("entry")).text
    card.delete()
    assert "key card" not in resident.get(q("entry")).text.lower()
    Question.objects.filter(survey=survey, key="entry").get().delete()
    assert resident.get(q("entry")).status_code == HTTPStatus.NOT_FOUND


def test_check_page_shows_the_new_labels(resident, designer, survey, full_answers):
    for key, value in full_answers.items():
        if key != "age":
            assert answer(resident, key, value).status_code == HTTPStatus.FOUND, key
    assert "Face recognition" in resident.get("/s/door-access/check/").text
    edit(designer, survey, "entry", choices="card | 门禁卡 | Key card\nface | 刷脸 | Face scan\nguard | 保安开门 | Guard")
    assert "Face scan" in resident.get("/s/door-access/check/").text


def test_a_kept_structure_is_the_one_a_fresh_build_gives(resident, survey):
    kept = structure.survey_structure(Survey.objects.get(pk=survey.pk))
    structure.forget()
    fresh = structure.survey_structure(Survey.objects.get(pk=survey.pk))
    assert kept is not fresh
    assert [q.key for q in kept.questions] == [q.key for q in fresh.questions]
    assert (kept.flow, kept.specs, kept.options) == (fresh.flow, fresh.specs, fresh.options)


def test_structure_is_kept_while_the_survey_row_is_unchanged(resident, survey, django_assert_num_queries):
    row, same_row = Survey.objects.get(pk=survey.pk), Survey.objects.get(pk=survey.pk)
    first = structure.survey_structure(row)
    with django_assert_num_queries(0):
        assert structure.survey_structure(same_row) is first
    structure.touch([survey.pk])
    assert structure.survey_structure(Survey.objects.get(pk=survey.pk)) is not first


@pytest.mark.parametrize("kind", [Kind.SINGLE, Kind.SCALE, Kind.YES_NO])
def test_kept_options_are_not_segment_lists(survey, kind):
    """Segment lists (civic core rows) are read per page; a survey's own answers are kept."""
    kept = structure.survey_structure(Survey.objects.get(pk=survey.pk))
    question = next(q for q in kept.questions if q.kind == kind)
    assert question.pk in kept.options and question.key in kept.specs
    for segment in (q for q in kept.questions if q.kind in (Kind.AGE_BAND, Kind.DISTRICT, Kind.COMMUNITY)):
        assert segment.pk not in kept.options and segment.key not in kept.specs
