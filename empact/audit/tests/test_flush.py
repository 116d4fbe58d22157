"""`flush` (every transactional test's teardown) empties the log; nothing else can."""

import threading

import pytest
from django.core.management import call_command
from django.db import IntegrityError, connection, connections, transaction

from empact.audit.models import AuditEntry
from empact.audit.tests.factories import make_entries
from empact.audit.verify import verify


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_log_and_leaves_it_append_only():
    make_entries(3)
    call_command("flush", interactive=False, verbosity=0)

    assert not AuditEntry.objects.exists()
    make_entries(2)
    with pytest.raises(IntegrityError, match="audit log is append-only"):
        AuditEntry.objects.filter(seq=1).delete()
    with pytest.raises(IntegrityError, match="audit log is append-only"):
        AuditEntry.objects.update(actor="mallory")
    assert verify().entries == 2
    # The teardown flush has these two entries to erase.


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_never_fork_the_chain(figure):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: the SQLite test database is in memory")
    threads, each = 8, 50
    start = threading.Barrier(threads)
    failures = []

    def append(n: int) -> None:
        try:
            start.wait()
            for i in range(each):
                with transaction.atomic():
                    make_entries(1, object_id=f"{n}-{i}")
        except Exception as e:  # reported by the assert below
            failures.append(repr(e))
        finally:
            connections.close_all()

    workers = [threading.Thread(target=append, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    seqs = list(AuditEntry.objects.order_by("seq").values_list("seq", flat=True))
    report = verify()
    gaps = len(set(range(1, len(seqs) + 1)) - set(seqs))
    figure(
        f"\nconcurrent appends: {threads} threads x {each} = {len(seqs)} entries, "
        f"{len(failures)} failed, {gaps} gaps, verify {'OK' if report.ok else 'FAILED'}"
    )
    assert failures == []
    assert seqs == list(range(1, threads * each + 1))
    assert report.ok and report.entries == threads * each
