"""A task worker killed in the middle of a 300-page scan batch: does the batch finish after a
restart, with no page lost or recorded twice?

    .venv/bin/python bench/scan_fault.py [--pages 300] [--kill-at 0.5] [--dpi 200] [--seed 4]

On a scratch database `citylab_scan` (local PostgreSQL, demo city) and a scratch media folder:
1. print --pages / (pages per form) copies of the demo needs survey (surveys.paper.printing),
   mark every form as a resident would (one clear answer per choice question, following the
   survey's conditions, drawn with surveys.paper.synthetic), pass each page through a flatbed
   scan (synthetic.degrade, SCAN profile) and put the pages in one PDF of JPEG pages;
2. upload it as the upload view does (accept_upload, then enqueue_batch) and start two task
   workers as deploy/citylab-worker@.service does;
3. when about --kill-at of the pages are stored, SIGKILL the worker running the task and
   start it again under the same id after 3 s (systemd's Restart=always, RestartSec=3);
4. wait for the batch to finish by itself: the restarted worker takes back the task its
   killed run left running (citylab/worker.py) and reads on from the pages not stored. No
   clerk presses "Start reading again" (that button is for a worker that never comes back).

Then the clerk's part: every writing box is held for typing (left blank here, as the forms
have none filled in) and any doubtful mark for a look (decided as it was marked), through
completion.decide, each decision possibly completing a sheet. And the checks, in the database:
the batch is done with pages_done = pages_total = the PDF's pages; each page of the file is
stored once, each sheet's page counted once and none taken for a duplicate; every complete
sheet has exactly one response, linked from its sheet, with the answers that were marked.
Prints figures; exits 1 with the reasons when these do not hold.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

import cv2
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import stack  # noqa: E402

DB = "citylab_scan"
SURVEY = "door-access-2026"
TASK = "surveys.paper.tasks.process_scan_batch"
WAIT_FOR_DONE = 20 * 60  # seconds: the bound on the whole reading


def choose_marks(layout: dict, rng: np.random.Generator) -> dict[str, list[str]]:
    """A resident's answers on one form: one choice per question (one to three for a multiple
    choice), following the survey's conditions; writing boxes left empty."""
    bubbles: dict[str, list[str]] = defaultdict(list)
    kinds = {q["key"]: q.get("kind") for page in layout["pages"] for q in page.get("questions", [])}
    kinds.update({q["key"]: q.get("kind") for q in layout.get("questions", [])})
    for page in layout["pages"]:
        for bubble in page["bubbles"]:
            bubbles[bubble["question"]].append(str(bubble["value"]))
    marks: dict[str, list[str]] = {}
    for key, values in bubbles.items():
        values = [v for v in values if v != "prefer_not_to_say"]
        if kinds.get(key) == "multiple":
            marks[key] = sorted(rng.choice(values, int(rng.integers(1, min(3, len(values)) + 1)), replace=False).tolist())
        else:
            marks[key] = [values[int(rng.integers(len(values)))]]
    # The survey's conditions: problems and ease only for those who used the new doors,
    # why_not only for those who did not.
    if "used_new" in marks:
        skip = ("why_not",) if marks["used_new"] == ["yes"] else ("problems", "ease")
        for key in skip:
            marks.pop(key, None)
    return marks


def scanned_pdf(layout: dict, pdf: bytes, serials: list[int], dpi: int, seed: int, path: Path) -> dict[int, dict]:
    """Mark and scan every printed page into one PDF of JPEG pages (PDFium embeds each JPEG as
    it is, as a scanner's PDF does); returns the marks per serial."""
    import pypdfium2 as pdfium

    from surveys.paper.pagefiles import iter_pdf_pages
    from surveys.paper.synthetic import SCAN, degrade, draw_mark

    rng = np.random.default_rng(seed)
    width, height = layout["page_size_pt"]
    out = pdfium.PdfDocument.new()
    truth = {}
    per_sheet = len(layout["pages"])
    for index, image in enumerate(iter_pdf_pages(pdf, dpi=dpi)):  # the printed pages, one at a time
        serial, page = serials[index // per_sheet], layout["pages"][index % per_sheet]
        if serial not in truth:
            truth[serial] = choose_marks(layout, rng)
        for bubble in page["bubbles"]:
            if str(bubble["value"]) in truth[serial].get(bubble["question"], []):
                draw_mark(image, bubble, "fill", dpi, rng)
        ok, jpeg = cv2.imencode(".jpg", degrade(image, rng, SCAN), [cv2.IMWRITE_JPEG_QUALITY, 85])
        sheet = out.new_page(width, height)
        picture = pdfium.PdfImage.new(out)
        picture.load_jpeg(io.BytesIO(jpeg.tobytes()), inline=True)
        picture.set_matrix(pdfium.PdfMatrix().scale(width, height))
        sheet.insert_obj(picture)
        sheet.gen_content()
        sheet.close()
    out.save(str(path))
    out.close()
    return truth


def wait(condition, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--kill-at", type=float, default=0.5, help="share of the pages stored when the worker is killed")
    parser.add_argument("--dpi", type=int, default=200, help="resolution of the generated scans")
    parser.add_argument("--seed", type=int, default=4)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="citylab-scan-"))
    served = {**stack.environment(production=True, db_name=DB, settings="citylab.settings"),
              "CITYLAB_MEDIA_ROOT": str(scratch / "media")}
    stack.prepare(stack.environment(production=False, db_name=DB), served)
    os.environ.update(served)

    import django

    django.setup()
    from django.core.files import File
    from django_tasks_db.models import DBTaskResult

    from citylab.models import Membership, Role
    from surveys.models import Response, Survey
    from surveys.paper.completion import decide
    from surveys.paper.models import PageStatus, ReviewItem, ReviewKind, ScanBatch, ScanPage, ScanStatus, Sheet
    from surveys.paper.printing import batch_serials, print_batch, survey_layout, write_batch_pdf
    from surveys.paper.scanning import accept_upload
    from surveys.paper.tasks import enqueue_batch

    survey = Survey.objects.get(slug=SURVEY)
    clerk = Membership.objects.filter(team=survey.team, role=Role.CLERK).select_related("user").first().user
    per_sheet = len(survey_layout(survey, ("zh-hans", "en")).as_json(with_sheets=False)["pages"])
    printed = print_batch(survey=survey, copies=-(-args.pages // per_sheet), user=clerk)
    serials = list(batch_serials(printed))
    buffer = io.BytesIO()
    write_batch_pdf(printed, buffer)
    path = scratch / f"scans-{len(serials) * per_sheet}-pages.pdf"
    began = time.monotonic()
    truth = scanned_pdf(printed.layout, buffer.getvalue(), serials, args.dpi, args.seed, path)
    generated = time.monotonic() - began
    pages = len(serials) * per_sheet

    with path.open("rb") as handle:
        batch = accept_upload(team=survey.team, user=clerk, files=[File(handle, name=path.name)]).batch
    enqueue_batch(batch)
    logs = scratch
    workers = {f"scan-{i}": stack.start_db_worker(served, f"scan-{i}", log=logs / f"worker-{i}.log") for i in (1, 2)}
    notes, problems = [], []
    try:
        began = time.monotonic()
        task = wait(lambda: DBTaskResult.objects.filter(task_path=TASK, status="RUNNING").first(), 120)
        if task is None:
            raise SystemExit("RECONCILIATION FAILED: no worker started the batch within 2 minutes")
        owner = task.worker_ids[-1]
        target = max(1, int(pages * args.kill_at))
        wait(lambda: ScanBatch.objects.get(pk=batch.pk).pages_done >= target, WAIT_FOR_DONE)
        before = ScanBatch.objects.get(pk=batch.pk)
        workers[owner].send_signal(signal.SIGKILL)
        workers[owner].wait()
        killed_at = time.monotonic() - began
        stored_at_kill = ScanPage.objects.filter(batch=batch).count()
        notes.append(f"t={killed_at:5.1f} s  SIGKILL {owner} (running the task) at {before.pages_done} of "
                     f"{before.pages_total} pages counted, {stored_at_kill} stored")
        time.sleep(3)  # systemd's RestartSec
        workers[owner] = stack.start_db_worker(served, owner, log=logs / f"{owner}-again.log")
        restarted_at = time.monotonic() - began
        taken_back = wait(lambda: DBTaskResult.objects.filter(task_path=TASK).exclude(pk=task.pk).first(), 60)
        task.refresh_from_db()
        notes.append(f"t={restarted_at:5.1f} s  {owner} started again: the killed task is {task.status} "
                     f"({task.exception_class_path.rsplit('.', 1)[-1] or 'no reason'}), "
                     f"{'a new task took the batch' if taken_back else 'NO NEW TASK took the batch'}")
        if taken_back is None:
            problems.append(f"the restarted {owner} did not take back the batch its killed run left running")
        done = wait(lambda: ScanBatch.objects.filter(pk=batch.pk, status__in=[ScanStatus.DONE, ScanStatus.FAILED]).first(),
                    WAIT_FOR_DONE, step=1)
        finished_at = time.monotonic() - began
    finally:
        for worker in workers.values():
            stack.stop(worker)

    batch.refresh_from_db()
    completed_by_batch = Sheet.objects.filter(batch=printed).exclude(response=None).count()
    # The clerk's part: every writing box is held for typing (these are empty: left blank) and a
    # doubtful mark for a look (decided as it was marked); each decision may complete a sheet.
    held: Counter = Counter()
    for item in ReviewItem.objects.filter(page__batch=batch, decided_at=None).select_related("page__sheet"):
        held[item.kind] += 1
        marked = truth[item.page.sheet.serial].get(item.question_key, []) if item.page.sheet else []
        decide(item, {"values": marked} if item.kind == ReviewKind.CHOICE and marked else {"blank": True}, user=clerk)
    if done is None:
        problems.append(f"the batch did not finish within {WAIT_FOR_DONE // 60} minutes (status {batch.status})")
    stored = list(ScanPage.objects.filter(batch=batch).values_list("file_id", "index", "sheet_id", "page", "status"))
    by_status = Counter(status for *_, status in stored)
    per_file_page = Counter((f, i) for f, i, *_ in stored)
    counted = Counter((s, p) for _, _, s, p, status in stored if s is not None and status != PageStatus.DUPLICATE)
    indexes = sorted(i for _, i, *_ in stored)
    sheets = {s.serial: s for s in Sheet.objects.filter(batch=printed)}
    keys = Counter(Response.objects.filter(submission_key__in=[f"paper:{s}" for s in serials])
                   .values_list("submission_key", flat=True))
    open_items = set(ReviewItem.objects.filter(page__batch=batch, decided_at=None).values_list("page__sheet__serial", flat=True))
    pages_of = Counter(ScanPage.objects.filter(sheet__batch=printed).exclude(status=PageStatus.DUPLICATE)
                       .values_list("sheet__serial", flat=True))
    complete = [s for s in serials if pages_of[s] == per_sheet and s not in open_items]
    without = [s for s in complete if keys[f"paper:{s}"] == 0]
    unlinked = [s for s in complete if keys[f"paper:{s}"] and sheets[s].response_id is None]
    differ = 0
    for response in Response.objects.filter(submission_key__in=[f"paper:{s}" for s in complete]).prefetch_related(
            "answers__question"):
        got = defaultdict(list)
        for answer in response.answers.all():
            got[answer.question.key].append(answer.value)
        differ += {k: sorted(v) for k, v in got.items()} != truth[int(response.submission_key.split(":")[1])]
    tasks = Counter(DBTaskResult.objects.filter(task_path=TASK).values_list("status", flat=True))

    if batch.status != ScanStatus.DONE:
        problems.append(f"batch status {batch.status}: {batch.message}")
    if (batch.pages_done, batch.pages_total) != (pages, pages):
        problems.append(f"pages_done/pages_total {batch.pages_done}/{batch.pages_total}, expected {pages}/{pages}")
    if indexes != list(range(1, pages + 1)) or any(n > 1 for n in per_file_page.values()):
        problems.append(f"{pages - len(set(indexes))} pages of the file not stored, "
                        f"{sum(n - 1 for n in per_file_page.values())} stored twice")
    if by_status[PageStatus.DUPLICATE] or any(n > 1 for n in counted.values()):
        problems.append(f"{by_status[PageStatus.DUPLICATE]} pages taken for a second scan of their sheet")
    if any(n > 1 for n in keys.values()):
        problems.append(f"{sum(n > 1 for n in keys.values())} sheets with more than one response")
    if without:
        problems.append(f"{len(without)} complete sheets have no response, e.g. {without[:3]}")
    if unlinked:
        problems.append(f"{len(unlinked)} responses whose sheet is not linked to them, e.g. {unlinked[:3]}")
    if differ:
        problems.append(f"{differ} responses whose answers differ from the marks")

    print(f"{len(serials)} forms of {per_sheet} pages = {pages} scanned pages at {args.dpi} dpi "
          f"({path.stat().st_size / 2**20:.0f} MB PDF, made in {generated:.0f} s); two task workers; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for note in notes:
        print("  " + note)
    print(f"  t={finished_at:5.1f} s  batch {batch.status}: {batch.message}")
    print(f"pages stored {len(stored)} of {pages} (each once: {all(n == 1 for n in per_file_page.values())}), "
          f"pages_done {batch.pages_done}, pages_total {batch.pages_total}; "
          + ", ".join(f"{status} {n}" for status, n in sorted(by_status.items())))
    print(f"held for the clerk: {held[ReviewKind.TEXT]} writing boxes (empty), {held[ReviewKind.CHOICE]} doubtful marks; "
          f"sheets completed by the batch itself {completed_by_batch}, after the clerk's decisions {len(complete)} of "
          f"{len(serials)}")
    print(f"responses {sum(keys.values())} for {len(complete)} complete sheets; answers as marked: "
          f"{len(complete) - differ - len(without)} of {len(complete) - len(without)}")
    print("task results: " + ", ".join(f"{status} {n}" for status, n in sorted(tasks.items())))
    shutil.rmtree(scratch, ignore_errors=True)
    if problems:
        print("RECONCILIATION FAILED:\n  " + "\n  ".join(problems))
        sys.exit(1)
    print("reconciled: the batch finished after the restart, every page stored once, one response per complete sheet")


if __name__ == "__main__":
    main()
