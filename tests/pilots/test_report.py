"""The evaluation report: an HTML page to print and a PDF made here, with the verdict and its
reasons, and an audit record for every PDF that leaves the system."""

from __future__ import annotations

from http import HTTPStatus

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from django.utils import translation

from citylab.models import AuditEvent
from pilots.evaluation import evaluate_cycle, segment_labels
from pilots.views.display import verdict_words
from tests.pilots.dashboard_factories import (  # noqa: F401 - fixtures
    add_responses,
    evaluation_survey,
    survey_cycle,
    two_cycles,
)

pytestmark = pytest.mark.django_db


def pdf_text(content: bytes) -> str:
    document = pdfium.PdfDocument(content)
    try:
        return "\n".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    finally:
        document.close()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_pdf_is_a_pdf_with_the_verdict_and_its_reasons(client, settings, planner, pilot, two_cycles, language):
    first, second = two_cycles
    with translation.override(language):
        words = verdict_words(evaluate_cycle(second, first).evaluation.verdict)
    assert words in ("Needs more data", "需要更多数据")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    client.force_login(planner)
    response = client.get(reverse("pilots:pilot_report_pdf", args=[pilot.pk]))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    text = pdf_text(response.content)
    assert words in text, text[:600]
    assert pilot.name in text
    if language == "en":
        with translation.override("en"):
            labels = segment_labels()
        reason = evaluate_cycle(second, first).evaluation.sentences(label=labels.get)[0]
        assert reason[:40] in " ".join(text.split())


def test_pdf_export_is_audited(client, planner, pilot, two_cycles):
    client.force_login(planner)
    client.get(reverse("pilots:pilot_report_pdf", args=[pilot.pk]) + "?district=laocheng")
    event = AuditEvent.objects.get(action="pilot.report_exported")
    assert (event.actor, event.team, event.target) == (planner, pilot.team, f"pilots.Pilot:{pilot.pk}")
    assert event.detail["cycle"] == 2 and "district=laocheng" in event.detail["filters"]


def test_survey_cycle_pdf_draws_too(client, planner, pilot, survey_cycle, evaluation_survey):
    add_responses(evaluation_survey, 40)
    client.force_login(planner)
    response = client.get(reverse("pilots:pilot_report_pdf", args=[pilot.pk]))
    assert response.content.startswith(b"%PDF-")


def test_pdf_of_a_pilot_without_cycles(client, planner, pilot):
    client.force_login(planner)
    assert client.get(reverse("pilots:pilot_report_pdf", args=[pilot.pk])).content.startswith(b"%PDF-")


@pytest.mark.parametrize("persona", ["planner", "clerk", "viewer"])
def test_members_read_the_printable_report(client, request, persona, pilot, two_cycles):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("pilots:pilot_report", args=[pilot.pk]))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "css/report.css" in html and 'class="verdict' in html


@pytest.mark.parametrize("name", ["pilots:pilot_report", "pilots:pilot_report_pdf"])
def test_other_teams_and_anonymous_cannot_get_the_report(client, other_planner, pilot, two_cycles, name):
    report = reverse(name, args=[pilot.pk])
    assert client.get(report).status_code == HTTPStatus.FOUND
    client.force_login(other_planner)
    assert client.get(report).status_code == HTTPStatus.NOT_FOUND
    assert not AuditEvent.objects.filter(action="pilot.report_exported").exists()


def _drawn_labels(user, pilot) -> list[str]:
    """The labels of the PDF's change chart as `user` gets it (the dashboard's figures, drawn)."""
    from reportlab.graphics.shapes import String

    from citylab.models import AgeBand, District
    from pilots import dashboard, report
    from pilots.models import Pilot

    mine = Pilot.objects.for_member(user).get(pk=pilot.pk)  # with the reader's role, as the view reads it
    cycles = list(mine.cycles.order_by("number"))
    dash = dashboard.build(mine, dashboard.Filters(), districts=list(District.objects.all()),
                           bands=list(AgeBand.objects.all()), cycles=cycles)
    return [s.text for s in report.change_drawing(dash).contents if isinstance(s, String)]


def test_pdf_change_chart_leaves_out_small_segments_for_viewers(planner, viewer, pilot, two_cycles):
    # 70+ in New Harbour: 3 respondents in cycle 1, 4 in cycle 2.
    assert "70+ in New Harbour" in _drawn_labels(planner, pilot)
    shown = _drawn_labels(viewer, pilot)
    assert "70+ in New Harbour" not in shown
    assert {"18–29 in Old Town", "18–29 in New Harbour", "60–69 in Old Town ★"} <= set(shown)


def test_viewers_pdf_names_small_segments_only_as_suppressed(client, settings, viewer, planner, pilot, two_cycles):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    def mentions(user) -> int:
        client.force_login(user)
        text = " ".join(pdf_text(client.get(reverse("pilots:pilot_report_pdf", args=[pilot.pk])).content).split())
        return text.count("70+ in New Harbour")

    # The planner's PDF names the segment once more than the viewer's: in the change chart.
    assert mentions(planner) == mentions(viewer) + 1
