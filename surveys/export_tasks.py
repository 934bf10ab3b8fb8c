"""Exports of large surveys, written by the task worker instead of within a page request.

openpyxl writes about 130,000 cells a second (100,000 responses of 13 columns took 10-12 s on
a 2-core machine): a large survey's spreadsheet can take longer than the 60 s after which a
web worker is stopped (deploy/gunicorn.conf.py), and a long CSV ties up a worker too. Past
EXPORT_IN_REQUEST
the results page offers to prepare the file in the background, shows its progress and then
a download link. The file is the one `export_responses` and the direct download write. It
holds every answer, so it is kept for KEEP_FOR only (`erase_old_exports`, run daily).
"""

from __future__ import annotations

import tempfile
from datetime import timedelta

from django.core.files import File
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from citylab.worker import resumable
from surveys import exports
from surveys.models import ExportStatus, ResponseExport, Survey

EXPORT_IN_REQUEST = 20_000  # responses: above this the results page prepares files in the background
KEEP_FOR = timedelta(days=7)


def prepare_export(*, survey: Survey, user, format: str, language: str) -> ResponseExport:
    """The export of this survey in this format that is waiting or being prepared, or a new
    one queued now: pressing the button twice prepares one file."""
    with transaction.atomic():
        # The survey's row is locked, so two presses at once (two tabs, a double click) see
        # each other's export; a lock on the exports would not, when there is none yet.
        Survey.objects.select_for_update().filter(pk=survey.pk).first()
        pending = (ResponseExport.objects
                   .filter(survey=survey, format=format, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
                   .first())
        if pending is not None:
            return pending
        export = ResponseExport.objects.create(survey=survey, format=format, requested_by=user, language=language)
        transaction.on_commit(lambda: build_response_export.enqueue(export.pk))
    return export


@resumable  # written again from the start: nothing half-done is ever kept
@task()
def build_response_export(export_id: int) -> int:
    """Write the file; returns how many responses it holds."""
    export = ResponseExport.objects.select_related("survey").filter(pk=export_id).first()
    if export is None or export.status == ExportStatus.DONE:  # deleted, or done before a restart
        return export.responses if export else 0
    ResponseExport.objects.filter(pk=export.pk).update(status=ExportStatus.RUNNING, message="")
    try:
        # In the language of the person who asked: the CSV's second header row is in it.
        with tempfile.TemporaryFile() as spool, translation.override(export.language):
            write = exports.write_csv if export.format == "csv" else exports.write_xlsx
            count = write(export.survey, spool)
            spool.seek(0)
            export.file.save(exports.filename(export.survey, export.format), File(spool), save=False)
    except Exception as error:
        with translation.override(export.language):
            message = _("The file could not be written (%(error)s). Prepare it again; if that fails too, "
                        "tell your administrator.") % {"error": str(error) or type(error).__name__}
        ResponseExport.objects.filter(pk=export.pk).update(
            status=ExportStatus.FAILED, finished_at=timezone.now(), message=message)
        raise  # the task backend records the traceback for the administrator
    ResponseExport.objects.filter(pk=export.pk).update(
        status=ExportStatus.DONE, finished_at=timezone.now(), responses=count, file=export.file.name)
    return count


def erase_old_exports(now=None) -> int:
    """Delete prepared exports (file and record) requested more than KEEP_FOR ago."""
    cutoff = (now or timezone.now()) - KEEP_FOR
    erased = 0
    for export in ResponseExport.objects.filter(requested_at__lt=cutoff).only("pk", "file").iterator():
        if export.file:
            export.file.delete(save=False)
        export.delete()
        erased += 1
    return erased
