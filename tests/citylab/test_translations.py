"""zh-Hans is the default language: every string is translated, and no English is left on
a Chinese page."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

CATALOGUE = Path(__file__).resolve().parents[2] / "locale/zh_Hans/LC_MESSAGES/django.po"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w+\}")


def messages():
    with CATALOGUE.open("rb") as f:
        return [m for m in read_po(f) if m.id]


def test_every_message_is_translated_and_not_fuzzy():
    untranslated = [
        m.id for m in messages()
        if m.fuzzy or not (all(m.string) if m.pluralizable else m.string)
    ]
    assert untranslated == []


def test_translations_keep_their_placeholders():
    # Chinese has one plural form, used for every count: it answers to the plural source.
    for m in messages():
        source = m.id[-1] if m.pluralizable else m.id
        target = m.string[0] if m.pluralizable else m.string
        assert sorted(PLACEHOLDER.findall(source)) == sorted(PLACEHOLDER.findall(target)), source


class VisibleText(HTMLParser):
    """Text a person sees, minus scripts, styles and anything marked lang="en" on purpose."""

    SKIP = {"script", "style", "title"}
    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.chunks: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.VOID:
            return
        skip = tag in self.SKIP or dict(attrs).get("lang") == "en" or (self.stack and self.stack[-1])
        self.stack.append(bool(skip))

    def handle_endtag(self, tag):
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.chunks.append(data)


# Words that are the same in both languages: file formats, the names of places' codes, emails.
ALLOWED = {"CSV", "TOTP", "QR"}


def english_words(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    text = re.sub(r"\S+@\S+", "", " ".join(parser.chunks))
    return [w for w in re.findall(r"[A-Za-z]{3,}", text) if w not in ALLOWED]


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/staff/", "/staff/population/", "/staff/teams/digital/"])
def test_chinese_pages_have_no_english_left(client, planner, places, url):
    if url.startswith("/staff/"):
        client.force_login(planner)
    response = client.get(url)
    assert response.status_code == 200
    assert english_words(response.text) == []
