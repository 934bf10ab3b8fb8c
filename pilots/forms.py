"""Staff forms for pilots, cycles and decisions.

Validation happens here, on the server, with messages a planner can act on. Choices that
belong to a team (its surveys, their questions) are limited to the team's own, and anything
posted from outside those lists is refused with a sentence that says what to choose instead.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, Community, District, Team
from pilots.models import Cycle, CycleChange, DecisionKind, Pilot, Variant
from pilots.verdict_types import Verdict
from surveys.models import PREFER_NOT_TO_SAY, Kind, Question, Survey
from surveys.options import answer_options

# Questions whose answers can be counted as "adopted" or "satisfied": they offer fixed answers.
COUNTABLE_KINDS = (Kind.SINGLE, Kind.MULTIPLE, Kind.SCALE, Kind.YES_NO)


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class PilotForm(forms.ModelForm):
    """A new pilot (with its team, among the planner's teams) or an existing one's details.

    The model's `clean` keeps the floors under the adoption target; its errors land on the
    fields they are about."""

    class Meta:
        model = Pilot
        fields = [
            "team", "name", "service", "scenario", "target_population", "communities",
            "adoption_target", "equity_floor", "satisfaction_target", "viability_floor",
            "min_respondents", "confidence",
        ]
        labels = {
            "team": _("Team"),
            "name": _("Name of the pilot"),
            "service": _("Service being tried"),
            "scenario": _("Scenario"),
            "target_population": _("Who it is for"),
            "communities": _("Communities taking part"),
            "adoption_target": _("Adoption target (%)"),
            "equity_floor": _("Equity floor (%)"),
            "satisfaction_target": _("Satisfaction target (%)"),
            "viability_floor": _("Viability floor (%)"),
            "min_respondents": _("Minimum respondents per segment"),
            "confidence": _("Confidence level"),
        }
        help_texts = {
            "target_population": _("For example: every adult resident, the over-60s first."),
            "communities": _("Where the service is tried. Each cycle picks its own sites among them."),
            "min_respondents": _("Below this number a segment's figures count as too few to judge."),
            "confidence": _("How sure the intervals are; 95 percent is usual."),
        }
        widgets = {
            "communities": forms.CheckboxSelectMultiple,
            "scenario": forms.Textarea(attrs={"rows": 3}),
            "target_population": forms.Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args: Any, teams: QuerySet[Team] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if teams is None:
            del self.fields["team"]
        else:
            self.fields["team"].queryset = teams
            self.fields["team"].empty_label = None
        self.fields["communities"].queryset = Community.objects.select_related("district")
        self.fields["name"].error_messages["required"] = _("Enter the pilot's name.")
        self.fields["service"].error_messages["required"] = _("Enter the service being tried.")
        for name in ("adoption_target", "equity_floor", "satisfaction_target", "viability_floor"):
            self.fields[name].widget.attrs.update({"min": 0, "max": 100, "inputmode": "numeric"})
            self.fields[name].error_messages["max_value"] = _("Enter a percentage from 0 to 100.")
            self.fields[name].error_messages["min_value"] = _("Enter a percentage from 0 to 100.")


class CycleForm(forms.ModelForm):
    """A cycle's sites, dates and evaluation survey, with the answers that count.

    Which questions and answers are offered depends on the survey chosen: the form lists the
    chosen survey's questions, and a question's answers once it is chosen. Posting with
    `refresh` (the "Show questions" button, or htmx on change) re-draws the form without saving.
    """

    adopted_values = forms.MultipleChoiceField(
        label=_("Answers that count as using the service"), required=False, widget=forms.CheckboxSelectMultiple,
    )
    satisfied_values = forms.MultipleChoiceField(
        label=_("Answers that count as satisfied"), required=False, widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = Cycle
        fields = [
            "sites", "starts_on", "ends_on", "survey", "adoption_question", "adopted_values",
            "satisfaction_question", "satisfied_values",
        ]
        labels = {
            "sites": _("Sites"),
            "starts_on": _("Starts (optional)"),
            "ends_on": _("Ends (optional)"),
            "survey": _("Evaluation survey (optional)"),
            "adoption_question": _("Question that asks whether they use it"),
            "satisfaction_question": _("Question that asks how satisfied they are"),
        }
        help_texts = {
            "sites": _("The communities where this cycle runs."),
            "survey": _(
                "Residents' answers give adoption and satisfaction when there are no imported counts. "
                "Only your team's surveys are listed."
            ),
        }
        widgets = {"sites": forms.CheckboxSelectMultiple, "starts_on": DateInput(), "ends_on": DateInput()}

    def __init__(self, *args: Any, pilot: Pilot, refresh_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pilot = pilot
        if refresh_url:
            # With htmx, choosing a survey or a question re-draws the part of the form below it.
            for name in ("survey", "adoption_question", "satisfaction_question"):
                self.fields[name].widget.attrs.update({
                    "hx-post": refresh_url, "hx-target": "#survey-fields", "hx-swap": "outerHTML",
                    "hx-vals": '{"refresh": "1"}',
                })
        sites = Community.objects.select_related("district")
        if pilot.communities.exists():
            sites = sites.filter(pilots=pilot)
        self.fields["sites"].queryset = sites
        surveys = Survey.objects.filter(team_id=pilot.team_id).order_by("-created_at", "pk")
        survey_field = self.fields["survey"]
        survey_field.queryset = surveys
        survey_field.empty_label = _("No survey")
        survey_field.error_messages["invalid_choice"] = _("Choose one of your team's surveys.")
        # Every countable question of the team's surveys is accepted by the field, so that a
        # question of another survey is caught in `clean` with a sentence that says so.
        questions = Question.objects.filter(survey__team_id=pilot.team_id, kind__in=COUNTABLE_KINDS)
        chosen_survey = self._chosen("survey", surveys)
        shown = questions.filter(survey=chosen_survey).order_by("position", "pk") if chosen_survey else questions.none()
        for name in ("adoption_question", "satisfaction_question"):
            field = self.fields[name]
            field.queryset = questions
            field.empty_label = _("No question")
            field.error_messages["invalid_choice"] = _("Choose a question of the chosen survey.")
            field.choices = [("", field.empty_label)] + [(q.pk, f"{q.key} · {q.text}") for q in shown]
        self.chosen_survey = chosen_survey
        self.chosen_questions = {}
        for question_name, values_name in (("adoption_question", "adopted_values"),
                                           ("satisfaction_question", "satisfied_values")):
            question = self._chosen(question_name, questions.prefetch_related("choices"))
            self.chosen_questions[question_name] = question
            options = answer_options([question])[question.pk] if question else []
            values = self.fields[values_name]
            values.choices = [(o.value, o.label) for o in options if o.value != PREFER_NOT_TO_SAY]
            values.error_messages["invalid_choice"] = _(
                "“%(value)s” is not an answer of the chosen question."
            )
            if question is None:
                values.help_text = _("Choose a survey and a question first; their answers are listed here.")

    def _chosen(self, name: str, queryset: QuerySet):
        """The object picked in field `name`: from the posted data, else the form's start."""
        if self.is_bound:
            raw = self.data.get(self.add_prefix(name))
        else:
            raw = self.initial.get(name)
            if raw is None:
                raw = getattr(self.instance, f"{name}_id", None)
        if raw in (None, ""):
            return None
        raw = getattr(raw, "pk", raw)
        try:
            return queryset.filter(pk=int(raw)).first()
        except (TypeError, ValueError):
            return None

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        survey = data.get("survey")
        for question_name, values_name in (("adoption_question", "adopted_values"),
                                           ("satisfaction_question", "satisfied_values")):
            question = data.get(question_name)
            values = data.get(values_name) or []
            if question is None:
                if values and values_name not in self.errors:
                    self.add_error(values_name, _("Choose the question these answers belong to."))
                data[values_name] = []
                continue
            if survey is None:
                self.add_error(question_name, _("Choose the survey this question belongs to, or no question."))
            elif question.survey_id != survey.pk:
                self.add_error(question_name, _("This question is not in the chosen survey."))
            elif not values and values_name not in self.errors:
                self.add_error(values_name, _("Tick at least one answer, or choose no question."))
        return data


class ChangeForm(forms.ModelForm):
    class Meta:
        model = CycleChange
        fields = ["what", "reason"]
        labels = {"what": _("What changed"), "reason": _("Why")}
        help_texts = {
            "what": _("For example: larger buttons on the door screen."),
            "reason": _("What residents or officers reported, or what the figures showed."),
        }
        widgets = {"reason": forms.Textarea(attrs={"rows": 4})}


class VariantForm(forms.ModelForm):
    class Meta:
        model = Variant
        fields = ["age_band", "district", "description"]
        labels = {"age_band": _("Age band (optional)"), "district": _("District (optional)"),
                  "description": _("What is different for them")}
        help_texts = {"description": _("For example: a staffed desk beside the door for residents over 70.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["age_band"].queryset = AgeBand.objects.all()
        self.fields["age_band"].empty_label = _("Every age band")
        self.fields["district"].queryset = District.objects.all()
        self.fields["district"].empty_label = _("Every district")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not data.get("age_band") and not data.get("district") and "age_band" not in self.errors:
            self.add_error("age_band", _("Choose an age band, a district or both: a variant is for some residents."))
        return data


class CountsForm(forms.Form):
    file = forms.FileField(
        label=_("Counts file (CSV)"),
        help_text=_(
            "One line per segment: district,age_band,eligible,adopters and, when known, satisfied,rated. "
            "Codes as in the city's lists. The file replaces the cycle's counts, or nothing changes."
        ),
        error_messages={"required": _("Choose the CSV file to upload.")},
    )


class StageForm(forms.Form):
    stage = forms.ChoiceField(label=_("Move this cycle to"))

    def __init__(self, *args: Any, choices: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Nothing chosen at first: one press of "Change stage" must not move a cycle by accident.
        self.fields["stage"].choices = [("", _("Choose a stage")), *choices]
        self.fields["stage"].error_messages["required"] = _("Choose the stage to move the cycle to.")
        self.fields["stage"].error_messages["invalid_choice"] = _(
            "A cycle moves only forward, or to stopped: choose one of the stages listed."
        )


class DecisionForm(forms.Form):
    """The decision on a cycle. Scaling against the verdict is allowed, but only with the reason
    written down: the record shows who overrode the evidence, and why."""

    kind = forms.ChoiceField(label=_("Decision"), choices=DecisionKind.choices, widget=forms.RadioSelect,
                             error_messages={"required": _("Choose a decision.")})
    rationale = forms.CharField(
        label=_("Rationale"), widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why this decision: it is kept with the figures it was made on."),
        error_messages={"required": _("Write why you decide this.")},
    )
    override_reason = forms.CharField(
        label=_("Why scale against the verdict"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed only to scale up when the verdict is not “Ready to scale”."),
    )

    def __init__(self, *args: Any, verdict: Verdict | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.verdict = verdict

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["override_reason"] = (data.get("override_reason") or "").strip()
        if data.get("kind") == DecisionKind.SCALE and self.verdict != Verdict.READY_TO_SCALE and not data["override_reason"]:
            self.add_error(
                "override_reason",
                _("The verdict is not “Ready to scale”: write why you scale up anyway, or choose another decision."),
            )
        return data
