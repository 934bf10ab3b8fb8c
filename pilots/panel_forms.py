"""Staff forms for panels, their members and quotas, test tasks and assigning officers.

Everything a planner may choose belongs to their team (its pilots, cycles and officers); an id
posted from outside those lists is refused with a sentence that says what to choose instead,
never silently dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, District, Occupation, Team
from pilots.forms import DateInput
from pilots.models import Cycle, Officer, OfficerStatus, Panel, Pilot, Task
from pilots.panels import Cell, Segments

MAX_TARGET = 10_000


class PanelForm(forms.ModelForm):
    class Meta:
        model = Panel
        fields = ["team", "pilot", "name", "description", "quota_by_district", "monthly_limit"]
        labels = {
            "team": _("Team"),
            "pilot": _("Pilot (optional)"),
            "name": _("Name of the panel"),
            "description": _("Description"),
            "quota_by_district": _("Set quotas per district too"),
            "monthly_limit": _("Tasks per officer per month"),
        }
        help_texts = {
            "pilot": _("The pilot this panel tries services for. Only your team's pilots are listed."),
            "quota_by_district": _("Targets per age band and occupation in each district, instead of for the whole city."),
            "monthly_limit": _("No officer is asked more often than this in any calendar month (1 to 31)."),
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, teams: QuerySet[Team] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is None:
            del self.fields["team"]
            team_ids = [self.instance.team_id]
        else:
            self.fields["team"].queryset = teams
            self.fields["team"].empty_label = None
            team_ids = list(teams.values_list("pk", flat=True))
        pilot = self.fields["pilot"]
        pilot.queryset = Pilot.objects.filter(team_id__in=team_ids).order_by("name")
        pilot.empty_label = _("No pilot")
        pilot.error_messages["invalid_choice"] = _("Choose one of your team's pilots, or none.")
        self.fields["name"].error_messages["required"] = _("Enter the panel's name.")
        limit = self.fields["monthly_limit"]
        limit.widget.attrs.update({"min": 1, "max": 31, "inputmode": "numeric"})
        for key in ("min_value", "max_value", "invalid"):
            limit.error_messages[key] = _("Enter a whole number of tasks from 1 to 31.")
        limit.error_messages["required"] = _("Enter how many tasks an officer may get per month.")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        pilot, team = data.get("pilot"), data.get("team") or getattr(self.instance, "team", None)
        if pilot is not None and team is not None and pilot.team_id != team.pk:
            self.add_error("pilot", _("Choose a pilot of the panel's own team."))
        return data


class MembersAddForm(forms.Form):
    """Approved officers of the panel's team who are not members yet. The field accepts any of
    the team's officers so that a pending or declined one is refused by name, not as "invalid"."""

    officers = forms.ModelMultipleChoiceField(
        queryset=Officer.objects.none(), widget=forms.CheckboxSelectMultiple, label=_("Officers to add"),
        error_messages={"required": _("Choose at least one officer to add.")},
    )

    def __init__(self, *args: Any, panel: Panel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.panel = panel
        field = self.fields["officers"]
        field.queryset = Officer.objects.filter(team_id=panel.team_id).select_related("age_band", "occupation", "district")
        field.error_messages["invalid_choice"] = _("Choose officers of your own team.")
        field.error_messages["invalid_pk_value"] = _("Choose officers of your own team.")
        # Only these are offered; the others reach `clean_officers` only from a tampered form.
        field.widget.choices = [
            (o.pk, officer_label(o)) for o in field.queryset.filter(status=OfficerStatus.APPROVED)
            .exclude(panel_memberships__panel=panel).order_by("age_band__min_age", "occupation__order", "full_name", "pk")
        ]

    def clean_officers(self) -> list[Officer]:
        officers = list(self.cleaned_data["officers"])
        for officer in officers:
            if officer.status == OfficerStatus.PENDING:
                raise forms.ValidationError(
                    _("%(name)s's application is still waiting for approval: approve it first.") % {"name": officer}
                )
            if officer.status != OfficerStatus.APPROVED:
                raise forms.ValidationError(
                    _("%(name)s is not an approved officer (%(status)s).")
                    % {"name": officer, "status": officer.get_status_display()}
                )
        return officers


def officer_label(officer: Officer) -> str:
    return f"{officer} · {officer.age_band} · {officer.occupation} · {officer.district}"


@dataclass
class GridRow:
    age_band: AgeBand
    cells: list[tuple[Occupation, forms.BoundField]]


@dataclass
class GridTable:
    district: District | None
    rows: list[GridRow]


def quota_field_name(cell: Cell) -> str:
    band, occupation, district = cell
    return f"t-{band}-{occupation}-{district or 0}"


class QuotaGridForm(forms.Form):
    """One number per cell: age band (rows) × occupation (columns), in one table per district
    when the panel's quotas are per district. An empty box means no quota (0)."""

    def __init__(self, *args: Any, panel: Panel, segments: Segments, targets: dict[Cell, int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.segments = segments
        districts: list[District | None] = list(segments.districts) if panel.quota_by_district else [None]
        self.cells: dict[str, Cell] = {}
        self.layout: list[GridTable] = []
        for district in districts:
            rows = []
            for band in segments.bands:
                names = []
                for occupation in segments.occupations:
                    cell = (band.pk, occupation.pk, district.pk if district else None)
                    name = quota_field_name(cell)
                    self.cells[name] = cell
                    where = f"{band.label} · {occupation.name}" + (f" · {district.name}" if district else "")
                    self.fields[name] = forms.IntegerField(
                        label=where, required=False, min_value=0, max_value=MAX_TARGET, initial=targets.get(cell) or None,
                        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_TARGET, "inputmode": "numeric",
                                                        "class": "quota-input"}),
                        error_messages={
                            "min_value": _("Enter 0 or more."),
                            "max_value": _("Enter %(limit)s or fewer.") % {"limit": MAX_TARGET},
                            "invalid": _("Enter a whole number."),
                        },
                    )
                    names.append(name)
                rows.append((band, names))
            self.layout.append((district, rows))

    def tables(self) -> list[GridTable]:
        occupations = self.segments.occupations
        return [GridTable(district, [GridRow(band, [(o, self[name]) for o, name in zip(occupations, names, strict=True)])
                                     for band, names in rows])
                for district, rows in self.layout]

    def targets(self) -> dict[Cell, int]:
        return {cell: self.cleaned_data.get(name) or 0 for name, cell in self.cells.items()}


class DeriveForm(forms.Form):
    size = forms.IntegerField(
        label=_("How many officers the panel should have"), min_value=1, max_value=MAX_TARGET,
        help_text=_("Split across age bands (and districts) in proportion to their residents, then evenly across "
                    "the occupations you choose. The targets add up to exactly this number."),
        error_messages={"required": _("Enter how many officers the panel should have."),
                        "invalid": _("Enter a whole number.")},
        widget=forms.NumberInput(attrs={"min": 1, "max": MAX_TARGET, "inputmode": "numeric"}),
    )
    occupations = forms.ModelMultipleChoiceField(
        queryset=Occupation.objects.all(), widget=forms.CheckboxSelectMultiple, label=_("Occupations to include"),
        error_messages={"required": _("Choose at least one occupation."),
                        "invalid_choice": _("Choose occupations from the list.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Formatted here, per request: at import time it would be fixed in the language active then.
        out_of_range = _("Enter a number from 1 to %(limit)s.") % {"limit": MAX_TARGET}
        self.fields["size"].error_messages.update(min_value=out_of_range, max_value=out_of_range)


class TaskForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["cycle", "title", "instructions", "place", "due_on"]
        labels = {
            "cycle": _("Pilot cycle"),
            "title": _("What to try"),
            "instructions": _("How"),
            "place": _("Where"),
            "due_on": _("By when"),
        }
        help_texts = {
            "title": _("One short sentence, for example: report a broken light with the large-font app."),
            "instructions": _("The steps, in plain words. Officers read this on their phone or on paper."),
            "place": _("For example: the help desk in the community activity centre."),
        }
        widgets = {"instructions": forms.Textarea(attrs={"rows": 4}), "due_on": DateInput()}

    def __init__(self, *args: Any, panel: Panel, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cycles = Cycle.objects.filter(pilot__team_id=panel.team_id).select_related("pilot").order_by("pilot__name", "number")
        if panel.pilot_id:
            cycles = cycles.filter(pilot_id=panel.pilot_id)
        cycle = self.fields["cycle"]
        cycle.queryset = cycles
        cycle.empty_label = None
        cycle.label_from_instance = lambda c: _("%(pilot)s, cycle %(number)s") % {"pilot": c.pilot.name, "number": c.number}
        cycle.error_messages["invalid_choice"] = _("Choose a cycle of this panel's pilot, or of your team's pilots.")
        cycle.error_messages["required"] = _("Choose the pilot cycle the task belongs to.")
        self.fields["title"].error_messages["required"] = _("Enter what the officers should try.")
        self.fields["due_on"].error_messages["required"] = _("Enter the date the task is due.")
        self.fields["due_on"].error_messages["invalid"] = _("Enter a date such as 2026-12-31.")

    def clean_due_on(self):
        due = self.cleaned_data["due_on"]
        if due < timezone.localdate():
            raise forms.ValidationError(_("The date is in the past: choose today or a later day."))
        return due


class ProposeForm(forms.Form):
    wanted = forms.IntegerField(
        label=_("How many officers"), min_value=1, max_value=500,
        error_messages={"required": _("Enter how many officers to ask."), "invalid": _("Enter a whole number."),
                        "min_value": _("Enter a number from 1 to 500."), "max_value": _("Enter a number from 1 to 500.")},
        widget=forms.NumberInput(attrs={"min": 1, "max": 500, "inputmode": "numeric"}),
    )


class ConfirmForm(forms.Form):
    """The proposal, ticked; the planner may untick. The limit is checked again on saving."""

    officers = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, label=_("Officers to ask"),
        error_messages={"required": _("Tick at least one officer."),
                        "invalid_choice": _("Choose officers from the proposal.")},
    )

    def __init__(self, *args: Any, choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["officers"].choices = choices
