"""What the fuzzer posts: forms read from the pages that show them, the values to put in
their fields (plausible ones, and every kind that should be refused), and the request bodies,
built by hand so that anything a hand-made request can carry gets through to the server.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urljoin, urlsplit

from django.test import Client
from hypothesis import strategies as st


# --- Forms as a page shows them -------------------------------------------------------------


@dataclass
class Field:
    name: str
    kind: str  # the input type, or select, select-multiple, textarea, submit
    options: list[str] = field(default_factory=list)  # values a browser lets one choose
    initial: list[str] = field(default_factory=list)  # what an untouched form sends
    attrs: dict[str, str] = field(default_factory=dict)


@dataclass
class Form:
    action: str
    enctype: str
    fields: dict[str, Field] = field(default_factory=dict)
    method: str = "POST"

    def add(self, name: str, kind: str, attrs: dict[str, str]) -> Field:
        if name not in self.fields:
            self.fields[name] = Field(name, kind, attrs=attrs)
        return self.fields[name]


class _FormParser(HTMLParser):
    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self.form: Form | None = None
        self.select: Field | None = None
        self.option: dict[str, str] | None = None
        self.option_text = ""
        self.textarea: Field | None = None

    def handle_starttag(self, tag: str, attr_list) -> None:
        attrs = {k: v or "" for k, v in attr_list}
        if tag == "form":
            action = urljoin(self.page_url, attrs.get("action") or self.page_url)
            self.form = Form(action=urlsplit(action).path, enctype=attrs.get("enctype", ""),
                             method=attrs.get("method", "get").upper())
            self.forms.append(self.form)
            return
        if self.form is None or ("name" not in attrs and tag != "option"):
            if tag == "option" and self.select is not None:
                self.option, self.option_text = attrs, ""
            return
        name = attrs.get("name", "")
        if name == "csrfmiddlewaretoken":
            return  # the test client does not check it; CSRF has its own tests
        if tag == "input":
            kind = attrs.get("type", "text").lower()
            if kind in ("button", "reset", "image"):
                return
            entry = self.form.add(name, kind, attrs)
            if kind in ("radio", "checkbox"):
                entry.options.append(attrs.get("value", "on"))
                if "checked" in attrs:
                    entry.initial.append(attrs.get("value", "on"))
            elif kind == "submit":
                entry.options.append(attrs.get("value", ""))
            elif kind != "file":
                entry.initial = [attrs.get("value", "")]
        elif tag == "button" and attrs.get("type", "submit") == "submit":
            self.form.add(name, "submit", attrs).options.append(attrs.get("value", ""))
        elif tag == "select":
            self.select = self.form.add(name, "select-multiple" if "multiple" in attrs else "select", attrs)
        elif tag == "option" and self.select is not None:
            self.option, self.option_text = attrs, ""
        elif tag == "textarea":
            self.textarea = self.form.add(name, "textarea", attrs)
            self.textarea.initial = [""]

    def handle_data(self, data: str) -> None:
        if self.option is not None:
            self.option_text += data
        elif self.textarea is not None:
            self.textarea.initial[0] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "option" and self.option is not None and self.select is not None:
            value = self.option.get("value", self.option_text.strip())
            self.select.options.append(value)
            if "selected" in self.option:
                self.select.initial.append(value)
            self.option = None
        elif tag == "select" and self.select is not None:
            if not self.select.initial and self.select.kind == "select" and self.select.options:
                self.select.initial = [self.select.options[0]]  # what a browser sends untouched
            self.select = None
        elif tag == "textarea" and self.textarea is not None:
            self.textarea.initial[0] = self.textarea.initial[0].removeprefix("\n")
            self.textarea = None


def forms_on(client: Client, page: str) -> list[Form]:
    response = client.get(page)
    assert response.status_code == 200, f"{page}: {response.status_code}"
    parser = _FormParser(page)
    parser.feed(response.content.decode())
    return parser.forms


def form_for(client: Client, page: str, action: str | None = None, *, missing_ok: bool = False,
             method: str = "POST") -> Form:
    """The page's post form that posts to `action` (by default, to the page itself). With
    `missing_ok`, a page that shows no such form (a refusal) gives an empty one: posting to
    the URL anyway is what a tampered request does."""
    action = action or urlsplit(page).path
    found = [form for form in forms_on(client, page) if form.action == action and form.method == method]
    assert found or missing_ok, f"no form on {page} posts to {action}"
    return found[0] if found else Form(action=action, enctype="")


# --- What to post ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    name: str
    content: bytes
    content_type: str = "application/octet-stream"


Value = str | Upload

NASTY_TEXT = [
    "", " ", "\x00", "a\x00b", "\ud800", "x\udfffy", "\u202eexe.txt", "\ufeff", "\u200b", "👩‍👩‍👧‍👦🧓🏽",
    "𠜎𠜱𠝹", "長者版大字模式", "مرحبا بالعالم", "שלום", "\r\n\r\n", "\t", "null", "None", "[]", "{}",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "%s%(x)s{0}", "{{ 7|add:7 }}",
    "prefer_not_to_say", "yes", "no", "on", "true", "x" * 100_000, "长" * 40_000,
]
NASTY_NUMBERS = [
    "-1", "0", "-0", "1e309", "-1e309", "1e-400", "NaN", "nan", "Infinity", "-inf", "9" * 40, "-" + "9" * 40,
    "1.5", "0.0000001", "1_000", " 5 ", "5.", ".5", "+5", "0x10", "１２", "٣", "2147483648", "9223372036854775808",
    "1e5", "12abc",
]
NASTY_DATES = [
    "2026-02-30", "2026-13-01", "0000-01-01", "0001-01-01", "0001-01-01T00:00", "9999-12-31", "9999-12-31T23:59",
    "10000-01-01", "2026-05-01T25:00", "2026-05-01T09:00", "2026-05-01 09:00:00+99:00", "yesterday", "2026-5-1",
]

# Every character Python has, lone surrogates included (sent as CESU-8 bytes, as a hand-made
# request could): browsers never send them, but nothing stops anyone else.
any_text = st.text(st.characters(codec=None, exclude_categories=()), max_size=40)
nasty_text = st.one_of(st.sampled_from(NASTY_TEXT), any_text)
# What most often breaks a save, drawn first and most: Hypothesis shrinks towards it, too.
SHARP = ["a\x00b", "\ud800", "x" * 100_000, "9" * 40, "-1", "1e309", "0001-01-01T00:00"]
nasty_value = st.one_of(
    st.sampled_from(SHARP),
    nasty_text,
    st.sampled_from(NASTY_NUMBERS + NASTY_DATES),
    st.integers().map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
)


def plausible(entry: Field, hints: dict[str, Sequence[str]]) -> st.SearchStrategy[list[str]]:
    """Values a person filling the form in could send: options, numbers in range, dates."""
    if entry.name in hints:
        return st.sampled_from(list(hints[entry.name])).map(lambda v: [v])
    if entry.kind == "checkbox" or entry.kind == "select-multiple":
        return st.lists(st.sampled_from(entry.options), max_size=len(entry.options), unique=True) if entry.options \
            else st.just([])
    if entry.options:
        return st.sampled_from(entry.options).map(lambda v: [v])
    if entry.kind == "number":
        low = _number(entry.attrs.get("min"), 0)
        high = _number(entry.attrs.get("max"), max(low, 0) + 10)
        return st.integers(low, max(low, min(high, low + 20))).map(lambda v: [str(v)])
    if entry.kind == "date":
        return st.dates().map(lambda d: [d.isoformat()])
    if entry.kind == "datetime-local":
        return st.datetimes().map(lambda d: [d.strftime("%Y-%m-%dT%H:%M")])
    if entry.kind == "email":
        return st.sampled_from(["resident@residents.example", "张@例子.中国"]).map(lambda v: [v])
    if entry.kind == "tel":
        return st.sampled_from(["13900001234", "+86 139 0000 1234", "021-6000 1234"]).map(lambda v: [v])
    if entry.initial and entry.initial != [""]:
        return st.just(list(entry.initial))
    return st.sampled_from(["社区", "Lighthouse", "a-key_1"]).map(lambda v: [v])


def _number(text: str | None, default: int) -> int:
    try:
        return int(float(text)) if text else default
    except ValueError:
        return default


@st.composite
def posted(draw, form: Form, *, hints: dict[str, Sequence[str]] | None = None,
           files: st.SearchStrategy[Upload] | None = None) -> list[tuple[str, Value]]:
    """(name, value) pairs for one post of `form`.

    Most examples attack one field and fill the others in plausibly, so that the bad value
    travels as far as a good post would (into the save, where a NUL or an overflow bites);
    the others send every field in any of the ways: plausible, untouched, left out, fuzzed,
    repeated. Then perhaps some keys nobody expects."""
    hints = hints or {}
    names = list(form.fields)
    victim = draw(st.sampled_from(names), label="attacked field") if names and draw(
        st.sampled_from(["one", "all"]), label="attack") == "one" else None
    pairs: list[tuple[str, Value]] = []
    for entry in form.fields.values():
        if entry.kind == "file":
            upload = files if files is not None else st.builds(Upload, st.just("file.bin"), st.binary(max_size=64))
            modes = ["send"] if victim not in (None, entry.name) else ["send", "omit", "text", "two"]
            mode = draw(st.sampled_from(modes), label=entry.name)
            if mode == "send":
                pairs.append((entry.name, draw(upload)))
            elif mode == "text":
                pairs.append((entry.name, draw(nasty_text)))
            elif mode == "two":
                pairs += [(entry.name, draw(upload)), (entry.name, draw(upload))]
            continue
        if victim is not None and entry.name != victim:
            modes = ["omit"] if entry.kind == "submit" else ["plausible"]
        elif entry.kind == "submit":
            modes = ["omit", "browser", "fuzz"]
        elif victim is not None:
            modes = ["fuzz", "repeat", "omit"]
        else:
            modes = ["plausible", "browser", "omit", "fuzz", "repeat"]
        mode = draw(st.sampled_from(modes), label=entry.name)
        if mode == "plausible":
            values = draw(plausible(entry, hints))
        elif mode == "browser":
            values = list(entry.initial) if entry.kind != "submit" else entry.options[:1]
        elif mode == "omit":
            values = []
        elif mode == "fuzz":
            values = [draw(nasty_value)]
        else:
            values = draw(st.lists(st.one_of(plausible(entry, hints).map(lambda v: v[0] if v else ""), nasty_value),
                                   min_size=2, max_size=4))
        pairs += [(entry.name, value) for value in values]
    extra_keys = st.one_of(st.sampled_from([*form.fields, "csrfmiddlewaretoken", "pk", "id", "team", "__proto__"]),
                           any_text)
    pairs += draw(st.lists(st.tuples(extra_keys, nasty_value), max_size=2 if victim is None else 0), label="extra")
    if draw(st.booleans(), label="shuffle"):
        pairs = draw(st.permutations(pairs))
    return pairs


# --- How to post it ------------------------------------------------------------------------------


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


def encode(pairs: list[tuple[str, Value]], *, multipart: bool) -> tuple[bytes, str]:
    """The request body and its content type, built by hand: Django's test client encodes
    strictly and would refuse the lone surrogates that a hand-made request can carry."""
    if not multipart and not any(isinstance(value, Upload) for _key, value in pairs):
        body = "&".join(f"{quote_from_bytes(_bytes(k))}={quote_from_bytes(_bytes(v))}" for k, v in pairs)
        return body.encode("ascii"), "application/x-www-form-urlencoded"
    boundary = secrets.token_hex(16)
    parts = []
    for key, value in pairs:
        disposition = b'Content-Disposition: form-data; name="' + _bytes(key) + b'"'
        if isinstance(value, Upload):
            disposition += b'; filename="' + _bytes(value.name) + b'"'
            head = disposition + b"\r\nContent-Type: " + _bytes(value.content_type)
            content = value.content
        else:
            head, content = disposition, _bytes(value)
        parts.append(b"--" + boundary.encode() + b"\r\n" + head + b"\r\n\r\n" + content + b"\r\n")
    body = b"".join(parts) + b"--" + boundary.encode() + b"--\r\n"
    return body, f"multipart/form-data; boundary={boundary}"
