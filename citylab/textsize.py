"""The text-size preference: standard, large or largest, kept in a cookie for the visit.

A cookie rather than the session, so that resident pages, which open no session, remember it too.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

COOKIE = "citylab_text_size"
COOKIE_AGE = 365 * 24 * 3600
SIZES = {
    "standard": _("Standard"),
    "large": _("Large"),
    "largest": _("Largest"),
}
DEFAULT = "standard"


def text_size(request: HttpRequest) -> str:
    value = request.COOKIES.get(COOKIE, DEFAULT)
    return value if value in SIZES else DEFAULT
