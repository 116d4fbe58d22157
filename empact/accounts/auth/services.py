"""Every change to a person's second factor and sessions.

Functions that act on the signed-in session take the request, because the session
*is* what they change (django-otp keeps the verified device in it).
"""

import re
import time
from base64 import b32encode
from dataclasses import dataclass

import django_otp
import segno
from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp.models import Device
from django_otp.plugins.otp_totp.models import TOTPDevice

from empact.accounts import permissions
from empact.accounts.auth import events
from empact.accounts.auth.devices import (
    RECOVERY_CODE_COUNT,
    RecoveryCode,
    RecoveryCodeDevice,
    new_recovery_code,
)
from empact.accounts.auth.lockout import client_ip, count_second_factor_failure
from empact.accounts.auth.sessions import UserSession

TOTP_CODE = re.compile(r"^\d{6}$")
# A fresh authenticator may replace the old one for this long after the person
# gave their password and a current code on the Security page.
ENROLMENT_GRANT = "empact_enrolment_grant_until"
ENROLMENT_DEVICE = "empact_enrolment_device"
ENROLMENT_GRANT_SECONDS = 600
QR_SCALE, QR_BORDER = 5, 4


@dataclass(frozen=True)
class CodeCheck:
    """The outcome of checking a password or second-factor code."""

    ok: bool
    device: Device | None = None
    error: str = ""
    field: str = "code"
    locked: bool = False


# Reading the state of a person's factors.


def authenticator_of(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("-pk").first()


def recovery_codes_of(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user, confirmed=True).first()


def has_second_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def may_enrol(request) -> bool:
    """First enrolment, or a replacement granted by re-authentication."""
    if not has_second_factor(request.user):
        return True
    return request.session.get(ENROLMENT_GRANT, 0) > time.time()


# Enrolment.


def enrolment_device(request) -> TOTPDevice:
    """The unconfirmed authenticator of this enrolment; a new key per session.

    A key made in another session is never shown again: someone who knew only the
    password could otherwise start an enrolment, note the key and wait.
    """
    user = request.user
    pk = request.session.get(ENROLMENT_DEVICE)
    device = TOTPDevice.objects.filter(pk=pk, user=user, confirmed=False).first()
    if device is None:
        with transaction.atomic():
            TOTPDevice.objects.filter(user=user, confirmed=False).delete()
            device = TOTPDevice.objects.create(
                user=user, name="Authenticator app", confirmed=False
            )
        request.session[ENROLMENT_DEVICE] = device.pk
    return device


def enrolment_secret(device: TOTPDevice) -> dict:
    """The QR code (an SVG data: URI made here) and the key in groups of four."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    qr = segno.make(device.config_url, error="m")
    size, _ = qr.symbol_size(scale=QR_SCALE, border=QR_BORDER)
    return {
        "qr_data_uri": qr.svg_data_uri(scale=QR_SCALE, border=QR_BORDER),
        "qr_size": size,
        "key_groups": [key[i : i + 4] for i in range(0, len(key), 4)],
    }


def confirm_enrolment(request, device: TOTPDevice, code: str) -> tuple[CodeCheck, list]:
    """Confirm the new authenticator with its current code.

    On success the person's old authenticator is removed, ten new recovery codes are
    made (returned in plain text, to be shown once) and the session is verified.
    """
    user = request.user
    allowed, throttle = device.verify_is_allowed()
    if not allowed:
        return CodeCheck(ok=False, error=_too_soon(throttle)), []
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        accepted = device.verify_token(code)
        if accepted:
            TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            codes = replace_recovery_codes(user)
    if not accepted:
        return _refused(request, "enrolment"), []
    replacing = ENROLMENT_GRANT in request.session
    for key in (ENROLMENT_GRANT, ENROLMENT_DEVICE):
        request.session.pop(key, None)
    _verified(request, device)
    events.second_factor_enrolled(request, user, device)
    if replacing:
        events.second_factor_changed(request, user, what="authenticator")
    return CodeCheck(ok=True, device=device), codes


@transaction.atomic
def replace_recovery_codes(user) -> list[str]:
    """Ten new recovery codes for `user`; the old ones stop working."""
    device, _created = RecoveryCodeDevice.objects.get_or_create(
        user=user, defaults={"name": "Recovery codes", "confirmed": True}
    )
    device.codes.all().delete()
    codes = [new_recovery_code() for _ in range(RECOVERY_CODE_COUNT)]
    RecoveryCode.objects.bulk_create(
        RecoveryCode(device=device, hashed=RecoveryCode.hash(code)) for code in codes
    )
    device.throttle_reset(commit=True)
    return codes


# Verification.


def verify_second_factor(request, code: str) -> CodeCheck:
    """Verify the session with a code from the authenticator or a recovery code."""
    check = check_code(request, code, purpose="sign-in")
    if check.ok:
        _verified(request, check.device)
        events.second_factor_verified(request, request.user, check.device)
    return check


def check_code(request, code: str, *, purpose: str) -> CodeCheck:
    """Check `code` against the person's factors without changing the session.

    A wrong code counts towards the lock-out like a wrong password.
    """
    user = request.user
    code = code.strip().replace(" ", "")
    device = (
        authenticator_of(user) if TOTP_CODE.match(code) else recovery_codes_of(user)
    )
    if device is None:
        return _refused(request, purpose)
    allowed, throttle = device.verify_is_allowed()
    if not allowed:
        events.second_factor_failed(request, user, reason=f"{purpose}, too soon")
        return CodeCheck(ok=False, error=_too_soon(throttle))
    verified = django_otp.verify_token(user, device.persistent_id, code)
    if verified is None:
        return _refused(request, purpose)
    if isinstance(verified, RecoveryCodeDevice):
        events.recovery_code_used(
            request, user, verified, remaining=verified.remaining()
        )
    return CodeCheck(ok=True, device=verified)


def _verified(request, device) -> None:
    request.session.cycle_key()  # a new session id for the now trusted session
    django_otp.login(request, device)
    AxesProxyHandler.reset_attempts(
        ip_address=client_ip(request), username=request.user.get_username()
    )


def _refused(request, purpose: str) -> CodeCheck:
    user = request.user
    events.second_factor_failed(request, user, reason=purpose)
    if count_second_factor_failure(request, user.get_username()):
        return CodeCheck(ok=False, locked=True)
    return CodeCheck(
        ok=False,
        error=_(
            "That code was not accepted. Codes from the app change every 30 seconds "
            "and each works once; enter the one shown now, or a recovery code."
        ),
    )


def _too_soon(throttle: dict | None) -> str:
    """After wrong codes django-otp waits 1, 2, 4, 8 … seconds before the next try."""
    until = (throttle or {}).get("locked_until")
    seconds = max(1, int(until.timestamp() - time.time())) if until else 1
    return _(
        "Too many wrong codes in a row: wait %(seconds)s seconds, then try again."
    ) % {"seconds": seconds}


# Changing the factor: the password and a current code, on the same form.


def reauthenticate(request, password: str, code: str | None) -> CodeCheck:
    """Check the person's password and (when they have one) a current code."""
    user = request.user
    again = authenticate(request, username=user.get_username(), password=password)
    if again is None or again.pk != user.pk:
        events.second_factor_change_refused(request, user, reason="password")
        locked = bool(getattr(request, "axes_locked_out", False))
        return CodeCheck(
            ok=False,
            error=_("The password is not right."),
            field="password",
            locked=locked,
        )
    if not has_second_factor(user):
        return CodeCheck(ok=True)
    check = check_code(request, code or "", purpose="change")
    if not check.ok:
        events.second_factor_change_refused(request, user, reason="code")
    return check


def grant_new_authenticator(request) -> None:
    """Let the re-authenticated person enrol a new authenticator, for a while."""
    request.session[ENROLMENT_GRANT] = time.time() + ENROLMENT_GRANT_SECONDS
    request.session.pop(ENROLMENT_DEVICE, None)


def renew_recovery_codes(request) -> list[str]:
    codes = replace_recovery_codes(request.user)
    events.second_factor_changed(request, request.user, what="recovery codes")
    return codes


# Ending a person's access.


def deactivate_user(user, *, actor, request=None) -> int:
    """Deactivate `user` and end every session they have; returns how many ended.

    Raises PermissionDenied unless `actor` administers the platform.
    """
    permissions.require(actor, "admin.access", request=request)
    with transaction.atomic():
        user.is_active = False
        user.save(update_fields=["is_active"])
        ended, _per_model = UserSession.objects.filter(user=user).delete()
        events.user_deactivated(
            user, actor=actor, request=request, sessions_ended=ended
        )
    return ended
