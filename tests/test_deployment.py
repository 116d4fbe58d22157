"""Deployment configuration (T-22): `check --deploy` is clean with production
settings, and every page carries the security headers and cookie flags.

Prints `deployment: W deploy warnings; P pages, M missing headers`.
"""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from empact.accounts.models import User
from empact.accounts.tests.helpers import sign_in
from empact.plans.tests.factories import make_organisation, make_plan

ROOT = Path(__file__).resolve().parent.parent
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
PRODUCTION_SETTINGS = """
import json
from django.conf import settings as s
print(json.dumps({name: getattr(s, name) for name in [
    "DEBUG", "DEMO_MODE", "SESSION_COOKIE_NAME", "CSRF_COOKIE_NAME",
    "SESSION_COOKIE_SECURE", "CSRF_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY",
    "SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "AXES_FAILURE_LIMIT",
]}))
"""


def production_environment() -> dict:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("EMPACT_") and k not in ("SECRET_KEY", "ALLOWED_HOSTS")
    }
    env.update(
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="empact.example.eu",
        EMPACT_TESTING="false",
        DJANGO_SETTINGS_MODULE="empact.settings",
    )
    return env


def empact(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "empact.cli", *args],
        cwd=ROOT,
        env=production_environment(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def deploy_warnings(output: str) -> int:
    if "System check identified no issues" in output:
        return 0
    found = re.search(r"System check identified (\d+) issues?", output)
    return int(found[1]) if found else -1


def missing_headers(response, *, signed_in: bool) -> list[str]:
    expected = {
        "Content-Security-Policy": CSP,
        "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
    }
    missing = [name for name, value in expected.items() if response.get(name) != value]
    if "Content-Security-Policy" in missing and policy(response) == policy(CSP):
        missing.remove("Content-Security-Policy")  # the same directives, reordered
    if signed_in:
        if "no-store" not in response.get("Cache-Control", ""):
            missing.append("Cache-Control: no-store")
        if response.get("Pragma") != "no-cache":
            missing.append("Pragma: no-cache")
    return missing


def policy(value) -> set[str]:
    if not isinstance(value, str):
        value = value.get("Content-Security-Policy", "")
    return {directive.strip() for directive in value.split(";") if directive.strip()}


def missing_cookie_flags(cookie) -> list[str]:
    flags = {
        "secure": cookie["secure"] is True,
        "httponly": cookie["httponly"] is True,
        "samesite": cookie["samesite"] == "Lax",
    }
    return [f"{cookie.key}: {flag}" for flag, ok in flags.items() if not ok]


@pytest.mark.django_db
def test_deploy_check_is_clean_and_pages_carry_security_headers(capsys, settings):
    settings.DEMO_MODE = False
    checked = empact("check", "--deploy", "--fail-level", "WARNING")
    warnings = deploy_warnings(checked.stdout + checked.stderr)
    shell = empact("shell", "--no-imports", "-c", PRODUCTION_SETTINGS)
    production = json.loads(shell.stdout.strip().splitlines()[-1])

    make_plan("oap-ms")
    person = User.objects.create_user(
        "officer", password="officer-password-2024", organisation=make_organisation()
    )
    anonymous, member = Client(), sign_in(Client(), person)
    pages = [
        (anonymous, reverse("login"), False),
        (member, reverse("plans:overview", args=["oap-ms"]), True),
        (member, reverse("plans:action", args=["oap-ms", "1.1"]), True),
        (member, reverse("organisations:list"), True),
        (member, reverse("account:security"), True),
    ]
    missing = []
    for client, url, signed_in in pages:
        response = client.get(url, secure=True)
        assert response.status_code == 200, url
        gaps = missing_headers(response, signed_in=signed_in)
        missing += [f"{url}: {gap}" for gap in gaps]

    fresh = Client()
    fresh.get(reverse("login"), secure=True)
    signing_in = fresh.post(
        reverse("login"),
        {"username": "officer", "password": "officer-password-2024"},
        secure=True,
    )
    assert signing_in.status_code == 302
    for cookie in fresh.cookies.values():
        missing += missing_cookie_flags(cookie)
    assert {c.key for c in fresh.cookies.values()} == {"sessionid", "csrftoken"}

    expected_production = {
        "DEBUG": False,
        "DEMO_MODE": False,
        "SESSION_COOKIE_NAME": "__Host-sessionid",
        "CSRF_COOKIE_NAME": "__Host-csrftoken",
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SECURE_SSL_REDIRECT": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "AXES_FAILURE_LIMIT": 5,
    }
    missing += [
        f"production {name}={production.get(name)!r}"
        for name, value in expected_production.items()
        if production.get(name) != value
    ]

    with capsys.disabled():
        print(
            f"\ndeployment: {warnings} deploy warnings; {len(pages)} pages, "
            f"{len(missing)} missing headers"
        )
    assert checked.returncode == 0 and warnings == 0, checked.stdout + checked.stderr
    assert missing == []
