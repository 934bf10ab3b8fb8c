from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse

from citylab.accounts import mfa_required, has_totp


class RequireMFAMiddleware:
    """Planners and admins set up an authenticator app before any other page opens.

    They decide on pilots and see every team's data: a stolen password alone must not be enough.
    Account pages (to set up the app, or sign out), language and text size stay reachable.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not self._exempt(request.path) and mfa_required(user) and not has_totp(user):
            return redirect(f"{reverse('mfa_activate_totp')}")
        return self.get_response(request)

    @staticmethod
    def _exempt(path: str) -> bool:
        exempt = ("/accounts/", "/static/", "/i18n/", "/text-size/", "/health/")
        return path.startswith(exempt)
