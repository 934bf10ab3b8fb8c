"""Forms for experience officers: the public sign-up, registration by staff, a planner's
decision, and the staff list's filters.

Validation is on the server with sentences a resident can act on. Choices come from the civic
core; an id posted from outside the lists (a tampered form) gets the same plain message as a
missing answer, never a stack trace or a half-saved officer.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.validators import MaxLengthValidator
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from citylab.models import AgeBand, Community, District, Occupation, Team
from citylab.validators import no_national_id
from pilots.models.panels import Availability, Officer, OfficerStatus, SmartphoneUse
from pilots.officers import normalise_email, normalise_phone

PHONE = re.compile(r"^\+?\d{5,20}$")
NEEDS_MAX = 1000


class CommunityChoiceField(forms.ChoiceField):
    """Communities grouped under their district's name (one <optgroup> each); cleans to a Community."""

    def load_choices(self) -> None:
        """Read when a form is made (never at import: the table may not exist yet)."""
        groups: dict[District, list[tuple[str, str]]] = {}
        for community in Community.objects.select_related("district"):
            groups.setdefault(community.district, []).append((str(community.pk), community.name))
        self.choices = [("", _("Not sure"))] + [
            (district.name, options) for district, options in groups.items()
        ]

    def clean(self, value: Any) -> Community | None:
        value = super().clean(value)
        return Community.objects.select_related("district").get(pk=value) if value else None


class OfficerForm(forms.ModelForm):
    """What an officer tells us about themselves, in their own words (the public page's labels)."""

    community = CommunityChoiceField(label=_("Your community"), required=False,
                                     help_text=_("The residential community (社区) you live in."))
    availability = forms.MultipleChoiceField(
        label=_("When can you help?"), choices=Availability.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text=_("Select all that apply."),
    )

    class Meta:
        model = Officer
        fields = ["full_name", "phone", "email", "age_band", "district", "community", "occupation", "smartphone",
                  "accessibility_needs", "availability"]
        labels = {
            "full_name": _("Your name"),
            "phone": _("Phone number (optional)"),
            "email": _("Email address (optional)"),
            "age_band": _("Your age"),
            "district": _("Your district"),
            "occupation": _("What do you do?"),
            "smartphone": _("How do you use a smartphone?"),
            "accessibility_needs": _("Anything that would make taking part easier for you? (optional)"),
        }
        help_texts = {
            "full_name": _("So that the team knows what to call you."),
            "phone": _("Without a phone number or an email address, the team can only reach you through your community office."),
            "email": _("With an email address you get your own page to see your tasks, and we tell you what happened to your feedback."),
            "accessibility_needs": _("For example: large print, someone to come with you, step-free access, a sign-language interpreter."),
        }
        widgets = {
            "age_band": forms.RadioSelect,
            "district": forms.RadioSelect,
            "occupation": forms.RadioSelect,
            "smartphone": forms.RadioSelect,
            "full_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "phone": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "accessibility_needs": forms.Textarea(attrs={"rows": 3}),
        }

    required_messages = {
        "full_name": _("Enter your name."),
        "age_band": _("Choose your age band."),
        "district": _("Choose the district you live in."),
        "occupation": _("Choose what you do."),
        "smartphone": _("Choose how you use a smartphone."),
    }
    choice_messages = {
        "age_band": _("Choose your age band from the list."),
        "district": _("Choose a district from the list."),
        "community": _("Choose a community from the list, or “Not sure”."),
        "occupation": _("Choose what you do from the list."),
        "smartphone": _("Choose one of the answers about smartphones."),
        "availability": _("Choose times from the list."),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["community"].load_choices()
        self.fields["full_name"].required = True
        self.fields["age_band"].queryset = AgeBand.objects.all()
        self.fields["district"].queryset = District.objects.all()
        self.fields["occupation"].queryset = Occupation.objects.all()
        for name in ("age_band", "district", "occupation"):
            self.fields[name].empty_label = None
        self.fields["smartphone"].choices = SmartphoneUse.choices  # no blank "-----" row
        self.fields["accessibility_needs"].validators.append(MaxLengthValidator(NEEDS_MAX))
        self.fields["accessibility_needs"].widget.attrs["maxlength"] = NEEDS_MAX
        # An ID card number typed into any of these (the phone box takes up to 20 digits) is refused.
        for name in ("full_name", "phone", "accessibility_needs"):
            self.fields[name].validators.append(no_national_id)
        for name, message in self.required_messages.items():
            self.fields[name].error_messages["required"] = message
        for name, message in self.choice_messages.items():
            self.fields[name].error_messages["invalid_choice"] = message
            self.fields[name].error_messages["invalid_pk_value"] = message
        self.fields["email"].error_messages["invalid"] = _("Enter an email address like name@example.com.")
        for name in ("full_name", "phone", "email", "accessibility_needs"):
            self.fields[name].error_messages["max_length"] = _(
                "Use at most %(limit_value)d characters (you used %(show_value)d)."
            )

    def clean_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["phone"])
        if phone and not PHONE.match(phone):
            raise forms.ValidationError(_("Enter a phone number in digits, like 139 1234 5678."))
        return phone

    def clean_email(self) -> str:
        return normalise_email(self.cleaned_data["email"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        district, community = data.get("district"), data.get("community")
        if district is not None and community is not None and community.district_id != district.pk:
            self.add_error("community", _(
                "%(community)s is in %(its_district)s, not in %(district)s. Choose a community in %(district)s, "
                "or “Not sure”."
            ) % {"community": community.name, "its_district": community.district.name, "district": district.name})
        return data


class SignUpForm(OfficerForm):
    consent = forms.BooleanField(
        label=_("I have read what CityLab asks, why, and who sees it, and I agree to take part."),
        error_messages={"required": _("Tick the box to say you agree, or you cannot sign up.")},
    )

    def full_clean(self) -> None:
        super().full_clean()
        # Tie each error to its input for screen readers, beside the hint Django already ties.
        for name in self.errors:
            widget = self.fields[name].widget if name in self.fields else None
            if widget is not None and getattr(widget, "input_type", None) not in ("radio", "checkbox"):
                ids = ([f"id_{self.add_prefix(name)}_helptext"] if self.fields[name].help_text else [])
                ids.append(f"id_{self.add_prefix(name)}_error")
                widget.attrs["aria-describedby"] = " ".join(ids)


class RegisterForm(OfficerForm):
    """The same questions, asked by a member of staff face to face (third-person labels)."""

    consent = forms.BooleanField(
        label=_("I read or explained the consent text to this person, and they agreed to take part."),
        error_messages={"required": _("Confirm that the person agreed, or do not register them.")},
    )

    staff_labels = {
        "full_name": _("Name"),
        "phone": _("Phone number (optional)"),
        "email": _("Email address (optional)"),
        "age_band": _("Age band"),
        "district": _("District"),
        "community": _("Community"),
        "occupation": _("Occupation"),
        "smartphone": _("Smartphone use"),
        "accessibility_needs": _("Accessibility needs (optional)"),
        "availability": _("Times they can help"),
    }

    def __init__(self, *args: Any, teams: QuerySet[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, label in self.staff_labels.items():
            self.fields[name].label = label
        for name, message in {
            "full_name": _("Enter the person's name."),
            "age_band": _("Choose their age band."),
            "district": _("Choose the district they live in."),
            "occupation": _("Choose what they do."),
            "smartphone": _("Choose how they use a smartphone."),
        }.items():
            self.fields[name].error_messages["required"] = message
        self.fields["full_name"].help_text = ""
        self.fields["email"].help_text = _("With an email address they get an account when approved.")
        self.fields["phone"].help_text = _("Without a phone or email, the team reaches them through their community.")
        self.fields["community"].help_text = ""
        self.fields["availability"].help_text = ""
        if teams.count() > 1:
            self.fields["team"] = forms.ModelChoiceField(queryset=teams, label=_("Team"), empty_label=None)
            self.order_fields(["team"])


class DecisionForm(forms.Form):
    APPROVE, DECLINE = "approve", "decline"
    decision = forms.ChoiceField(
        label=_("Your decision"), widget=forms.RadioSelect,
        choices=[(APPROVE, _("Approve: they join the officers")), (DECLINE, _("Decline"))],
        error_messages={"required": _("Choose approve or decline."),
                        "invalid_choice": _("Choose approve or decline.")},
    )
    reason = forms.CharField(
        label=_("Why decline? (needed to decline)"), required=False, max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the team's records; the applicant is not sent this."),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("decision") == self.DECLINE and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Say why you decline the application."))
        return data


class OfficerFilterForm(forms.Form):
    """The staff list's filters: read from the query string; anything unknown is ignored."""

    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("Any status"))] + OfficerStatus.choices)
    age_band = forms.ModelChoiceField(label=_("Age band"), required=False, queryset=AgeBand.objects.all(),
                                      empty_label=_("Any age"))
    district = forms.ModelChoiceField(label=_("District"), required=False, queryset=District.objects.all(),
                                      empty_label=_("Any district"))
    occupation = forms.ModelChoiceField(label=_("Occupation"), required=False, queryset=Occupation.objects.all(),
                                        empty_label=_("Any occupation"))

    def filters(self) -> dict[str, Any]:
        self.is_valid()  # a filter that does not validate is simply left out of cleaned_data
        return {name: value for name, value in self.cleaned_data.items() if value}
