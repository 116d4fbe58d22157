"""The auditor's pages: /audit/ (search) and its CSV and XLSX exports."""

import csv
import io
from datetime import UTC, datetime
from unittest import mock

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from empact.accounts.tests.helpers import sign_in
from empact.audit.log import record
from empact.audit.models import AuditEntry
from empact.audit.tests.factories import (
    make_auditor,
    make_entries,
    make_user,
    refuse_audit_writes,
)
from empact.audit.verify import verify

pytestmark = pytest.mark.django_db
LOG = reverse("audit:log")
CSV = reverse("audit:export_csv")
XLSX = reverse("audit:export_xlsx")


@pytest.fixture
def auditor_client(client):
    return sign_in(client, make_auditor())


def entries_by(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("seq"))


def shown(response, field: str = "seq") -> list:
    return [getattr(e, field) for e in response.context["page"].object_list]


def record_at(when: datetime, action: str, **fields) -> AuditEntry:
    with mock.patch("django.utils.timezone.now", return_value=when):
        return record(action, **fields)


def test_an_auditor_sees_the_log_newest_first_and_the_visit_is_recorded(
    auditor_client,
):
    make_entries(3)
    response = auditor_client.get(LOG, HTTP_X_REQUEST_ID="req-42")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    (visit,) = entries_by("audit.consulted")
    before = AuditEntry.objects.filter(seq__lt=visit.seq).order_by("-seq")
    assert shown(response) == [e.seq for e in before]  # the log as it was
    assert shown(response)[:3] == [visit.seq - 1, visit.seq - 2, visit.seq - 3]
    assert (visit.actor, visit.organisation, visit.operation) == (
        "dpo",
        "COM",
        "consultation",
    )
    assert (visit.request_id, visit.extra) == ("req-42", {"filter": {}, "page": 1})
    assert "Export as CSV" in response.text


@pytest.mark.parametrize("url", [LOG, CSV, XLSX])
def test_anyone_but_an_auditor_gets_a_404_and_the_refusal_is_recorded(client, url):
    make_entries(2)
    sign_in(client, make_user("root", is_staff=True, is_superuser=True))
    response = client.get(url)

    assert response.status_code == 404
    assert "cli:tester" not in response.text
    (refusal,) = entries_by("permission.denied")
    assert (refusal.actor, refusal.outcome, refusal.operation) == (
        "root",
        "denied",
        "security",
    )
    assert not entries_by("audit.consulted") and not entries_by("audit.exported")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get(LOG)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def four_entries(db):
    alice, bob = make_user("alice", "DE"), make_user("bob", "EL")
    specs = [
        (1, alice, "a1", "plan.imported", "collection", "allowed"),
        (2, bob, "b1", "plan.exported", "disclosure", "allowed"),
        (3, alice, "a2", "login.failed", "security", "denied"),
        (4, bob, "b2", "report.sent", "disclosure", "allowed"),
    ]
    for day, user, object_id, action, operation, outcome in specs:
        # The last microsecond of a UTC day still belongs to that day.
        record_at(
            datetime(2025, 3, day, 23, 59, 59, 999999, tzinfo=UTC),
            action,
            actor=user,
            operation=operation,
            outcome=outcome,
            object_type="plans.plan",
            object_id=object_id,
        )


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"actor": "bob"}, ["b2", "b1"]),
        ({"organisation": "el"}, ["b2", "b1"]),
        ({"action": "plan."}, ["b1", "a1"]),
        ({"operation": "disclosure"}, ["b2", "b1"]),
        ({"object_type": "Plans.Plan", "object_id": "a1"}, ["a1"]),
        ({"outcome": "denied"}, ["a2"]),
        ({"date_from": "2025-03-02", "date_to": "2025-03-02"}, ["b1"]),
        ({"date_from": "2025-03-03", "date_to": "2025-03-04"}, ["b2", "a2"]),
        ({"date_to": "2025-03-01"}, ["a1"]),
        ({"actor": "bob", "operation": "collection"}, []),
    ],
)
def test_each_filter_narrows_the_log(auditor_client, four_entries, query, expected):
    response = auditor_client.get(LOG, query)

    assert response.status_code == 200
    assert shown(response, "object_id") == expected
    (visit,) = entries_by("audit.consulted")
    assert set(visit.extra["filter"]) == set(query)


@pytest.mark.parametrize(
    "query, message",
    [
        ({"date_from": "yesterday"}, "From (UTC date): Enter a valid date."),
        (
            {"date_from": "2025-03-04", "date_to": "2025-03-01"},
            "The end date 2025-03-01 is before the start date 2025-03-04.",
        ),
        ({"operation": "reading"}, "Select a valid choice. reading is not one of"),
        ({"action": "DROP TABLE"}, "Use lower-case letters, digits, _ and ."),
        ({"actor": "a\x00b"}, "Null characters are not allowed."),
        ({"page": "-1"}, "Ensure this value is greater than or equal to 1."),
        ({"page": "7"}, "There is no page 7: this search has 1 page."),
    ],
)
def test_bad_input_gets_a_clear_error_and_shows_nothing(auditor_client, query, message):
    make_entries(2)
    response = auditor_client.get(LOG, query)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "cli:tester" not in response.content.decode()
    assert not entries_by("audit.consulted")


def test_the_log_is_paginated_100_entries_a_page(auditor_client):
    seqs = [e.seq for e in reversed(make_entries(230))]
    first = auditor_client.get(LOG, {"action": "plan.consulted"})
    third = auditor_client.get(LOG, {"action": "plan.consulted", "page": 3})

    assert shown(first) == seqs[:100]
    assert shown(third) == seqs[200:]
    assert "Page 1 of 3" in first.text
    assert 'href="?action=plan.consulted&amp;page=2"' in first.text
    assert [e.extra["page"] for e in entries_by("audit.consulted")] == [1, 3]


def test_when_the_visit_cannot_be_logged_the_log_is_not_shown(auditor_client):
    make_entries(2)
    before = AuditEntry.objects.count()
    refuse_audit_writes()
    response = auditor_client.get(LOG)

    assert response.status_code == 503
    assert "cannot be logged, so it is refused" in response.text
    assert "cli:tester" not in response.text
    assert AuditEntry.objects.count() == before


def test_csv_export_holds_the_filtered_entries_and_is_recorded_as_a_disclosure(
    auditor_client, four_entries
):
    head = AuditEntry.objects.order_by("seq").last().seq
    response = auditor_client.get(CSV, {"actor": "bob", "page": "2"})
    body = b"".join(response.streaming_content).decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="audit-log-'
    )
    assert [r["object_id"] for r in rows] == ["b1", "b2"]
    assert rows[0]["at"] == "2025-03-02T23:59:59.999999Z"
    assert rows[0]["hash"] == AuditEntry.objects.get(object_id="b1").hash
    (export,) = entries_by("audit.exported")
    assert (export.operation, export.actor) == ("disclosure", "dpo")
    assert export.extra == {
        "filter": {"actor": "bob"},
        "format": "csv",
        "entries": 2,
        "up_to_seq": head,
    }


def test_xlsx_export_holds_the_entries_and_says_what_it_is(auditor_client):
    seqs = [e.seq for e in make_entries(3)]
    response = auditor_client.get(XLSX, {"action": "plan."})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book["audit log"]
    header, *rows = sheet.iter_rows(values_only=True)
    about = dict(book["about"].iter_rows(values_only=True))

    assert response.status_code == 200
    assert response["Content-Type"].endswith("spreadsheetml.sheet")
    assert header[:3] == ("seq", "at", "actor")
    assert [r[0] for r in rows] == seqs  # numbers stay numbers
    assert about["entries"] == 3 and about["up_to_seq"] == seqs[-1]
    assert about["by"] == "dpo" and about["seq"] == seqs[-1] + 1
    assert entries_by("audit.exported")[0].extra["format"] == "xlsx"
    assert verify().ok


def test_an_export_that_cannot_be_logged_is_not_sent(auditor_client):
    make_entries(2)
    refuse_audit_writes()
    response = auditor_client.get(CSV)

    assert response.status_code == 503
    assert not hasattr(response, "streaming_content")
