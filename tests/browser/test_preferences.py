"""The two choices every page offers, made the way a person makes them: by clicking.

The text-size step is a plain form post, so it must work with JavaScript off too, and it must be
kept for the rest of the visit; the language switch must set the page's `lang` right.
"""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def html_class(page) -> str:
    return page.locator("html").get_attribute("class")


@pytest.mark.parametrize("javascript", [True, False], ids=["javascript", "no-javascript"])
def test_text_size_choice_is_kept_across_pages(new_session, javascript):
    session = new_session(width=390, javascript=javascript)
    page = session.page()
    page.goto("/")
    assert html_class(page) == "ts-standard aud-public"
    # The page's own scripts (htmx) run or not, as the context says.
    assert page.evaluate("typeof window.htmx") == ("object" if javascript else "undefined")
    sizes = page.get_by_role("group", name="大字模式")
    assert sizes.get_by_role("button", name="标准").get_attribute("aria-pressed") == "true"

    with page.expect_navigation():
        sizes.get_by_role("button", name="特大", exact=True).click()

    assert page.url.rstrip("/") == session.base_url
    assert html_class(page) == "ts-largest aud-public"
    assert sizes.get_by_role("button", name="特大").get_attribute("aria-pressed") == "true"
    assert sizes.get_by_role("button", name="标准").get_attribute("aria-pressed") == "false"
    cookies = {c["name"]: c["value"] for c in session.context.cookies()}
    assert cookies["citylab_text_size"] == "largest"

    page.goto("/accounts/login/")
    assert html_class(page) == "ts-largest aud-public"
    # Playwright's own scripts still run when the page's are off, so measure in both cases.
    sizes_px = page.evaluate(
        "['html', 'h1', 'label', 'main button'].map("
        "s => parseFloat(getComputedStyle(document.querySelector(s)).fontSize))"
    )
    root, *text = sizes_px
    assert root == 48
    assert min(text) >= 48, text


def test_language_switch_sets_lang(new_session):
    session = new_session(width=390)
    page = session.page()
    page.goto("/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("heading", level=1).inner_text() == "登录"

    with page.expect_navigation():
        page.get_by_role("button", name="English").click()

    assert page.url.endswith("/accounts/login/"), "the switch goes back to the same page"
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", level=1).inner_text() == "Sign in"
    assert page.title() == "Sign in · CityLab"

    page.goto("/")
    assert page.locator("html").get_attribute("lang") == "en", "kept for the next page"
    assert page.get_by_role("group", name="Large text").is_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="中文").click()
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    assert page.get_by_role("group", name="大字模式").is_visible()
