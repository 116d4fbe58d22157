"""Lock-outs after repeated failures, with django-axes (V-10).

Password failures reach axes through Django's `user_login_failed` signal. Wrong
second-factor codes are counted in the same place, by username and address, so five
wrong codes lock the account at that address just as five wrong passwords do.
"""

from datetime import timedelta

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_credentials
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def client_ip(request: HttpRequest) -> str | None:
    """The address of the client, trusting exactly EMPACT_PROXY_COUNT proxies.

    Each trusted proxy appends the address it received the request from to
    X-Forwarded-For, so the client is the N-th entry from the right. Anything to its
    left was written by the client and is not believed.
    """
    proxies = settings.EMPACT_PROXY_COUNT
    if proxies <= 0:
        return request.META.get("REMOTE_ADDR")
    forwarded = [
        part.strip()
        for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if part.strip()
    ]
    if len(forwarded) < proxies:
        return request.META.get("REMOTE_ADDR")
    return forwarded[-proxies]


def lockout_response(request, original_response=None, credentials=None) -> HttpResponse:
    """The page shown instead of the sign-in form while an account is locked."""
    cool_off: timedelta = settings.AXES_COOLOFF_TIME
    return render(
        request,
        "accounts/locked_out.html",
        {
            "failure_limit": settings.AXES_FAILURE_LIMIT,
            "cool_off_minutes": int(cool_off.total_seconds() // 60),
            "support_contact": settings.EMPACT_SUPPORT_CONTACT,
        },
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


def is_locked(request: HttpRequest, username: str) -> bool:
    return not AxesProxyHandler.is_allowed(request, get_credentials(username))


def count_second_factor_failure(request: HttpRequest, username: str) -> bool:
    """Count a wrong second-factor code; True when the account is now locked."""
    AxesProxyHandler.user_login_failed(
        sender=count_second_factor_failure,
        credentials=get_credentials(username),
        request=request,
    )
    return bool(getattr(request, "axes_locked_out", False))
