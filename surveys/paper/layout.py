"""The one geometry of a printed form: where every marker, QR code, text line, bubble and
writing box sits on each A4 page.

The PDF renderer draws exactly this and the mark reader reads at exactly these coordinates,
so nothing is measured twice. Coordinates are PDF points from the page's top-left corner,
y growing downwards. Pure: plain data in (see `surveys.paper.spec`), plain data out; text is
measured by an injected function (reportlab's font metrics by default), so the layout decides
every line break and page break and the renderer never wraps anything.

Here: the page's measures and type sizes, each question's and the heading's block (choices in
rows and columns, scales, writing boxes), the page frame (markers, QR code, serial, page
number) and `layout_survey`, which puts the blocks on pages. Fonts, measuring and wrapping
text, and the `Block` the blocks are built in, are in surveys.paper.typesetting.

Every sheet has the same geometry; only its QR code and printed serial differ.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from surveys.paper.typesetting import Block, Measure, Writer, font_for, in_languages, place, reportlab_measure, wrap

MM = 72 / 25.4
PAGE_W, PAGE_H = 595.28, 841.89

# ArUco DICT_4X4_50 markers: ids 0..3 clockwise from the top-left, 14 mm square, outer corner
# 10 mm from the page edges. A marker is 6 modules wide (4 data bits and a black border).
MARKER_SIZE = round(14 * MM, 2)
MARKER_OFFSET = round(10 * MM, 2)
MARKER_MODULE = MARKER_SIZE / 6
QR_SIZE = round(22 * MM, 2)
QR_QUIET = 4 * QR_SIZE / 29  # the standard 4-module quiet zone (version 3 has 29 modules)

MARGIN_X = round(15 * MM, 2)
CONTENT_TOP = round(MARKER_OFFSET + QR_SIZE + QR_QUIET + 8, 2)
CONTENT_BOTTOM = round(PAGE_H - MARKER_OFFSET - MARKER_SIZE - MARKER_MODULE - 10, 2)

BUBBLE_R = 8.5  # 3 mm: a 6 mm circle, above the 5 mm the issue asks for
QUESTION_PT = 17  # first language; the issue asks for at least 16
QUESTION_SECOND_PT = 16  # the question in the second language: grey, and still at least 16
HINT_PT = 14.5  # hints ("choose one") in both languages: smaller and grey, never below 14
CHOICE_PT = 15
CHOICE_SECOND_PT = 14
QUESTION_GAP = 24  # between questions
ROW_GAP = 8  # between choice rows
INDENT = 30  # question text and its answers sit right of the question number
COLUMN_GAP = 18
SHORT_BOX_H = round(13 * MM, 2)
LONG_BOX_H = round(40 * MM, 2)
NUMBER_BOX_W = round(55 * MM, 2)
MANY_CHOICES = 6  # more choices than this go into two or three columns when they fit


class LayoutError(Exception):
    """The survey cannot be laid out (a question too long for a page); the message says which."""


def site_code(secret_key: str | None = None) -> str:
    """This installation's code in every QR: a page printed by another CityLab is recognised as
    "a page from another city's survey" instead of being read against the wrong survey."""
    if secret_key is None:
        from django.conf import settings  # the only Django touch, and only when not given

        secret_key = settings.SECRET_KEY
    return hashlib.sha256((secret_key + "paper").encode()).hexdigest()[:8]


def qr_payload(site: str, survey: int, version: int, serial: int, page: int) -> str:
    return f"CL1|{site}|{survey}|{version}|{serial}|{page}"


# --- blocks -------------------------------------------------------------------------------

def _choice_columns(choices: list[dict], languages: Sequence[str], width: float, measure: Measure) -> int:
    """One column reads best; long lists take two or three when every label fits on one line."""
    if len(choices) == 2 and len(choices[0].get("group") or {}) == 0:
        candidates = (2, 1)
    elif len(choices) > MANY_CHOICES:
        candidates = (3, 2, 1)
    else:
        return 1
    label_w = max(_label_width(c, languages, measure) for c in choices)
    for cols in candidates:
        col_w = (width - (cols - 1) * COLUMN_GAP) / cols
        if label_w + 2 * BUBBLE_R + 12 <= col_w:
            return cols
    return 1


def _label_width(choice: dict, languages: Sequence[str], measure: Measure) -> float:
    texts = in_languages(choice["label"], languages)
    sizes = (CHOICE_PT, CHOICE_SECOND_PT)
    widths = [measure(t, font_for(t), sizes[min(i, 1)]) for i, t in enumerate(texts)]
    return sum(widths) + 12 * (len(widths) - 1)


def _choice_cell(w: Writer, key: str, choice: dict, languages: Sequence[str], col_w: float) -> Block:
    cell = Block(key=key, kind="choice")
    label_x = 2 * BUBBLE_R + 10
    h = w.pair(cell, in_languages(choice["label"], languages), label_x, 0, col_w - label_x,
               (CHOICE_PT, CHOICE_SECOND_PT))
    first_line = w.line_h(CHOICE_PT)
    cell.bubbles.append({"question": key, "value": choice["value"], "x": BUBBLE_R + 1,
                         "y": round(first_line / 2 - 1, 2), "r": BUBBLE_R})
    cell.height = max(h, 2 * BUBBLE_R + 2)
    return cell


def _choices(w: Writer, block: Block, key: str, choices: list[dict], languages: Sequence[str],
             x: float, y: float, width: float) -> float:
    """Choices in rows (and columns for long lists); grouped lists get a heading per group."""
    groups: list[tuple[list[str], list[dict]]] = []
    for choice in choices:
        heading = in_languages(choice.get("group") or {}, languages) if choice.get("group") else []
        if not groups or groups[-1][0] != heading:
            groups.append((heading, []))
        groups[-1][1].append(choice)
    cols = _choice_columns(choices, languages, width, w.measure)
    col_w = (width - (cols - 1) * COLUMN_GAP) / cols
    used = 0.0
    for heading, members in groups:
        if heading:
            used += w.pair(block, heading, x, y + used, width, (CHOICE_SECOND_PT, CHOICE_SECOND_PT), bold_first=True) + 2
        rows = math.ceil(len(members) / cols)
        cells = [_choice_cell(w, key, c, languages, col_w) for c in members]
        for r in range(rows):
            row = [cells[c * rows + r] for c in range(cols) if c * rows + r < len(cells)]
            for c, cell in enumerate(row):
                place(block, cell, x + c * (col_w + COLUMN_GAP), y + used)
            used += max(cell.height for cell in row) + ROW_GAP
    return used - ROW_GAP


def _scale(w: Writer, block: Block, key: str, choices: list[dict], languages: Sequence[str],
           x: float, y: float, width: float) -> float:
    """A row of bubbles under their numbers, with the labelled points' words beneath."""
    n = len(choices)
    pitch = min(80.0, (width - 2 * BUBBLE_R - 8) / max(n - 1, 1))
    numbers_h = w.line_h(CHOICE_PT)
    labelled = []
    for i, choice in enumerate(choices):
        cx = x + BUBBLE_R + 4 + i * pitch
        number = in_languages(choice["label"], languages)[0] if choice["value"] == "prefer_not_to_say" else choice["value"]
        if choice.get("point_label") and choice["value"] == "prefer_not_to_say":
            number = ""
        nw = w.measure(number, font_for(number), CHOICE_PT)
        if number:
            block.texts.append({"text": number, "x": round(cx - nw / 2, 2), "y": round(y, 2), "w": round(nw, 2),
                                "h": round(CHOICE_PT * 1.15, 2), "size": CHOICE_PT, "font": font_for(number),
                                "color": "ink"})
        block.bubbles.append({"question": key, "value": choice["value"], "x": round(cx, 2),
                              "y": round(y + numbers_h + BUBBLE_R, 2), "r": BUBBLE_R})
        if choice.get("point_label"):
            labelled.append((i, cx, in_languages(choice["point_label"], languages)))
    used = numbers_h + 2 * BUBBLE_R + 6
    if not labelled:
        return used
    # Each labelled point gets an equal slot of the row's span, so the words can never collide:
    # the first end is aligned left under its bubble, the last right, the others centred.
    left_edge = x
    right_edge = max(x + (n - 1) * pitch + 2 * BUBBLE_R + 8, x + min(width, 320))
    slot = (right_edge - left_edge) / len(labelled)
    tallest = 0.0
    for k, (i, cx, texts) in enumerate(labelled):
        start = left_edge + k * slot
        align = "left" if k == 0 and i == 0 else "right" if k == len(labelled) - 1 and i == n - 1 else "center"
        if align == "right":
            start, slot_w = left_edge + k * slot + 8, min(slot - 8, cx + BUBBLE_R - (left_edge + k * slot) - 8)
            start = cx + BUBBLE_R - slot_w
        else:
            slot_w = slot - 8
            if align == "center":
                start = min(max(cx - slot_w / 2, start), left_edge + (k + 1) * slot - 8 - slot_w)
        h = 0.0
        for j, t in enumerate(texts):
            size = CHOICE_PT if j == 0 else CHOICE_SECOND_PT
            h += w.text(block, t, start, y + used + h, slot_w, size, color="ink" if j == 0 else "soft", align=align)
        tallest = max(tallest, h)
    return used + tallest


def question_block(question: dict, number: int, languages: Sequence[str], measure: Measure) -> Block:
    """The question as it prints. A choice list too long for a page in both languages (a city's
    communities) prints its choices in the first language only, in three columns."""
    block = _question_block(question, number, languages, measure, languages)
    if block.height > CONTENT_BOTTOM - CONTENT_TOP and len(languages) > 1 and question.get("choices"):
        block = _question_block(question, number, languages, measure, languages[:1])
    return block


def _question_block(question: dict, number: int, languages: Sequence[str], measure: Measure,
                    choice_languages: Sequence[str]) -> Block:
    w = Writer(measure)
    key, kind = question["key"], question["kind"]
    block = Block(key=key, kind=kind)
    width = PAGE_W - 2 * MARGIN_X - INDENT
    label = f"{number}."
    block.texts.append({"text": label, "x": 0, "y": 0, "w": round(measure(label, "latin-bold", QUESTION_PT), 2),
                        "h": round(QUESTION_PT * 1.15, 2), "size": QUESTION_PT, "font": "latin-bold", "color": "ink"})
    used = 0.0
    for i, text in enumerate(in_languages(question["text"], languages)):
        used += w.text(block, text, INDENT, used, width, QUESTION_PT if i == 0 else QUESTION_SECOND_PT,
                       color="ink" if i == 0 else "soft", bold=i == 0)
    for hint in question.get("hints") or []:
        used += w.pair(block, in_languages(hint, languages), INDENT, used, width, (HINT_PT, HINT_PT))
    used += 8
    choices = question.get("choices") or []
    if kind == "scale":
        used += _scale(w, block, key, choices, choice_languages, INDENT, used, width)
    elif choices:
        used += _choices(w, block, key, choices, choice_languages, INDENT, used, width)
    else:
        box_w = NUMBER_BOX_W if kind == "number" else width
        box_h = LONG_BOX_H if kind == "long_text" else SHORT_BOX_H
        block.boxes.append({"question": key, "x": INDENT, "y": round(used, 2), "w": round(box_w, 2), "h": box_h})
        used += box_h
    block.height = round(used, 2)
    return block


def heading_block(spec: dict, languages: Sequence[str], measure: Measure) -> Block:
    """Page 1's title, introduction and the instructions for filling in the form."""
    w = Writer(measure)
    block = Block(key="", kind="heading")
    width = PAGE_W - 2 * MARGIN_X
    used = 0.0
    for i, title in enumerate(in_languages(spec["title"], languages)):
        used += w.text(block, title, 0, used, width, 22 if i == 0 else 17, color="ink" if i == 0 else "soft", bold=i == 0)
    for intro in in_languages(spec.get("intro") or {}, languages):
        used += 4 + w.text(block, intro, 0, used + 4, width, CHOICE_SECOND_PT, color="ink")
    used += 10
    top = used
    for paragraph in spec.get("instructions") or []:
        for i, text in enumerate(in_languages(paragraph, languages)):
            used += w.text(block, text, 12, used + 8, width - 24, CHOICE_PT if i == 0 else CHOICE_SECOND_PT,
                           color="ink" if i == 0 else "soft", bold=i == 0 and paragraph is spec["instructions"][0])
        used += 2
    used += 14
    block.boxes_frame = {"x": 0, "y": round(top, 2), "w": round(width, 2), "h": round(used - top - 4, 2)}  # type: ignore[attr-defined]
    block.height = round(used, 2)
    return block


# --- pages ------------------------------------------------------------------------------------

def markers() -> list[dict]:
    """The four ArUco markers, each with its corners in ArUco's order (TL, TR, BR, BL)."""
    near, far = MARKER_OFFSET, PAGE_W - MARKER_OFFSET - MARKER_SIZE
    top, bottom = MARKER_OFFSET, PAGE_H - MARKER_OFFSET - MARKER_SIZE
    out = []
    for marker_id, (x, y) in enumerate([(near, top), (far, top), (far, bottom), (near, bottom)]):
        s = MARKER_SIZE
        corners = [[x, y], [x + s, y], [x + s, y + s], [x, y + s]]
        out.append({"id": marker_id, "corners": [[round(a, 2), round(b, 2)] for a, b in corners]})
    return out


def qr_box() -> dict:
    """The QR code's square: at the top, just left of the top-right marker."""
    x = PAGE_W - MARKER_OFFSET - MARKER_SIZE - MARKER_MODULE - QR_QUIET - QR_SIZE - 4
    return {"x": round(x, 2), "y": MARKER_OFFSET, "size": QR_SIZE}


@dataclass
class Layout:
    """Every page's geometry, and the sheets (serials) printed with it."""

    survey: int
    version: int
    site: str
    languages: tuple[str, ...]
    pages: list[dict]
    sheets: list[int] = field(default_factory=list)
    title: str = ""

    def as_json(self, *, with_sheets: bool = True) -> dict:
        data = {
            "page_size_pt": [PAGE_W, PAGE_H],
            "sheets": list(self.sheets),
            "site": self.site,
            "survey": self.survey,
            "version": self.version,
            "languages": list(self.languages),
            "title": self.title,
            "pages": self.pages,
        }
        if not with_sheets:
            del data["sheets"]
        return data

    @classmethod
    def from_json(cls, data: dict, sheets: Sequence[int] = ()) -> Layout:
        return cls(survey=data["survey"], version=data["version"], site=data["site"],
                   languages=tuple(data.get("languages") or ()), pages=data["pages"],
                   sheets=list(sheets or data.get("sheets") or []), title=data.get("title", ""))


def _page_frame(page: int, pages: int, spec: dict, languages: Sequence[str], measure: Measure) -> dict:
    """What every page carries besides its questions: markers, QR, serial, page number."""
    w = Writer(measure)
    frame = Block(key="", kind="frame")
    qr = qr_box()
    header_x = MARKER_OFFSET + MARKER_SIZE + 2 * MARKER_MODULE
    header_w = qr["x"] - QR_QUIET - header_x
    title = in_languages(spec["title"], languages)[:1]
    if title:
        line = wrap(title[0], font_for(title[0]), 14, header_w, measure)[0]
        if line != title[0]:
            line = line[:-1] + "…"
        w.text(frame, line, header_x, MARKER_OFFSET + 2, header_w, 14, color="soft")
    page_words = [spec["strings"]["page"][lang].format(page=page, pages=pages)
                  for lang in _in_languages_keys(spec["strings"]["page"], languages)]
    w.pair(frame, page_words, header_x, MARKER_OFFSET + 44, header_w, (14, 14))
    footer = f"{page} / {pages}"
    fw = measure(footer, "latin-bold", 16)
    frame.texts.append({"text": footer, "x": round((PAGE_W - fw) / 2, 2), "y": round(PAGE_H - MARKER_OFFSET - 28, 2),
                        "w": round(fw, 2), "h": round(16 * 1.15, 2), "size": 16, "font": "latin-bold", "color": "ink"})
    last = "end" if page == pages else "turn"
    words = [spec["strings"][last][lang] for lang in _in_languages_keys(spec["strings"][last], languages)]
    tail = Block(key="", kind="frame")
    tw = PAGE_W - 2 * (MARKER_OFFSET + MARKER_SIZE + 2 * MARKER_MODULE)
    w.pair(tail, words, 0, 0, tw, (14, 14))
    span = max(t["x"] + t["w"] for t in tail.texts)
    place(frame, tail, (PAGE_W - span) / 2, PAGE_H - MARKER_OFFSET - 48)
    return {
        "markers": markers(),
        "qr": qr,
        # The sheet's serial, printed beside the code for people: drawn per sheet at this spot.
        "serial": {"x": round(header_x, 2), "y": round(MARKER_OFFSET + 22, 2), "size": 16,
                   "font": "latin-bold", "prefix": "No. "},
        "texts": frame.texts,
    }


def _in_languages_keys(texts: dict, languages: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for lang in languages:
        if texts.get(lang) and texts[lang] not in [texts[k] for k in keys]:
            keys.append(lang)
    return keys or [next(iter(texts))]


def layout_survey(spec: dict, *, languages: Sequence[str], serials: Sequence[int] = (),
                  measure: Measure | None = None, site: str | None = None) -> Layout:
    """Lay the survey out on A4 pages: page 1 starts with the title and instructions, and each
    question goes whole onto the page where it fits (never split across two)."""
    measure = measure or reportlab_measure()
    languages = tuple(languages)
    blocks = [heading_block(spec, languages, measure)]
    blocks += [question_block(q, n, languages, measure) for n, q in enumerate(spec["questions"], start=1)]
    room = CONTENT_BOTTOM - CONTENT_TOP
    pages: list[dict] = []
    y = CONTENT_TOP
    for block in blocks:
        if block.height > room:
            raise LayoutError(
                f"Question {block.key} does not fit on one A4 page: it needs {block.height / MM:.0f} mm "
                f"of the {room / MM:.0f} mm a page has. Shorten its text or split its choices."
            )
        if not pages or y + block.height > CONTENT_BOTTOM:
            pages.append({"page": len(pages) + 1, "bubbles": [], "boxes": [], "questions": [], "texts": [],
                          "frames": []})
            y = CONTENT_TOP
        page = pages[-1]
        placed = Block(key=block.key, kind=block.kind)
        place(placed, block, MARGIN_X, y)
        page["texts"] += placed.texts
        page["bubbles"] += placed.bubbles
        page["boxes"] += placed.boxes
        frame = getattr(block, "boxes_frame", None)
        if frame:
            page["frames"].append({**frame, "x": round(frame["x"] + MARGIN_X, 2), "y": round(frame["y"] + y, 2)})
        if block.kind != "heading":
            page["questions"].append({"key": block.key, "kind": block.kind, "page": page["page"],
                                      "x": MARGIN_X, "y": round(y, 2), "w": round(PAGE_W - 2 * MARGIN_X, 2),
                                      "h": block.height})
        y += block.height + QUESTION_GAP
    for page in pages:
        frame = _page_frame(page["page"], len(pages), spec, languages, measure)
        page["texts"] = frame.pop("texts") + page["texts"]
        page.update(frame)
    return Layout(survey=spec["survey"], version=spec["version"], site=site or site_code(), languages=languages,
                  pages=pages, sheets=list(serials), title=in_languages(spec["title"], languages)[0])
