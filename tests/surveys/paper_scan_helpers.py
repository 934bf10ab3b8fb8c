"""Printed sheets, scan files and a scripted reader for the scanning tests.

The scripted reader stands in for surveys.paper.marks.read_page: each fake page is a small
grey picture whose first pixel says which scripted result it is, so the Django side (storage,
duplicates, review, responses) is tested without depending on the mark reading itself.
"""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass, field

import numpy as np
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from surveys.paper.models import PrintBatch, Sheet
from surveys.paper.scanning import site_code

PAGE_1 = ["age", "district", "community", "occupation", "uses_phone", "entry"]
PAGE_2 = ["problems", "ease", "trips", "app_name", "story"]


def fake_layout(survey) -> dict:
    regions = [
        {"key": key, "kind": "choice", "page": page, "x": 40, "y": 100 + 100 * i, "w": 500, "h": 90}
        for page, keys in ((1, PAGE_1), (2, PAGE_2))
        for i, key in enumerate(keys)
    ]
    return {
        "page_size_pt": [595.28, 841.89],
        "pages": [{"page": 1, "bubbles": []}, {"page": 2, "bubbles": []}],
        "questions": regions,
        "survey": survey.pk,
        "version": survey.version,
    }


def print_sheets(survey, copies: int = 2, first: int = 1001, community=None) -> list[Sheet]:
    batch = PrintBatch.objects.create(
        survey=survey, survey_version=survey.version, copies=copies, first_serial=first,
        last_serial=first + copies - 1, layout=fake_layout(survey), community=community,
    )
    return [Sheet.objects.create(batch=batch, serial=first + n) for n in range(copies)]


@dataclass(frozen=True)
class Payload:
    site: str
    survey: int
    version: int
    serial: int
    page: int


@dataclass
class Hold:
    question_key: str
    kind: str = "choice"
    reason: str = "Two circles are marked on a question that takes one answer."
    crop: np.ndarray = field(default_factory=lambda: np.full((40, 120), 200, np.uint8))
    machine_read: dict = field(default_factory=lambda: {"darkness": {"card": 0.61, "face": 0.58}, "guess": []})


@dataclass
class Result:
    payload: Payload | None
    status: str = "ok"
    reason: str = ""
    answers: dict = field(default_factory=dict)
    holds: list = field(default_factory=list)
    straightened: np.ndarray | None = None
    # The real reader finds the QR code before the markers, and stops without asking for the
    # layout when the markers are too few: such a page has a payload but never looked it up.
    looks_up: bool = True


def page_of(survey, serial: int, page: int, *, site: str | None = None, version: int | None = None) -> Payload:
    return Payload(site or site_code(), survey.pk, version or survey.version, serial, page)


def answers_page_1(**overrides) -> dict:
    return {"age": ["70+"], "district": ["laocheng"], "community": [], "occupation": ["retired"],
            "uses_phone": ["no"], "entry": ["guard"], **overrides}


def answers_page_2(**overrides) -> dict:
    return {"problems": ["slow"], "ease": ["4"], **overrides}


class ScriptedReader:
    """read_page stand-in: the page's first pixel picks the scripted result."""

    def __init__(self, script: dict[int, Result]) -> None:
        self.script = script
        self.calls: list[int] = []

    def __call__(self, gray: np.ndarray, layout_for):
        number = int(gray[0, 0])
        self.calls.append(number)
        result = self.script[number]
        if result.payload is not None and result.looks_up and layout_for(result.payload) is None:
            return Result(result.payload, status="unreadable", reason="unknown layout")
        return result


def png_page(number: int) -> bytes:
    buffer = io.BytesIO()
    image = np.full((60, 40), 255, np.uint8)
    image[0, 0] = number
    Image.fromarray(image).save(buffer, "PNG")
    return buffer.getvalue()


def tiff_pages(*numbers: int) -> bytes:
    frames = []
    for number in numbers:
        image = np.full((60, 40), 255, np.uint8)
        image[0, 0] = number
        frames.append(Image.fromarray(image))
    buffer = io.BytesIO()
    frames[0].save(buffer, "TIFF", save_all=True, append_images=frames[1:])
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def pdf_pages(count: int, *, password: str | None = None) -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer, encrypt=password) if password else canvas.Canvas(buffer)
    for _ in range(count):
        pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG header claiming 10 billion pixels: a few bytes that would decode to gigabytes."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


# --- Real printed forms (layout, renderer and reader of surveys.paper) ------------------------

DPI = 120
MARKS = {"age": ["60-69"], "district": ["xingang"], "uses_phone": ["no"], "entry": ["guard"],
         "problems": ["slow", "small"], "ease": ["4"]}


def print_real(survey, serials: list[int]) -> tuple[dict, bytes]:
    """Sheets printed as the print command does: a PrintBatch with the layout, and the PDF."""
    from surveys.paper.layout import layout_survey
    from surveys.paper.render import render_pdf
    from surveys.paper.spec import survey_spec

    layout = layout_survey(survey_spec(survey), languages=("zh-hans", "en"), serials=serials)
    buffer = io.BytesIO()
    render_pdf(layout, buffer, serials)
    batch = PrintBatch.objects.create(survey=survey, survey_version=survey.version, copies=len(serials),
                                      first_serial=serials[0], last_serial=serials[-1],
                                      layout=layout.as_json(with_sheets=False))
    for serial in serials:
        Sheet.objects.create(batch=batch, serial=serial)
    return layout.as_json(), buffer.getvalue()


def marked_pages(layout: dict, pdf: bytes, sheet: int, marks: dict[str, list[str]], seed: int = 4,
                 kind: str = "fill") -> list[np.ndarray]:
    """One sheet's pages (0-based sheet number) as a scanner would see them, marks drawn in."""
    from surveys.paper.synthetic import draw_mark, render_pdf_page

    rng = np.random.default_rng(seed)
    pages_per_sheet = len(layout["pages"])
    images = []
    for number, page in enumerate(layout["pages"], start=1):
        image = render_pdf_page(pdf, sheet * pages_per_sheet + number - 1, dpi=DPI)
        for bubble in page["bubbles"]:
            if bubble["value"] in marks.get(bubble["question"], []):
                draw_mark(image, bubble, kind, DPI, rng)
        images.append(image)
    return images


def save_tiff(path, images: list[np.ndarray]):
    frames = [Image.fromarray(image) for image in images]
    frames[0].save(path, "TIFF", save_all=True, append_images=frames[1:], compression="tiff_deflate")
    return path
