"""Staff forms of the survey builder: a survey's details and one question with its choices.

Validation happens here, on the server, with messages a planner can act on; the rule about
changes once a survey has responses is `surveys.builder.meaning_change`, asked from `clean`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from citylab.models import Team
from surveys import builder
from surveys.models import PREFER_NOT_TO_SAY, SEGMENT_KINDS, Kind, Question, Status, Survey

# Slugs that are pages of the staff area, not surveys: /staff/surveys/new/ and /import/.
RESERVED_SLUGS = frozenset({"new", "import"})
# Chinese input methods type a full-width bar; both separate the parts of a choice line.
CHOICE_SEPARATOR = re.compile(r"[|｜]")
CHOICE_VALUE = re.compile(r"^\S{1,64}$")
# The years a survey may open or close in.
FIRST_YEAR, LAST_YEAR = 2000, 2100


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class SurveyForm(forms.ModelForm):
    """A new survey (with its team, among the planner's teams) or an existing one's details.

    The slug can change only while the survey is a draft: once it is open, the address is on
    printed forms and invitations.
    """

    class Meta:
        model = Survey
        fields = ["team", "slug", "title_zh", "title_en", "intro_zh", "intro_en", "purpose", "opens_at", "closes_at"]
        labels = {
            "team": _("Team"),
            "slug": _("Web address"),
            "title_zh": _("Title in Chinese"),
            "title_en": _("Title in English"),
            "intro_zh": _("Introduction in Chinese"),
            "intro_en": _("Introduction in English"),
            "purpose": _("Purpose"),
            "opens_at": _("Opens (optional)"),
            "closes_at": _("Closes (optional)"),
        }
        help_texts = {
            "slug": _(
                "The part after /s/ in the address residents open. Lower-case letters, digits and hyphens."
            ),
            "title_en": _("Shown on English pages; leave empty to show the Chinese title."),
            "intro_zh": _("A few sentences on the first page: who asks, why, and how long it takes."),
            "opens_at": _("Leave empty to accept answers as soon as the survey is published."),
            "closes_at": _("Leave empty to accept answers until you close the survey."),
        }
        widgets = {
            "opens_at": DateTimeLocalInput(),
            "closes_at": DateTimeLocalInput(),
            "intro_zh": forms.Textarea(attrs={"rows": 3}),
            "intro_en": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, teams: QuerySet[Team] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is None:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams
            self.fields["team"].empty_label = None
        if self.instance.pk and self.instance.status != Status.DRAFT:
            del self.fields["slug"]

    def clean_slug(self) -> str:
        slug = self.cleaned_data["slug"]
        if slug in RESERVED_SLUGS:
            raise forms.ValidationError(_("“%(slug)s” is the name of a page; choose another web address."), params={"slug": slug})
        if Survey.objects.exclude(pk=self.instance.pk).filter(slug=slug).exists():
            raise forms.ValidationError(
                _("Another survey already uses the web address “%(slug)s”; choose another."), params={"slug": slug}
            )
        return slug

    def clean_opens_at(self):
        return self._within_years("opens_at")

    def clean_closes_at(self):
        return self._within_years("closes_at")

    def _within_years(self, name: str):
        # A year such as 0001 is a slip of the keyboard, and a moment at the calendar's edge
        # has no UTC equivalent to store (saving it raised OverflowError, a server error).
        moment = self.cleaned_data[name]
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR:
            raise forms.ValidationError(
                _("Enter a date between the years %(first)s and %(last)s."),
                params={"first": FIRST_YEAR, "last": LAST_YEAR},
            )
        return moment

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        opens, closes = cleaned.get("opens_at"), cleaned.get("closes_at")
        if opens and closes and closes <= opens:
            self.add_error("closes_at", _("The survey must close after it opens."))
        return cleaned

    def validate_unique(self) -> None:
        # The slug is checked in clean_slug with a clearer message.
        pass


KIND_HINTS = {
    Kind.SINGLE: _("Residents pick one of your choices."),
    Kind.MULTIPLE: _("Residents tick every choice that applies."),
    Kind.SCALE: _("Residents pick a point on a scale, for example from 1 (very hard) to 5 (very easy)."),
    Kind.YES_NO: _("Residents answer yes or no."),
    Kind.NUMBER: _("Residents write a number, for example how many times a day."),
    Kind.SHORT_TEXT: _("Residents write a few words."),
    Kind.LONG_TEXT: _("Residents write as much as they like."),
    Kind.AGE_BAND: _("Residents pick their age band; results are counted by age."),
    Kind.DISTRICT: _("Residents pick their district; results are counted by district."),
    Kind.COMMUNITY: _("Residents pick their community."),
    Kind.OCCUPATION: _("Residents pick their occupation."),
}


class KindForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of question"), choices=Kind.choices, widget=forms.RadioSelect)

    def options(self) -> list[tuple[str, str, str]]:
        return [(value, label, KIND_HINTS[value]) for value, label in Kind.choices]


def parse_choices(text: str, *, kind: str) -> list[builder.ChoiceRow]:
    """Lines of "value | 中文 | English" (English optional) as rows; every bad line is reported."""
    rows: list[builder.ChoiceRow] = []
    errors: list[forms.ValidationError] = []
    seen: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in CHOICE_SEPARATOR.split(line)]
        if len(parts) not in (2, 3) or not parts[0] or not parts[1]:
            errors.append(forms.ValidationError(
                _("Line %(line)s: write the value, a bar “|”, the Chinese label, and optionally a bar and the English label."),
                params={"line": number},
            ))
            continue
        value, zh, en = parts[0], parts[1], parts[2] if len(parts) == 3 else ""
        if not CHOICE_VALUE.match(value) or value == PREFER_NOT_TO_SAY:
            errors.append(forms.ValidationError(
                _("Line %(line)s: the value “%(value)s” must be one word of at most 64 characters, without spaces "
                  "(and not prefer_not_to_say, which the “prefer not to say” box adds)."),
                params={"line": number, "value": value},
            ))
        elif value in seen:
            errors.append(forms.ValidationError(
                _("Line %(line)s: the value “%(value)s” is used twice; each choice needs its own value."),
                params={"line": number, "value": value},
            ))
        elif kind == Kind.SCALE and not re.fullmatch(r"-?\d+", value):
            errors.append(forms.ValidationError(
                _("Line %(line)s: a scale label starts with the point it names, a whole number such as 1 or 5."),
                params={"line": number},
            ))
        elif len(zh) > 300 or len(en) > 300:
            errors.append(forms.ValidationError(
                _("Line %(line)s: a label may have at most 300 characters."), params={"line": number}
            ))
        seen.add(value)
        rows.append((value, zh, en))
    if errors:
        raise forms.ValidationError(errors)
    return rows


def choices_text(rows: list[builder.ChoiceRow]) -> str:
    return "\n".join(" | ".join(part for part in row if part) for row in rows)


class QuestionForm(forms.ModelForm):
    """One question. The kind is picked first (new questions) and decides which fields apply;
    choices are typed as lines, which needs no JavaScript and takes a list pasted from a document."""

    choices = forms.CharField(
        label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
    )

    class Meta:
        model = Question
        fields = [
            "kind", "key", "text_zh", "text_en", "help_zh", "help_en", "required", "prefer_not_to_say",
            "min_value", "max_value", "show_if_question", "show_if_equals",
        ]
        labels = {
            "kind": _("Kind of question"),
            "key": _("Key"),
            "text_zh": _("Question in Chinese"),
            "text_en": _("Question in English"),
            "help_zh": _("Help in Chinese"),
            "help_en": _("Help in English"),
            "required": _("Residents must answer this question"),
            "prefer_not_to_say": _("Offer “prefer not to say”"),
            "min_value": _("Minimum"),
            "max_value": _("Maximum"),
            "show_if_question": _("Question"),
            "show_if_equals": _("Answer that shows this question"),
        }
        help_texts = {
            "key": _(
                "Names the answer in exports and conditions: lower-case letters, digits, “-” or “_”."
            ),
            "text_en": _("Shown on English pages; leave empty to show the Chinese."),
            "help_zh": _("Optional: a hint under the question, for example what to count."),
            "show_if_equals": _("The value of that answer, as listed under “Answers each earlier question can take”."),
        }
        widgets = {
            "help_zh": forms.Textarea(attrs={"rows": 2}),
            "help_en": forms.Textarea(attrs={"rows": 2}),
            "text_zh": forms.TextInput(),
            "text_en": forms.TextInput(),
        }

    def __init__(self, *args: Any, survey: Survey, kind: str | None = None, locked: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.survey = survey
        self.locked = locked
        self.refused = False
        question = self.instance
        self.question_before = (
            Question.objects.prefetch_related("choices").get(pk=question.pk) if question.pk else None
        )
        if self.question_before is None:
            # A new question's kind was chosen on the step before: it travels as a hidden field.
            self.fields["kind"].widget = forms.HiddenInput()
            self.fields["kind"].initial = kind
            if locked:
                # Earlier respondents were never asked it, so it can only be optional.
                self.fields["required"].initial = False
        elif not self.is_bound:
            self.initial["choices"] = choices_text(builder.choice_rows(self.question_before))
            for name in ("min_value", "max_value"):
                self.initial[name] = decimal_text(getattr(question, name))
        posted_kind = self.data.get(self.add_prefix("kind")) if self.is_bound else None
        self.kind = str(posted_kind or kind or question.kind)
        if self.kind == Kind.SCALE:
            self.fields["choices"].label = _("Labels for scale points (optional)")
            self.fields["choices"].help_text = _(
                "One point per line: the point, a bar, the Chinese label, a bar, the English label."
            )
            self.fields["min_value"].help_text = _("The scale runs in whole points from the minimum to the maximum (at most 11 points).")
        else:
            self.fields["choices"].help_text = _(
                "One choice per line: the value, a bar “|”, the Chinese label, a bar, the English label. "
                "The value is what exports and conditions use; the English label may be left out."
            )
        others = list(survey.questions.exclude(pk=question.pk).order_by("position", "pk"))
        earlier = [q for q in others if question.pk is None or (q.position, q.pk) < (question.position, question.pk)]
        self.fields["show_if_question"].queryset = survey.questions.exclude(pk=question.pk)
        self.fields["show_if_question"].required = False
        # Only earlier questions with fixed answers are offered; a posted later one is refused in clean().
        # Labelled by number and text, as the planner sees them in the list.
        self.fields["show_if_question"].widget.choices = [("", _("No condition: always ask"))] + [
            (q.pk, f"{number}. {q.text_zh}")
            for number, q in enumerate(earlier, start=1)
            if q.kind in builder.CONDITION_KINDS
        ]
        self.order = {q.pk: (q.position, q.pk) for q in others}

    # --- which fields apply (the template shows these; others only if they hold a value) ----

    def applies(self, name: str) -> bool:
        kind = self.kind
        if name == "choices":
            return kind in builder.CHOICE_LIST_KINDS
        if name in ("min_value", "max_value"):
            return kind in builder.RANGE_KINDS
        if name == "prefer_not_to_say":
            return kind in builder.PREFER_NOT_TO_SAY_KINDS
        return True

    def shown_fields(self, *names: str) -> list[forms.BoundField]:
        shown = []
        for name in names:
            field = self[name]
            if self.applies(name) or field.errors or (self.is_bound and field.value() not in (None, "", False)):
                shown.append(field)
        return shown

    @property
    def answer_fields(self) -> list[forms.BoundField]:
        return self.shown_fields("prefer_not_to_say", "min_value", "max_value", "choices")

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label if self.kind in Kind.values else self.kind

    # --- validation -------------------------------------------------------------------------

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if self.survey.questions.exclude(pk=self.instance.pk).filter(key=key).exists():
            raise forms.ValidationError(
                _("Another question of this survey already has the key “%(key)s”. Each key must be unique: "
                  "exports and conditions find answers by it."),
                params={"key": key},
            )
        return key

    def clean_choices(self) -> list[builder.ChoiceRow]:
        return parse_choices(self.cleaned_data.get("choices") or "", kind=self.kind)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        kind = cleaned.get("kind")
        if kind not in Kind.values:
            return cleaned
        self._clean_range(kind, cleaned)
        self._clean_choices_for_kind(kind, cleaned)
        self._clean_condition(cleaned)
        self._clean_dependants(kind, cleaned)
        if not self.errors and self.locked:
            reason = builder.refusal(self.survey, self.question_before, cleaned)
            if reason:
                self.refused = True
                raise forms.ValidationError(reason)
        return cleaned

    def _clean_range(self, kind: str, cleaned: dict[str, Any]) -> None:
        low, high = cleaned.get("min_value"), cleaned.get("max_value")
        if kind not in builder.RANGE_KINDS:
            cleaned["min_value"] = cleaned["max_value"] = None
            return
        if kind == Kind.SCALE:
            if low is None or high is None:
                self.add_error("min_value" if low is None else "max_value",
                               _("A scale needs a minimum and a maximum, for example 1 and 5."))
                return
            if low != low.to_integral_value() or high != high.to_integral_value():
                self.add_error("min_value", _("The points of a scale are whole numbers."))
                return
        if low is not None and high is not None:
            if low > high:
                self.add_error("max_value", _("The minimum (%(min)s) is greater than the maximum (%(max)s).")
                               % {"min": low, "max": high})
            elif kind == Kind.SCALE and low == high:
                self.add_error("max_value", _("A scale needs at least two points."))
            elif kind == Kind.SCALE and high - low + 1 > builder.SCALE_MAX_POINTS:
                self.add_error("max_value", _("A scale may have at most %(count)s points, so that it fits a printed line.")
                               % {"count": builder.SCALE_MAX_POINTS})

    def _clean_choices_for_kind(self, kind: str, cleaned: dict[str, Any]) -> None:
        if "choices" not in cleaned:
            return  # the lines themselves had errors
        rows = cleaned["choices"]
        label = Kind(kind).label
        if kind == Kind.SINGLE and len(rows) < 2:
            self.add_error("choices", _("A single choice question needs at least two choices, one per line."))
        elif kind == Kind.MULTIPLE and not rows:
            self.add_error("choices", _("A multiple choice question needs at least one choice, one per line."))
        elif kind in SEGMENT_KINDS and rows:
            self.add_error("choices", _(
                "“%(kind)s” questions take their answers from the city's own list: they cannot have choices of "
                "their own. Empty the list of choices."
            ) % {"kind": label})
        elif kind not in builder.CHOICE_LIST_KINDS and rows:
            self.add_error("choices", _(
                "“%(kind)s” questions have no choices of their own: empty the list of choices."
            ) % {"kind": label})
        elif kind == Kind.SCALE and "min_value" not in self.errors and "max_value" not in self.errors:
            low, high = builder.scale_points(cleaned.get("min_value"), cleaned.get("max_value"))
            for value, _zh, _en in rows:
                if not low <= int(value) <= high:
                    self.add_error("choices", _("“%(value)s” is not a point of this scale (%(min)s to %(max)s).")
                                   % {"value": value, "min": low, "max": high})
                    break

    def _clean_condition(self, cleaned: dict[str, Any]) -> None:
        condition = cleaned.get("show_if_question")
        value = (cleaned.get("show_if_equals") or "").strip()
        cleaned["show_if_equals"] = value if condition else ""
        if condition is None:
            if value and "show_if_question" not in self.errors:
                self.add_error("show_if_question", _(
                    "Choose the question whose answer shows this one, or leave the answer empty."
                ))
            return
        if self.instance.pk is not None and self.order[condition.pk] > (self.instance.position, self.instance.pk):
            self.add_error("show_if_question", _(
                "The condition must use an earlier question: “%(key)s” comes after this one."
            ) % {"key": condition.key})
            return
        values = builder.question_answer_values(condition)
        if values is None:
            self.add_error("show_if_question", _(
                "Question “%(key)s” takes free answers; a condition needs a question with fixed answers "
                "(choices, yes or no, a scale or a segment)."
            ) % {"key": condition.key})
        elif not value:
            self.add_error("show_if_equals", _("Give the answer to “%(key)s” that shows this question.")
                           % {"key": condition.key})
        elif value not in values:
            self.add_error("show_if_equals", _(
                "“%(value)s” is not an answer question “%(key)s” can take. Its answers are: %(values)s."
            ) % {"value": value, "key": condition.key, "values": ", ".join(values[:20])})

    def _clean_dependants(self, kind: str, cleaned: dict[str, Any]) -> None:
        """Questions shown after this one's answer must still be reachable after the change."""
        if self.instance.pk is None or "choices" not in cleaned:
            return
        values = builder.answer_values(
            kind, choices=cleaned["choices"], min_value=cleaned.get("min_value"),
            max_value=cleaned.get("max_value"), prefer_not_to_say=bool(cleaned.get("prefer_not_to_say")),
        )
        for dependant in Question.objects.filter(show_if_question=self.instance).order_by("position"):
            if values is None or dependant.show_if_equals not in values:
                self.add_error(None, _(
                    "Question “%(other)s” is shown only when this one is answered “%(value)s”: keep that answer "
                    "possible, or change the condition of “%(other)s” first."
                ) % {"other": dependant.key, "value": dependant.show_if_equals})
                return

    def save(self, commit: bool = True) -> Question:
        question = super().save(commit=False)
        return builder.question_save(
            survey=self.survey, question=question, question_before=self.question_before, data=self.cleaned_data
        )


def decimal_text(value: Decimal | None) -> str:
    """1.000 as "1", 2.500 as "2.5": how a planner wrote it."""
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
