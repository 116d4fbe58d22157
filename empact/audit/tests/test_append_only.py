"""T-9: the audit log cannot be changed or emptied, by the ORM or by raw SQL."""

import pytest
from django.db import IntegrityError, connection, transaction

from empact.audit.models import AuditEntry
from empact.audit.tests.factories import make_entries
from empact.audit.verify import verify

pytestmark = pytest.mark.django_db


def orm_save(entry):
    entry.actor = "mallory"
    entry.save()


def orm_save_update_fields(entry):
    entry.justification = "rewritten"
    entry.save(update_fields=["justification"])


def orm_delete(entry):
    entry.delete()


def queryset_update(entry):
    AuditEntry.objects.filter(seq=entry.seq).update(actor="mallory")


def queryset_delete(entry):
    AuditEntry.objects.filter(seq__gte=entry.seq).delete()


def raw_sql(sql):
    def attempt(entry):
        with connection.cursor() as cursor:
            cursor.execute(sql.format(seq=int(entry.seq)))

    return attempt


ATTEMPTS = {
    "ORM save()": orm_save,
    "ORM save(update_fields)": orm_save_update_fields,
    "ORM delete()": orm_delete,
    "QuerySet.update()": queryset_update,
    "QuerySet.delete()": queryset_delete,
    "raw UPDATE": raw_sql("UPDATE audit_auditentry SET actor = 'x' WHERE seq = {seq}"),
    "raw DELETE": raw_sql("DELETE FROM audit_auditentry WHERE seq = {seq}"),
    "raw DELETE of every row": raw_sql("DELETE FROM audit_auditentry"),
}
POSTGRESQL_ONLY = {"raw TRUNCATE": raw_sql("TRUNCATE audit_auditentry")}


def test_every_attempt_to_change_or_delete_an_entry_is_rejected(figure):
    entries = make_entries(3)
    head = verify()
    attempts = ATTEMPTS | (POSTGRESQL_ONLY if connection.vendor == "postgresql" else {})
    rejected, messages = [], set()
    for name, attempt in attempts.items():
        entry = AuditEntry.objects.get(seq=entries[1].seq)
        try:
            with transaction.atomic():
                attempt(entry)
        except IntegrityError as e:
            rejected.append(name)
            messages.add(str(e).splitlines()[0])

    figure(
        f"\nappend-only: {len(attempts)} attempts on {connection.vendor}, "
        f"{len(rejected)} rejected"
    )
    assert rejected == list(attempts)
    assert messages == {"audit log is append-only"}
    assert verify() == head


def test_the_database_itself_holds_the_triggers_after_every_migration():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid ="
                " 'audit_auditentry'::regclass AND NOT tgisinternal AND tgenabled = 'O'"
            )
        else:
            cursor.execute(
                "SELECT name FROM sqlite_master"
                " WHERE type = 'trigger' AND tbl_name = 'audit_auditentry'"
            )
        names = sorted(name for (name,) in cursor.fetchall())
    expected = {
        "postgresql": ["audit_auditentry_append_only", "audit_auditentry_no_truncate"],
        "sqlite": ["audit_auditentry_no_delete", "audit_auditentry_no_update"],
    }
    assert names == expected[connection.vendor]


def test_new_entries_are_still_appended():
    make_entries(2)
    assert [e.seq for e in make_entries(1)] == [3]
    assert verify().entries == 3
