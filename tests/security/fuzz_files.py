"""Files to upload: real ones of each kind the forms take, and everything they must refuse
without an error: arbitrary bytes, empty files, truncated or corrupt PDFs, picture headers
followed by garbage, small files that claim 100,000 × 100,000 pixels, names that lie about
the content, CSV and JSON that are almost right, deeply nested or in the wrong encoding.
"""

from __future__ import annotations

import io
import json
import struct
import zlib

import numpy as np
from hypothesis import strategies as st
from PIL import Image

from tests.security.fuzz_input import NASTY_TEXT, Upload, any_text


def _image(kind: str, size: tuple[int, int] = (40, 30)) -> bytes:
    out = io.BytesIO()
    Image.fromarray(np.full((size[1], size[0]), 230, np.uint8)).convert("RGB").save(out, format=kind)
    return out.getvalue()


def _pdf(pages: int = 1, *, password: str | None = None, size: tuple[float, float] = (595, 842)) -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=size, **({"encrypt": password} if password else {}))
    for _ in range(pages):
        pdf.drawString(72, 720, "CityLab")
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming(width: int, height: int) -> bytes:
    """A valid PNG header announcing width × height, with a few bytes of pixels."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", header) + _chunk(b"IDAT", zlib.compress(b"\x00" * 64))
            + _chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real JPEG whose frame header (SOF0) is rewritten to announce width × height."""
    data = bytearray(_image("JPEG"))
    at = data.index(b"\xff\xc0") + 5  # marker, length (2), precision (1), then height and width
    data[at:at + 4] = struct.pack(">HH", height, width)
    return bytes(data)


def tiff_claiming(width: int, height: int) -> bytes:
    """A one-strip TIFF header announcing width × height, with almost no pixel data."""
    entries = [(256, 4, 1, width), (257, 4, 1, height), (258, 3, 1, 8), (259, 3, 1, 1), (262, 3, 1, 1),
               (273, 4, 1, 8), (278, 4, 1, height), (279, 4, 1, 16)]
    ifd = struct.pack("<H", len(entries)) + b"".join(struct.pack("<HHII", *e) for e in entries) + b"\0\0\0\0"
    return b"II*\x00" + struct.pack("<I", 24) + b"\x00" * 16 + ifd


REAL = {
    "png": _image("PNG"), "jpeg": _image("JPEG"), "tiff": _image("TIFF"), "webp": _image("WEBP"),
    "gif": _image("GIF"), "bmp": _image("BMP"), "pdf": _pdf(), "pdf3": _pdf(3),
}
HEADERS = [b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", b"%PDF-1.7\n", b"%PDF-",
           b"II*\x00", b"MM\x00*", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b"GIF89a", b"PK\x03\x04", b"\xef\xbb\xbf"]
# Small files, enormous pictures: decompression bombs, to be refused from the header.
BOMBS = [
    png_claiming(100_000, 100_000), png_claiming(1, 2**31 - 1), png_claiming(0, 0), jpeg_claiming(65_535, 65_535),
    tiff_claiming(100_000, 100_000), tiff_claiming(2**32 - 1, 1), _pdf(size=(14_400, 14_400)), _pdf(size=(1, 1)),
    # Under Pillow's own bomb limit, over ours (80 million pixels a page, 6,000 px a photo's side).
    png_claiming(12_000, 12_000), png_claiming(9_000, 9_000), png_claiming(7_000, 10), jpeg_claiming(6_000, 6_000),
]
SPECIAL = [
    b"", b"\x00", b"\x00" * 4096, _pdf(password="secret"), b"%PDF-1.4\n%%EOF\n",
    REAL["pdf"].replace(b"/Type /Page", b"/Type /Xage"), REAL["pdf3"][: len(REAL["pdf3"]) // 2],
    REAL["png"][:-12], REAL["jpeg"][: len(REAL["jpeg"]) // 2], REAL["tiff"][:40],
]

NAMES = ["scan.pdf", "photo.jpg", "page.png", "pages.tif", "form.json", "counts.csv", "", ".", "..", "../../etc/passwd",
         "C:\\Windows\\win.ini", "a\x00b.pdf", "长者版问卷.pdf", "\u202efdp.exe", "x" * 300 + ".pdf", "no-extension",
         "photo.JPG", "scan.pdf.exe", "semi;colon.png", 'quote".png', "new\r\nline.png"]
TYPES = ["application/octet-stream", "application/pdf", "image/png", "image/jpeg", "text/csv", "application/json",
         "text/html", "", "image/svg+xml", "multipart/form-data"]


def sweep_files(good: Upload) -> list[Upload]:
    """What the sweep sends in a file field: every real kind, bomb and special case under the
    good file's name, and the good file under names and types that lie."""
    names = ["", ".", "..", "×", "?*<>|", "../../etc/passwd", "a\x00b.pdf", "x" * 300 + ".pdf", "\u202efdp.exe",
             'quote".png', "长者版.csv"]
    return [
        *(Upload(good.name, data, good.content_type) for data in [*REAL.values(), *BOMBS, *SPECIAL]),
        *(Upload(name, good.content, "text/html") for name in names),
    ]


@st.composite
def mangled(draw, good: bytes) -> bytes:
    """A real file cut short, or with bytes overwritten, inserted or deleted."""
    data = bytearray(good)
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        how = draw(st.sampled_from(["cut", "flip", "insert", "delete"]))
        if how == "cut":
            del data[at:]
        elif how == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif how == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=32))
        else:
            del data[at:at + draw(st.integers(1, 64))]
    return bytes(data)


def contents(*goods: bytes) -> st.SearchStrategy[bytes]:
    """Bytes for an upload: the given good files (first, so that shrinking goes there), then
    the same mangled, the real files of other kinds, headers with garbage, bombs, and noise."""
    return st.one_of(
        st.sampled_from(list(goods)),
        st.sampled_from(list(goods)).flatmap(mangled),
        st.sampled_from([*REAL.values(), *BOMBS, *SPECIAL]),
        st.tuples(st.sampled_from(HEADERS), st.binary(max_size=512)).map(b"".join),
        st.binary(max_size=2048),
    )


def uploads(*goods: bytes, names: list[str] | None = None) -> st.SearchStrategy[Upload]:
    return st.builds(Upload, st.one_of(st.sampled_from(names or NAMES), st.sampled_from(NAMES), any_text),
                     contents(*goods), st.sampled_from(TYPES))


# --- Text files: CSV and JSON -------------------------------------------------------------------


def encoded(text: str) -> st.SearchStrategy[bytes]:
    """The text as a spreadsheet or editor might save it, or as nothing would."""
    utf8 = text.encode("utf-8", "surrogatepass")  # a lone surrogate, as a broken exporter writes it
    return st.sampled_from([
        utf8, b"\xef\xbb\xbf" + utf8, text.encode("utf-16", "surrogatepass"), text.encode("gb18030", "replace"),
        text.encode("latin-1", "replace"),
    ])


cells = st.one_of(st.sampled_from(["laocheng", "70+", "60-69", "100", "0", "-5", "1e9", "9" * 30, "", "=CMD()",
                                   "NaN", "1.5", " 12 ", "１２", '"', '""', "\x00"]),
                  st.sampled_from(NASTY_TEXT[:30]), any_text)


@st.composite
def csv_text(draw, header: list[str], good_rows: list[list[str]]) -> str:
    """A CSV with the right header or one almost like it, and rows good, short, long or odd."""
    head = draw(st.one_of(st.just(header), st.permutations(header), st.lists(st.sampled_from(header + ["extra", ""]),
                                                                           max_size=len(header) + 2)))
    rows = draw(st.lists(st.one_of(st.sampled_from(good_rows), st.lists(cells, max_size=len(header) + 2)),
                         max_size=6))
    separator = draw(st.sampled_from([",", ";", "\t", "，"]))
    newline = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    lines = [separator.join(head), *(separator.join(row) for row in rows)]
    if draw(st.booleans()):
        lines.append(draw(st.sampled_from(['"unclosed,quote', "x" * 200_000, ",,,,", "\x00\x00", "a" + "," * 5000])))
    return newline.join(lines)


json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), any_text,
              st.sampled_from(["single", "scale", "age_band", "zh-hans", "en", "1e999", "-1"])),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.one_of(st.sampled_from(
                                ["slug", "title", "questions", "key", "kind", "text", "choices", "value", "label",
                                 "min", "max", "show_if", "question", "equals", "required", "opens_at", "closes_at",
                                 "purpose", "status", "zh-hans", "en"]), any_text), inner, max_size=5)),
    max_leaves=20,
)


@st.composite
def mutated_json(draw, good: dict) -> object:
    """The good document with one part replaced by any JSON value, deleted, or doubled."""
    document = json.loads(json.dumps(good))
    node, path = document, []
    while isinstance(node, (dict, list)) and node and draw(st.booleans()):
        key = draw(st.sampled_from(list(node) if isinstance(node, dict) else list(range(len(node)))))
        path.append(key)
        parent, node = node, node[key]
    if not path:
        return draw(json_values)
    how = draw(st.sampled_from(["replace", "delete", "double"]))
    if how == "replace":
        parent[path[-1]] = draw(json_values)
    elif how == "delete":
        del parent[path[-1]]
    elif isinstance(parent, list):
        parent.append(parent[path[-1]])
    return document


def json_files(good: dict) -> st.SearchStrategy[bytes]:
    return st.one_of(
        st.just(json.dumps(good, ensure_ascii=False).encode()),
        mutated_json(good).map(lambda d: json.dumps(d, ensure_ascii=False).encode("utf-8", "surrogatepass")),
        json_values.map(lambda d: json.dumps(d).encode()),
        st.sampled_from([b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"", b"null",
                         b"1e999999", b'"\\ud800"', b"\xef\xbb\xbf{}", json.dumps(good).encode("utf-16"),
                         b"{" + b'"slug": "x",' * 20_000 + b"}"]),
        st.binary(max_size=256),
    )
