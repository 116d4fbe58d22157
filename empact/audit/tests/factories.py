"""make_* factories for audit tests: users through the real model, entries through
the real record()."""

from django.db import connection

from empact.accounts.models import RoleAssignment, User
from empact.audit.log import record
from empact.audit.models import AuditEntry
from empact.plans.tests.factories import make_organisation


def make_user(username: str = "alice", org: str = "DE", **fields) -> User:
    return User.objects.create_user(
        username,
        password=f"{username}-password",
        organisation=make_organisation(org),
        **fields,
    )


def make_auditor(username: str = "dpo", org: str = "COM") -> User:
    user = make_user(username, org)
    RoleAssignment.objects.create(user=user, role=RoleAssignment.Role.AUDITOR)
    return user


def make_entries(n: int = 5, **fields) -> list[AuditEntry]:
    """`n` entries written by the command line, numbered in their object_id."""
    defaults = {
        "actor": None,
        "actor_name": "cli:tester",
        "operation": AuditEntry.Operation.CONSULTATION,
        "object_type": "plans.plan",
    }
    action = fields.pop("action", "plan.consulted")
    return [
        record(action, **({"object_id": str(i)} | defaults | fields))
        for i in range(1, n + 1)
    ]


def tamper(sql: str, params=()) -> None:
    """Run `sql` on the audit table with its append-only triggers out of the way,
    as someone with direct access to the database could. The test's transaction
    rolls the trigger change back with everything else."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditentry DISABLE TRIGGER USER")
        else:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditentry_no_delete")
        cursor.execute(sql, params)


def refuse_audit_writes() -> None:
    """Make every insert into the audit table fail, as a full disk would; the
    test's transaction rolls it back."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "CREATE FUNCTION audit_test_refuse_insert() RETURNS trigger "
                "LANGUAGE plpgsql AS $$ BEGIN "
                "RAISE EXCEPTION 'could not extend file: No space left on device' "
                "USING ERRCODE = 'disk_full'; END; $$"
            )
            cursor.execute(
                "CREATE TRIGGER test_refuse_insert BEFORE INSERT ON audit_auditentry "
                "FOR EACH ROW EXECUTE FUNCTION audit_test_refuse_insert()"
            )
        else:
            cursor.execute(
                "CREATE TRIGGER test_refuse_insert BEFORE INSERT ON audit_auditentry "
                "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
            )
