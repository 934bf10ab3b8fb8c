"""`python manage.py scan FILE... [--json] [--team CODE]`: read scanned paper forms in-process.

The same workflow as an upload in the browser (surveys.paper.scanning), without the worker: the
files are stored as scan batches, read page by page, and every complete sheet becomes a paper
response. A file that cannot be read is reported and the others go on.

Whose forms they are: with --team, that team's (pages of other teams' surveys are reported, as
on the upload page); without it, each page is stored with the team of the survey its code names
(surveys.paper.routing), so one command reads a whole city's paper.
"""

from __future__ import annotations

import json
from pathlib import Path

from django.core.files import File
from django.core.management.base import BaseCommand, CommandError, CommandParser

from citylab.models import Team
from surveys.paper.models import ReviewKind, ScanBatch, ScanFile, ScanPage
from surveys.paper.routing import TeamRouter, home_team
from surveys.paper.scanfiles import MAX_FILE_BYTES, MAX_PAGES_PER_FILE, FileRefused, check_file
from surveys.paper.scanning import accept_upload, process_batch

NO_TEAM = ("No page of this file has a readable code naming one of this city's surveys, so it is not known "
           "whose forms these are. Read it again with --team CODE.")


class Command(BaseCommand):
    help = (
        "Read scanned paper forms (PDF, TIFF, PNG or JPEG; at most "
        f"{MAX_FILE_BYTES // 1024 // 1024} MB and {MAX_PAGES_PER_FILE:,} pages per file) "
        "and record a paper response for every sheet whose pages are all in and clear. "
        "Each page goes to the team of the survey its code names, unless --team is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, metavar="FILE")
        parser.add_argument("--json", action="store_true", help="print what each page says as JSON")
        parser.add_argument("--team", metavar="CODE",
                            help="read only this team's forms (pages of other teams' surveys are reported)")

    def handle(self, *args, files: list[Path], team: str | None, **options) -> None:
        as_json = options["json"]
        only = self._team(team) if team else None
        routed = only is None and Team.objects.count() > 1
        if only is None and not routed:
            only = Team.objects.first()
            if only is None:
                raise CommandError("there is no team yet: an administrator adds teams in /admin/")
        refused: dict[int, str] = {}  # position of the path -> why the file was not stored
        groups: dict[int, list[tuple[int, File]]] = {}  # team -> (position, file) to store for it
        opened = []
        try:
            for position, path in enumerate(files):
                try:
                    handle = File(path.open("rb"), name=path.name)
                except OSError as error:
                    refused[position] = f"The file cannot be opened: {error.strerror}."
                    continue
                opened.append(handle)
                owner = self._home(handle) if routed else only.pk
                if isinstance(owner, str):
                    refused[position] = owner
                else:
                    groups.setdefault(owner, []).append((position, handle))
            batches, placed = [], {}
            for owner, members in groups.items():
                upload = accept_upload(team=Team.objects.get(pk=owner), user=None, files=[f for _, f in members])
                batches.append(upload.batch)
                # Files are stored in order, so the batch's files line up with the paths given.
                placed.update({position: stored for (position, _), stored in zip(members, upload.batch.files.order_by("pk"))})
        finally:
            for handle in opened:
                handle.close()
        router = TeamRouter(batches) if routed else None
        source = {stored.pk: str(files[position]) for position, stored in placed.items()}
        created = 0
        for batch in batches:
            progress = None if as_json else self._progress(source, router)
            created += process_batch(batch, route=router, on_page=progress).responses_created
        if router is not None:
            router.finish()
        if as_json:
            rows = []
            for position, path in enumerate(files):
                if position in refused:
                    rows.append(_refused(str(path), refused[position]))
                else:
                    stored = placed[position]
                    rows.extend(file_rows(str(path), router.files_of(stored) if router else [stored]))
            self.stdout.write(json.dumps({"pages": rows, "responses": {"created": created}}, ensure_ascii=False,
                                         indent=1))
            return
        for position in sorted(refused):
            self.stderr.write(f"{files[position]}: {refused[position]}")
        for position, stored in sorted(placed.items()):
            stored.refresh_from_db()
            if stored.problem:
                self.stderr.write(f"{files[position]}: {stored.problem}")
        for batch in ScanBatch.objects.filter(pk__in=[b.pk for b in (router.batches.values() if router else batches)]
                                              ).select_related("team").order_by("pk"):
            self.stdout.write(f"{batch.team.code}: {batch.message}" if routed else batch.message)
        self.stdout.write(f"responses created: {created}")

    def _team(self, code: str) -> Team:
        team = Team.objects.filter(code=code).first()
        if team is None:
            raise CommandError(f"no team has the code {code!r}")
        return team

    def _home(self, handle: File) -> int | str:
        """The team to store the file for, or why it is not stored."""
        try:
            check_file(handle.name, handle.size, handle)
        except FileRefused as refused:
            return str(refused)
        return home_team(handle) or NO_TEAM

    def _progress(self, source: dict[int, str], router: TeamRouter | None):
        def show(outcome) -> None:
            page = outcome.page
            file_id = router.home_of.get(page.file_id, page.file_id) if router else page.file_id
            where = f"{source[file_id]} page {page.index}"
            sheet = f"sheet {page.sheet.serial} page {page.page}: " if page.sheet_id else ""
            self.stdout.write(f"{where}: {sheet}{page.status}" + (f" ({page.reason})" if page.reason else ""))

        return show


def file_rows(source: str, files: list[ScanFile]) -> list[dict]:
    """What each page of one file says, in page order, whichever team's batch it went to; a file
    refused part-way through its pages keeps its refusal after the pages that were read."""
    pages = (ScanPage.objects.filter(file__in=files).select_related("sheet").prefetch_related("review_items")
             .order_by("index"))
    rows = [_page_row(source, page) for page in pages]
    problem = next((f.problem for f in ScanFile.objects.filter(pk__in=[f.pk for f in files]) if f.problem), "")
    if problem:
        rows.append(_refused(source, problem))
    return rows


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
    """A file refused as a whole, or from some page on, is listed with index null, so that a
    script reading the output sees it rather than a silently shorter list."""
    return {"source": source, "index": None, "sheet": None, "page": None, "status": "unreadable",
            "answers": {}, "review": [], "reason": problem}
