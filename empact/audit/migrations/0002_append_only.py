"""The database refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE of a
non-empty table) on the audit log, whatever the client: ORM, raw SQL or a shell.

Careful on SQLite: a later migration that alters audit_auditentry (AlterField,
RemoveField, ...) makes Django rebuild the table, which silently drops these
triggers. Such a migration must create them again; test_append_only.py fails if
they are missing.

The one way round them is a maintenance path (maintenance.py, used by `flush`):
on PostgreSQL `session_replication_role = replica`, which only a superuser may set.
"""

from django.db import migrations

SQLITE_FORWARD = [
    """
    CREATE TRIGGER audit_auditentry_no_update
    BEFORE UPDATE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """,
    """
    CREATE TRIGGER audit_auditentry_no_delete
    BEFORE DELETE ON audit_auditentry
    BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_update;",
    "DROP TRIGGER IF EXISTS audit_auditentry_no_delete;",
]

# SQLSTATE 23000 (integrity_constraint_violation) makes Django raise IntegrityError,
# as SQLite's RAISE(ABORT) does, so callers see one exception on both databases.
POSTGRESQL_FORWARD = [
    """
    CREATE FUNCTION audit_refuse_change() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'audit log is append-only'
            USING ERRCODE = 'integrity_constraint_violation';
    END;
    $$;
    """,
    """
    CREATE TRIGGER audit_auditentry_append_only
    BEFORE UPDATE OR DELETE ON audit_auditentry
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
    """,
    # Truncating an empty log loses nothing, and is what a test-database flush does
    # most of the time.
    """
    CREATE FUNCTION audit_refuse_truncate() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF EXISTS (SELECT 1 FROM audit_auditentry) THEN
            RAISE EXCEPTION 'audit log is append-only'
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END;
    $$;
    """,
    """
    CREATE TRIGGER audit_auditentry_no_truncate
    BEFORE TRUNCATE ON audit_auditentry
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_truncate();
    """,
]
POSTGRESQL_BACKWARD = [
    "DROP TRIGGER IF EXISTS audit_auditentry_no_truncate ON audit_auditentry;",
    "DROP TRIGGER IF EXISTS audit_auditentry_append_only ON audit_auditentry;",
    "DROP FUNCTION IF EXISTS audit_refuse_truncate();",
    "DROP FUNCTION IF EXISTS audit_refuse_change();",
]

FORWARD = {"sqlite": SQLITE_FORWARD, "postgresql": POSTGRESQL_FORWARD}
BACKWARD = {"sqlite": SQLITE_BACKWARD, "postgresql": POSTGRESQL_BACKWARD}


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        if vendor not in statements_by_vendor:
            raise NotImplementedError(
                f"no append-only triggers for {vendor}: the audit log needs them"
            )
        for sql in statements_by_vendor[vendor]:
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [migrations.RunPython(_run(FORWARD), _run(BACKWARD))]
