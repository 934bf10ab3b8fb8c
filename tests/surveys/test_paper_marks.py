"""The mark reader alone (pure: no database): QR payloads, markers, orientation, decisions per
question kind, and the refusals of bad files."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from surveys.paper import locate, marks, pagefiles
from surveys.paper.locate import QrPayload, parse_qr
from surveys.paper.marks import read_page
from surveys.paper.pagefiles import ScanFileError, iter_image_pages, iter_pdf_pages
from surveys.paper.synthetic import PHOTO, SCAN, degrade, demo_layout, draw_mark, draw_page, draw_writing, layout_lookup

SITE = "0badc0de"
DPI = 150


@pytest.fixture(scope="module")
def layout():
    return demo_layout(site=SITE, survey=7, version=3, serials=[1001])


@pytest.fixture(scope="module")
def layout_for(layout):
    return layout_lookup({(SITE, 7, 3): layout})


def payload(page=1, site=SITE, survey=7, version=3, serial=1001):
    return QrPayload(site, survey, version, serial, page)


def bubble(layout, key, value, page=1):
    return next(b for b in layout["pages"][page - 1]["bubbles"] if b["question"] == key and b["value"] == value)


def kinds(layout, page=1):
    return {q["key"]: q["kind"] for q in layout["questions"] if q["page"] == page}


def marked_page(layout, marks_by_bubble, page=1, seed=0):
    img = draw_page(layout, payload(page), DPI)
    rng = np.random.default_rng(seed)
    for (key, value), kind in marks_by_bubble.items():
        draw_mark(img, bubble(layout, key, value, page), kind, DPI, rng)
    return img


def blot_marker(img, marker_id):
    """Paint a corner marker white, as if torn off or folded away."""
    ppt = DPI / 72
    corners = locate.marker_corners()[marker_id] * ppt
    x0, y0 = corners.min(axis=0).astype(int) - 4
    x1, y1 = corners.max(axis=0).astype(int) + 4
    img[y0:y1, x0:x1] = 255


# -- QR payload ---------------------------------------------------------------------------------


def test_payload_round_trips_through_its_text():
    p = QrPayload("0badc0de", 12, 4, 1000123, 2)
    assert p.text() == "CL1|0badc0de|12|4|1000123|2"
    assert parse_qr(p.text()) == p


@pytest.mark.parametrize("text", [
    None, "", "hello", "CL2|0badc0de|12|4|1000123|2", "CL1|0BADC0DE|12|4|1000123|2",
    "CL1|0badc0|12|4|1000123|2", "CL1|0badc0de|12|4|1000123", "CL1|0badc0de|12|4|1000123|2|9",
    "CL1|0badc0de|x|4|1000123|2", "CL1|0badc0de|12|4|1000123|0", "https://example.org/?CL1|0badc0de|1|1|1|1",
])
def test_anything_else_is_not_a_payload(text):
    assert parse_qr(text) is None


# -- reading a page -----------------------------------------------------------------------------


def test_clean_page_reads_every_clear_mark(layout, layout_for):
    k = kinds(layout)
    single = next(key for key, kind in k.items() if kind == "single")
    multiple = next(key for key, kind in k.items() if kind == "multiple")
    img = marked_page(layout, {(single, "c2"): "fill", (multiple, "c1"): "tick", (multiple, "c3"): "cross"})
    result = read_page(img, layout_for)
    assert result.status == "ok"  # nothing written in the writing box: nothing for a clerk
    assert result.payload == payload()
    assert result.answers[single] == ["c2"]
    assert result.answers[multiple] == ["c1", "c3"]
    blank = [key for key, kind in k.items() if kind not in marks.TEXT_KINDS and key not in (single, multiple)]
    assert all(result.answers[key] == [] for key in blank)
    assert result.holds == []
    assert not any(key in result.answers for key, kind in k.items() if kind in marks.TEXT_KINDS)
    assert result.straightened.shape == (round(locate.PAGE_H * 2), round(locate.PAGE_W * 2))


def text_boxes(layout, page=1):
    texts = {key for key, kind in kinds(layout, page).items() if kind in marks.TEXT_KINDS}
    return [b for b in layout["boxes"] if b["question"] in texts]


@pytest.mark.parametrize("profile,dpi,seed", [(SCAN, 200, 1), (SCAN, 300, 2), (PHOTO, 150, 3), (PHOTO, 150, 4),
                                              (PHOTO, 200, 5), (PHOTO, 200, 6)])
def test_an_empty_writing_box_is_left_blank_on_degraded_pages(layout, layout_for, profile, dpi, seed):
    boxes = text_boxes(layout)
    assert boxes
    rng = np.random.default_rng(seed)
    result = read_page(degrade(draw_page(layout, payload(), dpi), rng, profile), layout_for)
    assert result.payload == payload()
    assert [h.question_key for h in result.holds if h.kind == "text"] == []
    for box in boxes:
        assert box["question"] not in result.answers  # `answers` is for choice questions
        assert marks.box_ink(result.straightened, box) <= marks.BOX_BLANK / 5


@pytest.mark.parametrize("kind", ["pencil_stroke", "pencil_digit", "pencil_word", "dot", "stroke", "digit", "word"])
@pytest.mark.parametrize("profile,seed", [(SCAN, 11), (PHOTO, 12), (PHOTO, 13)])
def test_any_writing_in_a_box_is_held_for_a_clerk(layout, layout_for, kind, profile, seed):
    boxes = text_boxes(layout)
    rng = np.random.default_rng(seed)
    img = draw_page(layout, payload(), DPI)
    draw_writing(img, boxes[0], kind, DPI, rng)
    result = read_page(degrade(img, rng, profile), layout_for)
    held = {h.question_key: h for h in result.holds if h.kind == "text"}
    assert set(held) == {boxes[0]["question"]}, f"{kind}: {[marks.box_ink(result.straightened, b) for b in boxes]}"
    hold = held[boxes[0]["question"]]
    assert str(hold.reason) == "writing to type" and hold.crop.shape[0] > 50
    assert hold.machine_read["ink"] > marks.BOX_BLANK
    assert result.status == "review"


def test_a_stroke_as_faint_as_the_faintest_pencil_is_held(layout, layout_for):
    """A 0.5 pt line of grey 175 on a dark, noisy photo at 150 dpi: the faintest writing measured."""
    box = text_boxes(layout)[0]
    img = draw_page(layout, payload(), DPI)
    ppt = DPI / 72
    x, y = box["x"] + 40, box["y"] + box["h"] / 2
    cv2.line(img, (int(x * ppt), int(y * ppt)), (int((x + 6) * ppt), int((y - 5) * ppt)), 175, 1, cv2.LINE_AA)
    faint = PHOTO.__class__(**{**PHOTO.__dict__, "blur": (1.6, 1.6), "noise": (9.0, 9.0), "jpeg": (50, 50),
                               "shadow": (0.5, 0.5), "paper": (190, 190)})
    result = read_page(degrade(img, np.random.default_rng(10), faint), layout_for)
    assert result.payload == payload()  # on most such pages the QR cannot be read at all
    assert marks.box_ink(result.straightened, box) > 5 * marks.BOX_BLANK
    assert [h.question_key for h in result.holds if h.kind == "text"] == [box["question"]]


def test_two_marks_in_a_one_answer_question_are_held_not_guessed(layout, layout_for):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = marked_page(layout, {(single, "c1"): "fill", (single, "c3"): "cross"})
    result = read_page(img, layout_for)
    hold = next(h for h in result.holds if h.question_key == single)
    assert single not in result.answers
    assert (hold.kind, str(hold.reason)) == ("choice", "two marks")
    assert hold.machine_read["guess"] == ["c1", "c3"]
    assert hold.machine_read["darkness"]["c1"] > marks.HIGH
    assert hold.crop.shape[1] > hold.crop.shape[0] > 40


def test_a_stray_dot_is_unsure_not_a_mark_nor_blank(layout, layout_for):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = marked_page(layout, {(single, "c2"): "dot"})
    result = read_page(img, layout_for)
    hold = next(h for h in result.holds if h.question_key == single)
    assert str(hold.reason) == "unsure mark"
    assert marks.LOW < hold.machine_read["darkness"]["c2"] < marks.HIGH


@pytest.mark.parametrize("seed", range(6))
def test_light_pencil_is_read_or_held_never_blank(layout, layout_for, seed):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    kind = ("pencil_tick", "pencil_cross", "pencil_fill")[seed % 3]
    img = marked_page(layout, {(single, "c2"): kind}, seed=seed)
    img = degrade(img, np.random.default_rng(seed), SCAN)
    result = read_page(img, layout_for)
    held = {h.question_key for h in result.holds}
    assert result.answers.get(single) == ["c2"] or single in held


def test_upside_down_page_reads_the_same(layout, layout_for):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = marked_page(layout, {(single, "c3"): "fill"})
    result = read_page(cv2.rotate(img, cv2.ROTATE_180), layout_for)
    assert result.upside_down
    assert result.payload == payload()
    assert result.answers[single] == ["c3"]


@pytest.mark.parametrize("missing", [0, 1, 2, 3])
def test_three_markers_are_enough(layout, layout_for, missing):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = marked_page(layout, {(single, "c1"): "cross"})
    blot_marker(img, missing)
    img = degrade(img, np.random.default_rng(missing), SCAN, upside_down=False)
    result = read_page(img, layout_for)
    assert result.markers_found == 3
    assert result.answers[single] == ["c1"]


def test_two_markers_are_too_few_and_say_so(layout, layout_for):
    img = draw_page(layout, payload(), DPI)
    blot_marker(img, 1)
    blot_marker(img, 3)
    result = read_page(img, layout_for)
    assert result.status == "unreadable"
    assert str(result.reason) == "too few corner markers (found 2 of 4)"
    assert result.reason.template == "too few corner markers (found %(found)d of 4)"
    assert result.payload == payload()  # the code is still read, so the clerk knows which sheet


def test_no_markers_at_all_is_unreadable_with_the_reason(layout_for):
    blank = np.full((1754, 1240), 250, np.uint8)
    result = read_page(blank, layout_for)
    assert (result.status, str(result.reason)) == ("unreadable", "too few corner markers (found 0 of 4)")
    assert result.payload is None and result.answers == {} and result.holds == []


def test_a_page_from_another_city_is_refused(layout):
    img = draw_page(layout, payload(site="feedface"), DPI)
    result = read_page(img, lambda p: layout)  # even if a lookup hands back a layout
    assert (result.status, str(result.reason)) == ("unreadable", "a page from another city's survey")
    result = read_page(img, lambda p: None, site=SITE)
    assert str(result.reason) == "a page from another city's survey"


def test_an_unknown_survey_version_is_reported(layout, layout_for):
    img = draw_page(layout, payload(version=9), DPI)
    result = read_page(img, layout_for)
    assert (result.status, str(result.reason)) == ("unreadable", "survey 7 version 9 is not known here")
    assert result.payload.version == 9


def test_a_page_beyond_the_layout_is_reported(layout):
    img = draw_page(layout, payload(), DPI)
    one_page = {**layout, "pages": [dict(layout["pages"][1], page=2)]}
    result = read_page(img, lambda p: one_page)
    assert str(result.reason) == "the survey has no page 1"


def test_garbage_images_never_raise(layout_for):
    for img in (np.zeros((0, 0), np.uint8), np.zeros((10, 10), np.uint8),
                np.random.default_rng(0).integers(0, 255, (800, 600), dtype=np.uint8)):
        assert read_page(img, layout_for).status == "unreadable"


# -- files --------------------------------------------------------------------------------------


def pdf_bytes(pages=2, encrypt=None):
    from reportlab.pdfgen.canvas import Canvas

    out = io.BytesIO()
    canvas = Canvas(out, pagesize=(595.28, 841.89), encrypt=encrypt)
    for n in range(pages):
        canvas.drawString(100, 700, f"page {n + 1}")
        canvas.showPage()
    canvas.save()
    return out.getvalue()


def test_pdf_pages_stream_one_by_one():
    pages = iter_pdf_pages(pdf_bytes(3), dpi=72)
    first = next(pages)
    assert first.dtype == np.uint8 and abs(first.shape[0] - 842) <= 1 and abs(first.shape[1] - 595) <= 1
    assert len(list(pages)) == 2


@pytest.mark.parametrize(("data", "message"), [
    (b"", "the file is empty"),
    (b"hello, not a pdf", "the file is not a PDF"),
    (b"%PDF-1.4\n garbage garbage", "the PDF is damaged and cannot be read"),
])
def test_bad_pdfs_are_refused_with_a_sentence(data, message):
    with pytest.raises(ScanFileError, match=message):
        next(iter_pdf_pages(data))


def test_encrypted_pdf_is_refused():
    with pytest.raises(ScanFileError, match="encrypted"):
        next(iter_pdf_pages(pdf_bytes(1, encrypt="secret")))


def test_too_many_pages_refuse_the_file_before_reading_any(monkeypatch):
    monkeypatch.setattr(pagefiles, "MAX_PAGES_PER_FILE", 2)
    with pytest.raises(ScanFileError) as caught:
        next(iter_pdf_pages(pdf_bytes(3)))
    assert str(caught.value) == "the PDF has 3 pages; at most 2 pages per file are read, split it into smaller files"


def test_empty_file_on_disk_is_refused(tmp_path):
    path = tmp_path / "scan.pdf"
    path.write_bytes(b"")
    with pytest.raises(ScanFileError, match="the file is empty"):
        next(iter_pdf_pages(path))


def test_multi_page_tiff_gives_each_page():
    frames = [Image.new("L", (300, 400), value) for value in (10, 200)]
    out = io.BytesIO()
    frames[0].save(out, format="TIFF", save_all=True, append_images=frames[1:])
    pages = list(iter_image_pages(out.getvalue()))
    assert [int(p[0, 0]) for p in pages] == [10, 200]


def test_non_image_is_refused():
    with pytest.raises(ScanFileError, match="not a PDF, TIFF, PNG or JPEG"):
        next(iter_image_pages(b"GIF89a" + b"\0" * 100))
    with pytest.raises(ScanFileError, match="not a PDF, TIFF, PNG or JPEG"):
        next(iter_image_pages(b"just some text"))


def test_decompression_bomb_is_refused_before_decoding():
    out = io.BytesIO()
    Image.new("1", (10_000, 9_000), 1).save(out, format="PNG")  # 90 MP in a few kB
    assert len(out.getvalue()) < 100_000
    with pytest.raises(ScanFileError, match="too large to be a scanned page"):
        next(iter_image_pages(out.getvalue()))


def test_large_jpeg_is_decoded_reduced():
    out = io.BytesIO()
    Image.new("L", (2480, 3508), 255).save(out, format="JPEG")
    (page,) = iter_image_pages(out.getvalue(), min_side=1700)
    assert 1754 <= page.shape[0] < 3508


def test_scanned_pdf_pages_are_read_from_their_jpeg_at_the_asked_resolution():
    out = io.BytesIO()
    scan = Image.new("L", (2480, 3508), 230)  # an A4 page scanned at 300 dpi
    scan.save(out, format="PDF", save_all=True, append_images=[scan], resolution=300)
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(out.getvalue())
    assert pagefiles._scanned_jpeg(document[0], pdfium)[:2] == b"\xff\xd8"  # the fast path, not PDFium drawing
    document.close()
    pages = list(iter_pdf_pages(out.getvalue(), dpi=150))
    assert len(pages) == 2
    assert pages[0].shape == (1754, 1240)  # decoded at half size by DCT scaling
    assert int(pages[0][100, 100]) == 230


def test_a_page_that_does_not_match_its_layout_is_not_read(layout, layout_for):
    img = draw_page(layout, payload(), DPI)
    moved = {**layout, "pages": [dict(p, bubbles=[dict(b, y=b["y"] + 6) for b in p["bubbles"]])
                                 for p in layout["pages"]]}
    result = read_page(img, lambda p: moved)
    assert (result.status, str(result.reason)) == ("unreadable", "the page does not line up with its printed layout")


def test_a_bubble_off_its_printed_circle_is_held(layout, layout_for):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = draw_page(layout, payload(), DPI)
    moved = {**layout, "pages": [dict(p, bubbles=[dict(b, x=b["x"] + 4) if b["question"] == single else b
                                                  for b in p["bubbles"]]) for p in layout["pages"]]}
    result = read_page(img, lambda p: moved)
    hold = next(h for h in result.holds if h.question_key == single)
    assert str(hold.reason) == "the page does not line up here"


@pytest.mark.parametrize("angle", [-10.0, 10.0, 90.0])
def test_rotated_pages_read_the_same(layout, layout_for, angle):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = marked_page(layout, {(single, "c4"): "tick"})
    img = degrade(img, np.random.default_rng(int(angle) + 100), SCAN, upside_down=False, rotate=angle)
    result = read_page(img, layout_for)
    assert result.payload == payload()
    assert result.answers[single] == ["c4"]


def test_colour_and_odd_images_are_read_or_refused_never_raise(layout, layout_for):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    grey = marked_page(layout, {(single, "c1"): "fill"})
    colour = cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR)
    assert read_page(colour, layout_for).answers[single] == ["c1"]
    assert read_page(np.zeros((100, 100, 2), np.uint8), layout_for).status == "unreadable"


@pytest.mark.parametrize("seed", range(3))
def test_a_small_tick_on_the_edge_is_held_not_read_as_blank(layout, layout_for, seed):
    single = next(key for key, kind in kinds(layout).items() if kind == "single")
    img = marked_page(layout, {(single, "c3"): "edge_tick"}, seed=seed)
    result = read_page(img, layout_for)
    assert single not in result.answers
    assert str(next(h for h in result.holds if h.question_key == single).reason) == "unsure mark"


def test_long_pdfs_are_read_through_a_reopened_document(monkeypatch):
    monkeypatch.setattr(pagefiles, "PDF_REOPEN_EVERY", 2)
    assert len(list(iter_pdf_pages(pdf_bytes(5), dpi=36))) == 5
