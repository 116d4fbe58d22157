"""Every authentication event, written to the audit log (ASVS 16.3.1, V-11).

One function per event, so that the list of what is logged is this file. Each writes
`operation="security"` entries named `noun.verb_past`. Nothing secret is written: no
password, code or key, and for a failed sign-in with an unknown username not the
username either (people type passwords into it).
"""

from django.contrib.auth import get_user_model

from empact.accounts.auth.lockout import client_ip
from empact.audit.log import record


def _security(action, *, actor, request=None, outcome="allowed", obj=None, **extra):
    if request is not None:
        extra["address"] = client_ip(request)
    record(
        action,
        actor=actor,
        actor_name="" if actor is not None else "anonymous",
        operation="security",
        obj=obj,
        outcome=outcome,
        request=request,
        extra=extra,
    )


def login_succeeded(request, user) -> None:
    _security("login.succeeded", actor=user, request=request)


def login_failed(request, username: str | None) -> None:
    user = _known_user(username)
    extra = {} if user else {"username_known": False}
    _security("login.failed", actor=user, request=request, outcome="denied", **extra)


def locked_out(request, username: str | None) -> None:
    user = _known_user(username)
    extra = {} if user else {"username_known": False}
    _security(
        "login.locked_out", actor=user, request=request, outcome="denied", **extra
    )


def signed_out(request, user) -> None:
    if user is not None:
        _security("login.signed_out", actor=user, request=request)


def second_factor_enrolled(request, user, device) -> None:
    _security("second_factor.enrolled", actor=user, request=request, obj=device)


def second_factor_verified(request, user, device) -> None:
    _security("second_factor.verified", actor=user, request=request, obj=device)


def second_factor_failed(request, user, *, reason: str) -> None:
    _security(
        "second_factor.failed",
        actor=user,
        request=request,
        outcome="denied",
        reason=reason,
    )


def recovery_code_used(request, user, device, *, remaining: int) -> None:
    _security(
        "recovery_code.used",
        actor=user,
        request=request,
        obj=device,
        remaining=remaining,
    )


def second_factor_changed(request, user, *, what: str) -> None:
    _security("second_factor.changed", actor=user, request=request, what=what)


def second_factor_change_refused(request, user, *, reason: str) -> None:
    _security(
        "second_factor.change_refused",
        actor=user,
        request=request,
        outcome="denied",
        reason=reason,
    )


def session_expired(request, user, *, reason: str) -> None:
    _security("session.expired", actor=user, request=request, reason=reason)


def user_deactivated(user, *, actor, request=None, sessions_ended: int) -> None:
    _security(
        "user.deactivated",
        actor=actor,
        request=request,
        obj=user,
        sessions_ended=sessions_ended,
    )


def _known_user(username: str | None):
    if not username:
        return None
    return get_user_model()._default_manager.filter(username=username).first()
