"""Every upload, fuzzed (#8): survey definitions (JSON), operators' counts and population
figures (CSV), scanned forms (PDF, TIFF, PNG, JPEG) and officers' photos. Whatever the file,
the server answers without an error, and a refused upload changes nothing. The other fields
of these forms are attacked too (the sweep posts a good file with them); the file strategies
are in fuzz_files.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import strategies as st

from surveys.definitions import survey_to_json
from tests.pilots.conftest import cycle, pilot  # noqa: F401  (fixtures)
from tests.security.fuzz_files import REAL, contents, csv_text, encoded, json_files, sweep_files, uploads
from tests.security.fuzzing import Target, Upload, form_for, fuzz
from tests.surveys.conftest import full_answers, occupations, survey  # noqa: F401  (fixtures)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path, client):
    settings.MEDIA_ROOT = tmp_path
    client.cookies["django_language"] = "en"


def with_sweep(target: Target) -> Target:
    target.sweep_files = sweep_files(target.good_file)
    return target


def csv_uploads(header: list[str], good_rows: list[list[str]], name: str) -> st.SearchStrategy[Upload]:
    files = st.one_of(csv_text(header, good_rows).flatmap(encoded), contents(REAL["png"]))
    return st.builds(Upload, st.sampled_from([name, "counts.xlsx", "", "../x.csv"]), files,
                     st.sampled_from(["text/csv", "application/vnd.ms-excel", "application/octet-stream"]))


def test_survey_definition_upload(client, planner, survey):
    """A definition file: the survey's own export under a new address, then anything else."""
    client.force_login(planner)
    good = json.loads(survey_to_json(survey)) | {"slug": "uploaded-copy"}
    files = st.builds(Upload, st.sampled_from(["survey.json", "survey.txt", ""]), json_files(good),
                      st.sampled_from(["application/json", "text/plain"]))
    page = "/staff/surveys/import/"
    target = Target(page, form_for(client, page), files=files, accepts_baseline=True,
                    good_file=Upload("survey.json", json.dumps(good).encode(), "application/json"))
    fuzz(client, [with_sweep(target)], examples=80)


def test_count_upload(client, planner, pilot, cycle):
    client.force_login(planner)
    header = ["district", "age_band", "eligible", "adopters", "satisfied", "rated"]
    rows = [["laocheng", "70+", "100", "40", "30", "35"], ["xingang", "18-29", "50", "45", "", ""]]
    good = ("\n".join(",".join(row) for row in [header, *rows]) + "\n").encode()
    page = f"/staff/pilots/{pilot.pk}/cycles/{cycle.number}/counts/"
    target = Target(page, form_for(client, page), files=csv_uploads(header, rows, "counts.csv"),
                    good_file=Upload("counts.csv", good, "text/csv"), accepts_baseline=True)
    fuzz(client, [with_sweep(target)], examples=60)


def test_population_import_in_the_admin(client, admin_user, places):
    client.force_login(admin_user)
    header = ["district", "age_band", "population"]
    rows = [["laocheng", "70+", "12000"], ["xingang", "18-29", "30500"]]
    good = ("\n".join(",".join(row) for row in [header, *rows]) + "\n").encode()
    page = "/admin/citylab/populationfigure/import/"
    target = Target(page, form_for(client, page), files=csv_uploads(header, rows, "population.csv"),
                    good_file=Upload("population.csv", good, "text/csv"), accepts_baseline=True)
    fuzz(client, [with_sweep(target)], examples=50)


def test_scan_upload(client, clerk, survey):
    """Scanned forms: several files at once, each of them anything. A file that cannot be read
    is listed with its reason (the batch is made, by design); nothing else is kept of it."""
    client.force_login(clerk)
    page = "/staff/paper/scans/new/"
    files = uploads(REAL["pdf"], REAL["png"], REAL["tiff"], REAL["jpeg"],
                    names=["scan.pdf", "page.png", "pages.tif", "photo.jpg"])
    target = Target(page, form_for(client, page), files=files, accepts_baseline=True,
                    good_file=Upload("pages.tif", REAL["tiff"], "image/tiff"))
    fuzz(client, [with_sweep(target)], examples=60)


def test_feedback_report_with_photo(client, clerk, team, places, cycle):
    """An officer's report on their task and a clerk's for an officer: scores, problems (a
    formset, whose management fields are fuzzed too), a suggestion, and a photo of anything."""
    from tests.pilots.feedback_factories import make_assignment, make_task
    from tests.pilots.officer_factories import make_officer_user

    user, officer = make_officer_user(team)
    mine, theirs = make_assignment(make_task(cycle), officer), make_assignment(make_task(cycle, "Read a notice"))
    photo = Upload("photo.jpg", REAL["jpeg"], "image/jpeg")
    photos = uploads(REAL["jpeg"], REAL["png"], REAL["webp"], names=["photo.jpg", "IMG_0001.PNG", "p.webp"])
    hints = {"managed": ["with_help", "yes", "no"], "ease": ["2"], "usefulness": ["4"], "accessibility": ["1"],
             "problem-0-severity": ["", "major"], "problem-0-description": ["", "The button is too small."]}
    client.force_login(user)
    page = f"/officer/tasks/{mine.pk}/report/"
    report = Target(page, form_for(client, page), files=photos, good_file=photo, hints=hints, accepts_baseline=True)
    fuzz(client, [with_sweep(report)], examples=40)

    client.force_login(clerk)
    page = f"/staff/tasks/{theirs.pk}/feedback/"
    assisted = Target(page, form_for(client, page), files=photos, good_file=photo, hints=hints, accepts_baseline=True)
    fuzz(client, [assisted], examples=20)


def test_scan_review_decisions(client, clerk, team, survey):
    """A clerk decides what a resident marked: a choice, several, typed writing, or blank."""
    from surveys.paper.models import ReviewItem
    from surveys.paper.scanning import accept_upload, process_batch
    from tests.surveys.paper_scan_helpers import (
        Hold, Result, ScriptedReader, answers_page_1, page_of, print_sheets, tiff_pages, upload,
    )

    print_sheets(survey, copies=1)
    answers = answers_page_1()
    del answers["entry"]
    script = {
        1: Result(page_of(survey, 1001, 1), status="review", answers=answers, holds=[Hold("entry")]),
        2: Result(page_of(survey, 1001, 2), status="review", answers={"ease": ["4"]},
                  holds=[Hold("problems", reason="a faint mark"), Hold("story", kind="text", reason="writing")]),
    }
    batch = accept_upload(team=team, user=clerk, files=[upload("held.tif", tiff_pages(1, 2))]).batch
    process_batch(batch, read=ScriptedReader(script))
    client.force_login(clerk)
    targets = []
    for item in ReviewItem.objects.order_by("pk"):
        page = f"/staff/paper/review/{item.pk}/"
        hints = {"text": ["字太小"]} if item.kind == "text" else {}
        targets.append(Target(page, form_for(client, page), hints=hints, accepts_baseline=item.kind == "text"))
    restart = f"/staff/paper/scans/{batch.pk}/restart/"
    targets.append(Target(restart, form_for(client, f"/staff/paper/scans/{batch.pk}/", restart, missing_ok=True)))
    fuzz(client, targets, examples=50)


# --- What the fuzzing found, kept as plain tests --------------------------------------------------


def test_a_csv_with_bare_carriage_returns_is_read(client, admin_user, places):
    """Older spreadsheets end lines with "\\r" alone: csv.Error, a server error, before."""
    from citylab.models import PopulationFigure

    client.force_login(admin_user)
    data = b"district,age_band,population\rlaocheng,70+,12000\rxingang,18-29,30500\r"
    response = client.post("/admin/citylab/populationfigure/import/", {"file": _file("population.csv", data)})
    assert response.status_code == 302 and PopulationFigure.objects.count() == 2


def test_a_cell_over_the_csv_size_limit_is_a_problem_not_an_error(client, planner, pilot, cycle):
    client.force_login(planner)
    data = b"district,age_band,eligible,adopters\nlaocheng,70+,100," + b"4" * 200_000 + b"\n"
    response = client.post(f"/staff/pilots/{pilot.pk}/cycles/{cycle.number}/counts/", {"file": _file("c.csv", data)})
    assert response.status_code == 200 and "line 2: cannot be read as CSV" in response.content.decode()


def test_a_definition_nested_thousands_deep_is_refused(client, planner, survey):
    client.force_login(planner)
    data = b"[" * 100_000 + b"]" * 100_000
    response = client.post("/staff/surveys/import/", {"team": survey.team_id, "file": _file("s.json", data)})
    assert response.status_code == 200 and "nested thousands deep" in response.content.decode()


def _file(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def test_a_scan_whose_name_keeps_no_character_is_stored(client, clerk, survey):
    """"×" has no character a file name may keep: the storage refused it (a 400) after the
    batch was made. The file is stored under a name of our own and listed under its own."""
    from surveys.paper.models import ScanBatch, ScanFile

    client.force_login(clerk)
    response = client.post("/staff/paper/scans/new/", {"team": survey.team_id, "files": _file("×", REAL["tiff"])})
    assert response.status_code == 302
    assert ScanBatch.objects.count() == 1 and ScanFile.objects.get().name == "×"
