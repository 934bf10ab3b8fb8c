"""Draw a layout as a PDF: exactly the geometry `surveys.paper.layout` computed, nothing measured
or wrapped here.

Speed: each distinct page is drawn once into a PDF form (XObject); every sheet's page then
places that form and adds only what differs, its QR code and serial. A thousand copies of a
four-page survey take seconds, and the file stays small.

Chinese is set in reportlab's built-in CID font STSong-Light: it needs no font file, so
printing works on a fresh machine, and PDF viewers and printers supply the glyphs (every
system with Chinese support has a Song/Sans CJK face). The Noto CJK fonts that Debian ships
are OpenType/CFF collections, which reportlab cannot embed.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import BinaryIO

from reportlab.graphics.barcode import qrencoder
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

from surveys.paper.layout import PAGE_H, PAGE_W, Layout, qr_payload

COLORS = {"ink": (0, 0, 0), "soft": (0.24, 0.24, 0.24), "rule": (0.45, 0.45, 0.45)}
# Byte capacity of a QR code at error correction M, by version: the smallest that holds the
# longest payload of a batch is used for all its sheets, so every code is the same size.
QR_CAPACITY_M = {2: 26, 3: 42, 4: 62, 5: 84, 6: 106}
QR_MASK = 2  # a fixed mask: choosing the "best" of eight costs six times as long, for nothing a reader needs


@cache
def register_fonts() -> dict[str, str]:
    """Font keys of the layout -> reportlab font names (registered once per process)."""
    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    return {"cjk": "STSong-Light", "cjk-bold": "STSong-Light", "latin": "Helvetica", "latin-bold": "Helvetica-Bold"}


@cache
def _marker_bits(marker_id: int) -> tuple[tuple[bool, ...], ...]:
    """The 6 x 6 modules of an ArUco DICT_4X4_50 marker, True for black."""
    import cv2

    dictionary = cv2.aruco.getPredefinedDictionary(cv2.aruco.DICT_4X4_50)
    image = cv2.aruco.generateImageMarker(dictionary, marker_id, 6)
    return tuple(tuple(bool(v < 128) for v in row) for row in image)


def qr_version(longest_payload: str) -> int:
    for version, capacity in QR_CAPACITY_M.items():
        if len(longest_payload.encode()) <= capacity:
            return version
    raise ValueError(f"QR payload too long: {longest_payload!r}")


def qr_modules(payload: str, version: int) -> list[list[bool]]:
    code = qrencoder.QRCode(version, qrencoder.QRErrorCorrectLevel.M)
    code.addData(payload)
    code.makeImpl(False, QR_MASK)
    n = code.getModuleCount()
    return [[bool(code.isDark(r, c)) for c in range(n)] for r in range(n)]


def _fill_modules(canvas: Canvas, rows: Sequence[Sequence[bool]], x: float, y: float, size: float) -> None:
    """Black modules as one filled path, each horizontal run one rectangle. Written as PDF
    operators directly: reportlab's path objects format every number in pure Python, which
    made the QR codes most of the time of a large batch."""
    n = len(rows)
    m = size / n
    ops = ["0 g"]
    for r, row in enumerate(rows):
        top = PAGE_H - (y + (r + 1) * m)
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                ops.append(f"{x + start * m:.3f} {top:.3f} {(c - start) * m:.3f} {m:.3f} re")
            else:
                c += 1
    ops.append("f")
    canvas.addLiteral("\n".join(ops))


def _text(canvas: Canvas, item: dict, fonts: dict[str, str]) -> None:
    size = item["size"]
    color = COLORS[item.get("color", "ink")]
    bold = item["font"] == "cjk-bold"
    if bold:
        canvas.saveState()  # the render mode is graphics state: keep it to this line
    text = canvas.beginText()
    text.setTextOrigin(item["x"], PAGE_H - (item["y"] + size * 0.88))
    text.setFont(fonts[item["font"]], size)
    canvas.setFillColorRGB(*color)
    if bold:
        # STSong-Light has no bold face: stroke the outlines thinly as well as filling them.
        canvas.setStrokeColorRGB(*color)
        canvas.setLineWidth(size * 0.035)
        text.setTextRenderMode(2)
    text.textOut(item["text"])
    canvas.drawText(text)
    if bold:
        canvas.restoreState()


def _draw_static(canvas: Canvas, page: dict, fonts: dict[str, str]) -> None:
    for marker in page["markers"]:
        (x, y), _, (x2, _y2), _ = marker["corners"]
        _fill_modules(canvas, _marker_bits(marker["id"]), x, y, x2 - x)
    for frame in page.get("frames", []):
        canvas.setStrokeColorRGB(*COLORS["rule"])
        canvas.setLineWidth(1)
        canvas.roundRect(frame["x"], PAGE_H - frame["y"] - frame["h"], frame["w"], frame["h"], 6, stroke=1, fill=0)
    for item in page["texts"]:
        _text(canvas, item, fonts)
    canvas.setStrokeColorRGB(0, 0, 0)
    canvas.setLineWidth(1)
    path = canvas.beginPath()
    for bubble in page["bubbles"]:
        path.circle(bubble["x"], PAGE_H - bubble["y"], bubble["r"])
    canvas.drawPath(path, stroke=1, fill=0)
    for box in page["boxes"]:
        canvas.rect(box["x"], PAGE_H - box["y"] - box["h"], box["w"], box["h"], stroke=1, fill=0)


def render_pdf(layout: Layout | dict, output: str | BinaryIO, serials: Sequence[int] | None = None) -> int:
    """Write sheet 1 pages 1..P, then sheet 2, and so on. Returns the number of pages written."""
    data = layout.as_json() if isinstance(layout, Layout) else layout
    serials = list(serials if serials is not None else data.get("sheets") or [])
    if not serials:
        raise ValueError("No sheets to print: give at least one serial.")
    fonts = register_fonts()
    pages = data["pages"]
    canvas = Canvas(output, pagesize=(PAGE_W, PAGE_H), invariant=1, pageCompression=1)
    canvas.setTitle(data.get("title") or "CityLab")
    canvas.setCreator("CityLab")
    for page in pages:
        canvas.beginForm(f"page{page['page']}")
        _draw_static(canvas, page, fonts)
        canvas.endForm()
    site, survey, version = data["site"], data["survey"], data["version"]
    version_qr = qr_version(qr_payload(site, survey, version, max(serials), len(pages)))
    count = 0
    for serial in serials:
        for page in pages:
            canvas.doForm(f"page{page['page']}")
            qr = page["qr"]
            _fill_modules(canvas, qr_modules(qr_payload(site, survey, version, serial, page["page"]), version_qr),
                          qr["x"], qr["y"], qr["size"])
            spot = page["serial"]
            canvas.setFillColorRGB(0, 0, 0)
            canvas.setFont(fonts[spot["font"]], spot["size"])
            canvas.drawString(spot["x"], PAGE_H - (spot["y"] + spot["size"] * 0.88), f"{spot['prefix']}{serial}")
            canvas.showPage()
            count += 1
    canvas.save()
    return count
