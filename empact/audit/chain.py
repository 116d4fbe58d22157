"""The hash chain, as pure functions over plain rows (no ORM, no settings, no clock).

An entry's hash is ``sha256(prev_hash + canonical_json(entry))`` where the entry is
every field of ENTRY_FIELDS (so not ``hash`` itself) and canonical JSON means: keys
sorted, separators ``(",", ":")``, UTF-8 (no ASCII escaping), datetimes as ISO-8601
UTC strings with microseconds (``2024-05-01T09:30:00.000000Z``), integers as
integers. The first entry's prev_hash is 64 zeros. Anyone can recompute a hash with
the standard library alone; `entry_hash` is the whole recipe.

Changing ENTRY_FIELDS changes every hash: add a format version to the entry first.
"""

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

ZERO_HASH = "0" * 64
ENTRY_FIELDS = (
    "seq",
    "at",
    "actor",
    "actor_id",
    "organisation",
    "operation",
    "action",
    "outcome",
    "object_type",
    "object_id",
    "object_repr",
    "justification",
    "request_id",
    "extra",
    "prev_hash",
)


def utc_timestamp(value: datetime) -> str:
    """`value` as the chain writes it: ISO-8601, UTC, microseconds, a final Z."""
    if value.tzinfo is None:
        raise ValueError(f"{value!r} has no time zone; the chain needs UTC instants")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _plain(value):
    if isinstance(value, datetime):
        return utc_timestamp(value)
    raise TypeError(f"{type(value).__name__} is not allowed in an audit entry")


def canonical_json(entry: Mapping) -> bytes:
    """The bytes that are hashed: ENTRY_FIELDS of `entry` as canonical JSON."""
    fields = {name: entry[name] for name in ENTRY_FIELDS}
    text = json.dumps(
        fields,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_plain,
    )
    return text.encode("utf-8")


def entry_hash(entry: Mapping) -> str:
    """The hash `entry` must carry, given its content and its prev_hash."""
    digest = hashlib.sha256(entry["prev_hash"].encode("ascii"))
    digest.update(canonical_json(entry))
    return digest.hexdigest()


@dataclass(frozen=True)
class ChainReport:
    """What a walk along the chain found: all good, or the first bad entry."""

    entries: int
    head_seq: int
    head_hash: str
    first_bad: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.first_bad is None

    def summary(self) -> str:
        if not self.ok:
            return self.problem
        return (
            f"audit log: {self.entries} entries, chain intact, "
            f"head {self.head_hash[:12]}"
        )


def verify_chain(
    rows: Iterable[Mapping], *, checkpoints: Iterable[tuple[int, str]] = ()
) -> ChainReport:
    """Walk `rows` (in seq order) and name the first entry that breaks the chain.

    A checkpoint ``(seq, hash)`` is a head someone noted down earlier (the hash may
    be a prefix of at least 12 characters): it catches what a chain alone cannot,
    the loss of its tail and a suffix rewritten with fresh hashes.
    """
    expected_at = {seq: prefix.lower() for seq, prefix in checkpoints}
    seq, prev_hash, count = 0, ZERO_HASH, 0
    for row in rows:
        problem = _problem_with(row, seq, prev_hash, expected_at)
        if problem:
            return ChainReport(count, seq, prev_hash, *problem)
        seq, prev_hash, count = row["seq"], row["hash"], count + 1
    beyond = [s for s in expected_at if s > seq]
    if beyond:
        missing = seq + 1
        problem = (
            f"entry {missing} is missing (the log ends at entry {seq}, "
            f"a checkpoint names entry {min(beyond)})"
        )
        return ChainReport(count, seq, prev_hash, missing, problem)
    return ChainReport(count, seq, prev_hash)


def _problem_with(
    row: Mapping, prev_seq: int, prev_hash: str, expected_at: dict[int, str]
) -> tuple[int, str] | None:
    """(seq, message) for the first thing wrong with `row`, which follows `prev_seq`."""
    seq, want = row["seq"], prev_seq + 1
    if seq > want and prev_seq == 0:
        return want, f"entry {want} is missing (the log starts at entry {seq})"
    if seq > want:
        return want, f"entry {want} is missing (seq jumps from {prev_seq} to {seq})"
    if seq < want:
        return want, f"entry {want} is out of place (seq {seq} comes after {prev_seq})"
    if row["prev_hash"] != prev_hash:
        if prev_seq == 0:
            return seq, f"entry {seq} is out of place (its prev_hash is not 64 zeros)"
        return seq, (
            f"entry {seq} is out of place "
            f"(its prev_hash is not the hash of entry {prev_seq})"
        )
    if entry_hash(row) != row["hash"]:
        return seq, f"entry {seq} was changed (its hash does not match its content)"
    if seq in expected_at and not row["hash"].startswith(expected_at[seq]):
        return seq, (
            f"entry {seq} is not the one checkpointed (its hash starts "
            f"{row['hash'][:12]}, the checkpoint says {expected_at[seq][:12]}): "
            "the log was rewritten up to here"
        )
    return None
