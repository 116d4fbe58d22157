"""empact.web.middleware.RequestIdMiddleware: one id ties a response to its entries.

(Kept beside the audit tests, whose entries carry the id.)"""

import re

import pytest
from django.urls import reverse

from empact.accounts.tests.helpers import sign_in
from empact.audit.models import AuditEntry
from empact.audit.tests.factories import make_auditor

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_fresh_request_id(client):
    first = client.get(reverse("login"))["X-Request-ID"]
    second = client.get("/no-such-page/")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert re.fullmatch(r"[0-9a-f]{32}", second)
    assert first != second


@pytest.mark.parametrize(
    "incoming, kept",
    [
        ("a1b2-C3D4", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("", False),
        ("abc def", False),
        ("abc\nX-Forged: 1", False),
        ("abc\n", False),
        ("<script>", False),
        ("ab_c", False),
        ("ábc", False),
    ],
)
def test_an_incoming_request_id_is_kept_only_when_sane(client, incoming, kept):
    got = client.get(reverse("login"), HTTP_X_REQUEST_ID=incoming)["X-Request-ID"]
    assert (got == incoming) is kept
    assert re.fullmatch(r"[A-Za-z0-9-]{1,64}", got)


def test_the_audit_entry_of_a_request_carries_its_id(client):
    sign_in(client, make_auditor())
    response = client.get(reverse("audit:log"), HTTP_X_REQUEST_ID="proxy-7f3a")

    assert response["X-Request-ID"] == "proxy-7f3a"
    visit = AuditEntry.objects.get(action="audit.consulted")
    assert visit.request_id == "proxy-7f3a"
