"""The demo's door-access needs survey: real answers through the response store, once."""

from __future__ import annotations

from io import StringIO

from django.core.management import call_command

from surveys.models import Answer, Response, Survey


def test_seed_demo_adds_the_door_survey_once(db, settings):
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert "survey 'door-access-2026' with 360 responses" in out.getvalue()
    call_command("seed_demo", stdout=StringIO())
    survey = Survey.objects.get(slug="door-access-2026")
    assert survey.responses.count() == 360 and survey.is_accepting()
    assert set(Response.objects.values_list("channel", flat=True)) == {"web", "paper", "assisted"}

    def used_share(bands: list[str]) -> float:
        answers = Answer.objects.filter(question__key="used_new", response__age_band__code__in=bands)
        return answers.filter(value="yes").count() / answers.count()

    # The story the demo tells: the oldest residents use the new doors far less.
    assert used_share(["70+"]) < used_share(["18-29", "30-44"]) - 0.2
