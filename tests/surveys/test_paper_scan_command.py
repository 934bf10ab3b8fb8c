"""`manage.py scan`: real printed forms, marked and scanned, read back in-process; the --json
format exactly as the issue gives it; rescans reported as duplicates; bad files reported."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from surveys.models import Channel, Response
from surveys.paper.models import ReviewItem, Sheet
from surveys.paper.synthetic import draw_writing
from tests.surveys.paper_scan_helpers import DPI, MARKS, marked_pages, pdf_pages, print_real, save_tiff

KEYS = {"source", "index", "sheet", "page", "status", "answers", "review", "reason"}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def printed(survey):
    return print_real(survey, [7001, 7002])


def scan_json(*paths, team="digital") -> dict:
    out = io.StringIO()
    call_command("scan", *map(str, paths), "--json", "--team", team, stdout=out)
    return json.loads(out.getvalue())


def test_printed_marked_and_scanned_sheet_becomes_a_response(tmp_path, survey, printed, clerk):
    layout, pdf = printed
    images = marked_pages(layout, pdf, 0, MARKS)
    # A word in the "app_name" box; "trips" and "story" are left empty.
    number, box = next((n, b) for n, page in enumerate(layout["pages"]) for b in page["boxes"]
                       if b["question"] == "app_name")
    draw_writing(images[number], box, "word", DPI, np.random.default_rng(5))
    path = save_tiff(tmp_path / "sheet1.tif", images)
    output = scan_json(path)
    pages = output["pages"]
    assert [set(row) for row in pages] == [KEYS] * len(layout["pages"])
    assert [(r["source"], r["index"], r["sheet"], r["page"]) for r in pages] == [
        (str(path), n, 7001, n) for n in range(1, len(layout["pages"]) + 1)
    ]
    read = {key: values for row in pages for key, values in row["answers"].items()}
    for key, values in MARKS.items():
        assert read[key] == values, key
    assert read["occupation"] == []  # nothing marked: an empty list, not a missing key
    held = {key for row in pages for key in row["review"]}
    assert "app_name" in held  # writing is typed by a clerk
    # Empty writing boxes are decided blank: not held, and not among `answers`, which the
    # contract keeps for choice questions.
    assert not {"trips", "story"} & (held | set(read))
    assert all(row["status"] == "review" for row in pages if row["review"])
    # The written answer waits for a clerk, so no response yet.
    assert output["responses"] == {"created": 0}
    for item in ReviewItem.objects.all():
        from surveys.paper.completion import decide

        decide(item, {"blank": True} if item.kind == "text" else {"values": item.machine_read.get("guess", [])},
               user=clerk)
    response = Response.objects.get()
    assert response.channel == Channel.PAPER and response.submission_key == "paper:7001"
    assert response.age_band.code == "60-69" and response.district.code == "xingang"


def test_rescanned_sheet_is_a_duplicate_twice_in_a_row_and_in_two_batches(tmp_path, survey, printed, clerk):
    layout, pdf = printed
    marks = {**MARKS}
    images = marked_pages(layout, pdf, 1, marks)
    first = scan_json(save_tiff(tmp_path / "a.tif", images + images))
    statuses = [row["status"] for row in first["pages"]]
    pages = len(layout["pages"])
    assert all(s in ("ok", "review") for s in statuses[:pages])
    assert statuses[pages:] == ["duplicate"] * pages
    assert all(row["reason"].startswith("Sheet 7002 page") for row in first["pages"][pages:])
    second = scan_json(save_tiff(tmp_path / "b.tif", images))
    assert [row["status"] for row in second["pages"]] == ["duplicate"] * pages
    assert second["responses"] == {"created": 0}
    assert Sheet.objects.get(serial=7002).pages.exclude(status="duplicate").count() == pages


def test_bad_files_are_listed_and_the_good_one_is_read(tmp_path, survey, printed):
    layout, pdf = printed
    good = save_tiff(tmp_path / "good.tif", marked_pages(layout, pdf, 0, MARKS)[:1])
    empty = tmp_path / "empty.pdf"
    empty.write_bytes(b"")
    text = tmp_path / "notes.txt"
    text.write_text("not a scan")
    big = tmp_path / "archive.pdf"
    big.write_bytes(pdf_pages(10_000))
    output = scan_json(empty, text, good, big, tmp_path / "missing.png")
    rows = output["pages"]
    assert [set(r) for r in rows] == [KEYS] * len(rows)
    by_source = {r["source"]: r for r in rows}
    assert by_source[str(empty)]["reason"] == "The file is empty (0 bytes). Upload the file again."
    assert by_source[str(text)]["reason"] == "This is not a scan: upload PDF, TIFF, PNG or JPEG files."
    assert "10,000 pages; at most 2,000 pages per file" in by_source[str(big)]["reason"]
    assert by_source[str(tmp_path / "missing.png")]["reason"].startswith("The file cannot be opened")
    assert by_source[str(good)]["sheet"] == 7001 and by_source[str(good)]["index"] == 1


def test_a_page_from_another_city_is_reported(tmp_path, survey, printed, settings):
    layout, pdf = printed
    settings.SECRET_KEY = "another city's secret key, so another site code"
    output = scan_json(save_tiff(tmp_path / "x.tif", marked_pages(layout, pdf, 0, MARKS)[:1]))
    [row] = output["pages"]
    assert row["status"] == "unreadable"
    assert row["reason"] == "Not a form printed by this CityLab: the page comes from another city's survey."


def test_plain_output_and_team_errors(tmp_path, survey, printed, other_team):
    layout, pdf = printed
    path = save_tiff(tmp_path / "s.tif", marked_pages(layout, pdf, 0, MARKS)[:1])
    out = io.StringIO()
    call_command("scan", str(path), "--team", "digital", stdout=out)
    assert f"{path} page 1: sheet 7001 page 1:" in out.getvalue()
    assert "responses created: 0" in out.getvalue()
    with pytest.raises(CommandError, match="no team has the code 'nope'"):
        call_command("scan", str(path), "--team", "nope")


def test_without_any_team_it_says_so(tmp_path, db):
    path = tmp_path / "s.png"
    path.write_bytes(b"\x89PNG")
    with pytest.raises(CommandError, match="there is no team yet"):
        call_command("scan", str(path))


# --- Several teams: each page to the team of its survey ---------------------------------------


@pytest.fixture
def bus(other_team):
    """The transport bureau's survey, printed as sheet 9001."""
    from surveys.models import Kind, Purpose, Status, Survey
    from tests.surveys.conftest import add_question

    survey = Survey.objects.create(team=other_team, slug="bus-stops", title_zh="公交站点调查", title_en="Bus stops",
                                   purpose=Purpose.NEEDS, status=Status.OPEN)
    add_question(survey, "often", Kind.YES_NO, "您每周都坐公交吗？", "Do you take the bus every week?")
    add_question(survey, "stop", Kind.SINGLE, "离您家最近的车站远吗？", "How far is your nearest stop?",
                 choices=[("near", "很近", "Near"), ("far", "很远", "Far")])
    return print_real(survey, [9001])


def scan_json_without_team(*paths) -> dict:
    out = io.StringIO()
    call_command("scan", *map(str, paths), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_without_team_each_page_goes_to_the_team_of_its_survey(tmp_path, team, other_team, survey, printed, bus):
    from surveys.paper.models import ScanBatch

    layout, pdf = printed
    bus_layout, bus_pdf = bus
    door = marked_pages(layout, pdf, 0, {**MARKS})
    [bus_page] = marked_pages(bus_layout, bus_pdf, 0, {"often": ["yes"], "stop": ["far"]})
    # One pile: the door-access sheet with a bus-stop form slipped in between its pages.
    mixed = save_tiff(tmp_path / "mixed.tif", [door[0], bus_page, *door[1:]])
    bus_only = save_tiff(tmp_path / "bus.tif", [bus_page])
    blank = save_tiff(tmp_path / "blank.tif", [np.full((1200, 850), 250, np.uint8)])
    output = scan_json_without_team(mixed, bus_only, blank)
    rows = output["pages"]
    assert [(r["source"], r["index"], r["sheet"]) for r in rows] == [
        (str(mixed), 1, 7001), (str(mixed), 2, 9001), *[(str(mixed), n + 2, 7001) for n in range(1, len(door))],
        (str(bus_only), 1, 9001), (str(blank), None, None),
    ]
    assert rows[1]["status"] == "ok" and rows[1]["answers"] == {"often": ["yes"], "stop": ["far"]}
    assert rows[-2]["status"] == "duplicate"  # the same bus form again: never counted twice
    assert rows[-1]["status"] == "unreadable" and "Read it again with --team CODE." in rows[-1]["reason"]
    # The bus form, and the door sheet: clear marks and empty writing boxes leave nothing to a clerk.
    assert output["responses"] == {"created": 2}
    bus_response = Response.objects.get(survey__team=other_team)
    assert bus_response.submission_key == "paper:9001" and bus_response.channel == Channel.PAPER
    # Each team's pages are in that team's batch, and only there.
    by_team = {b.team.code: b for b in ScanBatch.objects.select_related("team")}
    assert set(by_team) == {"digital", "transport"}
    assert set(by_team["digital"].pages.values_list("sheet__serial", flat=True)) == {7001}
    assert set(by_team["transport"].pages.values_list("sheet__serial", flat=True)) == {9001}
    for batch in by_team.values():
        assert batch.status == "done" and batch.pages_done == batch.pages_total == batch.pages.count()


def test_with_team_the_other_teams_pages_are_reported_not_stored_for_them(tmp_path, team, survey, printed, bus):
    bus_layout, bus_pdf = bus
    path = save_tiff(tmp_path / "bus.tif", marked_pages(bus_layout, bus_pdf, 0, {"often": ["yes"]}))
    [row] = scan_json(path, team="digital")["pages"]
    assert row["status"] == "unreadable" and row["sheet"] is None
    assert row["reason"] == "This form belongs to another team's survey. Upload it under that team."
    assert not Response.objects.exists()


def test_a_file_refused_part_way_keeps_its_pages_and_its_refusal(tmp_path, team, clerk, survey, printed, monkeypatch):
    """The stored file is damaged between two pages (a full disk, a storage fault): the pages
    read are kept and listed, and so is the refusal of the rest."""
    from django.core.files import File

    from surveys.management.commands.scan import file_rows
    from surveys.paper import pagefiles
    from surveys.paper.scanning import accept_upload, process_batch

    monkeypatch.setattr(pagefiles, "PDF_REOPEN_EVERY", 1)  # the file is opened again for every page
    layout, pdf = printed
    path = tmp_path / "forms.pdf"
    path.write_bytes(pdf)
    with path.open("rb") as handle:
        upload = accept_upload(team=team, user=clerk, files=[File(handle, name="forms.pdf")])
    [stored] = upload.accepted

    def damage(_outcome):
        with open(stored.upload.path, "wb") as damaged:  # the same file, now garbage
            damaged.write(b"%PDF-1.4 torn")

    process_batch(upload.batch, on_page=damage)
    stored.refresh_from_db()
    assert stored.problem.startswith("The PDF is damaged")
    rows = file_rows(str(path), [stored])
    assert [(r["index"], r["sheet"], r["status"] in ("ok", "review")) for r in rows[:-1]] == [(1, 7001, True)]
    assert rows[-1] == {"source": str(path), "index": None, "sheet": None, "page": None, "status": "unreadable",
                        "answers": {}, "review": [], "reason": stored.problem}


def test_the_printed_pdf_itself_reads_as_blank_forms(tmp_path, survey, printed):
    layout, pdf = printed
    path = tmp_path / "blank.pdf"
    path.write_bytes(pdf)
    output = scan_json(path)
    pages = len(layout["pages"])
    assert [(r["index"], r["sheet"], r["page"]) for r in output["pages"]] == [
        (n, 7001 + (n - 1) // pages, (n - 1) % pages + 1) for n in range(1, 2 * pages + 1)
    ]
    assert all(values == [] for row in output["pages"] for values in row["answers"].values())


def test_a_page_whose_code_cannot_be_read_waits_for_a_clerk_to_name_it(tmp_path, survey, printed):
    layout, pdf = printed
    [image] = marked_pages(layout, pdf, 0, MARKS)[:1]
    qr, scale = layout["pages"][0]["qr"], DPI / 72
    image[int(qr["y"] * scale) - 3:int((qr["y"] + qr["size"]) * scale) + 3,
          int(qr["x"] * scale) - 3:int((qr["x"] + qr["size"]) * scale) + 3] = 255
    [row] = scan_json(save_tiff(tmp_path / "torn.tif", [image]))["pages"]
    assert (row["status"], row["sheet"], row["review"]) == ("unreadable", None, [])
    assert row["reason"] == "The page's code (QR) cannot be read."
    assert ReviewItem.objects.get().kind == "page"
