"""Invitations: single-use links made in batches, their page, the CSV and the printable sheets."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import IntegrityError, connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from reportlab.lib.units import mm

from citylab.models import AuditEvent, Community
from surveys import invitations, posters
from surveys.invitations import batch_sheet, create_batch, open_sheet
from surveys.models import Channel, Invitation, InvitationBatch, Status, Survey
from surveys.services import InvitationUsed, response_record
from tests.citylab.test_translations import english_words

PAGE = "/staff/surveys/door-access/invitations/"
OPEN_POSTER = PAGE + "open-poster.pdf"
MEMBERS = ["planner", "clerk"]  # may make batches and download their links
OTHERS = ["other_planner", "outsider"]  # to them the survey does not exist
PAGE_COUNT = re.compile(rb"/Type /Page(?!s)")


def csv_url(batch: InvitationBatch) -> str:
    return f"{PAGE}{batch.pk}/links.csv"


def poster_url(batch: InvitationBatch) -> str:
    return f"{PAGE}{batch.pk}/poster.pdf"


def pages_in(pdf: bytes) -> int:
    """Page objects in the file, counted without a PDF library (reportlab never puts them in
    compressed object streams)."""
    return len(PAGE_COUNT.findall(pdf))


@pytest.fixture
def batch(survey, planner) -> InvitationBatch:
    community = Community.objects.get(code="dengta")
    return create_batch(
        survey=survey, label="灯塔社区公告栏", audience=InvitationBatch.Audience.COMMUNITY, community=community,
        size=3, created_by=planner,
    )


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def theirs(other_team, other_planner) -> InvitationBatch:
    """Another team's survey with a batch, to try to reach through our own survey's address."""
    survey = Survey.objects.create(team=other_team, slug="bus-stops", title_zh="公交站台调查", status=Status.OPEN)
    return create_batch(survey=survey, label="站台", audience=InvitationBatch.Audience.PANEL, size=2)


def form_data(**changes) -> dict[str, object]:
    data = {"label": "老城区来信", "audience": "mailing", "community": "", "size": "20"}
    data.update(changes)
    return data


# --- The service ----------------------------------------------------------------------------------


def test_a_batch_has_as_many_unique_unguessable_tokens_as_asked(survey, planner):
    made = create_batch(survey=survey, label="体验官", audience=InvitationBatch.Audience.PANEL, size=200,
                        created_by=planner)
    tokens = list(made.invitations.values_list("token", flat=True))
    assert len(tokens) == len(set(tokens)) == 200
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{16}", token) for token in tokens)
    assert made.created_by == planner and made.community is None
    assert not made.invitations.filter(used_at__isnull=False).exists()


def test_a_batch_is_made_whole_or_not_at_all(survey, batch, monkeypatch):
    taken = batch.invitations.first().token
    monkeypatch.setattr(invitations, "new_token", lambda: taken)  # a clash with a stored token
    with pytest.raises(IntegrityError):
        create_batch(survey=survey, label="重复", audience=InvitationBatch.Audience.PANEL, size=1)
    assert InvitationBatch.objects.count() == 1 and Invitation.objects.count() == 3


@pytest.mark.parametrize("size", [0, 2001])
def test_the_service_refuses_sizes_out_of_range(survey, size):
    with pytest.raises(ValueError, match=f"a batch holds 1 to 2000 links, not {size}"):
        create_batch(survey=survey, label="x", audience=InvitationBatch.Audience.PANEL, size=size)
    assert not InvitationBatch.objects.exists()


def test_the_service_refuses_a_community_batch_without_its_community(survey):
    with pytest.raises(ValueError, match="needs the community"):
        create_batch(survey=survey, label="x", audience=InvitationBatch.Audience.COMMUNITY, size=5)
    assert not InvitationBatch.objects.exists()


def test_invitation_url_is_the_resident_link(rf, batch):
    invitation = batch.invitations.first()
    assert invitations.invitation_url(rf.get("/"), invitation) == f"http://testserver/s/door-access/i/{invitation.token}/"


# --- The page: who may see it ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", MEMBERS)
def test_planners_and_clerks_see_batches_and_the_form(client, request, batch, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(PAGE)
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert "灯塔社区公告栏" in html and 'id="id_size"' in html
    assert csv_url(batch) in html and poster_url(batch) in html and OPEN_POSTER in html


def test_viewers_see_batches_but_neither_form_nor_links(client, viewer, batch):
    client.force_login(viewer)
    response = client.get(PAGE)
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert "灯塔社区公告栏" in html
    assert 'id="id_size"' not in html and csv_url(batch) not in html and poster_url(batch) not in html
    assert OPEN_POSTER in html  # the open address is public anyway


@pytest.mark.parametrize("persona", OTHERS)
def test_others_cannot_see_the_page(client, request, batch, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(PAGE).status_code == HTTPStatus.NOT_FOUND
    assert client.post(PAGE, form_data()).status_code == HTTPStatus.NOT_FOUND
    assert InvitationBatch.objects.count() == 1


def test_the_page_needs_sign_in(client, batch):
    for response in (client.get(PAGE), client.post(PAGE, form_data())):
        assert response.status_code == HTTPStatus.FOUND
        assert response["Location"] == f"/accounts/login/?next={PAGE}"
    assert InvitationBatch.objects.count() == 1


def test_the_page_of_an_unknown_survey(client, planner):
    client.force_login(planner)
    assert client.get("/staff/surveys/nothing-here/invitations/").status_code == HTTPStatus.NOT_FOUND


def test_the_batch_list_takes_the_same_queries_however_many_batches(client, clerk, survey):
    client.force_login(clerk)
    create_batch(survey=survey, label="一", audience=InvitationBatch.Audience.PANEL, size=5)
    client.get(PAGE)  # the first request of a session reads a few things once
    with CaptureQueriesContext(connection) as one:
        client.get(PAGE)
    for label in ("二", "三", "四"):
        create_batch(survey=survey, label=label, audience=InvitationBatch.Audience.MAILING, size=60, created_by=clerk)
    with CaptureQueriesContext(connection) as four:
        response = client.get(PAGE)
    assert len(four) == len(one)
    assert response.text.count('<article class="card batch"') == 4


def test_used_links_are_counted(client, clerk, batch, survey, full_answers):
    first, second, _ = batch.invitations.all()
    for invitation in (first, second):
        response_record(survey=survey, answers=full_answers, channel=Channel.WEB, invitation=invitation)
    with pytest.raises(InvitationUsed):
        response_record(survey=survey, answers=full_answers, channel=Channel.WEB, invitation=first)
    client.force_login(clerk)
    card = re.search(rf'<article class="card batch" id="batch-{batch.pk}">(.*?)</article>', client.get(PAGE).text, re.S)
    lines = [re.sub(r"\s+", " ", line).strip() for line in re.findall(r"<(?:h3|p)[^>]*>(.*?)</(?:h3|p)>", card.group(1), re.S)]
    assert lines[:3] == ["灯塔社区公告栏", "社区：老城区灯塔社区", "共 3 个链接，已使用 2 个"]
    assert re.fullmatch(r"王芳 于 \d{4}-\d\d-\d\d \d\d:\d\d 生成", lines[3])


def test_a_batch_whose_maker_left_still_shows(english, planner, clerk, survey):
    made = create_batch(survey=survey, label="来信", audience=InvitationBatch.Audience.MAILING, size=1, created_by=clerk)
    clerk.delete()
    english.force_login(planner)
    html = english.get(PAGE).text
    assert f"Made on {timezone.localtime(made.created_at):%Y-%m-%d %H:%M}" in html
    assert "1 link, 0 used" in html


# --- The page: what it says ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, opens, closes, says",
    [
        (Status.DRAFT, None, None, "This survey is still a draft."),
        (Status.OPEN, timedelta(days=3), None, "This survey opens on"),
        (Status.CLOSED, None, None, "This survey is closed."),
        (Status.OPEN, timedelta(days=-9), timedelta(days=-1), "This survey is closed."),
    ],
)
def test_the_page_says_when_links_do_not_work_yet(english, planner, survey, status, opens, closes, says):
    now = timezone.now()
    survey.status = status
    survey.opens_at = now + opens if opens else None
    survey.closes_at = now + closes if closes else None
    survey.save()
    english.force_login(planner)
    html = english.get(PAGE).text
    assert says in html and 'id="not-open"' in html
    assert 'id="id_size"' in html  # printing ahead is allowed


def test_no_notice_while_the_survey_is_open(english, planner, survey):
    english.force_login(planner)
    assert 'id="not-open"' not in english.get(PAGE).text


def test_communities_are_offered_grouped_by_district(english, planner, survey):
    english.force_login(planner)
    html = english.get(PAGE).text
    old = re.search(r'<optgroup label="Old Town">(.*?)</optgroup>', html, re.S).group(1)
    assert "Lighthouse" in old and "Shipyard" not in old
    assert re.search(r'<optgroup label="New Harbour">.*?Shipyard.*?</optgroup>', html, re.S)


def test_chinese_page_has_no_english_left(client, planner, batch):
    create_batch(survey=batch.survey, label="体验官", audience=InvitationBatch.Audience.PANEL, size=400)
    client.force_login(planner)
    html = client.get(PAGE).text
    assert '<html lang="zh-Hans"' in html and "邀请链接" in html
    assert english_words(html) == []


def test_chinese_page_for_a_draft_and_a_viewer_has_no_english_left(client, viewer, batch):
    Survey.objects.filter(pk=batch.survey.pk).update(status=Status.DRAFT)
    client.force_login(viewer)
    assert english_words(client.get(PAGE).text) == []


def test_chinese_error_page_has_no_english_left(client, planner, survey):
    client.force_login(planner)
    response = client.post(PAGE, form_data(audience="community", size="lots"))
    assert "<title>错误：" in response.text
    assert english_words(response.text) == []


# --- Making a batch ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", MEMBERS)
def test_planners_and_clerks_make_a_batch(english, request, survey, persona):
    user = request.getfixturevalue(persona)
    english.force_login(user)
    community = Community.objects.get(code="chuanchang")
    response = english.post(PAGE, form_data(label="船厂社区门卫室", audience="community", community=community.pk, size="25"))
    assert response.status_code == HTTPStatus.FOUND and response["Location"] == PAGE
    made = InvitationBatch.objects.get()
    assert (made.survey, made.label, made.audience, made.community, made.size, made.created_by) == (
        survey, "船厂社区门卫室", "community", community, 25, user
    )
    assert made.invitations.count() == 25
    page = english.get(PAGE)
    assert "Made 25 links in the batch “船厂社区门卫室”. Download them below." in page.text


def test_a_panel_batch_needs_no_community(client, planner, survey):
    client.force_login(planner)
    client.post(PAGE, form_data(audience="panel", size="1"))
    made = InvitationBatch.objects.get()
    assert made.community is None and made.invitations.count() == 1


def test_a_batch_can_be_made_for_a_draft(client, planner, survey):
    Survey.objects.filter(pk=survey.pk).update(status=Status.DRAFT)
    client.force_login(planner)
    assert client.post(PAGE, form_data(size="2000")).status_code == HTTPStatus.FOUND
    assert Invitation.objects.count() == 2000


def test_viewers_may_not_make_a_batch(client, viewer, survey):
    client.force_login(viewer)
    assert client.post(PAGE, form_data()).status_code == HTTPStatus.FORBIDDEN
    assert not InvitationBatch.objects.exists()


@pytest.mark.parametrize(
    "changes, field, message",
    [
        ({"size": "0"}, "size", "Make at least 1 link."),
        ({"size": "5000"}, "size", "A batch holds at most 2000 links. For more, make several batches."),
        ({"size": "many"}, "size", "Enter the number of links as a whole number, such as 200."),
        ({"size": "2.5"}, "size", "Enter the number of links as a whole number, such as 200."),
        ({"size": ""}, "size", "Enter how many links to make."),
        ({"label": "  "}, "label", "Enter a name for the batch."),
        ({"audience": "community"}, "community", "Choose the community these links are for."),
        ({"audience": "community", "community": "999999"}, "community", "Choose a community from the list."),
        ({"audience": "panel", "community": "dengta"}, "community", "Choose a community from the list."),
        ({"audience": "neighbours"}, "audience", "Choose who the links are for: a community, a panel or a mailing."),
    ],
)
def test_bad_input_is_explained_and_creates_nothing(english, planner, survey, changes, field, message):
    english.force_login(planner)
    response = english.post(PAGE, form_data(**changes))
    assert response.status_code == HTTPStatus.OK
    html = response.text
    assert "<title>Error: Invitations: Community door access needs" in html
    assert 'class="error-summary"' in html and f'href="#id_{field}"' in html
    assert html.count(message) == 2  # in the summary and beside the field
    assert not InvitationBatch.objects.exists() and not Invitation.objects.exists()


def test_answers_are_kept_after_an_error(english, planner, survey):
    english.force_login(planner)
    html = english.post(PAGE, form_data(label="楼道张贴", audience="community", size="30")).text
    assert 'value="楼道张贴"' in html and 'value="30"' in html
    assert re.search(r'<option value="community" selected>', html)


# --- The CSV ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", MEMBERS)
def test_the_csv_lists_every_link(client, request, batch, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(csv_url(batch))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="door-access-invitations-{batch.pk}.csv"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    tokens = list(batch.invitations.order_by("pk").values_list("token", flat=True))
    assert rows == [
        ["token", "url", "used"],
        *([token, f"http://testserver/s/door-access/i/{token}/", ""] for token in tokens),
    ]


def test_each_copy_of_the_links_is_in_the_audit_trail(client, clerk, batch, viewer):
    client.force_login(viewer)
    client.get(csv_url(batch))  # refused: no trail
    client.force_login(clerk)
    client.get(csv_url(batch))
    event = AuditEvent.objects.get(action="invitations.exported")
    assert event.actor == clerk and event.target == f"surveys.InvitationBatch:{batch.pk}"
    assert event.team == batch.survey.team and event.detail == {"survey": "door-access"}


def test_the_csv_says_when_a_link_was_used(client, clerk, batch, survey, full_answers):
    invitation = batch.invitations.order_by("pk")[1]
    response_record(survey=survey, answers=full_answers, channel=Channel.WEB, invitation=invitation)
    invitation.refresh_from_db()
    client.force_login(clerk)
    rows = list(csv.reader(io.StringIO(client.get(csv_url(batch)).content.decode("utf-8-sig"))))
    assert [row[2] for row in rows[1:]] == ["", timezone.localtime(invitation.used_at).strftime("%Y-%m-%d %H:%M"), ""]


# --- Downloads: who may -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [csv_url, poster_url])
def test_viewers_may_not_download_the_links(client, viewer, batch, url):
    client.force_login(viewer)
    assert client.get(url(batch)).status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("url", [csv_url, poster_url])
@pytest.mark.parametrize("persona", OTHERS)
def test_others_cannot_download(client, request, batch, url, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(url(batch)).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("url", [csv_url, poster_url])
def test_downloads_need_sign_in(client, batch, url):
    response = client.get(url(batch))
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == f"/accounts/login/?next={url(batch)}"


@pytest.mark.parametrize("url", [csv_url, poster_url])
def test_another_teams_batch_is_not_found_through_our_survey(client, planner, batch, theirs, url):
    client.force_login(planner)
    assert client.get(url(theirs)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(url(theirs).replace("door-access", "bus-stops")).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("url", [csv_url, poster_url])
def test_downloads_are_read_only(client, planner, batch, url):
    client.force_login(planner)
    assert client.post(url(batch)).status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize("persona", [*MEMBERS, "viewer"])
def test_members_download_the_open_poster(client, request, survey, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(OPEN_POSTER)
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-") and pages_in(response.content) == 1


@pytest.mark.parametrize("persona", OTHERS)
def test_others_cannot_download_the_open_poster(client, request, survey, persona):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(OPEN_POSTER).status_code == HTTPStatus.NOT_FOUND


def test_the_open_poster_needs_sign_in(client, survey):
    response = client.get(OPEN_POSTER)
    assert response["Location"] == f"/accounts/login/?next={OPEN_POSTER}"


# --- The PDF ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", MEMBERS)
def test_a_small_batch_prints_one_poster_per_link(client, request, batch, persona):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(poster_url(batch))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'inline; filename="door-access-invitations-{batch.pk}.pdf"'
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF-")
    assert pages_in(response.content) == 3


def test_a_large_batch_prints_cards_six_to_a_page(client, clerk, survey):
    made = create_batch(survey=survey, label="来信", audience=InvitationBatch.Audience.MAILING, size=51)
    client.force_login(clerk)
    assert pages_in(client.get(poster_url(made)).content) == 9


def test_a_very_large_batch_prints_in_parts(client, clerk, survey, monkeypatch):
    monkeypatch.setattr(invitations, "CARDS_PER_PART", 60)
    made = create_batch(survey=survey, label="来信", audience=InvitationBatch.Audience.MAILING, size=130)
    client.force_login(clerk)
    page = client.get(PAGE).text
    for part in (1, 2, 3):
        assert f"{poster_url(made)}?part={part}" in page
    parts = [client.get(poster_url(made), {"part": part}) for part in (1, 2, 3)]
    assert [pages_in(response.content) for response in parts] == [10, 10, 2]
    assert parts[2]["Content-Disposition"] == f'inline; filename="door-access-invitations-{made.pk}-3.pdf"'
    for bad in ("0", "4", "two"):
        assert client.get(poster_url(made), {"part": bad}).status_code == HTTPStatus.NOT_FOUND


def test_part_labels_name_the_links_in_each_file(english, clerk, survey, monkeypatch):
    monkeypatch.setattr(invitations, "CARDS_PER_PART", 60)
    create_batch(survey=survey, label="来信", audience=InvitationBatch.Audience.MAILING, size=130)
    english.force_login(clerk)
    html = english.get(PAGE).text
    assert "Cards 1–60" in html and "Cards 61–120" in html and "Cards 121–130" in html


def test_the_sheet_of_a_batch_codes_each_link_in_order(batch, settings):
    settings.ALLOWED_HOSTS = ["citylab.lanhai.gov.cn"]
    request = RequestFactory().get("/", HTTP_HOST="citylab.lanhai.gov.cn", secure=True)
    sheet = batch_sheet(request, batch)
    tokens = list(batch.invitations.order_by("pk").values_list("token", flat=True))
    assert [code.url for code in sheet.codes] == [f"https://citylab.lanhai.gov.cn/s/door-access/i/{t}/" for t in tokens]
    assert [code.footer for code in sheet.codes] == [f"灯塔社区公告栏\u3000{n}/3" for n in (1, 2, 3)]
    assert (sheet.title_zh, sheet.title_en, sheet.single_use) == ("社区新门禁需求调查", "Community door access needs", True)
    pages = posters.layout(sheet)
    assert [[code.value for code in page.codes()] for page in pages] == [[url] for url in (c.url for c in sheet.codes)]


def test_the_last_part_of_a_card_batch_is_cards_too(rf, survey, monkeypatch):
    monkeypatch.setattr(invitations, "CARDS_PER_PART", 60)
    made = create_batch(survey=survey, label="来信", audience=InvitationBatch.Audience.MAILING, size=70)
    sheet = batch_sheet(rf.get("/"), made, part=2)
    assert len(sheet.codes) == 10 and sheet.as_cards
    assert sheet.codes[0].footer == "来信\u300061/70"


def test_the_open_poster_codes_the_survey_address(rf, survey):
    sheet = open_sheet(rf.get("/"), survey)
    assert [code.url for code in sheet.codes] == ["http://testserver/s/door-access/"]
    assert not sheet.single_use
    page, = posters.layout(sheet)
    assert [code.value for code in page.codes()] == ["http://testserver/s/door-access/"]
    assert posters.ONCE_ZH not in page.texts()


# --- The poster layout (no database) -----------------------------------------------------------------

LONG_TITLE_ZH = "老年人智慧助餐服务和社区食堂新订餐系统试点满意度回访调查（第二轮）"
LONG_TITLE_EN = "Follow-up satisfaction survey on the smart meal assistance service and the community canteen pilot"
LONG_SLUG = "elderly-meal-assistance-and-community-canteen-ordering-pilot"  # 60 characters, the most a slug has


def sheet_of(count: int, *, title_zh="社区新门禁需求调查", title_en="Community door access needs",
             slug="door-access", single_use=True) -> posters.Sheet:
    codes = [
        posters.Code(f"https://citylab.lanhai.gov.cn/s/{slug}/i/{n:0>16}/", footer=f"灯塔社区公告栏\u3000{n}/{count}")
        for n in range(1, count + 1)
    ]
    return posters.Sheet(title_zh, title_en, codes, single_use=single_use)


def box(item: posters.Text) -> tuple[float, float, float, float]:
    """The text's extent (left, bottom, right, top) in points, from the font's own widths."""
    width = posters.width_of(item.text, item.font, item.size)
    left = item.x - width / 2 if item.centred else item.x
    return left, item.y - 0.25 * item.size, left + width, item.y + 0.85 * item.size


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


SHEETS = {
    "poster": sheet_of(2),
    "poster, long title and address": sheet_of(2, title_zh=LONG_TITLE_ZH, title_en=LONG_TITLE_EN, slug=LONG_SLUG),
    "open poster": sheet_of(1, single_use=False),
    "cards": sheet_of(60),
    "cards, long title and address": sheet_of(60, title_zh=LONG_TITLE_ZH, title_en=LONG_TITLE_EN, slug=LONG_SLUG),
    "cards, no English title": sheet_of(60, title_en=""),
}


def test_up_to_fifty_links_print_one_poster_each():
    pages = posters.layout(sheet_of(50))
    assert len(pages) == 50 and all(len(page.codes()) == 1 for page in pages)
    assert not any(isinstance(item, posters.CutLine) for page in pages for item in page.items)


def test_more_links_print_six_cards_a_page_to_cut_out():
    pages = posters.layout(sheet_of(51))
    assert [len(page.codes()) for page in pages] == [6] * 8 + [3]
    assert [sum(isinstance(item, posters.CutLine) for item in page.items) for page in pages] == [6] * 8 + [3]


@pytest.mark.parametrize("name", SHEETS)
def test_each_code_carries_its_own_link_in_order(name):
    sheet = SHEETS[name]
    pages = posters.layout(sheet)
    assert [code.value for page in pages for code in page.codes()] == [code.url for code in sheet.codes]


@pytest.mark.parametrize("name", SHEETS)
def test_codes_are_at_least_35_mm_with_their_quiet_zone_clear(name):
    for page in posters.layout(SHEETS[name]):
        for code in page.codes():
            assert code.code_size >= 35 * mm
            for item in page.items:
                if isinstance(item, posters.Text):
                    assert not overlaps(box(item), (code.x, code.y, code.x + code.size, code.y + code.size)), item


@pytest.mark.parametrize("name", SHEETS)
def test_texts_do_not_overlap_and_stay_on_the_paper(name):
    width, height = posters.A4
    for page in posters.layout(SHEETS[name]):
        texts = [item for item in page.items if isinstance(item, posters.Text)]
        cards = [item for item in page.items if isinstance(item, posters.CutLine)]
        for index, text in enumerate(texts):
            left, bottom, right, top = box(text)
            assert 8 * mm <= left and right <= width - 8 * mm and 8 * mm <= bottom and top <= height - 8 * mm, text
            if cards:  # inside its own card, with room to cut
                assert any(
                    card.x + 2 * mm <= left and right <= card.x + card.width - 2 * mm
                    and card.y + 2 * mm <= bottom and top <= card.y + card.height - 2 * mm
                    for card in cards
                ), text
            for other in texts[index + 1 :]:
                assert not overlaps(box(text), box(other)), (text, other)


@pytest.mark.parametrize("name", SHEETS)
def test_each_code_has_the_title_the_instruction_and_the_address(name):
    sheet = SHEETS[name]
    pages = posters.layout(sheet)
    per_page = len(pages[0].codes())
    for page, first in zip(pages, range(0, len(sheet.codes), per_page)):
        texts = [item for item in page.items if isinstance(item, posters.Text)]
        joined = " ".join(item.text for item in texts)
        title = [item for item in texts if item.font == posters.CJK and item.bold and item.size >= 20]
        assert "".join(item.text for item in title).count(sheet.title_zh[:12]) == len(page.codes())
        # One line on a poster; on a card, two phrases when the column is narrow.
        assert sum(t.text in (posters.INSTRUCTION_ZH, "用手机扫码") for t in texts) == len(page.codes())
        assert joined.count("Scan with your phone") == len(page.codes())
        for code in sheet.codes[first : first + per_page]:
            address = "".join(item.text for item in texts if item.font == posters.MONO)
            assert posters.short_url(code.url) in address
        assert min(item.size for item in texts if item.font == posters.MONO) >= 10


def test_the_english_title_sits_under_the_chinese_one():
    page = posters.layout(sheet_of(1))[0]
    texts = page.texts()
    chinese, english = (next(i for i in page.items if isinstance(i, posters.Text) and i.text == t)
                        for t in ("社区新门禁需求调查", "Community door access needs"))
    assert texts.index("社区新门禁需求调查") < texts.index("Community door access needs")
    assert english.y < chinese.y and chinese.size >= 36 and english.size >= 16


def test_a_poster_says_its_code_is_for_one_answer_and_the_open_poster_welcomes_everyone():
    single, = posters.layout(sheet_of(1))
    shared, = posters.layout(sheet_of(1, single_use=False))
    assert posters.ONCE_ZH in single.texts() and posters.OPEN_ZH not in single.texts()
    assert posters.OPEN_ZH in shared.texts() and posters.ONCE_ZH not in shared.texts()


def test_long_titles_are_cut_but_addresses_never():
    page = posters.layout(SHEETS["cards, long title and address"])[0]
    assert any(text.endswith("…") for text in page.texts())
    address = "".join(item.text for item in page.items if isinstance(item, posters.Text) and item.font == posters.MONO)
    assert "…" not in address


def test_chinese_lines_never_start_with_closing_punctuation():
    lines = posters.wrap("您好，欢迎参加。请用手机扫码，填写问卷。谢谢！", posters.CJK, 20, 5 * 20)
    assert len(lines) > 1 and not any(line[0] in "，。！" for line in lines)


def test_english_words_stay_whole():
    lines = posters.wrap(posters.INSTRUCTION_EN, posters.LATIN, 11, 110)
    assert " ".join(lines) == posters.INSTRUCTION_EN and len(lines) > 1


def test_an_address_breaks_after_a_slash():
    url = "citylab.lanhai.gov.cn/s/door-access/i/Ab3dEf9hIjK00001/"
    lines = posters.wrap(url, posters.MONO, 18, 300, url=True)
    assert "".join(lines) == url and lines[0].endswith("/")


def test_the_pdf_has_a_page_per_layout_page_and_codes_what_the_layout_says(monkeypatch):
    encoded = []

    class Recording(posters.QrCodeWidget):
        def __init__(self, value, **kw):
            encoded.append(value)
            super().__init__(value, **kw)

    monkeypatch.setattr(posters, "QrCodeWidget", Recording)
    sheet = sheet_of(60)
    pages = posters.layout(sheet)
    encoded.clear()  # the layout sized the codes; now record what is drawn
    pdf = posters.render(pages, title="test")
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pages_in(pdf) == len(pages) == 10
    assert encoded == [code.url for code in sheet.codes]
