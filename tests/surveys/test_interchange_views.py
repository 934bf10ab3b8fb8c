"""Download a survey's definition and upload one, for each persona."""

from __future__ import annotations

import json
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from surveys.definitions import survey_to_dict, survey_to_json
from surveys.models import Question, Survey
from tests.citylab.test_translations import english_words

EXPORT = "/staff/surveys/door-access/export.json"
IMPORT = "/staff/surveys/import/"

GOOD = {
    "slug": "lift-alarm",
    "title": {"zh-hans": "电梯报警按钮需求", "en": "Lift alarm button needs"},
    "purpose": "needs",
    "questions": [
        {"key": "floor", "kind": "number", "text": "您住几楼？", "min": 1, "max": 60},
        {"key": "stuck", "kind": "yes_no", "text": "您被困过电梯吗？"},
        {"key": "story", "kind": "long_text", "text": "当时怎么样？", "required": False,
         "show_if": {"question": "stuck", "equals": "yes"}},
    ],
}


def upload(data: bytes | str, name: str = "survey.json") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data.encode() if isinstance(data, str) else data, "application/json")


# --- Download -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer"])
def test_members_download_the_definition(client, request, survey, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(EXPORT)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="door-access.json"'
    assert response.content.decode() == survey_to_json(survey)
    assert json.loads(response.content) == survey_to_dict(survey)


@pytest.mark.parametrize("persona", ["other_planner", "outsider"])
def test_others_cannot_see_the_survey_exists(client, request, survey, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(EXPORT).status_code == HTTPStatus.NOT_FOUND


def test_download_needs_sign_in(client, survey):
    response = client.get(EXPORT)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={EXPORT}"


def test_download_of_an_unknown_survey(client, planner):
    client.force_login(planner)
    assert client.get("/staff/surveys/nothing-here/export.json").status_code == HTTPStatus.NOT_FOUND


def test_download_is_read_only(client, planner, survey):
    client.force_login(planner)
    assert client.post(EXPORT).status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- Upload: who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["planner", "other_planner"])
def test_planners_see_the_upload_form_for_their_own_teams(client, request, team, other_team, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(IMPORT)
    assert response.status_code == HTTPStatus.OK
    html = response.text
    mine, theirs = (team, other_team) if persona == "planner" else (other_team, team)
    assert f'value="{mine.pk}"' in html and f'value="{theirs.pk}"' not in html
    assert 'enctype="multipart/form-data"' in html


@pytest.mark.parametrize("persona", ["clerk", "viewer", "outsider"])
def test_only_planners_may_import(client, request, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(IMPORT).status_code == HTTPStatus.FORBIDDEN
    assert client.post(IMPORT, {"file": upload(json.dumps(GOOD))}).status_code == HTTPStatus.FORBIDDEN
    assert not Survey.objects.exists()


def test_upload_needs_sign_in(client, db):
    for response in (client.get(IMPORT), client.post(IMPORT)):
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == f"/accounts/login/?next={IMPORT}"


def test_a_planner_cannot_import_into_another_team(client, planner, other_team):
    client.force_login(planner)
    response = client.post(IMPORT, {"team": other_team.pk, "file": upload(json.dumps(GOOD))})
    assert response.status_code == HTTPStatus.OK
    assert "error-summary" in response.text
    assert not Survey.objects.exists()


# --- Upload: good and bad files -----------------------------------------------------------------


def test_good_file_creates_the_survey_and_opens_its_builder(client, planner, team):
    client.force_login(planner)
    response = client.post(IMPORT, {"team": team.pk, "file": upload(json.dumps(GOOD, ensure_ascii=False))})
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == "/staff/surveys/lift-alarm/"
    survey = Survey.objects.get(slug="lift-alarm")
    assert survey.team == team and survey.status == "draft"
    assert list(survey.questions.values_list("key", flat=True)) == ["floor", "stuck", "story"]


def test_success_message(client, planner, team):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    response = client.post(IMPORT, {"team": team.pk, "file": upload(json.dumps(GOOD))})
    message = str(list(response.wsgi_request._messages)[0])
    assert message == "Survey “Lift alarm button needs” created with 3 questions."


def test_bad_file_shows_every_problem_and_creates_nothing(client, planner, team):
    bad = {**GOOD, "purpose": "wishes", "questions": [
        {"key": "floor", "kind": "dropdown", "text": "您住几楼？"},
        {"key": "floor", "kind": "single", "text": "哪部电梯？", "choices": []},
    ]}
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    response = client.post(IMPORT, {"team": team.pk, "file": upload(json.dumps(bad))})
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert "<title>Error: Import a survey" in html
    assert 'class="error-summary"' in html
    assert "Nothing was created. Correct these 4 problems in the file and upload it again:" in html
    for problem in [
        "purpose: must be one of needs, pilot_evaluation, got &#x27;wishes&#x27;",
        "questions[0].kind: must be one of single, multiple",
        "questions[1].key: &#x27;floor&#x27; is already the key of questions[0]",
        "questions[1].choices: must not be empty: a single question needs at least one choice",
    ]:
        assert problem in html
    assert '<a href="#id_file" lang="en">' in html
    assert not Survey.objects.exists() and not Question.objects.exists()


def test_invalid_json_is_reported(client, planner, team):
    client.force_login(planner)
    response = client.post(IMPORT, {"team": team.pk, "file": upload('{"slug": "x",}')})
    assert "(file): not valid JSON: Expecting property name enclosed in double quotes at line 1 column 14" in response.text
    assert not Survey.objects.exists()


def test_taken_slug_is_reported(client, planner, team, survey):
    client.force_login(planner)
    taken = {**GOOD, "slug": "door-access"}
    response = client.post(IMPORT, {"team": team.pk, "file": upload(json.dumps(taken))})
    assert "slug: a survey with slug &#x27;door-access&#x27; already exists" in response.text
    assert Survey.objects.count() == 1


def test_exported_survey_imports_as_a_copy(client, planner, team, survey):
    client.force_login(planner)
    exported = json.loads(client.get(EXPORT).content)
    copy = {**exported, "slug": "door-access-2"}
    response = client.post(IMPORT, {"team": team.pk, "file": upload(json.dumps(copy, ensure_ascii=False))})
    assert response["Location"] == "/staff/surveys/door-access-2/"
    assert survey_to_dict(Survey.objects.get(slug="door-access-2")) == copy


def test_file_over_one_megabyte_is_refused(client, planner, team):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    big = json.dumps({**GOOD, "intro": "长" * 400_000}, ensure_ascii=False)  # 1.2 MB in UTF-8
    response = client.post(IMPORT, {"team": team.pk, "file": upload(big)})
    assert response.status_code == HTTPStatus.OK
    assert "The file is larger than 1 MB, so it cannot be a survey definition." in response.text
    assert not Survey.objects.exists()


def test_missing_file_is_reported_beside_the_field(client, planner, team):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    response = client.post(IMPORT, {"team": team.pk})
    assert 'class="error-summary"' in response.text and 'href="#id_file"' in response.text
    assert not Survey.objects.exists()


def test_chinese_upload_page_has_no_english_left(client, planner, team):
    client.force_login(planner)
    html = client.get(IMPORT).text
    assert '<html lang="zh-Hans"' in html and "导入问卷" in html
    assert english_words(html) == []


def test_chinese_error_page_keeps_only_the_problems_in_english(client, planner, team):
    client.force_login(planner)
    response = client.post(IMPORT, {"team": team.pk, "file": upload('{"slug": 1}')})
    assert "<title>错误：" in response.text
    assert english_words(response.text) == []
