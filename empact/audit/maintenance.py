"""The one way past the append-only triggers: a maintenance path, used by `flush`.

Emptying the whole database (Django's `flush`, which every transactional test runs
at teardown) has to empty the audit log too. Nothing else may.

- PostgreSQL: ``SET LOCAL session_replication_role = replica`` switches ordinary
  triggers off until the transaction ends. Only a superuser (or a role granted SET
  on that parameter) may do it, so the application's own role cannot: there the
  flush of a non-empty log fails, as it should.
- SQLite has no roles; whoever may run the command may also edit the file. The
  triggers are dropped and re-created, from their own stored SQL, in the same
  transaction, so they cannot drift from what the migrations made.
"""

from contextlib import contextmanager

from django.core.management.base import CommandError
from django.db import DatabaseError, transaction

from empact.audit.models import AuditEntry

TABLE = AuditEntry._meta.db_table


@contextmanager
def append_only_lifted(connection):
    """Inside the block, on `connection`, the audit log may be emptied.

    Opens a transaction; raises CommandError when the database refuses (PostgreSQL,
    not a superuser) and the log is not empty.
    """
    with transaction.atomic(using=connection.alias):
        if not AuditEntry.objects.using(connection.alias).exists():
            yield
        elif connection.vendor == "postgresql":
            _replica_role(connection)
            yield
        else:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master"
                    " WHERE type = 'trigger' AND tbl_name = %s",
                    [TABLE],
                )
                triggers = cursor.fetchall()
                for name, _ in triggers:
                    cursor.execute(f'DROP TRIGGER "{name}"')
            yield
            with connection.cursor() as cursor:
                for _, sql in triggers:
                    cursor.execute(sql)


def _replica_role(connection) -> None:
    try:
        with transaction.atomic(using=connection.alias), connection.cursor() as c:
            c.execute("SET LOCAL session_replication_role = replica")
    except DatabaseError as e:
        raise CommandError(
            "the audit log is append-only: emptying it takes a database superuser "
            f"(PostgreSQL refused session_replication_role: {e})"
        ) from None
