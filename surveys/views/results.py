"""Results and exports for the team that owns a survey.

The figures come from `surveys.results` (SQL aggregates), the files from `surveys.exports`;
these views only decide who sees what: every member of the owning team reads the results
and may download the answers, planners and clerks see exact small counts and the residents'
latest words, and to everyone else the survey does not exist.
"""

from __future__ import annotations

import tempfile

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe
from django.views.decorators.vary import vary_on_headers

from citylab import audit
from citylab.access import Action, get_for_member_or_404, may
from surveys import exports
from surveys.export_tasks import EXPORT_IN_REQUEST, KEEP_FOR, prepare_export
from surveys.models import ExportStatus, ResponseExport, Status, Survey
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
            # Too many to write within a page request: the files are prepared by the worker.
            "export_in_background": summary.total.n > EXPORT_IN_REQUEST,
            **(_prepared(survey) if works_with_answers else {}),
        },
    )


def _prepared(survey: Survey) -> dict[str, object]:
    """The survey's latest prepared files, for the results page and its polled list."""
    prepared = list(ResponseExport.objects.filter(survey=survey).select_related("requested_by")[:10])
    return {"prepared": prepared, "pending": any(export.pending for export in prepared), "keep_days": KEEP_FOR.days}


@require_safe
@login_required
@vary_on_headers("HX-Request")
def prepared_exports(request: HttpRequest, slug: str) -> TemplateResponse:
    """The list of prepared files alone: the results page asks for it while one is pending."""
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.ENTER, slug=slug)
    return TemplateResponse(request, "surveys/results/survey_results.html#prepared", {"survey": survey, **_prepared(survey)})


@require_POST
@login_required
def export_prepare(request: HttpRequest, slug: str) -> HttpResponse:
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.ENTER, slug=slug)
    format = request.POST.get("format")
    if format not in ("csv", "xlsx"):
        messages.error(request, _("Choose CSV or a spreadsheet to prepare."))
        return redirect("surveys:results", slug=survey.slug)
    export = prepare_export(survey=survey, user=request.user, format=format, language=get_language())
    audit.record(request, "survey.responses_export_prepared", survey, format=format, export=export.pk)
    messages.success(request, _("The file is being prepared. It appears below when it is ready; you can leave this page meanwhile."))
    return redirect(reverse("surveys:results", kwargs={"slug": survey.slug}) + "#prepared")


@require_safe
@login_required
def export_file(request: HttpRequest, slug: str, pk: int) -> FileResponse:
    survey = get_for_member_or_404(Survey.objects.select_related("team"), request.user, Action.ENTER, slug=slug)
    export = ResponseExport.objects.filter(survey=survey, pk=pk, status=ExportStatus.DONE).exclude(file="").first()
    if export is None:
        raise Http404
    audit.record(request, "survey.responses_exported", survey, format=export.format, export=export.pk)
    content_type = "text/csv; charset=utf-8" if export.format == "csv" else exports.XLSX_CONTENT_TYPE
    return FileResponse(export.file.open("rb"), as_attachment=True,
                        filename=exports.filename(survey, export.format, export.finished_at),
                        content_type=content_type)


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
