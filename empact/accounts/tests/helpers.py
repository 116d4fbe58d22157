"""Signing in for tests: password step and second factor both done."""

import pytest
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice


def sign_in(client, user):
    """Sign `user` in on the test `client` with a verified session; returns client.

    Gives the user a confirmed authenticator when they have none, then marks the
    session verified by it, which is what the second-factor page does.
    """
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(
            user=user, name="Test authenticator", confirmed=True
        )
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def module_figure(name: str):
    """An autouse module fixture that reports `<name>: N checks, F failures`
    after the module's last test (N: the module's tests that ran)."""

    @pytest.fixture(scope="module", autouse=True)
    def figure(request):
        failed_before = request.session.testsfailed
        yield
        checks = sum(
            1 for item in request.session.items if item.module is request.module
        )
        failures = request.session.testsfailed - failed_before
        plugins = request.config.pluginmanager
        reporter = plugins.get_plugin("terminalreporter")
        capture = plugins.get_plugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():
                reporter.write_line(f"\n{name}: {checks} checks, {failures} failures")

    return figure
