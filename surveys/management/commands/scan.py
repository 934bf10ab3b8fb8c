"""`python manage.py scan FILE... [--json] [--team CODE]`: read scanned paper forms in-process.

The same workflow as an upload in the browser (surveys.paper.scanning), without the worker: the
files are stored as a scan batch of the team, read page by page, and every complete sheet
becomes a paper response. A file that cannot be read is reported and the others go on.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from citylab.models import Team
from surveys.paper.models import ReviewKind, ScanPage
from surveys.paper.scanfiles import MAX_FILE_BYTES, MAX_PAGES_PER_FILE
from surveys.paper.scanning import accept_upload, process_batch


class Command(BaseCommand):
    help = (
        "Read scanned paper forms (PDF, TIFF, PNG or JPEG; at most "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB and {MAX_PAGES_PER_FILE:,} pages per file) "
        "and record a paper response for every sheet whose pages are all in and clear."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--json", action="store_true", help="print what each page says as JSON")
        parser.add_argument("--team", metavar="CODE", help="the team whose surveys the forms belong to")

    def handle(self, *args, files: list[Path], team: str | None, **options) -> None:
        as_json = options["json"]
        owner = self._team(team)
        opened, missing = [], []
        for path in files:
            try:
                opened.append((path, File(path.open("rb"), name=path.name)))
            except OSError as error:
                missing.append((path, f"The file cannot be opened: {error.strerror}."))
        try:
            upload = accept_upload(team=owner, user=None, files=[f for _, f in opened])
        finally:
            for _, handle in opened:
                handle.close()
        # Files are stored in order, so the batch's files line up with the paths given.
        source = {scan_file.pk: str(path) for (path, _), scan_file in zip(opened, upload.batch.files.order_by("pk"))}
        outcome = process_batch(upload.batch, on_page=None if as_json else self._progress(source))
        if as_json:
            self._print_json(upload.batch, source, missing, outcome.responses_created)
            return
        for path, problem in missing:
            self.stderr.write(f"{path}: {problem}")
        for scan_file in upload.batch.files.exclude(problem=""):
            self.stderr.write(f"{source[scan_file.pk]}: {scan_file.problem}")
        upload.batch.refresh_from_db()
        self.stdout.write(upload.batch.message)
        self.stdout.write(f"responses created: {outcome.responses_created}")

    def _team(self, code: str | None) -> Team:
        if code:
            team = Team.objects.filter(code=code).first()
            if team is None:
                raise CommandError(f"no team has the code {code!r}")
            return team
        teams = list(Team.objects.order_by("code")[:2])
        if len(teams) != 1:
            raise CommandError("give the team whose surveys these forms belong to: --team CODE")
        return teams[0]

    def _progress(self, source: dict[int, str]):
        def show(outcome) -> None:
            page = outcome.page
            where = f"{source[page.file_id]} page {page.index}"
            sheet = f"sheet {page.sheet.serial} page {page.page}: " if page.sheet_id else ""
            self.stdout.write(f"{where}: {sheet}{page.status}" + (f" ({page.reason})" if page.reason else ""))

        return show

    def _print_json(self, batch, source: dict[int, str], missing, created: int) -> None:
        rows = [_refused(str(path), problem) for path, problem in missing]
        for scan_file in batch.files.order_by("pk"):
            if scan_file.problem and not scan_file.scan_pages.exists():
                rows.append(_refused(source[scan_file.pk], scan_file.problem))
                continue
            pages = ScanPage.objects.filter(file=scan_file).select_related("sheet").prefetch_related("review_items")
            rows.extend(_page_row(source[scan_file.pk], page) for page in pages.order_by("index"))
        self.stdout.write(json.dumps({"pages": rows, "responses": {"created": created}}, ensure_ascii=False, indent=1))


def _page_row(source: str, page: ScanPage) -> dict:
    return {
        "source": source,
        "index": page.index,
        "sheet": page.sheet.serial if page.sheet_id else None,
        "page": page.page,
        "status": page.status,
        "answers": page.answers,
        # Questions held for a clerk; a page still to identify has none of its own yet.
        "review": [item.question_key for item in page.review_items.all() if item.kind != ReviewKind.PAGE],
        "reason": page.reason,
    }


def _refused(source: str, problem: str) -> dict:
    """A file refused as a whole has no pages; it is listed with index null, so that a script
    reading the output sees it rather than a silently shorter list."""
    return {"source": source, "index": None, "sheet": None, "page": None, "status": "unreadable",
            "answers": {}, "review": [], "reason": problem}
