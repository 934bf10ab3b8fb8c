"""Staff and officers' forms render through crispy-forms with CityLab's own template pack
(templates/citylab_forms/): the GOV.UK error summary, then each field with its label, hint and
the error beside it."""

from __future__ import annotations

from django import forms
from django.template import engines
from django.utils import translation


class ExampleForm(forms.Form):
    name = forms.CharField(label="Pilot name", help_text="As residents will see it.")
    sites = forms.MultipleChoiceField(label="Sites", choices=[("a", "Riverside"), ("b", "Old Town")],
                                      widget=forms.CheckboxSelectMultiple)
    consent = forms.BooleanField(label="I agree")
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


def render(text: str, form: forms.Form) -> str:
    with translation.override("en"):
        return engines["django"].from_string("{% load crispy_forms_tags %}" + text).render({"form": form})


def test_a_form_with_errors_gets_the_summary_and_each_field_its_message():
    html = render("{{ form|crispy }}", ExampleForm(data={"name": ""}))
    assert html.index('class="error-summary"') < html.index('<label for="id_name">Pilot name</label>')
    assert '<a href="#id_name">Pilot name: This field is required.</a>' in html
    assert '<a href="#id_sites">Sites: This field is required.</a>' in html  # the fieldset takes the link
    assert '<fieldset class="field options field-error" id="id_sites"' in html
    assert '<div class="hint" id="id_name_helptext">As residents will see it.</div>' in html
    assert html.count('<span class="visually-hidden">Error:</span> This field is required.') == 3
    assert '<input type="hidden" name="secret"' in html and "secret:" not in html
    # a single checkbox sits before its label
    assert html.index('name="consent"') < html.index('<label for="id_consent">I agree</label>')


def test_a_valid_or_unbound_form_has_no_summary():
    assert "error-summary" not in render("{{ form|crispy }}", ExampleForm())
    assert "error-summary" not in render("{{ form|as_crispy_errors }}", ExampleForm())


def test_one_field_alone_is_marked_up_the_same():
    form = ExampleForm(data={"name": ""})
    alone = render("{{ form.name|as_crispy_field }}", form)
    assert alone.strip() in render("{{ form|crispy }}", form)
