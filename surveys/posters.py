"""Printable A4 posters and cut-out cards of survey QR codes, for residents to scan.

Django-free, and in two steps so that each can be tested alone: `layout` turns a sheet (the
survey's title and its links) into pages of plain drawing instructions — text lines, QR codes
and cut lines with their positions in points — and `render` draws them with reportlab.

Readers are often over 70 and scan by a lift or on a notice board, so everything is large and
black on white: the title at 20 pt at least (40 pt on a poster), the QR code at least 35 mm
wide, the address in a bold typewriter face, where 0 and O, 1 and l differ more than in most.

Chinese is set in Adobe's "STSong-Light", which reportlab ships as a CID font: the server needs
no font file, so `make run` works on a fresh machine. The font is not embedded; the PDF reader
substitutes a Chinese face of its own, as every reader on a Chinese-language computer has
(Acrobat fetches its Asian font pack; browsers and Poppler use the system's CJK font). Embedding
would need a Chinese TrueType font on the server, and reportlab cannot embed the OpenType (CFF)
faces that Linux distributions ship.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.colors import Color, black
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen.canvas import Canvas

CJK = "STSong-Light"
LATIN = "Helvetica"
LATIN_BOLD = "Helvetica-Bold"
MONO = "Courier-Bold"

INSTRUCTION_PHRASES = ("用手机扫码", "填写问卷")
INSTRUCTION_ZH = "".join(INSTRUCTION_PHRASES)
INSTRUCTION_EN = "Scan with your phone to answer"
TYPE_ZH = "不方便扫码？也可以在浏览器里输入网址："
TYPE_EN = "Or type this address into your browser:"
ONCE_ZH = "此码只能填写一次，请不要转给别人"
ONCE_EN = "This code is for one answer only: please keep it to yourself"
OPEN_ZH = "欢迎每位居民填写，每人填一次"
OPEN_EN = "Every resident is welcome to answer, once each"
ONCE_CARD_ZH = "此码只能填写一次"
ONCE_CARD_EN = "For one answer only"

# Up to this many links print as one poster each; more print as cards, CARD_COLUMNS × CARD_ROWS
# to a page, so that a batch of 2,000 mailing links is 334 sheets rather than 2,000.
POSTER_LIMIT = 50
CARD_COLUMNS, CARD_ROWS = 2, 3
# ISO/IEC 18004 asks for four light modules around the code; scanners fail without them.
QUIET_MODULES = 4
QR_LEVEL = "M"  # recovers from 15% damage: a scuffed poster or a fold in a letter still scans
MIN_CODE = 35 * mm

GREY = Color(0.2, 0.2, 0.2)  # still over 12:1 on white paper
CUT_GREY = Color(0.45, 0.45, 0.45)


# --- What to draw -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    """One line of text; `y` is its baseline, `x` its left edge or (centred) its middle."""

    x: float
    y: float
    text: str
    font: str
    size: float
    centred: bool = False
    bold: bool = False
    grey: bool = False


@dataclass(frozen=True)
class QRCode:
    """A QR code of `value`; (x, y, size) is its square including the quiet zone."""

    x: float
    y: float
    size: float
    value: str
    modules: int

    @property
    def code_size(self) -> float:
        """The printed code without its quiet zone: what a phone has to see."""
        return self.size * self.modules / (self.modules + 2 * QUIET_MODULES)


@dataclass(frozen=True)
class CutLine:
    """The dashed outline of a card, to cut along."""

    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Frame:
    """A rounded black frame: on a poster it draws the eye to the code from across a hall."""

    x: float
    y: float
    width: float
    height: float


Item = Text | QRCode | CutLine | Frame


@dataclass
class Page:
    items: list[Item] = field(default_factory=list)

    def texts(self) -> list[str]:
        return [item.text for item in self.items if isinstance(item, Text)]

    def codes(self) -> list[QRCode]:
        return [item for item in self.items if isinstance(item, QRCode)]


# --- What to print ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Code:
    """One link to print. `footer` is small print for whoever sorts the printouts."""

    url: str
    footer: str = ""


@dataclass(frozen=True)
class Sheet:
    title_zh: str
    title_en: str
    codes: Sequence[Code]
    single_use: bool  # invitation links work once; the open link works for everyone
    # Cards rather than posters; by default, when there are more codes than POSTER_LIMIT. A
    # large batch downloaded in parts passes True, so that its last, short part is cards too.
    cards: bool | None = None

    @property
    def as_cards(self) -> bool:
        return self.cards if self.cards is not None else len(self.codes) > POSTER_LIMIT


def short_url(url: str) -> str:
    """The address without its scheme: what a person types, since browsers add it."""
    return url.split("://", 1)[-1]


# --- Fonts and line breaking -------------------------------------------------------------------


@cache
def register_fonts() -> None:
    """reportlab keeps fonts in a process-wide registry; registering once is enough."""
    pdfmetrics.registerFont(UnicodeCIDFont(CJK))


def latin_font(text: str, bold: bool = False) -> str:
    """Helvetica for English; the CJK font when an "English" title holds other characters,
    since Helvetica has only the Latin-1 (WinAnsi) glyphs."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return CJK
    return LATIN_BOLD if bold else LATIN


def width_of(text: str, font: str, size: float) -> float:
    register_fonts()
    return pdfmetrics.stringWidth(text, font, size)


# Words stay whole; each Chinese character may start a line; a URL breaks after a slash.
TOKEN = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+|.")
URL_TOKEN = re.compile(r"[^/]*/|[^/]+")
# Closing punctuation never starts a line (Chinese typesetting rule): it stays with the word before.
NO_LINE_START = set("，。、；：？！）》」』”’,.;:?!)")


def wrap(text: str, font: str, size: float, width: float, *, url: bool = False) -> list[str]:
    """Break `text` into lines no wider than `width` (a token longer than a line is cut)."""
    tokens = URL_TOKEN.findall(text) if url else TOKEN.findall(text)
    lines: list[str] = []
    line = ""
    for token in tokens:
        candidate = line + token
        if width_of(candidate.rstrip(), font, size) <= width or not line.strip() or token[0] in NO_LINE_START:
            line = candidate
        else:
            lines.append(line.rstrip())
            line = token.lstrip()
        while width_of(line.rstrip(), font, size) > width and len(line) > 1:
            # One token wider than the line (a long token in a URL, a very long word): cut it.
            cut = len(line) - 1
            while cut > 1 and width_of(line[:cut], font, size) > width:
                cut -= 1
            lines.append(line[:cut])
            line = line[cut:]
    if line.strip():
        lines.append(line.rstrip())
    return lines


def fit(
    text: str, font: str, *, largest: float, smallest: float, width: float, max_lines: int, url: bool = False
) -> tuple[float, list[str]]:
    """The largest size (in 2 pt steps) at which `text` fits in `max_lines` lines.

    At the smallest size, text still too long ends its last line with an ellipsis — except an
    address, which is no use cut short: it takes the lines it needs.
    """
    size = largest
    while True:
        lines = wrap(text, font, size, width, url=url)
        if len(lines) <= max_lines or size - 2 < smallest:
            break
        size -= 2
    if len(lines) > max_lines and not url:
        last = lines[max_lines - 1]
        while last and width_of(last + "…", font, size) > width:
            last = last[:-1]
        lines = lines[: max_lines - 1] + [last.rstrip() + "…"]
    return size, lines


def phrases(texts: Sequence[str], font: str, size: float, width: float) -> list[str]:
    """`texts` on one line when they fit, else one phrase a line: "用手机扫码 / 填写问卷" reads
    better than a break wherever the line happens to end."""
    whole = "".join(texts)
    if width_of(whole, font, size) <= width:
        return [whole]
    return [line for text in texts for line in wrap(text, font, size, width)]


def qr_modules(value: str) -> int:
    """How many modules wide the code of `value` is (21 for version 1, 4 more per version),
    without encoding it: the layout needs the size, and encoding is the slow part."""
    version = QrCodeWidget(value, barLevel=QR_LEVEL).qr.calculate_version()
    return version * 4 + 17


class Column:
    """A cursor down a column of stacked lines: each `add` sets lines below the last ones."""

    def __init__(self, page: Page, left: float, width: float, top: float) -> None:
        self.page, self.left, self.width, self.top = page, left, width, top

    def add(
        self, lines: Sequence[str], font: str, size: float, *, leading: float = 1.3, centred: bool = False,
        bold: bool = False, grey: bool = False,
    ) -> None:
        for line in lines:
            # The baseline sits about 0.8 of the size below the line's top (ascent of both faces).
            baseline = self.top - size * 0.8 - (leading - 1) * size / 2
            x = self.left + self.width / 2 if centred else self.left
            self.page.items.append(Text(x, baseline, line, font, size, centred=centred, bold=bold, grey=grey))
            self.top -= size * leading

    def skip(self, space: float) -> None:
        self.top -= space


def lines_height(count: int, size: float, leading: float = 1.3) -> float:
    return count * size * leading


# --- Layout ------------------------------------------------------------------------------------


def layout(sheet: Sheet) -> list[Page]:
    """Pages of what to draw: a poster per code for small batches, cards for large ones."""
    if not sheet.as_cards:
        return [poster_page(sheet, code) for code in sheet.codes]
    per_page = CARD_COLUMNS * CARD_ROWS
    return [card_page(sheet, sheet.codes[start : start + per_page]) for start in range(0, len(sheet.codes), per_page)]


def poster_page(sheet: Sheet, code: Code) -> Page:
    """One A4 poster: title, instruction, a QR code of up to 110 mm, the address, a note."""
    page_width, page_height = A4
    margin = 18 * mm
    width = page_width - 2 * margin
    page = Page()

    top = Column(page, margin, width, page_height - margin)
    size, lines = fit(sheet.title_zh, CJK, largest=40, smallest=28, width=width, max_lines=3)
    top.add(lines, CJK, size, leading=1.25, centred=True, bold=True)
    if sheet.title_en:
        font = latin_font(sheet.title_en)
        size, lines = fit(sheet.title_en, font, largest=20, smallest=16, width=width, max_lines=2)
        top.add(lines, font, size, leading=1.25, centred=True, grey=True)
    top.skip(8 * mm)
    top.add([INSTRUCTION_ZH], CJK, 30, leading=1.3, centred=True, bold=True)
    top.add([INSTRUCTION_EN], LATIN_BOLD, 18, leading=1.3, centred=True)

    # The bottom block is stacked upwards from the margin, so measure it first.
    url_size, url_lines = fit(short_url(code.url), MONO, largest=18, smallest=12, width=width, max_lines=3, url=True)
    bottom_height = (
        lines_height(1, 16) + lines_height(1, 13) + 2 * mm + lines_height(len(url_lines), url_size, 1.25)
        + 6 * mm + lines_height(1, 15) + lines_height(1, 12)
        + (lines_height(1, 10) + 3 * mm if code.footer else 0)
    )
    bottom = Column(page, margin, width, margin + bottom_height)
    bottom.add([TYPE_ZH], CJK, 16, centred=True)
    bottom.add([TYPE_EN], LATIN, 13, centred=True, grey=True)
    bottom.skip(2 * mm)
    bottom.add(url_lines, MONO, url_size, leading=1.25, centred=True)
    bottom.skip(6 * mm)
    bottom.add([ONCE_ZH if sheet.single_use else OPEN_ZH], CJK, 15, centred=True, bold=True)
    bottom.add([ONCE_EN if sheet.single_use else OPEN_EN], LATIN, 12, centred=True, grey=True)
    if code.footer:
        bottom.skip(3 * mm)
        bottom.add([code.footer], CJK, 10, centred=True, grey=True)

    # The code takes the room between the two blocks, up to 110 mm (bigger only blurs on a
    # phone held at arm's length), centred in that room.
    # 8 mm above and below leave 6 mm between the frame and the text.
    room = top.top - (margin + bottom_height) - 16 * mm
    modules = qr_modules(code.url)
    side = min(room, 110 * mm * (modules + 2 * QUIET_MODULES) / modules)
    y = margin + bottom_height + 8 * mm + (room - side) / 2
    page.items.append(QRCode((page_width - side) / 2, y, side, code.url, modules))
    # The frame sits just outside the quiet zone, which must stay blank.
    page.items.append(Frame((page_width - side) / 2 - 2 * mm, y - 2 * mm, side + 4 * mm, side + 4 * mm))
    return page


def card_page(sheet: Sheet, codes: Sequence[Code]) -> Page:
    """Up to six cut-out cards on an A4 page, each with everything a poster has but the note."""
    page_width, page_height = A4
    margin = 10 * mm
    card_width = (page_width - 2 * margin) / CARD_COLUMNS
    card_height = (page_height - 2 * margin) / CARD_ROWS
    page = Page()
    for index, code in enumerate(codes):
        row, column = divmod(index, CARD_COLUMNS)
        x = margin + column * card_width
        y = page_height - margin - (row + 1) * card_height
        page.items.append(CutLine(x, y, card_width, card_height))
        card(page, sheet, code, x, y, card_width, card_height)
    return page


def card(page: Page, sheet: Sheet, code: Code, x: float, y: float, width: float, height: float) -> None:
    """One card: the title across the top, the code with the instruction beside it, the address
    and the footer across the foot. The code takes the room left, up to 42 mm; should a long
    title and a long address leave it less than 35 mm, the English title and then the footer
    give way, since the code and the address are what a resident cannot do without."""
    pad = 5 * mm
    inner = width - 2 * pad
    modules = qr_modules(code.url)
    title_size, title_lines = fit(sheet.title_zh, CJK, largest=22, smallest=20, width=inner, max_lines=2)
    en_font = latin_font(sheet.title_en)
    en_lines = fit(sheet.title_en, en_font, largest=11, smallest=11, width=inner, max_lines=1)[1] if sheet.title_en else []
    url_size, url_lines = fit(short_url(code.url), MONO, largest=12, smallest=10, width=inner, max_lines=2, url=True)
    footer_lines = fit(code.footer, CJK, largest=9, smallest=9, width=inner, max_lines=1)[1] if code.footer else []

    def room() -> float:
        """Height left for the code's square (quiet zone included)."""
        return (
            height - pad - 4 * mm - 1 * mm - lines_height(len(title_lines), title_size, 1.25)
            - lines_height(len(en_lines), 11, 1.2) - lines_height(len(url_lines), url_size, 1.2)
            - lines_height(len(footer_lines), 9, 1.25)
        )

    def code_size() -> float:
        return min(room(), 42 * mm * (modules + 2 * QUIET_MODULES) / modules) * modules / (modules + 2 * QUIET_MODULES)

    if code_size() < MIN_CODE:
        en_lines = []
    if code_size() < MIN_CODE:
        footer_lines = []

    top = Column(page, x + pad, inner, y + height - pad)
    top.add(title_lines, CJK, title_size, leading=1.25, bold=True)
    top.add(en_lines, en_font, 11, leading=1.2, grey=True)
    bottom_height = lines_height(len(url_lines), url_size, 1.2) + lines_height(len(footer_lines), 9, 1.25)
    bottom = Column(page, x + pad, inner, y + 4 * mm + bottom_height)
    bottom.add(url_lines, MONO, url_size, leading=1.2)
    bottom.add(footer_lines, CJK, 9, leading=1.25, grey=True)

    side = code_size() * (modules + 2 * QUIET_MODULES) / modules
    # The quiet zone on the left may reach into the card's padding, which is blank paper too.
    quiet = side * QUIET_MODULES / (modules + 2 * QUIET_MODULES)
    left = x + pad - min(quiet, pad - 1 * mm)
    qr_y = y + 4 * mm + bottom_height + (room() - side) / 2
    page.items.append(QRCode(left, qr_y, side, code.url, modules))

    # Beside the code's square (quiet zone included), aligned with the top of the code itself.
    beside_left = left + side + 1 * mm
    beside = Column(page, beside_left, x + width - pad - beside_left, qr_y + side - quiet + 1 * mm)
    beside.add(phrases(INSTRUCTION_PHRASES, CJK, 20, beside.width), CJK, 20, leading=1.25, bold=True)
    beside.add(wrap(INSTRUCTION_EN, LATIN_BOLD, 11, beside.width), LATIN_BOLD, 11, leading=1.25)
    if sheet.single_use:
        beside.skip(2.5 * mm)
        beside.add(wrap(ONCE_CARD_ZH, CJK, 12, beside.width), CJK, 12, leading=1.3)
        beside.add(wrap(ONCE_CARD_EN, LATIN, 10, beside.width), LATIN, 10, leading=1.25, grey=True)


# --- Drawing -----------------------------------------------------------------------------------


def render(pages: Sequence[Page], *, title: str) -> bytes:
    """Draw the pages into an A4 PDF."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("CityLab")
    for page in pages:
        for item in page.items:
            if isinstance(item, Text):
                draw_text(canvas, item)
            elif isinstance(item, QRCode):
                draw_code(canvas, item)
            elif isinstance(item, Frame):
                draw_frame(canvas, item)
            else:
                draw_cut_line(canvas, item)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def draw_text(canvas: Canvas, item: Text) -> None:
    colour = GREY if item.grey else black
    text = canvas.beginText()
    text.setFont(item.font, item.size)
    x = item.x - width_of(item.text, item.font, item.size) / 2 if item.centred else item.x
    text.setTextOrigin(x, item.y)
    text.setFillColor(colour)
    canvas.saveState()  # the render mode and line width below must not leak to the next line
    if item.bold and item.font == CJK:
        # The Song face has no bold: stroking the outlines as well as filling them thickens
        # the strokes, which old eyes need more than typographic purity.
        text.setTextRenderMode(2)
        text.setStrokeColor(colour)
        canvas.setLineWidth(item.size * 0.035)
    text.textLine(item.text)
    canvas.drawText(text)
    canvas.restoreState()


def draw_code(canvas: Canvas, item: QRCode) -> None:
    """reportlab's QR widget encodes; its modules are drawn as one filled path of row runs.

    Rendering the widget itself makes a validated shape object per run, 0.1 s a code: a batch
    of 2,000 cards would take minutes. One path also makes the PDF smaller.
    """
    code = QrCodeWidget(item.value, barLevel=QR_LEVEL).qr
    code.make()
    module = item.size / (code.getModuleCount() + 2 * QUIET_MODULES)
    left = item.x + QUIET_MODULES * module
    top = item.y + item.size - QUIET_MODULES * module
    path = canvas.beginPath()
    for row_index, row in enumerate(code.modules):
        column = 0
        for dark, run in itertools.groupby(row):
            length = len(list(run))
            if dark:
                path.rect(left + column * module, top - (row_index + 1) * module, length * module, module)
            column += length
    canvas.setFillColor(black)
    canvas.drawPath(path, stroke=0, fill=1)


def draw_frame(canvas: Canvas, item: Frame) -> None:
    canvas.saveState()
    canvas.setStrokeColor(black)
    canvas.setLineWidth(2.5)
    canvas.roundRect(item.x, item.y, item.width, item.height, radius=4 * mm, stroke=1, fill=0)
    canvas.restoreState()


def draw_cut_line(canvas: Canvas, item: CutLine) -> None:
    canvas.saveState()
    canvas.setStrokeColor(CUT_GREY)
    canvas.setLineWidth(0.6)
    canvas.setDash(4, 3)
    canvas.rect(item.x, item.y, item.width, item.height, stroke=1, fill=0)
    canvas.restoreState()


def poster_pdf(sheet: Sheet) -> bytes:
    title = f"{sheet.title_zh} — {INSTRUCTION_ZH}"
    return render(layout(sheet), title=title)
