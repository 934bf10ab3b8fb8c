"""The answers a choice-like question offers, in both languages and in display order.

One list for every place that shows or counts answers: the resident's question page, the
clerk's form, the results page and the exports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, Community, District, Occupation
from surveys.models import PREFER_NOT_TO_SAY, SEGMENT_KINDS, Kind, Question, in_language


@dataclass(frozen=True)
class Option:
    """One answer a choice-like question offers, with its words in both languages."""

    value: str
    label_zh: str
    label_en: str
    group_zh: str = ""  # a community's district: long lists are grouped by it
    group_en: str = ""
    group_code: str = ""

    @property
    def label(self) -> str:
        return in_language(self.label_zh, self.label_en)

    @property
    def group(self) -> str:
        return in_language(self.group_zh, self.group_en)


def both_languages(message) -> tuple[str, str]:
    """A translatable string (lazy) in Chinese and in English, for codebooks and options."""
    with translation.override("zh-hans"):
        zh = str(message)
    with translation.override("en"):
        en = str(message)
    return zh, en


SEGMENT_OPTIONS = {
    Kind.AGE_BAND: lambda: [Option(b.code, b.label, b.label) for b in AgeBand.objects.all()],
    Kind.DISTRICT: lambda: [Option(d.code, d.name_zh, d.name_en) for d in District.objects.all()],
    Kind.COMMUNITY: lambda: [
        Option(c.code, c.name_zh, c.name_en, c.district.name_zh, c.district.name_en, c.district.code)
        for c in Community.objects.select_related("district")
    ],
    Kind.OCCUPATION: lambda: [Option(o.code, o.name_zh, o.name_en) for o in Occupation.objects.all()],
}


class Segments(dict):
    """Segment codes with their names, each list fetched once and only when a question needs it."""

    def __missing__(self, kind: str) -> list[Option]:
        self[kind] = SEGMENT_OPTIONS[kind]()
        return self[kind]


def answer_options(questions: Sequence[Question], segments: Segments | None = None) -> dict[int, list[Option]]:
    """Every answer each choice-like question offers, in display order, "prefer not to say"
    last when offered; number and text questions get an empty list.

    Choices should be prefetched; segment lists cost one query per kind in use.
    """
    segments = Segments() if segments is None else segments
    prefer = both_languages(_("Prefer not to say"))
    options: dict[int, list[Option]] = {}
    for question in questions:
        own = {c.value: c for c in question.choices.all()} if question.kind not in SEGMENT_KINDS else {}
        if question.kind in SEGMENT_KINDS:
            items = list(segments[question.kind])
        elif question.kind == Kind.YES_NO:
            items = []
            for value, message in (("yes", _("Yes")), ("no", _("No"))):
                choice = own.get(value)
                zh, en = (choice.label_zh, choice.label_en) if choice else both_languages(message)
                items.append(Option(value, zh, en))
        elif question.kind == Kind.SCALE:
            # Points between the ends; a point with a label reads "1 – Very hard", as residents see it.
            items = []
            for point in map(str, question.scale_points()):
                choice = own.get(point)
                if choice is None:
                    items.append(Option(point, point, point))
                else:
                    items.append(Option(point, f"{point} – {choice.label_zh}", f"{point} – {choice.label_en or choice.label_zh}"))
        elif question.kind in (Kind.SINGLE, Kind.MULTIPLE):
            items = [Option(c.value, c.label_zh, c.label_en) for c in own.values()]
        else:
            items = []
        if items and question.prefer_not_to_say:
            items.append(Option(PREFER_NOT_TO_SAY, *prefer))
        options[question.pk] = items
    return options
