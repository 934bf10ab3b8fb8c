"""Make test pages for the mark reader (pure: numpy, OpenCV, pypdfium2; no Django).

A page comes either from the printed PDF (`render_pdf_page`, pypdfium2 at a dpi) or, without a
PDF, is drawn from a layout JSON with OpenCV (`draw_page`, same geometry: markers, QR, bubble
outlines, writing boxes, some label text near the bubbles to tempt the reader). Then
`draw_mark` puts a respondent's mark in a bubble (fill, tick, cross, light pencil, ...),
`draw_writing` writes in a writing box (a short word, a digit, a stroke, a dot), and
`degrade` turns the clean page into a scan or a phone photo. Everything random is drawn from a
numpy Generator the caller seeds.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from surveys.paper.locate import MARKER_SIZE, PAGE_H, PAGE_W, QrPayload, marker_corners

MARK_KINDS = ("fill", "tick", "cross", "pencil_fill", "pencil_tick", "pencil_cross", "scribble")


def demo_layout(*, survey: int = 7, version: int = 1, site: str = "0badc0de", serials=(1001,),
                pages: int = 2) -> dict:
    """A layout JSON in the shape of the shared contract, with every question kind, for tests
    before (or without) the real layout function."""
    r = 8.5
    layout = {"page_size_pt": [PAGE_W, PAGE_H], "sheets": list(serials), "pages": [], "site": site,
              "survey": survey, "version": version, "questions": [], "boxes": [],
              "markers": [{"id": i, "corners": c.tolist()} for i, c in marker_corners().items()],
              "qr": {"x": 445.66, "y": 28.35, "size": 62.36}}  # where layout.qr_box() puts it
    kinds = [("single", 4), ("multiple", 5), ("yes_no", 2), ("scale", 5), ("segment", 6), ("short_text", 0),
             ("single", 3), ("number", 0), ("multiple", 4)]
    qn = 0
    for p in range(1, pages + 1):
        y = 120.0
        page = {"page": p, "bubbles": []}
        for kind, n in kinds[(p - 1) * 5 % len(kinds):] + kinds[:(p - 1) * 5 % len(kinds)]:
            rows = 0 if kind in ("short_text", "number") else 1 if kind == "scale" else -(-n // (2 if n > 4 else 1))
            need = 26 + (68 if rows == 0 else rows * 26.0 + 18) + 8
            if y + need > PAGE_H - 90:
                break
            qn += 1
            key = f"q{qn}"
            top = y
            y += 26  # question text
            if kind in ("short_text", "number"):
                h = 40 if kind == "number" else 60
                layout["boxes"].append({"question": key, "x": 72.0, "y": y, "w": 451.0 if kind != "number" else 160.0,
                                        "h": float(h)})
                y += h + 8
            elif kind == "scale":
                for i in range(n):
                    page["bubbles"].append({"question": key, "value": i + 1, "x": 90.0 + i * 80.0, "y": y + r, "r": r})
                y += 2 * r + 18  # labels under the scale
            else:
                values = ["yes", "no"] if kind == "yes_no" else [f"c{i + 1}" for i in range(n)]
                cols = 2 if n > 4 else 1
                for i, v in enumerate(values):
                    col, row = (i % cols, i // cols) if cols == 2 else (0, i)
                    page["bubbles"].append({"question": key, "value": v, "x": 90.0 + col * 230.0,
                                            "y": y + r + row * 26.0, "r": r})
                y += rows * 26.0
            layout["questions"].append({"key": key, "kind": kind, "page": p, "x": 60.0, "y": top, "w": 475.0,
                                        "h": y - top})
            y += 8
        layout["pages"].append(page)
    return layout


def _pair(zh: str, en: str) -> dict[str, str]:
    return {"zh-hans": zh, "en": en}


def _choice(value: str, label: str) -> dict:
    return {"value": value, "label": _pair(label, label)}


def sample_spec(survey: int = 31, version: int = 4) -> dict:
    """A survey spec (the plain data surveys.paper.spec makes) with every question kind, for
    layout_survey in tests and the benchmark."""
    one = [_pair("选一项。", "Choose one.")]
    return {
        "survey": survey, "version": version, "slug": "round-trip",
        "title": _pair("往返测试", "Round trip"), "intro": _pair("测试。", "A test."),
        "instructions": [_pair("填写说明", "How to answer"),
                         _pair("涂满圆圈，打勾或打叉也可以。", "Fill the circle; a tick or cross counts.")],
        "strings": {"page": _pair("第 {page} 页，共 {pages} 页", "Page {page} of {pages}"),
                    "turn": _pair("请翻到下一页", "Please turn over."), "end": _pair("谢谢！", "Thank you!")},
        "questions": [
            {"key": "age", "kind": "age_band", "text": _pair("年龄段？", "Age band?"), "hints": one,
             "choices": [_choice(c, c) for c in ["18-29", "30-44", "45-59", "60-69", "70+"]]},
            {"key": "phone", "kind": "yes_no", "text": _pair("用智能手机吗？", "Smartphone?"), "hints": [],
             "choices": [_choice("yes", "Yes"), _choice("no", "No")]},
            {"key": "entry", "kind": "single", "text": _pair("怎样进门？", "How do you get in?"), "hints": one,
             "choices": [_choice("card", "Key card"), _choice("face", "Face"), _choice("code", "Code"),
                         _choice("guard", "Guard")]},
            {"key": "problems", "kind": "multiple", "text": _pair("遇到过哪些困难？", "Problems?"),
             "hints": [_pair("可多选。", "Tick all that apply.")],
             "choices": [_choice("slow", "Too slow"), _choice("glasses", "Glasses"), _choice("dark", "Dark"),
                         _choice("cold", "Cold")]},
            {"key": "ease", "kind": "scale", "text": _pair("好用吗？", "How easy?"), "hints": one,
             "choices": [_choice(str(i), str(i)) for i in range(1, 6)]},
            {"key": "trips", "kind": "number", "text": _pair("每天几次？", "Times a day?"), "hints": [], "choices": []},
            {"key": "app", "kind": "short_text", "text": _pair("哪个应用？", "Which app?"), "hints": [], "choices": []},
            {"key": "help", "kind": "single", "text": _pair("需要帮助吗？", "Do you need help?"), "hints": one,
             "choices": [_choice("never", "Never"), _choice("sometimes", "Sometimes"), _choice("often", "Often")]},
            {"key": "story", "kind": "long_text", "text": _pair("还有什么？", "Anything else?"), "hints": [], "choices": []},
            {"key": "district", "kind": "district", "text": _pair("哪个区？", "District?"), "hints": one,
             "choices": [_choice(f"d{i}", f"District {i}") for i in range(1, 7)]},
        ],
    }


def _pts(xy, ppt: float) -> tuple[int, int]:
    # OpenCV's fixed point drawing (shift=4) keeps sub-pixel geometry.
    return int(round(xy[0] * ppt * 16)), int(round(xy[1] * ppt * 16))


def qr_image(text: str) -> np.ndarray:
    params = cv2.QRCodeEncoder_Params()
    params.correction_level = cv2.QRCodeEncoder_CORRECT_LEVEL_M
    params.version = 3  # as printed: 29 modules in 22 mm
    code = cv2.QRCodeEncoder.create(params).encode(text)  # 1 px per module, 2-module border
    return code[2:-2, 2:-2]  # the modules alone: the quiet zone is the white page around them


def draw_page(layout: dict, payload: QrPayload, dpi: float = 150) -> np.ndarray:
    """The printed page drawn with OpenCV from the layout (what the PDF would look like)."""
    ppt = dpi / 72.0
    w, h = int(round(PAGE_W * ppt)), int(round(PAGE_H * ppt))
    img = np.full((h, w), 255, np.uint8)
    page = next(p for p in layout["pages"] if p["page"] == payload.page)
    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    for mid, corners in marker_corners().items():
        side = int(round(MARKER_SIZE * ppt))
        marker = cv2.aruco.generateImageMarker(dictionary, mid, side)
        x0, y0 = int(round(corners[0][0] * ppt)), int(round(corners[0][1] * ppt))
        img[y0:y0 + side, x0:x0 + side] = marker
    qr = page.get("qr") or layout.get("qr") or {"x": PAGE_W / 2 - 31.2, "y": 28.35, "size": 62.36}
    code = qr_image(payload.text())
    side = int(round(qr["size"] * ppt))
    code = cv2.resize(code, (side, side), interpolation=cv2.INTER_NEAREST)
    x0, y0 = int(round(qr["x"] * ppt)), int(round(qr["y"] * ppt))
    img[y0:y0 + side, x0:x0 + side] = code
    font = cv2.FONT_HERSHEY_SIMPLEX
    for q in layout.get("questions", []):
        if q["page"] != payload.page:
            continue
        cv2.putText(img, f"{q['key']}. Question text for {q['kind']}?", (int(q["x"] * ppt), int((q["y"] + 16) * ppt)),
                    font, 0.55 * ppt / 2.08 * 1.4, 0, max(1, int(ppt)), cv2.LINE_AA)
    for b in page["bubbles"]:
        cv2.circle(img, _pts((b["x"], b["y"]), ppt), int(round(b["r"] * ppt * 16)), 0, max(1, int(round(ppt))),
                   cv2.LINE_AA, 4)
        label = (b["x"] + b["r"] + 6, b["y"] + 5) if isinstance(b["value"], str) else (b["x"] - 5, b["y"] + b["r"] + 13)
        cv2.putText(img, f"{b['value']}", (int(label[0] * ppt), int(label[1] * ppt)), font, 0.5 * ppt / 2.08 * 1.4, 0,
                    max(1, int(ppt * 0.8)), cv2.LINE_AA)
    qkeys = {q["key"] for q in layout.get("questions", []) if q["page"] == payload.page}
    for bx in layout.get("boxes", []):
        if bx["question"] in qkeys:
            cv2.rectangle(img, _pts((bx["x"], bx["y"]), ppt), _pts((bx["x"] + bx["w"], bx["y"] + bx["h"]), ppt), 0,
                          max(1, int(round(ppt))), cv2.LINE_AA, 4)
    return img


def render_pdf_page(pdf: bytes | str, index: int, dpi: float = 150) -> np.ndarray:
    """Page `index` (0-based) of the printed PDF as a grey uint8 array at `dpi`."""
    import pypdfium2 as pdfium

    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[index]
        bitmap = page.render(scale=dpi / 72.0, grayscale=True)
        arr = bitmap.to_numpy()
        out = np.array(arr[:, :, 0] if arr.ndim == 3 else arr, copy=True)
        bitmap.close()
        page.close()
        return out
    finally:
        doc.close()


def draw_mark(img: np.ndarray, bubble: dict, kind: str, dpi: float, rng: np.random.Generator) -> None:
    """Draw a respondent's mark into `img` (in place) over the bubble, in page geometry."""
    ppt = dpi / 72.0
    r = float(bubble["r"])
    cx = float(bubble["x"]) + rng.normal(0, 0.08 * r)
    cy = float(bubble["y"]) + rng.normal(0, 0.08 * r)
    pencil = kind.startswith("pencil")
    colour = int(rng.uniform(105, 150)) if pencil else int(rng.uniform(5, 70))
    width_pt = rng.uniform(0.6, 1.0) if pencil else rng.uniform(1.0, 2.2)
    thick = max(1, int(round(width_pt * ppt)))

    def line(p, q):
        cv2.line(img, _pts(p, ppt), _pts(q, ppt), colour, thick, cv2.LINE_AA, 4)

    if kind == "fill":
        rr = r * rng.uniform(0.8, 1.1)
        cv2.circle(img, _pts((cx, cy), ppt), int(rr * ppt * 16), colour, -1, cv2.LINE_AA, 4)
    elif kind in ("scribble", "pencil_fill"):
        # Back-and-forth strokes across the disc (how people fill with a pen or pencil).
        n = int(rng.integers(5, 9))
        angle = rng.uniform(-0.6, 0.6)
        for i in range(n):
            off = (i / (n - 1) - 0.5) * 1.5 * r
            half = np.sqrt(max(r * r - (off / 1.1) ** 2, 0.1)) * 0.95
            d = np.array([np.cos(angle), np.sin(angle)])
            nvec = np.array([-d[1], d[0]])
            c = np.array([cx, cy]) + nvec * off
            line(c - d * half, c + d * half)
    elif kind in ("tick", "pencil_tick"):
        s = r * rng.uniform(0.9, 1.3)
        a = (cx - 0.6 * s, cy - 0.05 * s + rng.normal(0, 0.1 * s))
        b = (cx - 0.1 * s, cy + 0.6 * s)
        c = (cx + 0.75 * s, cy - 0.85 * s + rng.normal(0, 0.1 * s))
        line(a, b)
        line(b, c)
    elif kind in ("cross", "pencil_cross"):
        s = r * rng.uniform(0.8, 1.3)
        j = lambda: rng.normal(0, 0.08 * s)  # noqa: E731
        line((cx - 0.75 * s + j(), cy - 0.75 * s + j()), (cx + 0.75 * s + j(), cy + 0.75 * s + j()))
        line((cx + 0.75 * s + j(), cy - 0.75 * s + j()), (cx - 0.75 * s + j(), cy + 0.75 * s + j()))
    elif kind == "edge_tick":  # a small tick on the bubble's edge, missing the middle
        a = rng.uniform(0, 2 * np.pi)
        ex, ey = cx + 0.72 * r * np.cos(a), cy + 0.72 * r * np.sin(a)
        s = 0.22 * r
        line((ex - s, ey), (ex - 0.2 * s, ey + 0.8 * s))
        line((ex - 0.2 * s, ey + 0.8 * s), (ex + s, ey - s))
    elif kind == "dot":  # a stray touch of the pen: not an answer, ought to be held or ignored
        cv2.circle(img, _pts((cx, cy), ppt), int(0.15 * r * ppt * 16), colour, -1, cv2.LINE_AA, 4)
    else:
        raise ValueError(f"unknown mark kind {kind!r}")


WRITING_KINDS = ("word", "digit", "pencil_word", "pencil_digit", "stroke", "pencil_stroke", "dot")


def draw_writing(img: np.ndarray, box: dict, kind: str, dpi: float, rng: np.random.Generator) -> None:
    """Handwriting-like ink in a writing box (in place): a short word (a few letters of joined
    curves), one digit, a single short stroke or a dot of the pen, in pen or light pencil,
    somewhere inside the box but clear of its printed border."""
    ppt = dpi / 72.0
    pencil = kind.startswith("pencil")
    colour = int(rng.uniform(105, 175)) if pencil else int(rng.uniform(5, 70))  # pencil fainter than on bubbles
    width_pt = rng.uniform(0.5, 0.9) if pencil else rng.uniform(0.7, 1.8)
    thick = max(1, int(round(width_pt * ppt)))
    size = rng.uniform(7.0, min(16.0, float(box["h"]) - 10.0))  # letter height, points
    letters = int(rng.integers(2, 6)) if kind.endswith("word") else 1
    span = letters * 0.7 * size
    x0 = float(box["x"]) + 6 + rng.uniform(0, max(0.0, float(box["w"]) - 12 - span))
    y0 = float(box["y"]) + 5 + size + rng.uniform(0, max(0.0, float(box["h"]) - 10 - size))  # baseline
    if kind == "dot":
        cv2.circle(img, _pts((x0, y0 - size / 2), ppt), int(rng.uniform(0.6, 1.0) * ppt * 16), colour, -1,
                   cv2.LINE_AA, 4)
        return
    if kind.endswith("stroke"):  # a single short line: a "1", a dash, a slash
        a = rng.uniform(0, np.pi)
        length = rng.uniform(0.5, 1.0) * size
        d = np.array([np.cos(a), -np.sin(a)]) * length / 2
        c = np.array([x0 + length / 2, y0 - size / 2])
        cv2.line(img, _pts(c - d, ppt), _pts(c + d, ppt), colour, thick, cv2.LINE_AA, 4)
        return
    # Letters and digits: a wobbly pen path through random points of each letter's cell.
    points = []
    for i in range(letters):
        cx = x0 + (i + 0.5) * 0.7 * size
        for _ in range(int(rng.integers(3, 6))):
            points.append((cx + rng.uniform(-0.3, 0.3) * size, y0 - rng.uniform(0, 1) * size))
    path = np.array([_pts(p, ppt) for p in points], np.int32).reshape(-1, 1, 2)
    cv2.polylines(img, [path], False, colour, thick, cv2.LINE_AA, 4)


@dataclass(frozen=True)
class Profile:
    """How hard a degradation is: ranges the Generator draws from."""

    name: str
    rotate: float  # max degrees either way
    perspective: float  # max corner displacement, share of the page size
    shift: float  # max share of the page size
    scale: tuple[float, float]
    blur: tuple[float, float]  # Gaussian sigma in px
    noise: tuple[float, float]  # Gaussian noise sigma in grey levels
    jpeg: tuple[int, int]
    shadow: tuple[float, float]  # darkest factor of the light gradient
    paper: tuple[int, int]  # paper grey level
    upside_down: float  # probability


SCAN = Profile("scan", rotate=3.0, perspective=0.0, shift=0.02, scale=(0.97, 1.03), blur=(0.3, 0.9),
               noise=(1.0, 4.0), jpeg=(70, 95), shadow=(0.92, 1.0), paper=(232, 252), upside_down=0.15)
PHOTO = Profile("photo", rotate=10.0, perspective=0.05, shift=0.04, scale=(0.85, 1.05), blur=(0.5, 1.6),
                noise=(3.0, 9.0), jpeg=(50, 90), shadow=(0.5, 0.95), paper=(190, 245), upside_down=0.15)


def degrade(img: np.ndarray, rng: np.random.Generator, profile: Profile = SCAN, *, upside_down: bool | None = None,
            rotate: float | None = None) -> np.ndarray:
    """A scan or photo of the clean page `img`: grey paper, rotation, shift, scale, perspective,
    shadow gradient, blur, noise and JPEG, each drawn from `profile` with `rng`."""
    h, w = img.shape
    paper = rng.uniform(*profile.paper) / 255.0
    out = img.astype(np.float32) * paper  # grey paper darkens everything a little, ink too
    angle = rng.uniform(-profile.rotate, profile.rotate) if rotate is None else rotate
    flip = rng.random() < profile.upside_down if upside_down is None else upside_down
    if flip:
        angle += 180.0
    s = rng.uniform(*profile.scale)
    # Border: the photo shows a darker table or scanner lid beyond the sheet.
    pad = int(0.06 * max(h, w))
    out = cv2.copyMakeBorder(out, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=float(rng.uniform(60, 200)))
    H_, W_ = out.shape
    src = np.float32([[0, 0], [W_, 0], [W_, H_], [0, H_]])
    dst = src + rng.uniform(-profile.perspective, profile.perspective, (4, 2)).astype(np.float32) * np.float32([W_, H_])
    P = cv2.getPerspectiveTransform(src, dst)
    R = np.vstack([cv2.getRotationMatrix2D((W_ / 2, H_ / 2), angle, s), [0, 0, 1]])
    T = np.array([[1, 0, rng.uniform(-1, 1) * profile.shift * W_], [0, 1, rng.uniform(-1, 1) * profile.shift * H_],
                  [0, 0, 1]])
    M = T @ R @ P
    # Whoever scans or photographs a page keeps it in the frame: pull it back in if the draw
    # pushed a corner out (a cut-off corner is a different test: blot_marker in the tests).
    page = np.float32([[pad, pad], [pad + w, pad], [pad + w, pad + h], [pad, pad + h]]).reshape(-1, 1, 2)
    seen = cv2.perspectiveTransform(page, M).reshape(-1, 2)
    lo, hi = seen.min(axis=0), seen.max(axis=0)
    fit = min(1.0, 0.98 * W_ / float(hi[0] - lo[0]), 0.98 * H_ / float(hi[1] - lo[1]))
    centre = (lo + hi) / 2
    move = np.array([[fit, 0, W_ / 2 - fit * centre[0]], [0, fit, H_ / 2 - fit * centre[1]], [0, 0, 1]])
    if fit < 1.0 or lo.min() < 0 or hi[0] > W_ or hi[1] > H_:
        M = move @ M
    out = cv2.warpPerspective(out, M, (W_, H_), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    # Shadow: light falls off linearly in a random direction.
    low = rng.uniform(*profile.shadow)
    theta = rng.uniform(0, 2 * np.pi)
    gx = np.float32(np.cos(theta)) * np.arange(W_, dtype=np.float32)[None, :] / W_
    gy = np.float32(np.sin(theta)) * np.arange(H_, dtype=np.float32)[:, None] / H_
    lo = min(0.0, float(np.cos(theta))) + min(0.0, float(np.sin(theta)))
    span = abs(float(np.cos(theta))) + abs(float(np.sin(theta)))
    out *= np.float32(low) + np.float32((1 - low) / span) * (gx + gy - np.float32(lo))
    sigma = rng.uniform(*profile.blur)
    out = cv2.GaussianBlur(out, (0, 0), sigma)
    out += rng.normal(0, rng.uniform(*profile.noise), out.shape).astype(np.float32)
    out = np.clip(out, 0, 255).astype(np.uint8)
    quality = int(rng.integers(profile.jpeg[0], profile.jpeg[1] + 1))
    ok, buf = cv2.imencode(".jpg", out, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise RuntimeError(f"OpenCV could not encode a {out.shape} page as JPEG at quality {quality}")
    return cv2.imdecode(buf, cv2.IMREAD_GRAYSCALE)


def layout_lookup(layouts: dict[tuple[str, int, int], dict]):
    """A `layout_for` for read_page over {(site, survey, version): layout}."""

    def layout_for(payload: QrPayload) -> dict | None:
        return layouts.get((payload.site, payload.survey, payload.version))

    return layout_for
