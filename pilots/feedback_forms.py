"""Forms for feedback: the officer's report (also the clerk's, for officers without an account),
its problems, the planners' triage and the feedback list's filters.

Every message says what to do; scores, severities and statuses are checked against their fixed
lists on the server, whatever the page posted.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, District
from citylab.validators import no_national_id
from pilots import photos
from pilots.feedback import Report
from pilots.models import Cycle, CycleChange, FeedbackStatus, Managed, Severity

# Without JavaScript the page offers this many problem rows, and "Add another problem" adds one.
PROBLEM_SLOTS = 3
MAX_PROBLEMS = 10

SCORE_ENDS = {
    "ease": (_("very hard"), _("very easy")),
    "usefulness": (_("not useful"), _("very useful")),
    "accessibility": (_("very hard to see, hear or use"), _("easy for everyone")),
}


def score_choices(low: str, high: str) -> list[tuple[int, str]]:
    """1 to 5, the two ends labelled in words (the resident survey's scale)."""
    # format_lazy: the labels are built at import, and must follow each request's language.
    return [(1, format_lazy("1 – {}", low)), (2, "2"), (3, "3"), (4, "4"), (5, format_lazy("5 – {}", high))]


def score_field(label: str, name: str) -> forms.TypedChoiceField:
    low, high = SCORE_ENDS[name]
    return forms.TypedChoiceField(
        label=label, coerce=int, choices=score_choices(low, high), widget=forms.RadioSelect,
        error_messages={"required": _("Choose a number from 1 to 5."),
                        "invalid_choice": _("Choose a number from 1 to 5.")},
    )


class FeedbackForm(forms.Form):
    managed = forms.ChoiceField(
        label=_("Did you manage to do it?"), choices=Managed.choices, widget=forms.RadioSelect,
        error_messages={"required": _("Say whether you managed to do it."),
                        "invalid_choice": _("Say whether you managed to do it.")},
    )
    ease = score_field(_("How easy was it?"), "ease")
    usefulness = score_field(_("How useful is it to you?"), "usefulness")
    accessibility = score_field(_("How easy was it to see, hear and use?"), "accessibility")
    suggestion = forms.CharField(
        label=_("What would make it better? (optional)"), required=False, max_length=4000, validators=[no_national_id],
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Write at most 4,000 characters.")},
    )
    photo = forms.FileField(
        label=_("A photo (optional)"), required=False,
        help_text=_("A JPEG, PNG or WebP picture, smaller than 8 MB. We remove the place and time it was taken."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean_photo(self):
        upload = self.cleaned_data.get("photo")
        return photos.clean_photo(upload) if upload else None


class ProblemForm(forms.Form):
    """One problem. A row left empty is no problem; a row half filled asks for the other half."""

    severity = forms.ChoiceField(
        label=_("How serious"), choices=Severity.choices, required=False, widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Choose blocker, major or minor.")},
    )
    description = forms.CharField(
        label=_("What happened"), required=False, max_length=2000, validators=[no_national_id], widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"max_length": _("Write at most 2,000 characters.")},
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        severity, description = data.get("severity"), (data.get("description") or "").strip()
        if description and not severity and "severity" not in self.errors:
            self.add_error("severity", _("Choose how serious the problem was."))
        if severity and not description:
            self.add_error("description", _("Say what happened."))
        data["description"] = description
        return data


class BaseProblemFormSet(forms.BaseFormSet):
    def problems(self) -> list[tuple[str, str]]:
        return [(f.cleaned_data["severity"], f.cleaned_data["description"])
                for f in self.forms if f.cleaned_data.get("severity") and f.cleaned_data.get("description")]


ProblemFormSet = forms.formset_factory(
    ProblemForm, formset=BaseProblemFormSet, extra=PROBLEM_SLOTS, max_num=MAX_PROBLEMS, validate_max=True,
    absolute_max=MAX_PROBLEMS,
)


def report_from(form: FeedbackForm, problems: BaseProblemFormSet) -> Report:
    data = form.cleaned_data
    return Report(
        managed=data["managed"], ease=data["ease"], usefulness=data["usefulness"],
        accessibility=data["accessibility"], suggestion=data["suggestion"].strip(),
        problems=problems.problems(), photo=data.get("photo"),
    )


def redrawn(data) -> tuple[FeedbackForm, BaseProblemFormSet]:
    """The posted answers as fresh forms with one more problem row: "Add another problem"
    re-draws the page without judging half-written answers."""
    initial = {name: data.get(name) for name in FeedbackForm.base_fields if name != "photo" and name in data}
    try:
        rows = int(data.get("problem-TOTAL_FORMS", PROBLEM_SLOTS))
    except ValueError:
        rows = PROBLEM_SLOTS
    rows = max(0, min(rows, MAX_PROBLEMS))
    problem_initial = [
        {"severity": data.get(f"problem-{i}-severity", ""), "description": data.get(f"problem-{i}-description", "")}
        for i in range(rows)
    ]
    formset = ProblemFormSet(initial=problem_initial, prefix="problem")
    formset.extra = 1 if rows < MAX_PROBLEMS else 0
    return FeedbackForm(initial=initial), formset


class TriageForm(forms.Form):
    """One step of triage: the next status, a reason when declining, the change that answers it."""

    status = forms.ChoiceField(label=_("Move to"), widget=forms.RadioSelect,
                               error_messages={"required": _("Choose what happens to the feedback next."),
                                               "invalid_choice": _("Choose one of the next steps shown.")})
    reason = forms.CharField(label=_("Why declined (the officer reads this)"), required=False, max_length=2000,
                             widget=forms.Textarea(attrs={"rows": 3}))
    change = forms.ModelChoiceField(
        label=_("Change that answers it"), queryset=CycleChange.objects.none(), required=False,
        empty_label=_("No change yet"),
        error_messages={"invalid_choice": _("Choose a change of this pilot.")},
    )

    def __init__(self, *args: Any, statuses: tuple[str, ...], changes: QuerySet[CycleChange], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [(s, FeedbackStatus(s).label) for s in statuses]
        self.fields["change"].queryset = changes
        self.fields["change"].label_from_instance = lambda c: f"{c.cycle.number}: {c.what}"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("status") == FeedbackStatus.DECLINED and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why the feedback is declined: the officer will read it."))
        return data


class ChangeFromFeedbackForm(forms.ModelForm):
    """A new change in the pilot's change log, prefilled from the feedback it answers."""

    cycle = forms.ModelChoiceField(label=_("Cycle it is made in"), queryset=Cycle.objects.none(),
                                   empty_label=None)

    class Meta:
        model = CycleChange
        fields = ["cycle", "what", "reason"]
        labels = {"what": _("What changes"), "reason": _("Why")}
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, cycles: QuerySet[Cycle], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].queryset = cycles
        self.fields["cycle"].label_from_instance = lambda c: str(_("Cycle %(number)s") % {"number": c.number})
        self.fields["what"].error_messages["required"] = _("Say what changes.")
        self.fields["reason"].error_messages["required"] = _("Say why: which feedback it answers.")


class FeedbackFilterForm(forms.Form):
    cycle = forms.TypedChoiceField(label=_("Cycle"), coerce=int, required=False)
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status")), *FeedbackStatus.choices])
    severity = forms.ChoiceField(label=_("Problem"), required=False,
                                 choices=[("", _("Any or none")), *Severity.choices])
    age_band = forms.ModelChoiceField(label=_("Age band"), queryset=AgeBand.objects.all(), required=False,
                                      empty_label=_("Any age"))
    district = forms.ModelChoiceField(label=_("District"), queryset=District.objects.all(), required=False,
                                      empty_label=_("Any district"))

    def __init__(self, *args: Any, numbers: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cycle"].choices = [("", _("Every cycle"))] + [(n, _("Cycle %(number)s") % {"number": n})
                                                                      for n in numbers]
