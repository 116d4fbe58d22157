"""Django's `flush`, which also empties the append-only audit log.

Every TransactionTestCase (pytest's `transactional_db`, `live_server`) ends with a
flush; without this the audit table's triggers would refuse it. See maintenance.py
for who may lift them: on PostgreSQL only a database superuser.
"""

from django.core.management.commands import flush
from django.db import connections

from empact.audit.maintenance import append_only_lifted


class Command(flush.Command):
    help = flush.Command.help + (
        " Empties the audit log too, which on PostgreSQL needs a database superuser."
    )

    def handle(self, **options):
        with append_only_lifted(connections[options["database"]]):
            return super().handle(**options)
