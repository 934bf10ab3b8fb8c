"""The paper layout, pure: sizes, no overlaps, nothing on the markers or the QR code, questions
never split, and the PDF drawn exactly where the layout says (checked on rendered pixels)."""

from __future__ import annotations

import io
import itertools

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest

from surveys.paper import layout as L
from surveys.paper.layout import LayoutError, layout_survey, site_code
from surveys.paper.render import render_pdf
from surveys.paper.typesetting import wrap

SITE = "abcd1234"


def pair(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def choice(value: str, zh: str, en: str, **extra) -> dict:
    return {"value": value, "label": pair(zh, en), **extra}


def sample_spec(communities: int = 12) -> dict:
    """One question of every kind, the way surveys.paper.spec makes them."""
    groups = [choice(f"c{d}{i}", f"第{i}社区", f"Community {i}", group=pair(f"{d}区", f"District {d}"))
              for d in "AB" for i in range(communities // 2)]
    one = [pair("选一项。", "Choose one.")]
    return {
        "survey": 7, "version": 2, "slug": "door-access",
        "title": pair("社区新门禁需求调查", "Community door access needs"),
        "intro": pair("我们想知道新的门禁系统对您是否方便。", "Tell us whether the new door system works for you."),
        "instructions": [pair("填写说明", "How to answer"),
                         pair("请用深色笔把答案前的圆圈涂满，打勾或打叉也可以。", "Fill in the circle. A tick or a cross counts too.")],
        "strings": {"page": pair("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
                    "turn": pair("请翻到下一页", "Please turn over."), "end": pair("谢谢！", "Thank you!")},
        "questions": [
            {"key": "age", "kind": "age_band", "text": pair("您的年龄段是？", "Your age band?"), "hints": one,
             "choices": [choice(c, c, c) for c in ["18-29", "30-44", "45-59", "60-69", "70+"]]
             + [choice("prefer_not_to_say", "不想回答", "Prefer not to say")]},
            {"key": "community", "kind": "community", "text": pair("您住在哪个社区？", "Which community?"), "hints": one,
             "choices": groups},
            {"key": "uses_phone", "kind": "yes_no", "text": pair("您平时用智能手机吗？", "Do you use a smartphone?"),
             "hints": [], "choices": [choice("yes", "是", "Yes"), choice("no", "否", "No")]},
            {"key": "entry", "kind": "single", "hints": one,
             "text": pair("您现在怎样进出小区大门？如果有好几种方式，请选您最常用的那一种。",
                          "How do you get through the gate now? If you use several ways, choose the one you use most."),
             "choices": [choice("card", "门禁卡", "Key card"), choice("face", "刷脸", "Face recognition")]},
            {"key": "problems", "kind": "multiple", "text": pair("遇到过哪些困难？", "Which problems have you had?"),
             "hints": [pair("可多选。", "Tick all that apply.")],
             "choices": [choice("slow", "识别太慢", "Too slow"), choice("glasses", "戴眼镜认不出", "Fails with glasses")]},
            {"key": "ease", "kind": "scale", "text": pair("新门禁好用吗？", "How easy is the new door?"), "hints": one,
             "choices": [{"value": str(i), "label": pair(str(i), str(i)),
                          **({"point_label": pair("很难用", "Very hard")} if i == 1 else
                             {"point_label": pair("很好用", "Very easy")} if i == 5 else {})} for i in range(1, 6)]},
            {"key": "trips", "kind": "number", "text": pair("您每天进出几次？", "Times a day?"), "hints": [], "choices": []},
            {"key": "app_name", "kind": "short_text", "text": pair("用哪个应用？", "Which app?"), "hints": [], "choices": []},
            {"key": "story", "kind": "long_text", "text": pair("还有什么想说的？", "Anything else?"), "hints": [], "choices": []},
        ],
    }


@pytest.fixture(scope="module")
def layout():
    return layout_survey(sample_spec(), languages=("zh-hans", "en"), serials=[100001, 100002], site=SITE)


def rects(page: dict) -> list[tuple[str, float, float, float, float]]:
    """Everything drawn on a page as (what, left, top, right, bottom)."""
    out = [("text:" + t["text"], t["x"], t["y"], t["x"] + t["w"], t["y"] + t["h"]) for t in page["texts"]]
    out += [(f"bubble:{b['question']}={b['value']}", b["x"] - b["r"], b["y"] - b["r"], b["x"] + b["r"], b["y"] + b["r"])
            for b in page["bubbles"]]
    out += [(f"box:{b['question']}", b["x"], b["y"], b["x"] + b["w"], b["y"] + b["h"]) for b in page["boxes"]]
    serial = page["serial"]  # drawn per sheet: room for a ten-digit serial
    out.append(("serial", serial["x"], serial["y"], serial["x"] + 130, serial["y"] + serial["size"] * 1.15))
    return out


def overlaps(a, b) -> bool:
    return a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]


def reserved(page: dict) -> list[tuple[str, float, float, float, float]]:
    """Markers with a module of quiet zone, the QR code with four."""
    out = []
    for marker in page["markers"]:
        (x0, y0), _, (x1, y1), _ = marker["corners"]
        q = L.MARKER_MODULE
        out.append((f"marker {marker['id']}", x0 - q, y0 - q, x1 + q, y1 + q))
    qr = page["qr"]
    out.append(("qr", qr["x"] - L.QR_QUIET, qr["y"] - L.QR_QUIET, qr["x"] + qr["size"] + L.QR_QUIET,
                qr["y"] + qr["size"] + L.QR_QUIET))
    return out


def test_json_has_the_issues_shape(layout):
    data = layout.as_json()
    assert data["page_size_pt"] == [595.28, 841.89]
    assert data["sheets"] == [100001, 100002]
    assert [p["page"] for p in data["pages"]] == list(range(1, len(data["pages"]) + 1))
    bubble = data["pages"][0]["bubbles"][0]
    assert set(bubble) == {"question", "value", "x", "y", "r"}
    assert {"markers", "qr", "boxes", "questions"} <= set(data["pages"][0])
    assert "sheets" not in layout.as_json(with_sheets=False)


def test_sizes_are_large_enough(layout):
    for page in layout.pages:
        assert all(b["r"] >= 2.5 * L.MM for b in page["bubbles"])  # a 5 mm circle at least
        assert all(t["size"] >= 14 for t in page["texts"])
        for question in page["questions"]:
            first = next(t for t in page["texts"] if t["y"] >= question["y"] and t["x"] > question["x"] + 10)
            assert first["size"] >= 16


@pytest.mark.parametrize("languages", [("zh-hans", "en"), ("en", "zh-hans"), ("zh-hans",), ("en",)])
def test_every_line_of_question_text_is_at_least_16_pt_in_every_language(languages):
    spec = sample_spec()
    layout = layout_survey(spec, languages=languages, serials=[100001], site=SITE)
    for question in spec["questions"]:
        page = next(p for p in layout.pages if any(q["key"] == question["key"] for q in p["questions"]))
        region = next(q for q in page["questions"] if q["key"] == question["key"])
        inside = [t for t in page["texts"] if region["y"] <= t["y"] < region["y"] + region["h"]]
        for language in languages:
            text = question["text"][language]
            lines = [t for t in inside if t["text"].strip() and t["text"].strip() in text]
            # Every piece of the wrapped text is found (so none is missed), and each is large.
            assert "".join(t["text"] for t in lines).replace(" ", "") == text.replace(" ", ""), (question["key"], language)
            assert min(t["size"] for t in lines) >= 16, (question["key"], language, [t["size"] for t in lines])


def test_nothing_overlaps_and_everything_is_inside_the_margins(layout):
    for page in layout.pages:
        drawn = rects(page)
        for a, b in itertools.combinations(drawn, 2):
            assert not overlaps(a, b), f"page {page['page']}: {a[0]} overlaps {b[0]}"
        for item in drawn:
            assert L.MARGIN_X - 0.01 <= item[1] and item[3] <= L.PAGE_W - L.MARGIN_X + 0.01, item
            assert 0 < item[2] and item[4] < L.PAGE_H, item
            for zone in reserved(page):
                assert not overlaps(item, zone), f"page {page['page']}: {item[0]} is on the {zone[0]}"


def test_answers_stay_inside_the_content_area(layout):
    for page in layout.pages:
        for item in rects(page):
            if item[0].startswith(("bubble", "box")):
                assert L.CONTENT_TOP <= item[2] and item[4] <= L.CONTENT_BOTTOM


def test_a_question_is_never_split_across_pages(layout):
    seen: dict[str, int] = {}
    for page in layout.pages:
        for item in page["bubbles"] + page["boxes"]:
            assert seen.setdefault(item["question"], page["page"]) == page["page"]
            region = next(q for q in page["questions"] if q["key"] == item["question"])
            assert region["y"] <= item["y"] <= region["y"] + region["h"]
    assert set(seen) == {q["key"] for q in sample_spec()["questions"]}


def test_every_page_has_four_markers_and_a_qr_code(layout):
    for page in layout.pages:
        assert [m["id"] for m in page["markers"]] == [0, 1, 2, 3]
        tl = page["markers"][0]["corners"][0]
        br = page["markers"][2]["corners"][2]
        assert tl == [pytest.approx(28.35, abs=0.01)] * 2
        assert br == [pytest.approx(595.28 - 28.35, abs=0.01), pytest.approx(841.89 - 28.35, abs=0.01)]
        assert page["qr"]["size"] == pytest.approx(22 * L.MM, abs=0.01)


def test_long_lists_go_into_columns_grouped_by_district(layout):
    page = next(p for p in layout.pages if any(b["question"] == "community" for b in p["bubbles"]))
    xs = {b["x"] for b in page["bubbles"] if b["question"] == "community"}
    assert len(xs) >= 2
    texts = [t["text"] for t in page["texts"]]
    assert "A区" in texts and "District B" in texts


def test_yes_no_and_scale_are_one_row(layout):
    bubbles = [b for p in layout.pages for b in p["bubbles"]]
    for key, count in (("uses_phone", 2), ("ease", 5)):
        row = [b for b in bubbles if b["question"] == key]
        assert len(row) == count and len({b["y"] for b in row}) == 1


def test_one_language_prints_only_that_language():
    zh = layout_survey(sample_spec(), languages=("zh-hans",), site=SITE)
    en = layout_survey(sample_spec(), languages=("en",), site=SITE)
    zh_texts = {t["text"] for p in zh.pages for t in p["texts"]}
    en_texts = {t["text"] for p in en.pages for t in p["texts"]}
    assert "Your age band?" not in zh_texts and "您的年龄段是？" in zh_texts
    assert "Your age band?" in en_texts
    assert not [t for p in en.pages for t in p["texts"] if t["font"].startswith("cjk")]


def test_same_input_same_layout_and_same_pdf():
    spec = sample_spec()
    first = layout_survey(spec, languages=("zh-hans", "en"), serials=[5], site=SITE)
    assert layout_survey(spec, languages=("zh-hans", "en"), serials=[5], site=SITE).as_json() == first.as_json()
    a, b = io.BytesIO(), io.BytesIO()
    render_pdf(first, a)
    render_pdf(first.as_json(), b)
    assert a.getvalue() == b.getvalue()


def test_a_question_too_long_for_a_page_is_refused():
    spec = sample_spec()
    spec["questions"][1]["choices"] = [choice(f"c{i}", f"很长的社区名字第{i}号社区居民委员会", f"A long community name {i}")
                                       for i in range(200)]
    with pytest.raises(LayoutError, match="community"):
        layout_survey(spec, languages=("zh-hans", "en"), site=SITE)


def test_wrapping_keeps_punctuation_with_its_word():
    def measure(text, font, size):
        return len(text) * size

    lines = wrap("您平时用智能手机吗？我们想知道。", "cjk", 10, 90, measure)
    assert all(len(line) * 10 <= 100 for line in lines)
    assert not any(line.startswith(("？", "。")) for line in lines)
    assert "".join(lines) == "您平时用智能手机吗？我们想知道。"
    assert wrap("Tick all that apply", "latin", 10, 100, measure) == ["Tick all", "that apply"]


def test_site_code_is_eight_hex_of_the_secret():
    assert site_code("one secret") == site_code("one secret")
    assert site_code("one secret") != site_code("another secret")
    assert len(site_code("x")) == 8 and int(site_code("x"), 16) >= 0


# --- the PDF, rendered ---------------------------------------------------------------------

DPI = 100


def render_pages(layout, serials) -> list[np.ndarray]:
    buffer = io.BytesIO()
    render_pdf(layout, buffer, serials=serials)
    pdf = pdfium.PdfDocument(buffer.getvalue())
    return [np.asarray(pdf[i].render(scale=DPI / 72, grayscale=True).to_pil().convert("L")) for i in range(len(pdf))]


@pytest.fixture(scope="module")
def pages(layout):
    return render_pages(layout, [100001, 100002])


def test_pdf_holds_sheet_one_then_sheet_two(layout, pages):
    count = len(layout.pages)
    assert len(pages) == 2 * count
    detector = cv2.QRCodeDetector()
    payloads = [detector.detectAndDecode(image)[0] for image in pages]
    assert payloads == [f"CL1|{SITE}|7|2|{serial}|{p}" for serial in (100001, 100002) for p in range(1, count + 1)]


def test_bubbles_are_drawn_where_the_layout_says(layout, pages):
    s = DPI / 72
    for page, image in zip(layout.pages, pages):
        for bubble in page["bubbles"]:
            cx, cy, r = bubble["x"] * s, bubble["y"] * s, bubble["r"] * s
            assert image[round(cy), round(cx)] > 200, "nothing is printed inside a bubble"
            ring = [image[round(cy + r * np.sin(a)), round(cx + r * np.cos(a))] for a in np.linspace(0, 2 * np.pi, 16, endpoint=False)]
            assert np.mean(np.array(ring) < 160) >= 0.75, f"{bubble['question']}={bubble['value']}: no ring at r"
            inside = image[round(cy - r * 0.6):round(cy + r * 0.6), round(cx - r * 0.6):round(cx + r * 0.6)]
            assert inside.min() > 180


def test_markers_are_found_where_the_layout_says(layout, pages):
    detector = cv2.aruco.ArucoDetector(cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50))
    corners, ids, _ = detector.detectMarkers(pages[0])
    found = {int(i): c.reshape(4, 2) for i, c in zip(ids.ravel(), corners)}
    for marker in layout.pages[0]["markers"]:
        expected = np.array(marker["corners"]) * DPI / 72
        assert np.abs(found[marker["id"]] - expected).max() < 2.0


def test_every_sheet_has_the_same_geometry(layout, pages):
    """Two sheets' page 1 differ only inside the QR code and the printed serial."""
    count = len(layout.pages)
    a, b = pages[0].astype(int), pages[count].astype(int)
    s = DPI / 72
    mask = np.ones_like(a, dtype=bool)
    qr = layout.pages[0]["qr"]
    mask[int(qr["y"] * s) - 2:int((qr["y"] + qr["size"]) * s) + 3, int(qr["x"] * s) - 2:int((qr["x"] + qr["size"]) * s) + 3] = False
    serial = layout.pages[0]["serial"]
    mask[int(serial["y"] * s) - 2:int((serial["y"] + serial["size"] * 1.2) * s) + 2, int(serial["x"] * s):int((serial["x"] + 150) * s)] = False
    assert np.abs(a - b)[mask].max() == 0
    assert np.abs(a - b)[~mask].max() > 0
