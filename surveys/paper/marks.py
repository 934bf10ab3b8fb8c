"""Reading a scanned or photographed form page (pure: numpy and OpenCV, no Django).

`read_page(gray, layout_for)` finds the four ArUco corner markers (DICT_4X4_50, ids 0-3 clockwise
from the top left), fits a homography from their 16 corners to the page points the layout gives,
warps the page to a canonical frame (PX_PER_PT pixels per PDF point), decodes the page's QR code
(`CL1|site|survey|version|serial|page`), asks `layout_for` for the geometry that sheet was printed
with, and measures each bubble's darkness against the paper just around it.

Darkness of a bubble = the share of its inner disc (INNER * r, so the printed 1 pt outline
stays outside it even after blur) that is ink, where a pixel's ink is how much darker it is
than the paper just around the bubble (a high percentile of a ring outside it), as a share of
that paper level, ramped from INK_FLOOR (still paper: noise, JPEG) to INK_FULL (fully ink).
Measuring against the local paper removes shadows and grey paper (light multiplies paper and
ink alike); the ramp makes a thin grey pencil line count like a pen line of the same width.
Two thresholds decide: >= HIGH marked, <= LOW empty, in between doubtful. A doubtful bubble,
ink on the rim only, a bubble whose printed circle is not where the layout says, or two marks
in a one-answer question hold the question for a clerk; the machine never guesses. A writing
box is read the same way (box_ink): no ink at all is a blank answer, any writing is held.

Finding the page in the image and which page it is (the corner markers, the homography, the
QR code) is surveys.paper.locate; this module reads the bubbles and boxes once the page is
straightened, and decides.

Turning an uploaded file into page images (PDFium, Pillow, the limits against decompression
bombs and huge files) is surveys.paper.pagefiles; this module only reads a page image.

Sentences (reasons here, file errors in pagefiles) are `Reason` strings: English text that also
carries the untranslated template and its parameters, so the Django side can show
`gettext(r.template) % r.params` in the reader's language. The templates are marked with
`gettext_noop` for makemessages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from surveys.paper.locate import (
    PAGE_H,
    PAGE_W,
    PX_PER_PT,
    QrPayload,
    _fit,
    _layout_markers,
    find_markers,
    find_qr,
    marker_corners,
)

# Bubble measurement (fractions of the bubble radius r).
INNER = 0.62  # inner disc read for ink; the 1 pt outline sits at r +- 0.5 pt
RIM = 0.80  # the rim band INNER..RIM: ink there alone makes a bubble doubtful, never empty
RIM_DOUBT = 0.04  # empty rims read <= 0.022 on the worst photos
RING = (1.35, 1.95)  # paper level ring just outside the bubble
PAPER_PERCENTILE = 0.80  # marks or labels crossing the ring are darker than paper: take a high one
INK_FLOOR = 0.08  # a pixel this much darker than its paper is still paper (noise, JPEG)
INK_FULL = 0.35  # from this much darker on, a pixel is fully ink (light pencil is ~0.4)

# Thresholds on darkness (0 = paper, 1 = the whole inner disc inked), calibrated on synthetic
# pages from the real layout and PDF (bench/paper_scan.py --calibrate: 200-300 dpi scans and
# 150-200 dpi phone photos with blur, noise, shadows down to half the light, JPEG 50-95).
# Empty bubbles read 0.000 at the median and <= 0.013 at the very worst (blurred 150 dpi photo
# in deep shadow); pen ticks >= 0.19, pen crosses >= 0.32, fills ~1.0, scribbles >= 0.49;
# light pencil (grey, 0.6-1 pt) ticks and crosses 0.04-0.46, pencil fills >= 0.10. LOW sits
# twice above the worst empty and below the faintest pencil tick seen, so pencil is at worst
# held, never read as blank; HIGH sits below the weakest pen tick with room to spare, so pen
# marks are decided automatically and most pencil too.
LOW = 0.025
HIGH = 0.15
# Writing boxes (see box_ink): a box with no ink is left blank, any writing goes to a clerk.
BOX_MARGIN = 3.0  # pt left out inside the printed border (the 1 pt line, blur, misalignment)
BOX_TILE = 12.0  # pt, side of the tiles the paper level is taken over
BOX_SMOOTH = 0.8  # px (0.4 pt), Gaussian sigma before reading: single-pixel noise stops passing INK_FLOOR
BOX_WINDOW = 2.0  # pt, side of the square the ink is measured in
# Calibrated on the real layout and PDF (box_ink on 40 sheets per profile: scans at 200 and
# 300 dpi, photos at 150 and 200 dpi; writing from synthetic.draw_writing): empty boxes read
# 0.000 on scans and <= 0.007 at the very worst (dark, noisy 150 dpi photos; up to 0.11
# without BOX_SMOOTH). Writing: pen words, digits and strokes >= 0.78, a dot of the pen
# >= 0.33, light pencil (grey 105-175, 0.5-0.9 pt) digits, strokes and words >= 0.054.
# BOX_BLANK sits about three times above the worst empty box and below the faintest pencil:
# a box is blank only when no stroke at all is there; anything doubtful is held, never dropped.
BOX_BLANK = 0.02
# The printed outline of a bubble reads 0.98-1.0 where the page lines up with the layout,
# ~0.5 one point off, ~0.29 two points off: below OUTLINE_MIN the bubble is not where we read.
OUTLINE_MIN = 0.35

SINGLE_KINDS = frozenset({"single", "yes_no", "scale", "segment", "age_band", "district", "community",
                          "occupation"})
MULTIPLE_KINDS = frozenset({"multiple"})
TEXT_KINDS = frozenset({"short_text", "long_text", "number", "text"})


def gettext_noop(s: str) -> str:
    """Marks a sentence for translation without Django (makemessages knows this name)."""
    return s


class Reason(str):
    """An English sentence that keeps its template and parameters for translation."""

    template: str
    params: dict

    def __new__(cls, template: str, **params) -> Reason:
        obj = super().__new__(cls, template % params if params else template)
        obj.template = template
        obj.params = params
        return obj


@dataclass
class Hold:
    question_key: str
    kind: str  # "choice" | "text"
    reason: Reason
    crop: np.ndarray  # uint8 grey, from the straightened page
    machine_read: dict  # {"darkness": {value: float}, "guess": [values]} (+ "ink" for text)


@dataclass
class PageResult:
    payload: QrPayload | None
    status: str  # "ok" | "review" | "unreadable"
    reason: Reason
    answers: dict[str, list] = field(default_factory=dict)
    holds: list[Hold] = field(default_factory=list)
    straightened: np.ndarray | None = None  # PX_PER_PT px per point, the layout's frame
    markers_found: int = 0
    upside_down: bool = False
    darkness: dict[str, dict[str, float]] = field(default_factory=dict)  # question -> value -> darkness


# ---------------------------------------------------------------------------------------------
# Bubbles


@lru_cache(maxsize=64)
def _offsets(r_px: float, width: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Flat index offsets of the inner disc, the paper ring, the printed outline (r +- 1 px) and
    the rim between disc and outline, for a bubble of radius r_px on an image `width` px wide."""
    reach = int(np.ceil(RING[1] * r_px)) + 1
    dy, dx = np.mgrid[-reach:reach + 1, -reach:reach + 1]
    d = np.hypot(dx, dy)
    flat = dy * width + dx
    out = []
    masks = (d <= INNER * r_px, (d >= RING[0] * r_px) & (d <= RING[1] * r_px), np.abs(d - r_px) <= 1.0,
             (d > INNER * r_px) & (d <= RIM * r_px))
    for mask in masks:
        offsets = flat[mask].astype(np.int64)
        offsets.setflags(write=False)
        out.append(offsets)
    return tuple(out)


def bubble_scores(straightened: np.ndarray, bubbles: list[dict]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(darkness, outline, rim) of each bubble on the straightened page, 0 (paper) .. 1 (ink).

    darkness: the share of the inner disc that is inked. outline: the same for the printed
    circle; it is high wherever the page lines up with the layout, so a low one means the
    geometry is off there and the darkness cannot be trusted. rim: the same for the band
    between the inner disc and the outline, where a small tick at the edge lands. Vectorised:
    index arrays per bubble size, one gather per measure, means and a partial sort along rows."""
    h, w = straightened.shape
    flat = straightened.ravel()
    darkness = np.zeros(len(bubbles), np.float32)
    outline = np.zeros(len(bubbles), np.float32)
    rim = np.zeros(len(bubbles), np.float32)
    by_r: dict[float, list[int]] = {}
    for i, b in enumerate(bubbles):
        by_r.setdefault(round(float(b["r"]) * PX_PER_PT, 1), []).append(i)
    for r_px, rows in by_r.items():
        inner_off, ring_off, line_off, rim_off = _offsets(r_px, w)
        reach = int(np.ceil(RING[1] * r_px)) + 1
        cx = np.array([round(float(bubbles[i]["x"]) * PX_PER_PT) for i in rows], np.int64)
        cy = np.array([round(float(bubbles[i]["y"]) * PX_PER_PT) for i in rows], np.int64)
        cx = np.clip(cx, reach, w - reach - 1)
        cy = np.clip(cy, reach, h - reach - 1)
        centre = (cy * w + cx)[:, None]
        ring = flat[centre + ring_off[None, :]]
        k = int(PAPER_PERCENTILE * (ring.shape[1] - 1))
        paper = np.maximum(np.partition(ring, k, axis=1)[:, k].astype(np.float32), 40.0)[:, None]
        # Per pixel: how much darker than the paper, as a share; below INK_FLOOR is paper (noise,
        # JPEG ringing), from INK_FULL on it is ink. A thin grey pencil line then counts as much as
        # a pen line of the same width, and the score is the share of the disc that is inked.
        for offsets, target in ((inner_off, darkness), (line_off, outline), (rim_off, rim)):
            rel = (paper - flat[centre + offsets[None, :]].astype(np.float32)) / paper
            ink = np.clip((rel - INK_FLOOR) * (1.0 / (INK_FULL - INK_FLOOR)), 0.0, 1.0)
            target[rows] = ink.mean(axis=1)
    return darkness, outline, rim


def bubble_darkness(straightened: np.ndarray, bubbles: list[dict]) -> np.ndarray:
    """Darkness of each bubble (see bubble_scores)."""
    return bubble_scores(straightened, bubbles)[0]


def box_ink(straightened: np.ndarray, box: dict) -> float:
    """How much writing a writing box holds: 0 = none, up to 1 where a small window is all ink.

    Read like a bubble, against the paper around the ink: the box's inside, less BOX_MARGIN
    along the printed border (the line itself, blur and a point or so of misalignment), is cut
    into BOX_TILE tiles whose paper level is a high percentile of their pixels, raised to the
    brightest of the neighbouring tiles (a tile crowded with writing takes its neighbours'
    paper); a shadow barely changes over a tile. The inside is smoothed a little first (a
    box is large: on a noisy photo some single pixels pass INK_FLOOR, no stroke is that thin).
    Each pixel's ink is ramped as for bubbles (INK_FLOOR..INK_FULL) and the score is the most
    ink in any BOX_WINDOW square: one dot or short stroke scores as much as a whole word."""
    m = BOX_MARGIN
    x0, y0 = int(round((float(box["x"]) + m) * PX_PER_PT)), int(round((float(box["y"]) + m) * PX_PER_PT))
    x1 = int(round((float(box["x"]) + float(box["w"]) - m) * PX_PER_PT))
    y1 = int(round((float(box["y"]) + float(box["h"]) - m) * PX_PER_PT))
    H, W = straightened.shape
    region = straightened[max(y0, 0):min(y1, H), max(x0, 0):min(x1, W)].astype(np.float32)
    h, w = region.shape
    if h < 4 or w < 4:
        return 1.0  # nothing to measure: never call it blank
    region = cv2.GaussianBlur(region, (0, 0), BOX_SMOOTH)
    t = int(round(BOX_TILE * PX_PER_PT))
    th, tw = -(-h // t), -(-w // t)
    tiles = np.pad(region, ((0, th * t - h), (0, tw * t - w)), mode="edge")
    tiles = tiles.reshape(th, t, tw, t).transpose(0, 2, 1, 3).reshape(th, tw, t * t)
    k = int(PAPER_PERCENTILE * (t * t - 1))
    level = cv2.dilate(np.partition(tiles, k, axis=2)[:, :, k], np.ones((3, 3), np.uint8))
    paper = np.maximum(np.repeat(np.repeat(level, t, axis=0), t, axis=1)[:h, :w], 40.0)
    ink = np.clip(((paper - region) / paper - INK_FLOOR) * (1.0 / (INK_FULL - INK_FLOOR)), 0.0, 1.0)
    window = int(round(BOX_WINDOW * PX_PER_PT))
    return float(cv2.blur(ink, (window, window), borderType=cv2.BORDER_REPLICATE).max())


# ---------------------------------------------------------------------------------------------
# The page


def _unreadable(template: str, payload: QrPayload | None = None, straightened=None, markers: int = 0,
                **params) -> PageResult:
    return PageResult(payload, "unreadable", Reason(template, **params), straightened=straightened,
                      markers_found=markers)


def _crop(img: np.ndarray, x: float, y: float, w: float, h: float, margin: float = 6.0) -> np.ndarray:
    H, W = img.shape
    x0 = max(0, int((x - margin) * PX_PER_PT))
    y0 = max(0, int((y - margin) * PX_PER_PT))
    x1 = min(W, int(np.ceil((x + w + margin) * PX_PER_PT)))
    y1 = min(H, int(np.ceil((y + h + margin) * PX_PER_PT)))
    return np.ascontiguousarray(img[y0:y1, x0:x1])


def _working_image(gray: np.ndarray) -> np.ndarray:
    """Grey uint8, reduced early when very large (about 2.5 px per point is all reading needs)."""
    if gray.ndim == 3:
        channels = gray.shape[2]
        gray = gray[:, :, 0] if channels == 1 else cv2.cvtColor(
            gray, cv2.COLOR_BGRA2GRAY if channels == 4 else cv2.COLOR_BGR2GRAY)
    if gray.dtype != np.uint8:
        gray = cv2.normalize(gray, None, 0, 255, cv2.NORM_MINMAX).astype(np.uint8)
    h, w = gray.shape
    # The page's long side is 842 pt; a page that fills the image gives this many px per point.
    ppt = max(h, w) / PAGE_H
    factor = int(ppt // 2.5)
    if factor >= 2:
        return cv2.resize(gray, (w // factor, h // factor), interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(gray)


def read_page(gray: np.ndarray, layout_for: Callable[[QrPayload], dict | None], *,
              site: str | None = None) -> PageResult:
    """Read one page. `layout_for(payload)` returns the stored layout JSON for the page's survey
    version, or None when it is not known here; `site`, when given, is this installation's site
    code (a page carrying another one is refused as another city's). Never raises on a bad image."""
    if gray is None or gray.size == 0 or gray.ndim not in (2, 3) or min(gray.shape[:2]) < 50:
        return _unreadable(gettext_noop("the image is empty or too small to be a page"))
    try:
        return _read(gray, layout_for, site)
    except cv2.error:  # an image OpenCV cannot work on (odd channels or depth): a clerk looks
        return _unreadable(gettext_noop("the image cannot be read"))


def _read(gray: np.ndarray, layout_for: Callable[[QrPayload], dict | None], site: str | None) -> PageResult:
    work = _working_image(gray)
    found = find_markers(work)
    if len(found) < 3:
        payload = find_qr(None, work)
        return _unreadable(gettext_noop("too few corner markers (found %(found)d of 4)"), payload,
                           markers=len(found), found=len(found))
    H, rms = _fit(found, marker_corners())
    if H is None or rms > 6.0:
        payload = find_qr(None, work)
        return _unreadable(gettext_noop("the corner markers do not line up with a page"), payload,
                           markers=len(found))
    size = (int(round(PAGE_W * PX_PER_PT)), int(round(PAGE_H * PX_PER_PT)))
    straightened = cv2.warpPerspective(work, H, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # Upside down: marker 0 (top left of the page) appears in the image's lower half.
    upside_down = bool(0 in found and 2 in found and found[0][:, 1].mean() > found[2][:, 1].mean())
    if not upside_down and 1 in found and 3 in found:
        upside_down = bool(found[1][:, 1].mean() > found[3][:, 1].mean())

    payload = find_qr(straightened, work, H)
    if payload is None:
        return _unreadable(gettext_noop("the page's code (QR) cannot be read"), None, straightened, len(found))
    if site is not None and payload.site != site:
        return _unreadable(gettext_noop("a page from another city's survey"), payload, straightened, len(found))
    layout = layout_for(payload)
    if layout is None:
        return _unreadable(gettext_noop("survey %(survey)s version %(version)s is not known here"), payload,
                           straightened, len(found), survey=payload.survey, version=payload.version)
    if layout.get("site") and layout["site"] != payload.site:
        return _unreadable(gettext_noop("a page from another city's survey"), payload, straightened, len(found))
    page = next((p for p in layout.get("pages", []) if int(p.get("page", 0)) == payload.page), None)
    if page is None:
        return _unreadable(gettext_noop("the survey has no page %(page)d"), payload, straightened, len(found),
                           page=payload.page)
    printed = _layout_markers(layout, page)
    if printed and any(not np.allclose(printed.get(i, c), c, atol=0.5) for i, c in marker_corners().items()):
        H2, rms2 = _fit(found, printed)
        if H2 is None or rms2 > 6.0:
            return _unreadable(gettext_noop("the corner markers do not line up with a page"), payload,
                               straightened, len(found))
        straightened = cv2.warpPerspective(work, H2, size, flags=cv2.INTER_LINEAR,
                                           borderMode=cv2.BORDER_REPLICATE)
    result = decide_page(straightened, layout, page)
    result.payload = payload
    result.markers_found = len(found)
    result.upside_down = upside_down
    return result


def _questions_on_page(layout: dict, page: dict) -> list[dict]:
    number = int(page.get("page", 0))
    questions = [q for q in (page.get("questions") or layout.get("questions") or [])
                 if int(q.get("page", number)) == number]
    known = {q["key"] for q in questions}
    for b in page.get("bubbles", []):
        if b["question"] not in known:  # no region given: the bubbles' bounding box, one-answer rules
            known.add(b["question"])
            questions.append({"key": b["question"], "kind": "single", "page": number})
    return questions


def decide_page(straightened: np.ndarray, layout: dict, page: dict) -> PageResult:
    """Answers and holds for one straightened page of a known layout."""
    bubbles = page.get("bubbles", [])
    darkness, outline, rim = bubble_scores(straightened, bubbles) if bubbles else (np.zeros((3, 0)))
    # Ink on the rim but not in the disc (a small tick at the edge) is neither empty nor a mark.
    edge = (darkness <= LOW) & (rim >= RIM_DOUBT)
    if bubbles and float(np.median(outline)) < OUTLINE_MIN:
        # The printed circles are not where the layout says: another layout, or a bad fit.
        return PageResult(None, "unreadable", Reason(gettext_noop("the page does not line up with its printed layout")),
                          straightened=straightened)
    per_q: dict[str, list[tuple[object, float, dict]]] = {}
    off: set[str] = set()
    at_edge: set[tuple[str, str]] = set()
    for b, d, o, e in zip(bubbles, darkness, outline, edge, strict=True):
        per_q.setdefault(b["question"], []).append((b["value"], float(d), b))
        if o < OUTLINE_MIN:
            off.add(b["question"])
        if e:
            at_edge.add((b["question"], str(b["value"])))
    boxes = {bx["question"]: bx for bx in (page.get("boxes") or layout.get("boxes") or [])}

    answers: dict[str, list] = {}
    holds: list[Hold] = []
    dark_out: dict[str, dict[str, float]] = {}
    for q in _questions_on_page(layout, page):
        key, kind = q["key"], q.get("kind", "single")
        if kind in TEXT_KINDS:
            box = boxes.get(key) or q
            if not all(k in box for k in ("x", "y", "w", "h")):
                continue
            ink = box_ink(straightened, box)
            if ink <= BOX_BLANK:
                continue  # nothing written: left blank, like a choice question with no mark
            crop = _crop(straightened, box["x"], box["y"], box["w"], box["h"], margin=4.0)
            holds.append(Hold(key, "text", Reason(gettext_noop("writing to type")), crop,
                              {"darkness": {}, "guess": [], "ink": round(ink, 3)}))
            continue
        rows = per_q.get(key)
        if not rows:
            continue
        values = {str(v): round(d, 3) for v, d, _ in rows}
        dark_out[key] = values
        marked = [v for v, d, _ in rows if d >= HIGH]
        doubtful = [v for v, d, _ in rows if LOW < d < HIGH or (key, str(v)) in at_edge]
        reason = None
        if key in off:
            reason = Reason(gettext_noop("the page does not line up here"))
        elif doubtful:
            reason = Reason(gettext_noop("unsure mark"))
        elif kind not in MULTIPLE_KINDS and len(marked) >= 2:
            reason = Reason(gettext_noop("two marks"))
        if reason is None:
            answers[key] = marked
            continue
        if all(k in q for k in ("x", "y", "w", "h")):
            crop = _crop(straightened, q["x"], q["y"], q["w"], q["h"])
        else:
            xs = [float(b["x"]) for _, _, b in rows]
            ys = [float(b["y"]) for _, _, b in rows]
            r = max(float(b["r"]) for _, _, b in rows)
            crop = _crop(straightened, min(xs) - r, min(ys) - r, max(xs) - min(xs) + 2 * r + 160,
                         max(ys) - min(ys) + 2 * r, margin=10.0)
        guess = [v for v, d, _ in rows if d >= (LOW + HIGH) / 2]
        holds.append(Hold(key, "choice", reason, crop, {"darkness": values, "guess": guess}))

    if holds:
        choice = [h.question_key for h in holds if h.kind == "choice"]
        if choice:
            status_reason = Reason(gettext_noop("%(count)d question(s) need a clerk: %(keys)s"),
                                   count=len(choice), keys=", ".join(choice))
        else:
            status_reason = Reason(gettext_noop("writing to type"))
        status = "review"
    else:
        status, status_reason = "ok", Reason(gettext_noop("read"))
    return PageResult(None, status, status_reason, answers, holds, straightened, darkness=dark_out)


def answers_json(results: Iterable[PageResult]) -> list[dict]:
    """Plain data for a page list (what `scan --json` prints per page, without source/index)."""
    rows = []
    for r in results:
        rows.append({"sheet": r.payload.serial if r.payload else None, "page": r.payload.page if r.payload else None,
                     "status": r.status, "answers": r.answers,
                     "review": [h.question_key for h in r.holds], "reason": str(r.reason)})
    return rows
