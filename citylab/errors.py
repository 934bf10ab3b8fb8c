"""The error page for a database that does not answer.

When PostgreSQL is unreachable (restarting, failing over, a network cut), every page that reads
it raises OperationalError or InterfaceError, wherever that happens: in a view, in a template,
or in middleware loading the session. Django then calls handler500; this one answers those
with a page that says the service is down for a moment, status 503 and Retry-After, so that
people, nginx and monitors treat it as temporary. Any other error is still Django's 500.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.views.defaults import server_error as django_server_error

from citylab import textsize

RETRY_AFTER_SECONDS = 30


def _database_down(error: BaseException | None) -> bool:
    """The error, or one it was raised from, says the database could not be reached or used."""
    seen = 0
    while error is not None and seen < 10:
        if isinstance(error, (OperationalError, InterfaceError)):
            return True
        error, seen = error.__cause__ or error.__context__, seen + 1
    return False


def database_unavailable(request: HttpRequest) -> HttpResponse:
    # Rendered without the request's context processors: the user, the session and the
    # messages would each read the database again and fail a second time.
    context = {
        "request": request,
        "csrf_token": get_token(request),
        "text_size": textsize.text_size(request),
        "text_sizes": textsize.SIZES,
    }
    response = HttpResponse(loader.render_to_string("503.html", context), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500 (the URLconf names it): called while the failing exception is handled."""
    if _database_down(sys.exc_info()[1]):
        return database_unavailable(request)
    return django_server_error(request)
