"""verify_restore, run by deploy/restore-drill.sh on a restored copy: every uploaded file the
database names must be in the restored media folder."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tests.pilots.feedback_factories import make_assignment, make_feedback, make_task


@pytest.fixture
def feedback(cycle, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return make_feedback(make_assignment(make_task(cycle)), photo="feedback/2026/04/door.jpg")


def test_every_named_file_present(feedback, tmp_path):
    (tmp_path / "feedback/2026/04").mkdir(parents=True)
    (tmp_path / "feedback/2026/04/door.jpg").write_bytes(b"\xff\xd8")
    out = io.StringIO()
    call_command("verify_restore", stdout=out)
    assert "pilots.Feedback" in out.getvalue() and "photo: 1 files" in out.getvalue()
    assert "restore verified" in out.getvalue()


def test_a_missing_file_fails_the_drill_and_is_named(feedback, tmp_path):
    err = io.StringIO()
    with pytest.raises(CommandError, match=r"1 uploaded file\(s\) named in the database are not in"):
        call_command("verify_restore", stdout=io.StringIO(), stderr=err)
    assert "missing: pilots.Feedback.photo feedback/2026/04/door.jpg" in err.getvalue()
