"""Whole public pages rendered once per process for each state they can show, then reused
with this request's CSRF token put in.

A resident's question page is the same markup for everyone at the same point of a survey:
same question, choices, earlier answer, back link, language, text size and path. Rendering
it took more than half of the page's Python time (about 0.9 ms of the template engine on
every request); a kept page costs a dictionary lookup and one string replace.

Correct by construction rather than by a list of things to remember: the key is the
template's whole context, each model instance in it by its field values, plus everything the
layout reads from the request (language, text size, the path its forms send back to). Pages
for someone signed in, or with a message waiting, are never kept: the layout shows them
something of their own. The CSRF token is the one per-request part of the markup; the page is
rendered with a placeholder of letters and digits, which no escaping changes, and the
request's own token replaces it.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import date, time
from decimal import Decimal
from uuid import UUID

from django.conf import settings
from django.core.signals import setting_changed
from django.db.models import Model
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.template.response import TemplateResponse
from django.utils.functional import Promise
from django.utils.translation import get_language

from citylab import textsize
from citylab.lru import LRU

# A page is about 10 kB: this many keep a worker's share at a few megabytes. A larger page
# is rendered each time instead, so no page can make the store grow past MAX_KEPT x MAX_SIZE.
MAX_KEPT = 1000
MAX_SIZE = 64 * 1024  # characters
HOLE = "keptcsrf" + secrets.token_hex(16)
MESSAGES_COOKIE = "messages"  # django.contrib.messages' cookie storage


_kept: LRU[str, str] = LRU(MAX_KEPT)


PLAIN = (str, int, float, Decimal, date, time, UUID, type(None))  # bool is an int


def _plain(value: object) -> object:
    """A value as plain data for the key: a model instance by its class and field values.

    Anything else is refused: its repr might be its memory address, which a later object can
    reuse with other contents, and the key would then find the wrong page.
    """
    if isinstance(value, Promise):  # a lazy translation, in the active language
        return str(value)
    if isinstance(value, PLAIN):
        return value
    if isinstance(value, Model):
        return (type(value).__name__, [_plain(getattr(value, f.attname)) for f in value._meta.concrete_fields])
    if isinstance(value, Mapping):
        return sorted((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    raise TypeError(f"A kept page's context holds {type(value).__name__}, which has no plain value for its key.")


def _may_keep(request: HttpRequest) -> bool:
    # With debug on, templates change under a running server; a kept page would hide the edit.
    return (
        not settings.DEBUG
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and MESSAGES_COOKIE not in request.COOKIES
    )


def render_kept(request: HttpRequest, template_name: str, context: dict[str, object]) -> HttpResponse:
    """The page `template_name` renders with `context`, from the kept copy when there is one.
    Only for a 200 page whose context is the same for everyone who sees it."""
    if not _may_keep(request):
        return TemplateResponse(request, template_name, context)
    key = repr((template_name, get_language(), textsize.text_size(request), request.get_full_path(),
                _plain(context)))
    page = _kept.get(key)
    if page is None:
        page = loader.render_to_string(template_name, {**context, "csrf_token": HOLE}, request)
        if len(page) <= MAX_SIZE:
            _kept.put(key, page)
    return HttpResponse(page.replace(HOLE, get_token(request)))


def _forget(**kwargs: object) -> None:
    # Tests change settings (languages, static files) between pages rendered in one process.
    _kept.clear()


setting_changed.connect(_forget, dispatch_uid="citylab-kept-pages-forget")
