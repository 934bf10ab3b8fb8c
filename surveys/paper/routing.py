"""The scan command without --team: each page is stored with the team of the survey its code
names, so that every team's clerks find their own forms in their own queue and no one else's.

A web upload belongs to the team that uploads it (a page of another team's survey is reported,
"upload it under that team"). An operator scanning a city's paper at the command line has no
team to give, so:

- each file is first given a home team: the team of the first of its pages whose code names a
  survey printed here (`home_team`, usually the file's first page). A file where no page does
  is not read: without --team nobody can say whose residents' answers it holds;
- files are stored in one scan batch per home team, and read page by page as usual; a page of
  another team's survey goes to that team's batch of the same run, in a twin of its file (the
  same stored upload, a row of its own); a page whose code cannot be read stays with its file's
  home team, where a clerk identifies it from its picture;
- when every file is read, `finish` sets each batch's counts and summary.
"""

from __future__ import annotations

from typing import BinaryIO

from surveys.models import Survey
from surveys.paper.models import ScanBatch, ScanFile, ScanStatus
from surveys.paper.scanfiles import iter_source_pages
from surveys.paper.scanning import batch_summary, site_code


def home_team(source: BinaryIO) -> int | None:
    """The team of the first page whose code names one of this city's surveys, or None.

    Reads codes only (no layout is looked up, no mark read), and usually only the first page.
    """
    from surveys.paper.marks import read_page

    site = site_code()
    try:
        for _index, gray in iter_source_pages(source):
            if isinstance(gray, Exception):
                continue
            payload = read_page(gray, lambda _payload: None, site=site).payload
            if payload is None or payload.site != site:
                continue
            team = Survey.objects.filter(pk=payload.survey).values_list("team_id", flat=True).first()
            if team is not None:
                return team
    finally:
        source.seek(0)
    return None


class TeamRouter:
    """The `route` of process_batch for one command run: the batch of each team, and the twins
    of files whose pages belong to several teams."""

    def __init__(self, batches: list[ScanBatch]) -> None:
        self.batches = {batch.team_id: batch for batch in batches}
        self._twins: dict[tuple[int, int], ScanFile] = {}
        self.home_of: dict[int, int] = {}  # twin file pk -> the file it was made from

    def __call__(self, scan_file: ScanFile, team_id: int | None) -> ScanFile:
        if team_id is None or team_id == scan_file.batch.team_id:
            return scan_file
        key = (scan_file.pk, team_id)
        if key not in self._twins:
            batch = self.batches.get(team_id)
            if batch is None:
                home = scan_file.batch
                batch = ScanBatch.objects.create(team_id=team_id, uploaded_by=home.uploaded_by,
                                                 status=ScanStatus.RUNNING)
                self.batches[team_id] = batch
            twin = ScanFile(batch=batch, name=scan_file.name, pages=0)
            twin.upload.name = scan_file.upload.name  # the same stored file, not a copy
            twin.save()
            self._twins[key] = twin
            self.home_of[twin.pk] = scan_file.pk
        return self._twins[key]

    def files_of(self, scan_file: ScanFile) -> list[ScanFile]:
        """The file and its twins: every row its pages were stored under."""
        return [scan_file] + [twin for (home, _team), twin in self._twins.items() if home == scan_file.pk]

    def finish(self) -> None:
        """Every batch of the run done, with the pages it holds counted and summarised."""
        for twin in self._twins.values():
            ScanFile.objects.filter(pk=twin.pk).update(pages=twin.scan_pages.count())
        for batch in self.batches.values():
            done = batch.pages.count()
            ScanBatch.objects.filter(pk=batch.pk).update(status=ScanStatus.DONE, pages_done=done, pages_total=done,
                                                         message=batch_summary(batch))
