"""Signal receivers, connected by AccountsConfig.ready().

Django's and django-axes's signals catch every sign-in path: our pages, the admin
login, and anything else that calls authenticate() or login().
"""

import time

from axes.signals import user_locked_out
from django.contrib.auth.signals import (
    user_logged_in,
    user_logged_out,
    user_login_failed,
)
from django.dispatch import receiver
from django_otp import DEVICE_ID_SESSION_KEY

from empact.accounts.auth import events
from empact.accounts.auth.middleware import start_session_clock


@receiver(user_logged_in, dispatch_uid="empact.auth.logged_in")
def _on_logged_in(sender, request, user, **kwargs):
    # Signing in again in a session that was verified asks for the code again.
    if getattr(user, "otp_device", None) is None:
        request.session.pop(DEVICE_ID_SESSION_KEY, None)
    start_session_clock(request.session, now=time.time())
    events.login_succeeded(request, user)


@receiver(user_login_failed, dispatch_uid="empact.auth.login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    events.login_failed(request, credentials.get("username"))


@receiver(user_locked_out, dispatch_uid="empact.auth.locked_out")
def _on_locked_out(sender, request, username, ip_address, **kwargs):
    events.locked_out(request, username)


@receiver(user_logged_out, dispatch_uid="empact.auth.logged_out")
def _on_logged_out(sender, request, user, **kwargs):
    events.signed_out(request, user)
