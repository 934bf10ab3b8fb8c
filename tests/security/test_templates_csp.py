"""Every template obeys the content-security policy (scripts and styles from our own files
only), so no page depends on the browser ignoring the policy: no inline <script>, no event
handler attributes, no style attributes, no javascript: links. Allauth's and the admin's
templates are theirs; ours override allauth's layout and are checked here."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from tests.citylab.test_settings import PRODUCTION, manage

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
RULES = {
    "inline script": re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE),
    "event handler attribute": re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE),
    "style attribute": re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE),
    "javascript: URL": re.compile(r"javascript:", re.IGNORECASE),
    "outside asset": re.compile(r"<(?:script|link|img)[^>]+(?:src|href)=\"(?:https?:)?//", re.IGNORECASE),
}


def test_there_are_templates_to_check():
    assert len(TEMPLATES) > 50


@pytest.mark.parametrize("rule", RULES)
def test_no_template_breaks_the_policy(rule):
    pattern = RULES[rule]
    offenders = [f"{path.relative_to(settings.BASE_DIR)}:{text.count(chr(10), 0, m.start()) + 1}"
                 for path in TEMPLATES for text in [path.read_text()] for m in pattern.finditer(text)]
    assert offenders == []


def test_policy_allows_only_our_own_scripts_and_styles(settings):
    policy = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    for directive in ("script-src", "style-src", "default-src"):
        assert all("unsafe" not in source and "*" not in source for source in policy.get(directive, []))


def test_production_cookies_are_secure_and_hsts_is_on():
    script = ("from django.conf import settings as s; print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
              "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_HTTPONLY, s.CSRF_COOKIE_HTTPONLY)")
    result = manage("shell", "--no-imports", "-c", script, **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "True", "31536000", "True", "True", "True"]
