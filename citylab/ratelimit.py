"""Rate limits on the public pages that write: survey answers and the officer sign-up.

Residents need no account, so the only thing a flood has in common is its address. Each
address gets a count per fixed window in the shared cache (a database table, or Redis): every
web process sees the same count, and `add` + `incr` keep it exact under concurrent requests
(see citylab/cache.py for the database). Past the limit the request is answered 429 with
Retry-After and a page that keeps what the person typed; other addresses go on unaffected.

Which views are limited, how many requests and per how long, are settings
(CITYLAB_RATE_LIMITS in settings.py), applied by RateLimitMiddleware through the resolved URL
name, so the views themselves know nothing of it. Sign-in and password reset are limited by
allauth (ACCOUNT_RATE_LIMITS), with the client address from `client_address` too.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

logger = logging.getLogger(__name__)

# A form field never echoed back into the 429 page, whatever the form.
_NEVER_RESENT = ("csrfmiddlewaretoken", "password")


@dataclass(frozen=True)
class Limit:
    scope: str
    limit: int  # requests per window; 0 switches the limit off
    window: int  # seconds


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    count: int
    retry_after: int  # seconds until the window ends


def limit_for(view_name: str, method: str) -> Limit | None:
    """The limit that applies to this URL name and method, if any (settings.CITYLAB_RATE_LIMITS)."""
    for scope, rule in settings.CITYLAB_RATE_LIMITS.items():
        if method in rule["views"].get(view_name, ()) and rule["limit"] > 0:
            return Limit(scope=scope, limit=rule["limit"], window=rule["window"])
    return None


def client_address(request: HttpRequest) -> str:
    """The address of the person, not of our own proxy.

    Without a proxy (CITYLAB_BEHIND_PROXY false) it is REMOTE_ADDR, and X-Forwarded-For is
    ignored: anyone can send that header, and honouring it would let a flood pick a new
    address for every request. Behind nginx, REMOTE_ADDR is nginx, which appends the address
    it saw to X-Forwarded-For; entries to the left of it are whatever the client claimed. So
    the header is read from the right, skipping our own proxies (CITYLAB_TRUSTED_PROXIES, for
    a load balancer in front of nginx), and the first address that is not ours is the client.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if not settings.CITYLAB_BEHIND_PROXY or not forwarded.strip():
        return remote
    trusted = settings.CITYLAB_TRUSTED_PROXIES
    hops = [hop.strip() for hop in forwarded.split(",")]
    for hop in reversed(hops):
        try:
            address = ipaddress.ip_address(hop)
        except ValueError:
            # Not an address where one of our proxies wrote one: the chain is not what the
            # settings say. Count by the proxy's address rather than trust the rest.
            return remote
        if not any(address in network for network in trusted):
            return str(address)
    return hops[0]  # every hop is one of ours: a request from inside, e.g. a health check


def bucket(address: str) -> str:
    """What is counted: the IPv4 address, or the /64 network of an IPv6 address, since one
    household or phone is given a whole /64 and may use any address in it."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address or "unknown"
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed)


def hit(limit: Limit, address: str, *, now: float | None = None) -> Verdict:
    """Count one request from `address` and say whether it is within the limit.

    A fixed window, aligned to the clock, so every process agrees on which one is current:
    the count starts again at each multiple of `window` seconds. Refused requests count too,
    so a flood that keeps going stays refused until its window ends.
    """
    now = time.time() if now is None else now
    index = int(now // limit.window)
    key = f"citylab:ratelimit:{limit.scope}:{bucket(address)}:{index}"
    try:
        count = cache.incr(key)
    except ValueError:  # the first request of this window (or the key just expired)
        count = 1 if cache.add(key, 1, timeout=limit.window + 1) else cache.incr(key)
    retry_after = max(1, math.ceil((index + 1) * limit.window - now))
    return Verdict(allowed=count <= limit.limit, count=count, retry_after=retry_after)


def too_many_requests(request: HttpRequest, retry_after: int = 60, *, resend: bool = False) -> TemplateResponse:
    """The 429 page. With `resend`, what the person just submitted goes into hidden fields of a
    "Try again" form, so nothing they typed is lost; what they saved before is on the server.

    Also allauth's handler for its own limits (sign-in, password reset), via citylab/urls.py.
    """
    fields = []
    if resend and request.method == "POST":
        fields = [
            (name, value)
            for name, values in request.POST.lists()
            if not any(word in name.lower() for word in _NEVER_RESENT)
            for value in values
        ]
    context = {
        "retry_after": retry_after,
        # Minutes read better than "270 seconds"; a minute or less is said in seconds.
        "wait_minutes": math.ceil(retry_after / 60) if retry_after > 60 else None,
        "resend": resend and request.method == "POST",
        "resend_fields": fields,
        "again_url": request.get_full_path(),
    }
    response = TemplateResponse(request, "429.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    response["Retry-After"] = str(retry_after)
    # The page may carry what a person typed (a name, a phone number): no cache keeps it.
    response["Cache-Control"] = "no-store"
    return response


class RateLimitMiddleware:
    """Applies CITYLAB_RATE_LIMITS after URL resolution, before the view runs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        match = request.resolver_match
        limit = limit_for(match.view_name, request.method) if match else None
        if limit is None:
            return None
        address = client_address(request)
        verdict = hit(limit, address)
        if verdict.allowed:
            return None
        if verdict.count == limit.limit + 1:  # once per window and address, not once per request
            logger.warning(
                "Rate limit %s: %s refused after %d requests in %d s", limit.scope, bucket(address),
                limit.limit, limit.window,
            )
        return too_many_requests(request, verdict.retry_after, resend=True)
