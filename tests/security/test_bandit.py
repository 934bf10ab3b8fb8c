"""bandit, the security linter, finds nothing in our code: each finding is fixed, or marked
`# nosec <test id>` with the reason in a comment beside it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bandit_is_clean():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "--quiet", "--recursive", "--format", "json",
         "--exclude", "*/migrations/*", "citylab", "surveys", "pilots"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    findings = [f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}" for r in report["results"]]
    assert findings == []
    assert report["errors"] == []
    assert report["metrics"]["_totals"]["loc"] > 10_000  # it did read the code
