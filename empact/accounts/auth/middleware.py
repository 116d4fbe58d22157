"""Request-wide rules of a signed-in session: second factor, lifetime, no caching."""

import time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from empact.accounts.auth import events
from empact.accounts.auth.expiry import IDLE, SessionLimits, session_expiry
from empact.accounts.auth.services import has_second_factor

SIGNED_IN_AT = "empact_signed_in_at"
LAST_SEEN_AT = "empact_last_seen_at"
# Last activity is written at most once a minute, not on every request.
SEEN_RESOLUTION_SECONDS = 60


class SecondFactorMiddleware:
    """Outside demo mode, a signed-in session sees nothing until it is verified.

    Every request of an unverified session goes to the second-factor page (or to
    enrolment for a person without an authenticator), except those pages themselves,
    signing out and static files. Installed after django-otp's OTPMiddleware.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if self._must_verify(request):
            return self._to_second_factor(request)
        return self.get_response(request)

    def _must_verify(self, request) -> bool:
        if settings.DEMO_MODE:
            return False
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return False
        path = request.path_info
        if path.startswith("/" + settings.STATIC_URL.lstrip("/")):
            return False
        return path not in {
            reverse("logout"),
            reverse("account:verify"),
            reverse("account:enrol"),
        }

    def _to_second_factor(self, request):
        name = "account:verify" if has_second_factor(request.user) else "account:enrol"
        url = reverse(name)
        if request.method == "GET":
            url += "?" + urlencode({"next": request.get_full_path()})
        return redirect(url)


class SessionLifetimeMiddleware:
    """End a signed-in session after EMPACT_SESSION_IDLE_MINUTES without a request,
    and in any case EMPACT_SESSION_MAX_HOURS after signing in."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.limits = SessionLimits(
            idle_seconds=settings.EMPACT_SESSION_IDLE_MINUTES * 60,
            maximum_seconds=settings.EMPACT_SESSION_MAX_HOURS * 3600,
        )

    def __call__(self, request):
        if request.user.is_authenticated:
            ended = self._track(request, now=time.time())
            if ended:
                return ended
        return self.get_response(request)

    def _track(self, request, *, now: float):
        session = request.session
        signed_in_at = session.get(SIGNED_IN_AT)
        if signed_in_at is None:  # signed in before this middleware was installed
            start_session_clock(session, now=now)
            return None
        last_seen_at = session.get(LAST_SEEN_AT, signed_in_at)
        reason = session_expiry(
            signed_in_at=signed_in_at,
            last_seen_at=last_seen_at,
            now=now,
            limits=self.limits,
        )
        if reason is None:
            if now - last_seen_at >= SEEN_RESOLUTION_SECONDS:
                session[LAST_SEEN_AT] = now
            return None
        events.session_expired(request, request.user, reason=reason)
        logout(request)
        messages.info(request, _expired_message(reason))
        return redirect_to_login(request.get_full_path())


def start_session_clock(session, *, now: float) -> None:
    """Called on signing in (through the user_logged_in signal)."""
    session[SIGNED_IN_AT] = session[LAST_SEEN_AT] = now


def _expired_message(reason: str) -> str:
    if reason == IDLE:
        return _(
            "You were signed out after %(minutes)s minutes without activity. "
            "Sign in again to continue."
        ) % {"minutes": settings.EMPACT_SESSION_IDLE_MINUTES}
    return _(
        "You were signed out because sessions last at most %(hours)s hours. "
        "Sign in again to continue."
    ) % {"hours": settings.EMPACT_SESSION_MAX_HOURS}


class NoStoreMiddleware:
    """Pages for a signed-in person hold LIMITE or operational data: never cached."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            response["Pragma"] = "no-cache"
        return response
