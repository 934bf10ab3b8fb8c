"""Browser fixtures: one Chromium for this folder's tests, a fresh context per test.

Playwright's sync API runs an event loop in the test thread, so Django's guard against database
calls from async code would trip on the persona fixtures. The guard is lifted while this folder's
tests run and put back afterwards, with Playwright stopped, so that it does not leak into the
other tests (a subprocess inheriting the variable fails `check --deploy`, for one).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

from tests.browser import a11y

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="package", autouse=True)
def _allow_database_beside_playwright() -> Iterator[None]:
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(_allow_database_beside_playwright) -> Iterator[Browser]:
    # A missing browser is a broken test machine, not a reason to pass quietly: fail, never skip.
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: the browser tests need it", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


class Session:
    """One visitor: a browser context that records every request its pages make."""

    def __init__(self, context: BrowserContext, base_url: str) -> None:
        self.context = context
        self.base_url = base_url
        self.requests: list[str] = []
        context.on("request", lambda request: self.requests.append(request.url))

    def page(self) -> Page:
        return self.context.new_page()

    def set_cookie(self, name: str, value: str) -> None:
        self.context.add_cookies([{"name": name, "value": value, "url": self.base_url}])

    def text_size(self, size: str) -> None:
        self.set_cookie("citylab_text_size", size)

    def language(self, code: str) -> None:
        self.set_cookie("django_language", code)

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but the live server (the design allows no outside request)."""
        own = urlsplit(self.base_url).netloc
        return [
            url for url in self.requests
            if not url.startswith("data:") and urlsplit(url).netloc != own
        ]


@pytest.fixture
def new_session(browser, live_server) -> Iterator[Callable[..., Session]]:
    """Make a browser session (context) for this test; every one is closed afterwards and checked
    for requests to other hosts."""
    sessions: list[Session] = []

    def make(*, width: int = 1280, height: int = 900, javascript: bool = True) -> Session:
        context = browser.new_context(
            base_url=live_server.url,
            viewport={"width": width, "height": height},
            java_script_enabled=javascript,
            # A resident's phone in China; the language middleware reads Accept-Language.
            locale="zh-CN",
        )
        # Generous: a loaded two-core machine can take seconds to serve the first page.
        context.set_default_timeout(30_000)
        session = Session(context, live_server.url)
        sessions.append(session)
        return session

    yield make
    foreign = [url for session in sessions for url in session.foreign_requests()]
    for session in sessions:
        session.context.close()
    assert not foreign, f"requests left the live server: {foreign}"


@pytest.fixture
def sign_in(client) -> Callable[[Session, object], None]:
    """Sign a persona in by handing the browser a session made by the test client.

    force_login skips allauth's login stages; for a planner the MFA middleware is satisfied by the
    authenticator the persona fixture already set up.
    """

    def sign(session: Session, user) -> None:
        client.force_login(user)
        session_id = client.cookies[settings.SESSION_COOKIE_NAME].value
        session.set_cookie(settings.SESSION_COOKIE_NAME, session_id)

    return sign


@pytest.fixture(scope="package")
def axe() -> a11y.AxeRunner:
    return a11y.AxeRunner()
