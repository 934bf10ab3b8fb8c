"""Setting text for the printed form: fonts, measured widths, line breaks, and the `Block`
that a question (or heading, or page frame) is built in before `surveys.paper.layout` puts it
on a page.

Pure: text is measured by an injected `Measure` (reportlab's font metrics by default, the same
fonts the renderer draws with), so every line break is decided here and the renderer never
wraps anything. Nothing here knows the page; the page geometry is in surveys.paper.layout.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

LEADING = 1.3  # line pitch as a multiple of the type size

# Measures a string's width in points: (text, font key, size) -> width.
Measure = Callable[[str, str, float], float]

FONT_KEYS = ("cjk", "cjk-bold", "latin", "latin-bold")


def reportlab_measure() -> Measure:
    """Width by reportlab's font metrics, the same fonts the renderer draws with."""
    from reportlab.pdfbase import pdfmetrics

    from surveys.paper.render import register_fonts

    names = register_fonts()
    return lambda text, font, size: pdfmetrics.stringWidth(text, names[font], size)


# A line may break after any CJK character, and between Latin words; closing punctuation
# stays with what it closes, so no line starts with "，" or "?".
_TOKEN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]|[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+\s*|\s+")
_CLOSING = set("，。、？！：；）」』”’,.?!:;)%】》")


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for token in _TOKEN.findall(text):
        if tokens and token[0] in _CLOSING:
            tokens[-1] += token
        else:
            tokens.append(token)
    return tokens


def font_for(text: str, bold: bool = False) -> str:
    """Helvetica for what its encoding (WinAnsi) holds, curly quotes included; the CJK font for
    anything else (Chinese, full-width punctuation)."""
    try:
        text.encode("cp1252")
        base = "latin"
    except UnicodeEncodeError:
        base = "cjk"
    return base + ("-bold" if bold else "")


def wrap(text: str, font: str, size: float, width: float, measure: Measure) -> list[str]:
    """Greedy line breaking at the measured width; a word wider than a line is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        line = ""
        for token in _tokens(paragraph.strip()):
            if measure((line + token).rstrip(), font, size) <= width or not line.strip():
                if measure(token.rstrip(), font, size) > width:  # a very long word: cut it
                    for ch in token:
                        if line and measure(line + ch, font, size) > width:
                            lines.append(line.rstrip())
                            line = ""
                        line += ch
                else:
                    line += token
            else:
                lines.append(line.rstrip())
                line = token.lstrip()
        lines.append(line.rstrip())
    return lines


@dataclass
class Block:
    """What a question (or the page heading) needs, before it is put on a page: items
    positioned relative to the block's top-left corner."""

    key: str
    kind: str
    height: float = 0.0
    texts: list[dict] = field(default_factory=list)
    bubbles: list[dict] = field(default_factory=list)
    boxes: list[dict] = field(default_factory=list)


class Writer:
    """Lays out text lines into a block, keeping track of the height used."""

    def __init__(self, measure: Measure) -> None:
        self.measure = measure

    def line_h(self, size: float) -> float:
        return round(size * LEADING, 2)

    def text(self, block: Block, text: str, x: float, y: float, width: float, size: float, *,
             color: str = "ink", bold: bool = False, align: str = "left") -> float:
        """Wrap `text` into `width` at (x, y); returns the height used."""
        font = font_for(text, bold)
        used = 0.0
        for line in wrap(text, font, size, width, self.measure):
            w = round(self.measure(line, font, size), 2)
            lx = x + (width - w if align == "right" else (width - w) / 2 if align == "center" else 0)
            block.texts.append({"text": line, "x": round(lx, 2), "y": round(y + used, 2), "w": w,
                                "h": round(size * 1.15, 2), "size": size, "font": font, "color": color})
            used += self.line_h(size)
        return used

    def pair(self, block: Block, texts: Sequence[str], x: float, y: float, width: float,
             sizes: tuple[float, float], *, bold_first: bool = False) -> float:
        """One or two languages: side by side on one line when both fit, else one under the other."""
        if len(texts) == 2:
            fonts = [font_for(texts[0], bold_first), font_for(texts[1])]
            widths = [self.measure(t, f, s) for t, f, s in zip(texts, fonts, sizes)]
            if widths[0] + 12 + widths[1] <= width:
                h = max(sizes) * 1.15
                for i, (t, f, s, w) in enumerate(zip(texts, fonts, sizes, widths)):
                    tx = x if i == 0 else x + widths[0] + 12
                    block.texts.append({"text": t, "x": round(tx, 2), "y": round(y + (h - s * 1.15) * 0.8, 2),
                                        "w": round(w, 2), "h": round(s * 1.15, 2), "size": s, "font": f,
                                        "color": "ink" if i == 0 else "soft"})
                return self.line_h(max(sizes))
        used = 0.0
        for i, t in enumerate(texts):
            used += self.text(block, t, x, y + used, width, sizes[min(i, 1)], color="ink" if i == 0 else "soft",
                              bold=bold_first and i == 0)
        return used


def in_languages(texts: dict, languages: Sequence[str]) -> list[str]:
    """The text in each wanted language that has one, without saying the same thing twice;
    Chinese (the text every survey has) when none of them does."""
    out: list[str] = []
    for lang in languages:
        t = (texts.get(lang) or "").strip()
        if t and t not in out:
            out.append(t)
    if not out:
        fallback = next((t for t in texts.values() if t and t.strip()), "")
        out = [fallback.strip()] if fallback else []
    return out


def place(block: Block, part: Block, dx: float, dy: float) -> None:
    """Copy `part`'s items into `block`, moved by (dx, dy): a choice cell into its question,
    a question onto its page."""
    for t in part.texts:
        block.texts.append({**t, "x": round(t["x"] + dx, 2), "y": round(t["y"] + dy, 2)})
    for b in part.bubbles:
        block.bubbles.append({**b, "x": round(b["x"] + dx, 2), "y": round(b["y"] + dy, 2)})
    for b in part.boxes:
        block.boxes.append({**b, "x": round(b["x"] + dx, 2), "y": round(b["y"] + dy, 2)})
