"""Print -> render -> mark -> degrade -> read, with a fixed seed: the real layout and PDF, pages
marked the way residents mark them and scanned or photographed badly. Clear marks must come
back exactly; two marks and doubtful ones (a tick on a circle's edge, a stray dot) go to a
clerk; writing boxes with anything in them go to a clerk, empty ones are left blank; no
automatic answer may ever be wrong."""

from __future__ import annotations

import io
import itertools
from collections import defaultdict

import cv2
import numpy as np
import pytest

from surveys.paper import layout as L
from surveys.paper import locate, marks
from surveys.paper.layout import layout_survey
from surveys.paper.locate import QrPayload
from surveys.paper.marks import read_page
from surveys.paper.render import render_pdf
from surveys.paper.synthetic import (PHOTO, SCAN, WRITING_KINDS, degrade, draw_mark, draw_writing, layout_lookup,
                                     render_pdf_page, sample_spec)

SITE = "c1c1c1c1"
DPI = 150
SERIALS = [200001, 200002, 200003]
CLEAR = ("fill", "tick", "cross", "scribble")
PENCIL = ("pencil_fill", "pencil_tick", "pencil_cross")
DOUBTFUL = ("edge_tick", "dot")  # neither an answer nor nothing: a person must look


@pytest.fixture(scope="module")
def printed():
    layout = layout_survey(sample_spec(31, 4), languages=("zh-hans", "en"), serials=SERIALS, site=SITE)
    pdf = io.BytesIO()
    render_pdf(layout, pdf)
    return layout.as_json(), pdf.getvalue()


def plan_marks(page: dict, kinds: dict[str, str], rng: np.random.Generator, turn) -> dict[str, tuple[str, list, list]]:
    """Per choice question: (what the resident did, values marked, mark kinds)."""
    by_q = defaultdict(list)
    for b in page["bubbles"]:
        by_q[b["question"]].append(b)
    plan = {}
    for key, bubbles in by_q.items():
        what = ["clear", "two", "blank", "clear", "pencil", "doubtful", "clear", "two"][next(turn) % 8]
        if what == "two" and kinds[key] == "multiple":
            what = "clear"
        count = {"blank": 0, "two": 2, "doubtful": 1}.get(what, 1 if kinds[key] != "multiple" else 2)
        chosen = [bubbles[i] for i in sorted(rng.choice(len(bubbles), count, replace=False))]
        pool = {"pencil": PENCIL, "doubtful": DOUBTFUL}.get(what, CLEAR)
        plan[key] = (what, chosen, [pool[int(rng.integers(len(pool)))] for _ in chosen])
    return plan


def write_boxes(img, page: dict, dpi: int, rng: np.random.Generator, turn) -> set[str]:
    """Writing in every other box (a word, a digit, a stroke or a dot, pen or pencil): the keys written."""
    written = set()
    for box in page["boxes"]:
        if next(turn) % 2:
            draw_writing(img, box, WRITING_KINDS[int(rng.integers(len(WRITING_KINDS)))], dpi, rng)
            written.add(box["question"])
    return written


def check_page(result, page: dict, plan: dict, where: str, seen: dict, written: set[str] = frozenset()) -> None:
    """Every decided answer exactly what was marked; two marks and doubtful ones held; written
    boxes held, empty ones neither held nor among the (choice) answers."""
    holds = {h.question_key: h for h in result.holds}
    for key, (what, bubbles, mark_kinds) in plan.items():
        want = [b["value"] for b in bubbles]
        seen[what] += 1
        if key in result.answers:  # decided automatically: must be exactly what was marked
            assert what not in ("two", "doubtful"), f"{where}: {key} {what} {mark_kinds} decided {result.answers[key]}"
            assert result.answers[key] == want, f"{where}: {key} {mark_kinds} read {result.darkness[key]}"
        else:
            hold = holds[key]
            assert hold.kind == "choice" and hold.crop.size > 0
            assert what in ("two", "pencil", "doubtful"), f"{where}: {key} {what} {mark_kinds} held: {hold.machine_read}"
            if what == "two":
                assert str(hold.reason) == "two marks"
            if what == "doubtful":
                assert str(hold.reason) == "unsure mark", f"{where}: {key} {mark_kinds}"
    texts = {q["key"] for q in page["questions"] if q["kind"] in marks.TEXT_KINDS}
    assert {k for k, h in holds.items() if h.kind == "text"} == written & texts, where
    assert not texts & set(result.answers), where
    seen["written"] += len(written & texts)
    seen["empty box"] += len(texts - written)
    assert result.status == ("review" if result.holds else "ok")


def test_print_mark_degrade_read(printed):
    layout, pdf = printed
    layout_for = layout_lookup({(SITE, 31, 4): layout})
    kinds = {q["key"]: q["kind"] for page in layout["pages"] for q in page["questions"]}
    n_pages = len(layout["pages"])
    rng = np.random.default_rng(20261124)
    seen = defaultdict(int)
    turn = itertools.count()
    for index in range(len(SERIALS) * n_pages):
        serial, page_no = SERIALS[index // n_pages], 1 + index % n_pages
        page = layout["pages"][page_no - 1]
        img = render_pdf_page(pdf, index, DPI)
        plan = plan_marks(page, kinds, rng, turn)
        for _what, bubbles, mark_kinds in plan.values():
            for bubble, kind in zip(bubbles, mark_kinds, strict=True):
                draw_mark(img, bubble, kind, DPI, rng)
        written = write_boxes(img, page, DPI, rng, turn)
        profile = PHOTO if index % 3 == 2 else SCAN
        img = degrade(img, rng, profile, upside_down=index == 1)
        result = read_page(img, layout_for, site=SITE)

        where = f"sheet {serial} page {page_no} ({profile.name})"
        assert result.payload == QrPayload(SITE, 31, 4, serial, page_no), where
        assert result.upside_down == (index == 1), where
        check_page(result, page, plan, where, seen, written)
    assert min(seen[w] for w in ("clear", "blank", "pencil", "two", "doubtful", "written", "empty box")) >= 2, seen  # every case was exercised


def test_degraded_pages_at_300_dpi_read_the_same(printed):
    """Fine scans are reduced before reading: marks, doubts and two marks come out the same."""
    layout, pdf = printed
    kinds = {q["key"]: q["kind"] for page in layout["pages"] for q in page["questions"]}
    layout_for = layout_lookup({(SITE, 31, 4): layout})
    rng = np.random.default_rng(300)
    turn = itertools.cycle([0, 1, 5, 2, 0])  # clear, two, doubtful, blank, clear
    seen = defaultdict(int)
    for index, page in enumerate(layout["pages"][:2]):
        img = render_pdf_page(pdf, index, 300)
        plan = plan_marks(page, kinds, rng, turn)
        for _what, bubbles, mark_kinds in plan.values():
            for bubble, kind in zip(bubbles, mark_kinds, strict=True):
                draw_mark(img, bubble, kind, 300, rng)
        img = degrade(img, rng, SCAN, upside_down=index == 1)
        assert min(img.shape) > 2400  # still a 300 dpi picture when it reaches the reader
        result = read_page(img, layout_for, site=SITE)
        assert result.payload == QrPayload(SITE, 31, 4, SERIALS[0], index + 1)
        check_page(result, page, plan, f"page {index + 1} at 300 dpi", seen)
    assert all(seen[what] for what in ("clear", "two", "doubtful", "blank")), seen


def test_the_reader_looks_for_the_qr_code_where_the_layout_prints_it():
    box = L.qr_box()
    assert (box["x"], box["y"], box["size"]) == pytest.approx(locate.QR_EXPECTED, abs=0.01)


def test_the_reader_and_the_layout_agree_on_the_markers(printed):
    layout, _ = printed
    expected = locate.marker_corners()
    for page in layout["pages"]:
        for marker in page["markers"]:
            assert np.allclose(marker["corners"], expected[marker["id"]], atol=0.02)


def test_a_printed_page_reads_clean_at_300_dpi(printed):
    layout, pdf = printed
    img = render_pdf_page(pdf, 0, 300)
    result = read_page(img, layout_lookup({(SITE, 31, 4): layout}))
    assert result.payload == QrPayload(SITE, 31, 4, SERIALS[0], 1)
    assert all(v == [] for v in result.answers.values())
    assert result.holds == [] and result.status == "ok"  # nothing marked, nothing written
    assert cv2.countNonZero(255 - result.straightened) > 0
