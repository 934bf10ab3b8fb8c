"""The results page of a large survey in a real browser: the buttons that prepare files, the
list of prepared files in each state with zero axe violations, and the list updating by itself
when the worker finishes. Screenshots go to CITYLAB_SCREENSHOTS when it is set."""

from __future__ import annotations

from pathlib import Path

import pytest

from surveys.export_tasks import build_response_export
from surveys.models import Channel, ExportStatus, ResponseExport
from surveys.services import response_record
from tests.browser.screenshots import keep_screenshot
from tests.surveys.conftest import full_answers, occupations, survey  # noqa: F401 - the survey's fixtures

pytestmark = pytest.mark.browser


@pytest.fixture
def large(monkeypatch, settings, tmp_path, survey, full_answers, planner):  # noqa: F811
    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr("surveys.views.results.EXPORT_IN_REQUEST", 0)
    response_record(survey=survey, answers=full_answers, channel=Channel.ASSISTED)
    return survey


@pytest.mark.parametrize(("language", "width"), [("en", 1280), ("zh-hans", 390)])
def test_prepared_files_in_every_state_pass_axe(new_session, sign_in, axe, planner, large, language, width):
    done = ResponseExport.objects.create(survey=large, format="xlsx", requested_by=planner)
    build_response_export.call(done.pk)
    ResponseExport.objects.create(survey=large, format="csv", requested_by=planner, status=ExportStatus.FAILED,
                                  message="No space left on device")
    ResponseExport.objects.create(survey=large, format="csv", requested_by=planner)
    session = new_session(width=width)
    session.language(language)
    sign_in(session, planner)
    page = session.page()
    assert page.goto(f"/staff/surveys/{large.slug}/results/").status == 200
    assert page.locator("#prepared li").count() == 3
    assert page.locator("button[name=format]").count() == 2
    problems = axe.check(page)
    keep_screenshot(page, f"results-prepared-{language}-{width}")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not problems, "\n".join(problems)


def test_the_list_shows_the_file_once_the_worker_has_written_it(new_session, sign_in, planner, large):
    session = new_session()
    session.language("en")
    sign_in(session, planner)
    page = session.page()
    page.goto(f"/staff/surveys/{large.slug}/results/")
    page.get_by_role("button", name="Prepare the answers (CSV)").click()
    page.wait_for_url("**/results/#prepared")
    assert "The file is being prepared" in page.content()
    assert page.locator("#prepared").get_by_text("Answers (CSV): Waiting to start").is_visible()

    build_response_export.call(ResponseExport.objects.get().pk)  # what the worker does meanwhile
    link = page.locator("#prepared a[download]")
    link.wait_for(timeout=10_000)  # the list asks again every 3 s, without a reload
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename.startswith(f"{large.slug}-responses-")
    assert Path(download.value.path()).read_bytes().startswith(b"\xef\xbb\xbf")
