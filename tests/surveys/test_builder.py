"""The survey builder, as each persona sees it, with and without htmx.

Without JavaScript every action is a form post answered by a redirect; with htmx (the
HX-Request header) the same view answers with only the fragment it changed, never a whole page.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from surveys.builder import copy_slug
from surveys.forms import choices_text
from surveys.models import Kind, Purpose, Question, Status, Survey
from surveys.services import response_record
from tests.citylab.test_translations import english_words
from tests.surveys.conftest import add_question

HX = {"HTTP_HX_REQUEST": "true"}
PERSONAS = ["planner", "clerk", "viewer", "other_planner", "outsider", "anonymous"]


def sign_in(client, request, persona: str) -> None:
    if persona != "anonymous":
        client.force_login(request.getfixturevalue(persona))


def question_data(question: Question, **changes: object) -> dict[str, object]:
    """The edit form as a planner would post it back unchanged, with `changes` applied."""
    data: dict[str, object] = {
        "kind": question.kind,
        "key": question.key,
        "text_zh": question.text_zh,
        "text_en": question.text_en,
        "help_zh": question.help_zh,
        "help_en": question.help_en,
        "required": "on" if question.required else "",
        "prefer_not_to_say": "on" if question.prefer_not_to_say else "",
        "min_value": "" if question.min_value is None else str(question.min_value),
        "max_value": "" if question.max_value is None else str(question.max_value),
        "show_if_question": question.show_if_question_id or "",
        "show_if_equals": question.show_if_equals,
        "choices": choices_text([(c.value, c.label_zh, c.label_en) for c in question.choices.all()]),
    }
    data.update(changes)
    return data


def keys(survey: Survey) -> list[str]:
    return list(survey.questions.order_by("position", "pk").values_list("key", flat=True))


def is_fragment(response) -> bool:
    return response.status_code == HTTPStatus.OK and "<html" not in response.text and "<body" not in response.text


@pytest.fixture
def draft(team) -> Survey:
    s = Survey.objects.create(team=team, slug="bus-stops", title_zh="公交站需求调查", title_en="Bus stop needs",
                              purpose=Purpose.NEEDS)
    add_question(s, "uses_bus", Kind.YES_NO, "您坐公交车吗？", "Do you take the bus?")
    add_question(s, "stop", Kind.SINGLE, "您常用哪个车站？", "Which stop do you use?",
                 choices=[("north", "北站", "North"), ("south", "南站", "South")])
    add_question(s, "comment", Kind.LONG_TEXT, "还有什么建议？", "Anything else?", required=False)
    return s


def q(survey: Survey, key: str) -> Question:
    return survey.questions.get(key=key)


# --- Who may do what --------------------------------------------------------------------------

READ_PAGES = ["surveys:builder", "surveys:preview"]
DESIGN_PAGES = ["surveys:edit", "surveys:question_new", "surveys:question_edit", "surveys:question_delete"]


def page_url(name: str, survey: Survey) -> str:
    if name in ("surveys:question_edit", "surveys:question_delete"):
        return reverse(name, kwargs={"slug": survey.slug, "pk": q(survey, "stop").pk})
    return reverse(name, kwargs={"slug": survey.slug})


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("planner", 200), ("clerk", 200), ("viewer", 200), ("other_planner", 200), ("outsider", 200), ("anonymous", 302)],
)
def test_survey_list_persona_matrix(client, request, draft, persona, expected):
    sign_in(client, request, persona)
    response = client.get("/staff/surveys/")
    assert response.status_code == expected
    if expected == 200:
        # Only members of the owning team see the survey.
        assert ("公交站需求调查" in response.text) == (persona in ("planner", "clerk", "viewer"))
        assert ("/staff/surveys/new/" in response.text) == (persona in ("planner", "other_planner"))


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("planner", 200), ("clerk", 403), ("viewer", 403), ("other_planner", 200), ("outsider", 403), ("anonymous", 302)],
)
def test_create_page_persona_matrix(client, request, team, persona, expected):
    sign_in(client, request, persona)
    assert client.get("/staff/surveys/new/").status_code == expected


@pytest.mark.parametrize("name", READ_PAGES)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("planner", 200), ("clerk", 200), ("viewer", 200), ("other_planner", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_read_pages_persona_matrix(client, request, draft, name, persona, expected):
    sign_in(client, request, persona)
    response = client.get(page_url(name, draft))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name", DESIGN_PAGES)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("planner", 200), ("clerk", 403), ("viewer", 403), ("other_planner", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_design_pages_persona_matrix(client, request, draft, name, persona, expected):
    sign_in(client, request, persona)
    assert client.get(page_url(name, draft)).status_code == expected


POSTS = {
    "publish": lambda s: (f"/staff/surveys/{s.slug}/publish/", {}),
    "close": lambda s: (f"/staff/surveys/{s.slug}/close/", {}),
    "duplicate": lambda s: (f"/staff/surveys/{s.slug}/duplicate/", {}),
    "move": lambda s: (f"/staff/surveys/{s.slug}/questions/{q(s, 'stop').pk}/move/", {"direction": "up"}),
    "delete": lambda s: (f"/staff/surveys/{s.slug}/questions/{q(s, 'comment').pk}/delete/", {}),
    "add": lambda s: (f"/staff/surveys/{s.slug}/questions/new/",
                      {"kind": "short_text", "key": "name", "text_zh": "您的名字？", "required": ""}),
    "edit": lambda s: (f"/staff/surveys/{s.slug}/questions/{q(s, 'stop').pk}/edit/",
                       question_data(q(s, "stop"), text_zh="您最常用哪个车站？")),
    "details": lambda s: (f"/staff/surveys/{s.slug}/details/",
                          {"slug": s.slug, "title_zh": "新标题", "purpose": "needs"}),
}


@pytest.mark.parametrize("action", list(POSTS))
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("planner", 302), ("clerk", 403), ("viewer", 403), ("other_planner", 404), ("outsider", 404), ("anonymous", 302)],
)
def test_changes_persona_matrix(client, request, draft, action, persona, expected):
    if action == "close":
        Survey.objects.filter(pk=draft.pk).update(status=Status.OPEN)
    before = (Survey.objects.count(), keys(draft), Survey.objects.get(pk=draft.pk).status,
              Survey.objects.get(pk=draft.pk).title_zh, q(draft, "stop").text_zh)
    sign_in(client, request, persona)
    path, data = POSTS[action](draft)
    response = client.post(path, data)
    assert response.status_code == expected
    after = (Survey.objects.count(), keys(draft), Survey.objects.get(pk=draft.pk).status,
             Survey.objects.get(pk=draft.pk).title_zh, q(draft, "stop").text_zh)
    if persona == "anonymous":
        assert response["Location"].startswith("/accounts/login/")
    assert (after != before) == (persona == "planner")


@pytest.mark.parametrize("name", ["surveys:builder", "surveys:question_new"])
def test_pages_only_take_the_methods_they_serve(client, planner, draft, name):
    client.force_login(planner)
    assert client.put(page_url(name, draft)).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert client.get(f"/staff/surveys/{draft.slug}/publish/").status_code == HTTPStatus.METHOD_NOT_ALLOWED


# --- List and create --------------------------------------------------------------------------


def test_list_counts_responses_in_one_query(client, viewer, survey, draft, full_answers, django_assert_max_num_queries):
    response_record(survey=survey, answers=full_answers, channel="web")
    response_record(survey=survey, answers=full_answers, channel="paper")
    client.force_login(viewer)
    client.cookies["django_language"] = "en"
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/staff/surveys/")
    html = response.text
    assert "Community door access needs" in html and "Bus stop needs" in html
    row = html[html.index("Community door access needs"):]
    assert "Open" in row[:800] and 'class="number">2</td>' in row[:800]
    survey_queries = [query for query in queries if 'FROM "surveys_survey"' in query["sql"]]
    assert len(survey_queries) == 1 and "COUNT(" in survey_queries[0]["sql"]
    assert "/staff/surveys/new/" not in html  # viewers do not create


def test_planner_creates_a_survey_for_one_of_their_teams(client, planner, team, other_team):
    client.force_login(planner)
    page = client.get("/staff/surveys/new/").text
    assert "数字城市办公室" in page and "交通局" not in page
    data = {"team": team.pk, "slug": "parks-2025", "title_zh": "公园需求调查", "title_en": "Parks",
            "intro_zh": "", "intro_en": "", "purpose": "pilot_evaluation",
            "opens_at": "2025-05-01T09:00", "closes_at": "2025-06-01T09:00"}
    response = client.post("/staff/surveys/new/", data)
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/staff/surveys/parks-2025/"
    survey = Survey.objects.get(slug="parks-2025")
    assert (survey.team, survey.status, survey.purpose) == (team, Status.DRAFT, Purpose.PILOT_EVALUATION)
    # Another team's id is not one of the choices.
    response = client.post("/staff/surveys/new/", {**data, "slug": "parks-2026", "team": other_team.pk})
    assert response.status_code == HTTPStatus.OK and not Survey.objects.filter(slug="parks-2026").exists()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"slug": "bus-stops"}, "Another survey already uses the web address “bus-stops”"),
        ({"slug": "new"}, "“new” is the name of a page"),
        ({"slug": "Not A Slug"}, "slug"),
        ({"title_zh": ""}, "This field is required"),
        ({"opens_at": "2025-06-01T09:00", "closes_at": "2025-05-01T09:00"}, "The survey must close after it opens."),
    ],
)
def test_create_explains_what_is_wrong(client, planner, team, draft, changes, message):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    data = {"team": team.pk, "slug": "parks", "title_zh": "公园", "purpose": "needs", **changes}
    response = client.post("/staff/surveys/new/", data)
    assert response.status_code == HTTPStatus.OK
    assert "There is a problem" in response.text and message in response.text
    assert "<title>Error:" in response.text


def test_import_and_export_pages_are_linked(client, planner, draft):
    client.force_login(planner)
    assert "/staff/surveys/import/" in client.get("/staff/surveys/").text
    html = client.get("/staff/surveys/bus-stops/").text
    for path in ("export.json", "results/", "assisted/", "invitations/"):
        assert f"/staff/surveys/bus-stops/{path}" in html


def test_details_keep_the_slug_once_open(client, planner, draft):
    client.force_login(planner)
    Survey.objects.filter(pk=draft.pk).update(status=Status.OPEN)
    assert 'name="slug"' not in client.get("/staff/surveys/bus-stops/details/").text
    client.post("/staff/surveys/bus-stops/details/", {"slug": "other", "title_zh": "新标题", "purpose": "needs"})
    draft.refresh_from_db()
    assert (draft.slug, draft.title_zh) == ("bus-stops", "新标题")


# --- The builder page -------------------------------------------------------------------------


def test_builder_shows_questions_in_order_with_their_details(client, planner, survey):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    html = client.get("/staff/surveys/door-access/").text
    positions = [html.index(f"<code lang=\"en\">{key}</code>") for key in keys(survey)]
    assert positions == sorted(positions)
    assert "Face recognition" in html and "Asked only if" in html
    assert "Move up<span class=\"visually-hidden\">: <span lang=\"en\">entry</span></span>" in html
    assert "Edit<span class=\"visually-hidden\">: <span lang=\"en\">entry</span></span>" in html
    # 3 sizes × 2 languages of preview.
    assert html.count("/staff/surveys/door-access/preview/?lang=") == 6


@pytest.mark.parametrize("persona", ["clerk", "viewer"])
def test_members_without_design_read_only(client, request, survey, persona):
    sign_in(client, request, persona)
    html = client.get("/staff/surveys/door-access/").text
    assert "社区新门禁需求调查" in html
    for form_action in ("/move/", "/edit/", "/delete/", "/publish/", "/close/", "/duplicate/", "/questions/new/"):
        assert form_action not in html


def test_builder_fragment_is_the_question_list(client, planner, draft):
    client.force_login(planner)
    response = client.get("/staff/surveys/bus-stops/", **HX)
    assert is_fragment(response)
    assert response.text.lstrip().startswith('<div id="question-list"')
    assert "HX-Request" in response["Vary"]


def test_builder_pages_have_no_english_in_chinese(client, planner, survey):
    client.force_login(planner)
    for url in ("/staff/surveys/", "/staff/surveys/door-access/", "/staff/surveys/new/",
                "/staff/surveys/door-access/questions/new/",
                "/staff/surveys/door-access/questions/new/?kind=single",
                f"/staff/surveys/door-access/questions/{q(survey, 'entry').pk}/edit/",
                f"/staff/surveys/door-access/questions/{q(survey, 'story').pk}/delete/",
                "/staff/surveys/door-access/preview/?lang=zh-hans&size=largest"):
        response = client.get(url)
        assert response.status_code == HTTPStatus.OK, url
        # A textarea holds what the planner typed (English labels included), not page text.
        page = re.sub(r"<textarea[^>]*>.*?</textarea>", "", response.text, flags=re.S)
        assert english_words(page) == [], url


# --- Questions: add, edit, delete, move ---------------------------------------------------------


def test_adding_starts_with_the_kind(client, planner, draft):
    client.force_login(planner)
    html = client.get("/staff/surveys/bus-stops/questions/new/").text
    assert html.count('type="radio" name="kind"') == len(Kind.values)
    assert "<legend>" in html
    form = client.get("/staff/surveys/bus-stops/questions/new/?kind=single").text
    assert 'type="hidden" name="kind" value="single"' in form and 'name="choices"' in form
    assert 'name="min_value"' not in form
    assert 'name="min_value"' in client.get("/staff/surveys/bus-stops/questions/new/?kind=scale").text


def test_add_question_without_htmx(client, planner, draft):
    client.force_login(planner)
    data = {"kind": "multiple", "key": "times", "text_zh": "您什么时候坐车？", "text_en": "When do you ride?",
            "required": "on", "choices": "morning | 早上 | Morning\nevening｜晚上"}
    response = client.post("/staff/surveys/bus-stops/questions/new/", data)
    question = q(draft, "times")
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/staff/surveys/bus-stops/#q-{question.pk}"
    assert keys(draft)[-1] == "times" and question.position == 4
    assert [(c.value, c.label_zh, c.label_en) for c in question.choices.all()] == [
        ("morning", "早上", "Morning"), ("evening", "晚上", ""),
    ]
    assert "已添加" in client.get(response["Location"]).text  # the message, on the next page


def test_add_question_with_htmx(client, planner, draft):
    client.force_login(planner)
    editor = client.get("/staff/surveys/bus-stops/questions/new/?kind=yes_no", **HX)
    assert is_fragment(editor) and 'id="add-question"' in editor.text and 'hx-post="' in editor.text
    data = {"kind": "yes_no", "key": "has_card", "text_zh": "您有公交卡吗？", "required": "on"}
    response = client.post("/staff/surveys/bus-stops/questions/new/", data, **HX)
    assert is_fragment(response)
    assert response["HX-Retarget"] == "#question-list" and response["HX-Reswap"] == "outerHTML"
    assert '<code lang="en">has_card</code>' in response.text
    assert f'data-focus="q-{q(draft, "has_card").pk}-title"' in response.text


def test_invalid_question_with_htmx_returns_the_editor_with_errors(client, planner, draft):
    client.force_login(planner)
    data = {"kind": "single", "key": "stop", "text_zh": "重复", "choices": ""}
    response = client.post("/staff/surveys/bus-stops/questions/new/", data, **HX)
    assert is_fragment(response) and "HX-Retarget" not in response
    assert response.text.lstrip().startswith('<section id="add-question"')
    assert "error-summary" in response.text and keys(draft) == ["uses_bus", "stop", "comment"]


def test_edit_question_without_and_with_htmx(client, planner, draft):
    client.force_login(planner)
    stop = q(draft, "stop")
    page = client.get(f"/staff/surveys/bus-stops/questions/{stop.pk}/edit/")
    assert "<html" in page.text and "north | 北站 | North" in page.text and 'hx-post' not in page.text
    response = client.post(f"/staff/surveys/bus-stops/questions/{stop.pk}/edit/",
                           question_data(stop, text_zh="您最常用哪个车站？", choices="north | 北站 | North\nsouth | 南站 | South\neast | 东站"))
    assert response.status_code == HTTPStatus.FOUND and response["Location"].endswith(f"#q-{stop.pk}")
    stop.refresh_from_db()
    assert stop.text_zh == "您最常用哪个车站？" and stop.choices.count() == 3

    fragment = client.get(f"/staff/surveys/bus-stops/questions/{stop.pk}/edit/", **HX)
    assert is_fragment(fragment) and fragment.text.lstrip().startswith(f'<section id="q-{stop.pk}"')
    response = client.post(f"/staff/surveys/bus-stops/questions/{stop.pk}/edit/",
                           question_data(stop, text_en="Which stop do you use most?"), **HX)
    assert is_fragment(response) and response["HX-Retarget"] == "#question-list"
    assert "Which stop do you use most?" in response.text


def test_relabelling_a_choice_keeps_its_row(client, planner, draft):
    client.force_login(planner)
    stop = q(draft, "stop")
    north = stop.choices.get(value="north")
    client.post(f"/staff/surveys/bus-stops/questions/{stop.pk}/edit/",
                question_data(stop, choices="south | 南站 | South\nnorth | 北门站 | North gate"))
    north.refresh_from_db()
    assert (north.label_zh, north.position) == ("北门站", 2)


def test_delete_asks_first_without_and_with_htmx(client, planner, draft):
    client.force_login(planner)
    comment = q(draft, "comment")
    confirm = client.get(f"/staff/surveys/bus-stops/questions/{comment.pk}/delete/")
    assert "<html" in confirm.text and "无法撤销" in confirm.text
    fragment = client.get(f"/staff/surveys/bus-stops/questions/{comment.pk}/delete/", **HX)
    assert is_fragment(fragment) and f'id="q-{comment.pk}"' in fragment.text
    response = client.post(f"/staff/surveys/bus-stops/questions/{comment.pk}/delete/", **HX)
    assert is_fragment(response) and keys(draft) == ["uses_bus", "stop"]
    assert '<code lang="en">comment</code>' not in response.text and 'data-status="题目“comment”已删除。"' in response.text
    stop = q(draft, "stop")
    response = client.post(f"/staff/surveys/bus-stops/questions/{stop.pk}/delete/")
    assert response.status_code == HTTPStatus.FOUND and keys(draft) == ["uses_bus"]


def test_a_question_another_depends_on_cannot_be_deleted(client, planner, survey):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    uses_phone = q(survey, "uses_phone")
    page = client.get(f"/staff/surveys/door-access/questions/{uses_phone.pk}/delete/").text
    assert "question “app_name” is shown only after its answer" in page and "Delete question<span" not in page
    response = client.post(f"/staff/surveys/door-access/questions/{uses_phone.pk}/delete/", **HX)
    assert is_fragment(response) and "question “app_name” is shown only after its answer" in response.text
    assert survey.questions.filter(pk=uses_phone.pk).exists()


def test_move_up_and_down_without_htmx(client, planner, draft):
    client.force_login(planner)
    comment = q(draft, "comment")
    response = client.post(f"/staff/surveys/bus-stops/questions/{comment.pk}/move/", {"direction": "up"})
    assert response.status_code == HTTPStatus.FOUND
    assert keys(draft) == ["uses_bus", "comment", "stop"]
    client.post(f"/staff/surveys/bus-stops/questions/{comment.pk}/move/", {"direction": "up"})
    assert keys(draft) == ["comment", "uses_bus", "stop"]
    # Already first: nothing moves, nothing breaks.
    client.post(f"/staff/surveys/bus-stops/questions/{comment.pk}/move/", {"direction": "up"})
    assert keys(draft) == ["comment", "uses_bus", "stop"]
    client.post(f"/staff/surveys/bus-stops/questions/{comment.pk}/move/", {"direction": "down"})
    assert keys(draft) == ["uses_bus", "comment", "stop"]
    assert list(draft.questions.order_by("position").values_list("position", flat=True)) == [1, 2, 3]


def test_move_with_htmx_returns_the_list_and_keeps_focus(client, planner, draft):
    client.force_login(planner)
    stop = q(draft, "stop")
    response = client.post(f"/staff/surveys/bus-stops/questions/{stop.pk}/move/", {"direction": "down"}, **HX)
    assert is_fragment(response) and keys(draft) == ["uses_bus", "comment", "stop"]
    assert f'data-focus="move-down-{stop.pk}"' in response.text
    assert f'data-focus-fallback="q-{stop.pk}-title"' in response.text
    # The last question has no "move down" button, so focus falls back to its heading.
    assert f'id="move-down-{stop.pk}"' not in response.text and f'id="move-up-{stop.pk}"' in response.text


def test_move_needs_a_direction(client, planner, draft):
    client.force_login(planner)
    response = client.post(f"/staff/surveys/bus-stops/questions/{q(draft, 'stop').pk}/move/", {"direction": "sideways"})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_a_question_cannot_move_above_its_condition(client, planner, survey):
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    app_name = q(survey, "app_name")
    # Bring app_name right below uses_phone, then one more step would cross it.
    for _step in range(5):
        client.post(f"/staff/surveys/door-access/questions/{app_name.pk}/move/", {"direction": "up"})
    order = keys(survey)
    assert order.index("app_name") == order.index("uses_phone") + 1
    response = client.post(f"/staff/surveys/door-access/questions/{app_name.pk}/move/", {"direction": "up"}, **HX)
    assert "“app_name” cannot move above “uses_phone”" in response.text
    assert keys(survey) == order
    uses_phone = q(survey, "uses_phone")
    response = client.post(f"/staff/surveys/door-access/questions/{uses_phone.pk}/move/", {"direction": "down"})
    assert keys(survey) == order
    assert "cannot move above" in client.get(response["Location"]).text


def test_questions_of_another_survey_are_not_found(client, planner, draft, survey):
    client.force_login(planner)
    other = q(survey, "entry")
    assert client.get(f"/staff/surveys/bus-stops/questions/{other.pk}/edit/").status_code == HTTPStatus.NOT_FOUND
    assert client.post(f"/staff/surveys/bus-stops/questions/{other.pk}/move/", {"direction": "up"}).status_code == 404


# --- Publish, close, duplicate ------------------------------------------------------------------


def test_publish_then_close(client, planner, draft):
    client.force_login(planner)
    response = client.post("/staff/surveys/bus-stops/publish/")
    assert response.status_code == HTTPStatus.FOUND
    draft.refresh_from_db()
    assert draft.status == Status.OPEN
    response = client.post("/staff/surveys/bus-stops/close/", **HX)
    assert is_fragment(response) and response.text.lstrip().startswith('<section id="survey-status"')
    draft.refresh_from_db()
    assert draft.status == Status.CLOSED
    # Reopening is not offered, and publishing a closed survey is refused.
    assert "/publish/" not in response.text and "/close/" not in response.text
    client.cookies["django_language"] = "en"
    response = client.post("/staff/surveys/bus-stops/publish/", **HX)
    assert "Only a draft can be published" in response.text
    draft.refresh_from_db()
    assert draft.status == Status.CLOSED


def test_publish_with_htmx_and_an_empty_survey(client, planner, team):
    empty = Survey.objects.create(team=team, slug="empty", title_zh="空问卷")
    client.force_login(planner)
    client.cookies["django_language"] = "en"
    response = client.post("/staff/surveys/empty/publish/", **HX)
    assert is_fragment(response) and "Add at least one question" in response.text
    add_question(empty, "only", Kind.YES_NO, "好吗？", "OK?")
    response = client.post("/staff/surveys/empty/publish/", **HX)
    assert is_fragment(response) and "badge-open" in response.text


def test_duplicate_copies_questions_not_responses(client, planner, survey, full_answers):
    response_record(survey=survey, answers=full_answers, channel="web")
    client.force_login(planner)
    response = client.post("/staff/surveys/door-access/duplicate/")
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == "/staff/surveys/door-access-copy/"
    copy = Survey.objects.get(slug="door-access-copy")
    assert (copy.status, copy.team, copy.version, copy.responses.count()) == (Status.DRAFT, survey.team, 1, 0)
    assert keys(copy) == keys(survey)
    app_name = q(copy, "app_name")
    assert app_name.show_if_question == q(copy, "uses_phone") and app_name.show_if_equals == "yes"
    assert list(q(copy, "entry").choices.values_list("value", flat=True)) == ["card", "face", "guard"]
    # Again, with htmx: the browser is sent to the new survey's page.
    response = client.post("/staff/surveys/door-access/duplicate/", **HX)
    assert response["HX-Redirect"] == "/staff/surveys/door-access-copy-2/"
    # A copy of a copy counts on rather than nesting "-copy-copy".
    assert copy_slug("door-access-copy") == "door-access-copy-3"


def test_copy_slug_fits_the_field(team):
    long = "x" * 60
    Survey.objects.create(team=team, slug=long, title_zh="长")
    assert copy_slug(long) == "x" * 55 + "-copy"


# --- Preview ------------------------------------------------------------------------------------


def test_preview_in_chinese_largest(client, clerk, survey):
    client.force_login(clerk)
    client.cookies["django_language"] = "en"  # the clerk's own language does not matter
    html = client.get("/staff/surveys/door-access/preview/?lang=zh-hans&size=largest").text
    assert '<html lang="zh-Hans"' in html and 'class="ts-largest aud-public"' in html
    assert "您现在怎样进出小区大门？" in html and "刷脸" in html and "不愿透露" in html
    assert "老城区" in html and "退休" in html and "70+" in html


def test_preview_in_english_standard(client, planner, survey):
    client.force_login(planner)
    response = client.get("/staff/surveys/door-access/preview/?lang=en&size=standard")
    html = response.text
    assert '<html lang="en"' in html and 'class="ts-standard aud-public"' in html
    assert "How do you get through the gate now?" in html and "Face recognition" in html
    assert "Old Town" in html and "Prefer not to say" in html and "Yes" in html
    assert "Asked only when question 5 is answered “Yes”." in html
    assert "A number from 0 to 30." in html
    # The page language went back to the visitor's own after rendering.
    assert '<html lang="zh-Hans"' in client.get("/staff/surveys/door-access/").text


def test_preview_ignores_unknown_choices(client, planner, survey):
    client.force_login(planner)
    html = client.get("/staff/surveys/door-access/preview/?lang=fr&size=huge").text
    assert '<html lang="zh-Hans"' in html and 'class="ts-standard aud-public"' in html
