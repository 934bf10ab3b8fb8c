"""CSRF on every state-changing view (#8): a POST without the CSRF token, from the view's own
user (signed in, allowed to do it), is refused with 403 and changes nothing in the database.

The views come from the access matrix's table, whose methods column is checked against each
view (test_methods_column_is_what_the_view_accepts): every view that takes POST, or any method,
is here. Each is posted twice from the same browser: without a token (refused), then with one,
as a control: the second post passes the CSRF check, so the first 403 was the missing token and
not a missing permission. Where a body is given below, the control post must also write, so
"changes nothing" is shown to be about a post that would have changed something.

"Changes nothing" compares every row of every model, before and after: an update (a survey
closed, a stage moved) counts as a change, not only a new or deleted row.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable

import pytest
from django.conf import settings
from django.middleware.csrf import CSRF_SECRET_LENGTH

from tests.conftest import PASSWORD
from tests.pilots.feedback_factories import report
from tests.pilots.test_officers_signup import answers as signup_answers
from tests.security.conftest import World, changed, every_row
from tests.security.test_access_matrix import ROWS, Row

# Bodies that make the control post write (each checked to): a form as a browser posts it, or
# a button's post. Views not named here are posted with an empty body.
BODIES: dict[str, Callable[[World], dict[str, object]]] = {
    "account_login": lambda w: {"login": w.users["planner"].email, "password": PASSWORD},
    "surveys:question": lambda w: {"answer": "guard"},
    "surveys:create": lambda w: {"team": w.team.pk, "slug": "bus-stops", "title_zh": "公交站调查",
                                 "title_en": "Bus stops", "purpose": "needs"},
    "surveys:close": lambda w: {},
    "surveys:duplicate": lambda w: {},
    "surveys:question_move": lambda w: {"direction": "up"},
    "surveys:assisted": lambda w: {"nonce": secrets.token_urlsafe(16), "q-age": "70+", "q-district": "laocheng",
                                   "q-uses_phone": "no", "q-entry": "guard", "q-ease": "2", "q-trips": "4"},
    "surveys:invitations": lambda w: {"label": "Shipyard", "audience": "mailing", "size": "3"},
    "pilots:change_create": lambda w: {"what": "Larger buttons", "reason": "Officers missed them"},
    "pilots:stage_change": lambda w: {"stage": "optimizing"},
    "pilots:officer_signup": lambda w: signup_answers(phone="139 8765-4321"),
    "pilots:officer_withdraw": lambda w: {},
    "pilots:officer_withdraw_staff": lambda w: {},
    "pilots:panel_member_remove": lambda w: {},
    "pilots:feedback_report": lambda w: report(),
    "pilots:feedback_assisted": lambda w: report(),
}

POSTED = [name for name, row in ROWS.items() if row.methods & {"POST", "ANY"}]


def csrf_refusals(caplog) -> list[logging.LogRecord]:
    """What CsrfViewMiddleware logs when it refuses a request (whatever the page's language)."""
    return [r for r in caplog.records if r.name == "django.security.csrf"]


def test_every_state_changing_view_is_posted():
    assert len(POSTED) > 40, POSTED
    assert set(BODIES) <= set(POSTED)


@pytest.mark.parametrize("name", POSTED)
def test_post_without_csrf_token_is_refused_and_writes_nothing(world, name, caplog):
    row: Row = ROWS[name]
    url = row.url(world)
    body = BODIES.get(name, lambda w: {})(world)
    client = world.client(row.owner, enforce_csrf_checks=True)
    before = every_row()

    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        response = client.post(url, body)
    assert response.status_code == 403, f"POST {url} as {row.owner} without a token: {response.status_code}"
    assert csrf_refusals(caplog), f"POST {url}: 403, but not from the CSRF check"
    assert not changed(before, every_row()), f"POST {url} without a token changed the database"

    # The control: the same post with a token (the cookie's secret, as a header) gets past the check.
    caplog.clear()
    token = secrets.token_hex(CSRF_SECRET_LENGTH // 2)
    client.cookies[settings.CSRF_COOKIE_NAME] = token
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        control = client.post(url, BODIES.get(name, lambda w: {})(world), headers={"X-CSRFToken": token})
    assert not csrf_refusals(caplog), f"POST {url} with a token was refused: {control.status_code}"
    if name in BODIES:
        assert changed(before, every_row()), f"POST {url} with a token ({control.status_code}) wrote nothing"
