import hashlib
import json
import re

import pytest
from django.db import connection, transaction
from django.test import RequestFactory

from empact.audit.chain import ZERO_HASH
from empact.audit.log import AuditWriteFailed, record, record_consultation
from empact.audit.models import AuditEntry
from empact.audit.tests.factories import make_entries, make_user, refuse_audit_writes
from empact.audit.verify import verify
from empact.organisations.models import Organisation

pytestmark = pytest.mark.django_db
Operation = AuditEntry.Operation


def stored(entry: AuditEntry) -> AuditEntry:
    return AuditEntry.objects.get(seq=entry.seq)


def test_the_first_entry_starts_the_chain_and_each_next_links_to_the_one_before():
    first, second, third = make_entries(3)

    assert [first.seq, second.seq, third.seq] == [1, 2, 3]
    assert first.prev_hash == ZERO_HASH
    assert second.prev_hash == first.hash and third.prev_hash == second.hash
    assert verify().summary() == (
        f"audit log: 3 entries, chain intact, head {third.hash[:12]}"
    )


def test_the_stored_hash_can_be_recomputed_with_the_standard_library_alone():
    make_user("alice")
    entry = record(
        "plan.imported",
        actor=make_user("bob", "EL"),
        operation=Operation.COLLECTION,
        why="yearly update",
        extra={"rows": 3, "file": "oap.yaml"},
    )
    row = AuditEntry.objects.filter(seq=entry.seq).values().get()
    content = {k: v for k, v in row.items() if k != "hash"}
    content["at"] = row["at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(
        content, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )

    assert (
        row["hash"]
        == hashlib.sha256((row["prev_hash"] + canonical).encode("utf-8")).hexdigest()
    )


def test_who_and_what_are_copied_so_erasing_the_user_keeps_the_entry():
    user = make_user("bob", "EL")
    organisation = Organisation.objects.get(code="EL")
    entry = record(
        "organisation.consulted",
        actor=user,
        operation=Operation.CONSULTATION,
        obj=organisation,
    )
    user_id = user.pk
    user.delete()

    saved = stored(entry)
    assert (saved.actor, saved.actor_id, saved.organisation) == ("bob", user_id, "EL")
    assert saved.object_type == "organisations.organisation"
    assert saved.object_id == str(organisation.pk)
    assert saved.object_repr == str(organisation)[:200]
    assert verify().ok


def test_the_request_gives_its_id_and_its_signed_in_user():
    request = RequestFactory().get("/")
    request.id, request.user = "3f2a-req", make_user("carol", "FR")

    entry = stored(
        record("audit.consulted", actor=None, operation="consultation", request=request)
    )

    assert (entry.actor, entry.organisation, entry.request_id) == (
        "carol",
        "FR",
        "3f2a-req",
    )


def test_the_command_line_names_itself():
    entry = stored(
        record(
            "plan.imported",
            actor=None,
            actor_name="cli:root",
            operation="collection",
            why="initial load",
        )
    )
    assert (entry.actor, entry.actor_id, entry.justification) == (
        "cli:root",
        None,
        "initial load",
    )


def test_record_consultation_names_the_model_and_the_reason():
    user = make_user()
    organisation = Organisation.objects.get(code="DE")
    entry = record_consultation(organisation, actor=user, request=None, why="case 7")
    assert (entry.action, entry.operation, entry.justification) == (
        "organisation.consulted",
        "consultation",
        "case 7",
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"actor_name": " "}, "record() needs an actor, or actor_name for the system"),
        ({"action": "Plan Imported"}, "'Plan Imported' is not noun.verb_past"),
        ({"operation": "reading"}, "'reading' is not a valid AuditEntry.Operation"),
        ({"outcome": "maybe"}, "'maybe' is not a valid AuditEntry.Outcome"),
        ({"extra": {"ratio": 0.5}}, "float is not allowed in audit extra"),
        ({"extra": {"blob": "x" * 9000}}, "keep it under 8 KiB"),
    ],
)
def test_a_wrong_call_is_a_bug_and_writes_nothing(kwargs, message):
    call = {
        "action": "plan.imported",
        "actor": None,
        "actor_name": "cli:root",
        "operation": "collection",
    } | kwargs
    with pytest.raises(ValueError, match=re.escape(message)):
        record(call.pop("action"), **call)
    assert not AuditEntry.objects.exists()


def test_the_entry_rolls_back_with_the_change_it_records():
    make_entries(1)
    with pytest.raises(RuntimeError), transaction.atomic():
        Organisation.objects.create(code="XX", name="Gone", kind="member_state")
        make_entries(1, action="organisation.created")
        raise RuntimeError("the change failed after its entry was written")

    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "plan.consulted"
    ]
    assert verify().ok


def test_a_write_that_fails_raises_audit_write_failed_and_spares_the_caller():
    make_entries(2)
    refuse_audit_writes()
    with pytest.raises(AuditWriteFailed, match="audit entry 'plan.consulted' not"):
        make_entries(1)

    # The caller's transaction is still usable: it can refuse cleanly.
    assert AuditEntry.objects.count() == 2


def test_text_the_databases_would_alter_is_stored_exactly_as_it_was_hashed():
    entry = record(
        "login.failed",
        actor=None,
        actor_name="mal\x00lory\ud800",
        operation="security",
        outcome="denied",
        object_repr="r" * 500,
        extra={"username": "a\x00b", "attempt": 3, "when": None},
    )
    saved = stored(entry)
    assert saved.actor == "mal\ufffdlory?"
    assert len(saved.object_repr) == 200
    assert saved.extra == {"username": "a\ufffdb", "attempt": 3, "when": None}
    assert verify().ok, verify().problem


def test_appends_on_postgresql_take_the_advisory_lock():
    if connection.vendor != "postgresql":
        pytest.skip("the advisory lock is PostgreSQL's; SQLite locks at BEGIN")
    with transaction.atomic():
        make_entries(1)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid() AND granted"
            )
            assert cursor.fetchone()[0] == 1
