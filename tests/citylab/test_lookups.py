"""`in` on an integer column drops values no such column can hold (citylab/lookups.py), on
SQLite (whose driver raised OverflowError) and on PostgreSQL alike."""

from __future__ import annotations

from django import forms

from citylab.models import District


def test_values_out_of_any_integer_range_match_nothing(places):
    old = District.objects.get(code="laocheng")
    assert list(District.objects.filter(pk__in=[10**40])) == []
    assert list(District.objects.filter(pk__in=[-(10**40), old.pk, 10**40])) == [old]
    assert District.objects.filter(pk__in=[2**63 - 1]).count() == 0  # the edge itself is still asked


def test_a_posted_huge_id_is_an_invalid_choice_not_a_server_error(places):
    class DistrictsForm(forms.Form):
        districts = forms.ModelMultipleChoiceField(queryset=District.objects.all())

    form = DistrictsForm(data={"districts": ["9" * 40]})
    assert not form.is_valid()
    assert form.errors["districts"][0].startswith("Select a valid choice.")
