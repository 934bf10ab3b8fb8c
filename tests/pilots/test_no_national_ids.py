"""No national ID numbers are stored anywhere: no field is meant for one, and the officer
pages refuse text that holds one, saving nothing."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.apps import apps
from django.urls import reverse

from pilots.models import Feedback
from pilots.models.panels import Officer
from tests.citylab.test_idnumbers import STANDARD_EXAMPLE
from tests.pilots.feedback_factories import make_assignment, make_task, report
from tests.pilots.officer_factories import make_officer_user
from tests.pilots.test_officers_signup import answers

ID_WORDS = ("id_number", "idnumber", "national_id", "identity", "id_card", "idcard", "身份证", "证件")


def test_no_model_field_is_meant_for_an_id_number():
    suspicious = []
    for model in apps.get_models():
        for field in model._meta.get_fields():
            names = f"{field.name} {getattr(field, 'verbose_name', '')}".lower()
            if any(word in names for word in ID_WORDS):
                suspicious.append(f"{model._meta.label}.{field.name}")
    assert suspicious == []


@pytest.fixture
def english(client) -> None:
    client.cookies["django_language"] = "en"


@pytest.mark.parametrize("field", ["full_name", "phone", "accessibility_needs"])
def test_sign_up_with_an_id_number_is_refused_and_nothing_saved(client, english, team, places, field):
    from tests.pilots.officer_factories import make_occupations

    make_occupations()
    url = reverse("pilots:officer_signup", kwargs={"team_code": team.code})
    text = STANDARD_EXAMPLE if field == "phone" else f"身份证 {STANDARD_EXAMPLE}"
    response = client.post(url, answers(**{field: text}))
    assert response.status_code == HTTPStatus.OK
    assert "Remove the ID card number" in " ".join(response.context["form"].errors[field])
    assert not Officer.objects.exists()


@pytest.mark.parametrize("changes", [
    {"suggestion": f"我的身份证是{STANDARD_EXAMPLE}"},
    {"problem-0-severity": "major", "problem-0-description": f"刷卡失败，卡号 {STANDARD_EXAMPLE}"},
])
def test_feedback_with_an_id_number_is_refused_and_nothing_saved(client, english, team, cycle, places,
                                                                  settings, tmp_path, changes):
    settings.MEDIA_ROOT = tmp_path
    user, officer = make_officer_user(team, age_band=places["bands"][4])
    assignment = make_assignment(make_task(cycle), officer)
    client.force_login(user)
    response = client.post(reverse("pilots:feedback_report", kwargs={"assignment": assignment.pk}), report(**changes))
    assert response.status_code == HTTPStatus.OK
    assert "Remove the ID card number" in response.content.decode()
    assert not Feedback.objects.exists()
