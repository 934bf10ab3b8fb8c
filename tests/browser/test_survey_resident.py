"""A resident answers the door-access survey in a real browser, every question kind, in every
text size at a phone's 390 and 320 px: every page passes axe and the layout rules, errors
included, nothing is pre-selected, and the answers arrive in the response store."""

from __future__ import annotations

import csv
import io

import pytest

from surveys.exports import csv_stream
from surveys.models import Response
from tests.browser.a11y import Rules, layout_problems
from tests.surveys.conftest import occupations, survey  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.browser

WIDTHS = [390, 320]
# (question key, how to answer it on the page)
STEPS = [
    ("age", ("radio", "70+")),
    ("district", ("radio", "laocheng")),
    ("community", ("radio", "dengta")),
    ("occupation", ("radio", "retired")),
    ("uses_phone", ("radio", "yes")),
    ("entry", ("radio", "face")),
    ("problems", ("checkbox", ["glasses", "small"])),
    ("ease", ("radio", "2")),
    ("trips", ("text", "4")),
    ("app_name", ("text", "社区通")),
    ("story", ("text", "晚上太暗，认不出来。")),
]


def check_page(page, axe, rules: Rules, label: str) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 800})
        problems += [f"{label} [{width}px] {p}" for p in axe.check(page) + layout_problems(page, rules, check_scroll=True)]
    return problems


@pytest.mark.parametrize(("size", "language"), [("standard", "zh-hans"), ("large", "zh-hans"), ("largest", "zh-hans"), ("largest", "en")])
def test_resident_completes_the_survey(new_session, axe, survey, size, language):  # noqa: F811
    session = new_session(width=390)
    session.text_size(size)
    session.language(language)
    rules = Rules.for_step(size, "public")
    page = session.page()
    problems: list[str] = []

    page.goto("/s/door-access/")
    problems += check_page(page, axe, rules, "start")
    page.click("a.button-start")

    for index, (key, (kind, value)) in enumerate(STEPS):
        assert page.url.endswith(f"/s/door-access/q/{key}/"), page.url
        assert page.locator("h1").count() == 1
        assert page.locator("input:checked").count() == 0, f"{key}: something is pre-selected"
        if index == 1:
            # The error state: continue without choosing.
            page.click("button.button-continue")
            page.wait_for_load_state()
            assert page.title().startswith("错误：" if language == "zh-hans" else "Error:")
            assert page.evaluate("document.activeElement.classList.contains('error-summary')")
            problems += check_page(page, axe, rules, f"{key} (error)")
        else:
            problems += check_page(page, axe, rules, key)
        if kind == "radio":
            page.check(f"input[name=answer][value='{value}']")
        elif kind == "checkbox":
            for item in value:
                page.check(f"input[name=answer][value='{item}']")
        else:
            page.fill("[name=answer]", value)
        page.click("button.button-continue")

    assert page.url.endswith("/s/door-access/check/")
    problems += check_page(page, axe, rules, "check")
    page.click("button.button-continue")
    assert page.url.endswith("/s/door-access/done/")
    problems += check_page(page, axe, rules, "done")
    assert not problems, "\n".join(problems)

    response = Response.objects.get()
    assert response.channel == "web" and response.age_band.code == "70+" and response.answers.count() == 12
    # ...and it is in the planners' export, one row after the two header rows.
    exported = list(csv.reader(io.StringIO("".join(csv_stream(survey)).lstrip("\ufeff"))))
    header, row = exported[0], exported[2]
    assert len(exported) == 3 and row[0] == str(response.pk)
    assert row[header.index("age_band")] == "70+" and row[header.index("entry")] == "face"
    assert row[header.index("problems.glasses")] == "1" and row[header.index("problems.slow")] == "0"


def test_choice_rows_are_whole_targets_and_text_is_large(new_session, survey):  # noqa: F811
    session = new_session(width=320)
    session.text_size("largest")
    page = session.page()
    page.goto("/s/door-access/q/entry/")
    sizes = page.evaluate("""() => {
        const h1 = document.querySelector('h1');
        const label = document.querySelector('.choice label');
        return {h1: parseFloat(getComputedStyle(h1).fontSize), label: parseFloat(getComputedStyle(label).fontSize),
                row: label.getBoundingClientRect().height};
    }""")
    assert sizes["h1"] >= 48 and sizes["label"] >= 48 and sizes["row"] >= 60, sizes
    # Tapping anywhere on a choice row, words included, selects it.
    page.click(".choice >> nth=1")
    assert page.locator("input[name=answer]:checked").get_attribute("value") == "face"


def test_survey_works_without_javascript(new_session, survey):  # noqa: F811
    session = new_session(width=390, javascript=False)
    page = session.page()
    page.goto("/s/door-access/q/age/")
    page.check("input[value='60-69']")
    page.click("button.button-continue")
    assert page.url.endswith("/s/door-access/q/district/")
    assert page.locator("[data-read-aloud]").is_hidden()  # no speech without JavaScript


def test_read_aloud_button_appears_with_speech_synthesis(new_session, survey):  # noqa: F811
    session = new_session(width=390)
    page = session.page()
    page.goto("/s/door-access/q/age/")
    has_speech = page.evaluate("'speechSynthesis' in window")
    assert page.locator("[data-read-aloud]").is_visible() == has_speech
