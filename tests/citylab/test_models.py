"""The civic core's own rules: age bands that never overlap, names in the reader's language."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import translation

from citylab.models import AgeBand, District, Membership, Role


def test_age_band_labels_and_lookup(places):
    assert [b.label for b in AgeBand.objects.all()] == ["18–29", "30–44", "45–59", "60–69", "70+"]
    assert AgeBand.objects.for_age(44).code == "30-44"
    assert AgeBand.objects.for_age(95).code == "70+"
    assert AgeBand.objects.for_age(12) is None


@pytest.mark.parametrize(("lo", "hi"), [(25, 35), (65, None), (10, 18), (80, 90)])
def test_overlapping_age_band_is_refused(places, lo, hi):
    with translation.override("en"), pytest.raises(ValidationError, match="overlaps"):
        AgeBand(code="new", min_age=lo, max_age=hi).full_clean()


def test_age_band_ending_before_it_starts_is_refused(db):
    with pytest.raises(ValidationError):
        AgeBand(code="bad", min_age=40, max_age=30).full_clean()
    with pytest.raises(IntegrityError):
        AgeBand.objects.create(code="bad", min_age=40, max_age=30)


def test_a_gap_below_the_first_band_is_a_valid_new_band(places):
    AgeBand(code="16-17", min_age=16, max_age=17).full_clean()


def test_names_follow_the_active_language(places):
    old = District.objects.get(code="laocheng")
    with translation.override("zh-hans"):
        assert str(old) == "老城区"
    with translation.override("en"):
        assert str(old) == "Old Town"


def test_one_role_per_team_and_user(planner, team):
    with pytest.raises(IntegrityError):
        Membership.objects.create(team=team, user=planner, role=Role.VIEWER)


@pytest.mark.parametrize("code", ["Old Town", "-x", "老城", ""])
def test_codes_are_plain_lower_case(db, code):
    with pytest.raises(ValidationError):
        District(code=code, name_zh="区", name_en="District").full_clean()
