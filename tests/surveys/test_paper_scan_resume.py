"""A task worker killed (SIGKILL, no clean-up) between storing a sheet's last page and its
response: the restarted batch completes the sheet once. The states below are those such a kill
leaves in the database; the scripted reader stands in for the mark reader."""

from __future__ import annotations

import pytest
from django.utils import translation

from surveys.models import Response
from surveys.paper.models import PageStatus, ScanBatch, ScanPage, ScanStatus, Sheet
from surveys.paper.scanning import accept_upload, process_batch
from tests.surveys.paper_scan_helpers import (
    Result, ScriptedReader, answers_page_1, answers_page_2, page_of, print_sheets, tiff_pages, upload,
)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    with translation.override("en"):
        yield


@pytest.fixture
def sheet(survey) -> Sheet:
    return print_sheets(survey, copies=1)[0]


def test_a_sheet_stored_whole_before_the_kill_gets_its_response_on_restart(team, clerk, survey, sheet):
    batch = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2))]).batch
    first = ScriptedReader({1: Result(page_of(survey, sheet.serial, 1), answers=answers_page_1())})

    class Killed(Exception):
        pass

    def killed_on_page_2(gray, layout_for):
        if int(gray[0, 0]) == 2:
            raise Killed
        return first(gray, layout_for)

    with pytest.raises(Killed):
        process_batch(batch, read=killed_on_page_2)
    # What the kill leaves: page 2 committed, its sheet not completed, the batch "running".
    ScanPage.objects.create(batch=batch, file=batch.files.get(), index=2, sheet=sheet, page=2,
                            status=PageStatus.OK, answers=answers_page_2())
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.RUNNING)
    assert not Response.objects.exists()

    reader = ScriptedReader({})
    outcome = process_batch(ScanBatch.objects.get(pk=batch.pk), read=reader)

    assert reader.calls == []  # nothing read again
    response = Response.objects.get()
    sheet.refresh_from_db()
    assert sheet.response == response and outcome.responses_created == 1
    assert {a.question.key for a in response.answers.all()} >= {"age", "problems"}
    assert ScanBatch.objects.get(pk=batch.pk).status == ScanStatus.DONE


def test_a_response_written_before_the_kill_is_linked_not_written_again(team, clerk, survey, sheet):
    script = {1: Result(page_of(survey, sheet.serial, 1), answers=answers_page_1()),
              2: Result(page_of(survey, sheet.serial, 2), answers=answers_page_2())}
    batch = accept_upload(team=team, user=clerk, files=[upload("a.tif", tiff_pages(1, 2))]).batch
    process_batch(batch, read=ScriptedReader(script))
    # The kill: the response committed, the sheet not yet pointing at it.
    written = Response.objects.get()
    Sheet.objects.filter(pk=sheet.pk).update(response=None)
    ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.RUNNING)

    outcome = process_batch(ScanBatch.objects.get(pk=batch.pk), read=ScriptedReader({}))

    sheet.refresh_from_db()
    assert Response.objects.get() == written and sheet.response == written
    assert outcome.responses_created == 0
