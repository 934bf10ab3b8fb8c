"""The design's accessibility checklist, measured in a real browser on the pages people see first.

Each test opens one page in one text-size step and one language (Chinese first; English words
are longer and must wrap too), and checks it at a phone's 320 px and a desktop's 1280 px: zero
axe-core violations, no horizontal scroll at 320 px, no text below the step's minimum, line
height of running text at least 1.5, and targets big enough to hit.
"""

from __future__ import annotations

import pytest

from tests.browser.a11y import Rules, layout_problems
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SIZES = ["standard", "large", "largest"]
WIDTHS = [320, 1280]
# page id -> (path, audience, persona fixture or None)
PAGES = {
    "home": ("/", "public", None),
    "login": ("/accounts/login/", "public", None),
    "login-error": ("/accounts/login/", "public", None),
    "staff-planner": ("/staff/", "staff", "planner"),
    "staff-outsider": ("/staff/", "staff", "outsider"),
}
LANG_ATTRIBUTE = {"zh-hans": "zh-Hans", "en": "en"}
ERROR_PREFIX = {"zh-hans": "错误：", "en": "Error:"}


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("page_id", list(PAGES))
def test_page_is_accessible(request, new_session, sign_in, axe, page_id, size, language):
    path, audience, persona = PAGES[page_id]
    session = new_session(width=WIDTHS[0])
    session.text_size(size)
    session.language(language)
    if persona:
        sign_in(session, request.getfixturevalue(persona))
    page = session.page()
    response = page.goto(path)
    assert response.status == 200, f"{path}: HTTP {response.status}"
    assert page.evaluate("document.documentElement.className") == f"ts-{size} aud-{audience}"
    assert page.evaluate("document.documentElement.lang") == LANG_ATTRIBUTE[language]
    if page_id == "login-error":
        # A wrong password: the error summary must pass too, and take focus.
        page.fill("input[name=login]", f"someone-{size}-{language}@lanhai.example")
        page.fill("input[name=password]", PASSWORD + "-wrong")
        with page.expect_navigation():
            page.click("main button[type=submit]")
        assert page.locator(".error-summary").is_visible()
        assert page.title().startswith(ERROR_PREFIX[language])
        assert page.evaluate("document.activeElement.classList.contains('error-summary')")

    rules = Rules.for_step(size, audience)
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found = axe.check(page) + layout_problems(page, rules, check_scroll=width == min(WIDTHS))
        problems += [f"[{width}px] {problem}" for problem in found]
    # The recording works, and our stylesheet came from the live server (not a CDN).
    assert any(url.endswith("/static/css/citylab.css") for url in session.requests), session.requests
    assert not problems, f"{page_id} in {size} text, {language}:\n" + "\n".join(problems)
