"""Results and exports for the team that owns a survey.

The figures come from `surveys.results` (SQL aggregates), the files from `surveys.exports`;
these views only decide who sees what: every member of the owning team reads the results
and may download the answers, planners and clerks see exact small counts and the residents'
latest words, and to everyone else the survey does not exist.
"""

from __future__ import annotations

import tempfile

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpRequest, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_safe

from citylab import audit
from citylab.access import Action, get_for_member_or_404, may
from surveys import exports
from surveys.models import Status, Survey
from surveys.results import SMALL_CELL, survey_results

# An XLSX file is a zip written at the end: kept in memory up to this size, on disk beyond.
SPOOL_LIMIT = 10 * 1024 * 1024


@require_safe
@login_required
def results(request: HttpRequest, slug: str) -> TemplateResponse:
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.VIEW, slug=slug)
    # Those who enter and design the answers work with them anyway; readers get suppressed
    # small cells and no free text.
    works_with_answers = may(request.user, Action.ENTER, survey)
    summary = survey_results(survey, exact=works_with_answers, show_texts=works_with_answers)
    return TemplateResponse(
        request,
        "surveys/results/survey_results.html",
        {
            "survey": survey,
            "results": summary,
            "small_cell": SMALL_CELL,
            "can_enter": works_with_answers and survey.status != Status.DRAFT,
            "can_export": works_with_answers,
        },
    )


@require_safe
@login_required
def export(request: HttpRequest, slug: str, format: str) -> StreamingHttpResponse | FileResponse:
    """The responses as CSV (streamed as it is read) or XLSX (built, then sent).

    Planners and clerks only: rows carry every answer, texts included, with no small-cell
    suppression, which viewers get on the results page."""
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.ENTER, slug=slug)
    audit.record(request, "survey.responses_exported", survey, format=format)
    if format == "csv":
        response = StreamingHttpResponse(exports.csv_stream(survey), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{exports.filename(survey, "csv")}"'
        return response
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_LIMIT)
    exports.write_xlsx(survey, spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=exports.filename(survey, "xlsx"), content_type=exports.XLSX_CONTENT_TYPE
    )
