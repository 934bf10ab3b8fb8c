"""Tasks, assignments and feedback for the feedback tests: plain functions, no fixtures.

Tasks and assignments belong to another area; the tests make them directly with the ORM.
"""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterable

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from pilots.models import Assignment, Cycle, Feedback, Officer, Problem, Task
from tests.pilots.officer_factories import make_officer

# A complete, valid report as the form posts it (no problem rows filled).
VALID = {
    "managed": "with_help", "ease": "2", "usefulness": "4", "accessibility": "1",
    "suggestion": "字再大一点。",
    "problem-TOTAL_FORMS": "3", "problem-INITIAL_FORMS": "0",
    "problem-MIN_NUM_FORMS": "0", "problem-MAX_NUM_FORMS": "10",
}


def report(**changes: str) -> dict[str, str]:
    data = {**VALID, **changes}
    return {key: value for key, value in data.items() if value is not None}


def make_task(cycle: Cycle, title: str = "Book a repair in the app") -> Task:
    return Task.objects.create(cycle=cycle, title=title, place="Lighthouse community centre",
                               due_on=datetime.date(2026, 4, 30))


def make_assignment(task: Task, officer: Officer | None = None) -> Assignment:
    return Assignment.objects.create(task=task, officer=officer or make_officer(task.cycle.pilot.team))


def make_feedback(assignment: Assignment, *, managed: str = "no", problems: Iterable[tuple[str, str]] = (),
                  status: str = "new", **fields) -> Feedback:
    officer = assignment.officer
    feedback = Feedback.objects.create(
        assignment=assignment, task=assignment.task, cycle=assignment.task.cycle, officer=officer,
        age_band=officer.age_band, district=officer.district, occupation=officer.occupation,
        managed=managed, ease=2, usefulness=3, accessibility=1, status=status, **fields,
    )
    Problem.objects.bulk_create(Problem(feedback=feedback, severity=s, description=d) for s, d in problems)
    assignment.status = "reported"
    assignment.save(update_fields=["status"])
    return feedback


def jpeg_upload(exif: Image.Exif | None = None, name: str = "photo.jpg") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 120, 10)).save(out, format="JPEG", **({"exif": exif} if exif else {}))
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")
