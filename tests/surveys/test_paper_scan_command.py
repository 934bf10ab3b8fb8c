"""`manage.py scan`: real printed forms, marked and scanned, read back in-process; the --json
format exactly as the issue gives it; rescans reported as duplicates; bad files reported."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from surveys.models import Channel, Response
from surveys.paper.models import ReviewItem, Sheet
from tests.surveys.paper_scan_helpers import MARKS, marked_pages, pdf_pages, print_real, save_tiff

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
    path = save_tiff(tmp_path / "sheet1.tif", marked_pages(layout, pdf, 0, MARKS))
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
    assert {"trips", "app_name", "story"} <= held  # writing is typed by a clerk
    assert all(row["status"] == "review" for row in pages if row["review"])
    # The written answers wait for a clerk, so no response yet.
    assert output["responses"] == {"created": 0}
    for item in ReviewItem.objects.all():
        from surveys.paper.scanning import decide

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
    with pytest.raises(CommandError, match="--team CODE"):
        call_command("scan", str(path))
    with pytest.raises(CommandError, match="no team has the code 'nope'"):
        call_command("scan", str(path), "--team", "nope")


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
