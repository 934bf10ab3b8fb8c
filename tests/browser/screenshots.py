"""Pictures of the pages the browser tests check, kept for a person to look at.

Set CITYLAB_SCREENSHOTS=<folder> to keep a full-page PNG of every page state a test checks; unset
(or empty), nothing is written. The names stay the same from run to run, so two runs' folders can
be compared picture by picture.
"""

from __future__ import annotations

import os
from pathlib import Path

from playwright.sync_api import Page

ENV = "CITYLAB_SCREENSHOTS"


def keep_screenshot(page: Page, name: str, *, folder: Path | None = None) -> None:
    """Save the whole page as `<name>.png` in CITYLAB_SCREENSHOTS, or in `folder` when given
    (which writes whether or not the variable is set)."""
    if folder is None:
        # Read at each call, not at import, so a test run can set it however it starts.
        configured = os.environ.get(ENV)
        if not configured:
            return
        folder = Path(configured)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
