"""Checking the audit log in the database: walk the chain, chunk by chunk."""

from collections.abc import Iterable, Iterator

from empact.audit.chain import ENTRY_FIELDS, ChainReport, verify_chain
from empact.audit.models import AuditEntry


def verify(
    *, checkpoints: Iterable[tuple[int, str]] = (), chunk_size: int = 2000
) -> ChainReport:
    """Recompute every hash in seq order and report the first bad entry, if any.

    Reads `chunk_size` entries at a time, so memory does not grow with the log.
    Only reads: it also works on a read-only copy, such as a restored backup.
    """
    return verify_chain(entries_in_seq_order(chunk_size), checkpoints=checkpoints)


def entries_in_seq_order(chunk_size: int = 2000) -> Iterator[dict]:
    """Every entry as a dict of ENTRY_FIELDS and hash, in seq order."""
    last = 0
    while True:
        chunk = list(
            AuditEntry.objects.filter(seq__gt=last)
            .order_by("seq")
            .values(*ENTRY_FIELDS, "hash")[:chunk_size]
        )
        yield from chunk
        if len(chunk) < chunk_size:
            return
        last = chunk[-1]["seq"]
