"""The hash chain as pure functions: the recipe, and tamper detection (T-8)."""

import hashlib
import json
import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empact.audit.chain import (
    ENTRY_FIELDS,
    ZERO_HASH,
    canonical_json,
    entry_hash,
    utc_timestamp,
    verify_chain,
)

START = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
TEXT_FIELDS = (
    "actor",
    "organisation",
    "action",
    "object_type",
    "object_id",
    "object_repr",
    "justification",
    "request_id",
)


def make_row(seq: int, prev_hash: str, rng: random.Random) -> dict:
    row = {
        "seq": seq,
        "at": START + timedelta(seconds=seq, microseconds=rng.randrange(10**6)),
        "actor": rng.choice(["alice", "bob", "cli:root", "Zoë\nforged"]),
        "actor_id": rng.choice([None, 1, 2, 3]),
        "organisation": rng.choice(["", "DE", "EL", "EUROPOL"]),
        "operation": rng.choice(["consultation", "alteration", "disclosure"]),
        "action": rng.choice(["plan.imported", "audit.exported", "login.failed"]),
        "outcome": rng.choice(["allowed", "denied"]),
        "object_type": "plans.plan",
        "object_id": str(rng.randrange(100)),
        "object_repr": "OAP 2024-2025",
        "justification": rng.choice(["", "case 2025/17", '=HYPERLINK("x")']),
        "request_id": f"{rng.getrandbits(64):016x}",
        "extra": rng.choice([{}, {"rows": 3}, {"filter": {"actor": "bob"}}]),
        "prev_hash": prev_hash,
    }
    row["hash"] = entry_hash(row)
    return row


def make_chain(length: int, seed: int) -> list[dict]:
    rng, rows, prev = random.Random(seed), [], ZERO_HASH
    for seq in range(1, length + 1):
        rows.append(make_row(seq, prev, rng))
        prev = rows[-1]["hash"]
    return rows


def rehash_from(rows: list[dict], index: int) -> None:
    """Recompute hashes from rows[index] on, as a forger with write access would."""
    prev = rows[index - 1]["hash"] if index else ZERO_HASH
    for row in rows[index:]:
        row["prev_hash"] = prev
        row["hash"] = prev = entry_hash(row)


def test_canonical_json_sorts_keys_and_writes_utc_microseconds_and_plain_utf8():
    row = make_chain(1, seed=1)[0] | {
        "at": datetime(2025, 3, 1, 9, 30, 5, 7, tzinfo=ZoneInfo("Europe/Brussels")),
        "actor": "Zoë",
        "actor_id": 7,
        "extra": {"b": 1, "a": [True, None]},
    }
    text = canonical_json(row).decode("utf-8")

    assert text.startswith('{"action":')
    assert '"at":"2025-03-01T08:30:05.000007Z"' in text
    assert '"actor":"Zoë"' in text and '"actor_id":7' in text
    assert '"extra":{"a":[true,null],"b":1}' in text
    assert '"hash"' not in text
    assert ", " not in text and ": " not in text
    assert list(json.loads(text)) == sorted(ENTRY_FIELDS)


def test_hash_is_sha256_of_prev_hash_then_canonical_json():
    first, second = make_chain(2, seed=2)
    expected = hashlib.sha256(
        second["prev_hash"].encode() + canonical_json(second)
    ).hexdigest()

    assert first["prev_hash"] == "0" * 64
    assert second["prev_hash"] == first["hash"]
    assert entry_hash(second) == second["hash"] == expected


def test_a_naive_datetime_is_refused_because_the_chain_is_in_utc():
    with pytest.raises(ValueError, match="has no time zone"):
        utc_timestamp(datetime(2025, 1, 1))


def test_an_empty_log_is_intact_with_the_zero_head():
    report = verify_chain([])
    assert report.ok
    assert (report.entries, report.head_hash) == (0, ZERO_HASH)
    assert report.summary() == "audit log: 0 entries, chain intact, head 000000000000"


def test_an_intact_chain_reports_its_count_and_head():
    rows = make_chain(60, seed=3)
    report = verify_chain(iter(rows))
    assert report.ok
    assert report.entries == 60 and report.head_seq == 60
    assert report.summary() == (
        f"audit log: 60 entries, chain intact, head {rows[-1]['hash'][:12]}"
    )


def test_each_kind_of_tampering_gets_its_own_message():
    rows = make_chain(60, seed=4)

    edited = [dict(r) for r in rows]
    edited[56]["actor"] = "mallory"
    deleted = rows[:57] + rows[58:]
    moved = [dict(r) for r in rows[:59]] + [dict(rows[59])]
    moved[58], moved[59] = dict(rows[59], seq=59), dict(rows[58], seq=60)

    assert verify_chain(edited).problem == (
        "entry 57 was changed (its hash does not match its content)"
    )
    assert verify_chain(deleted).problem == (
        "entry 58 is missing (seq jumps from 57 to 59)"
    )
    assert verify_chain(moved).problem == (
        "entry 59 is out of place (its prev_hash is not the hash of entry 58)"
    )
    assert verify_chain(rows[1:]).problem == (
        "entry 1 is missing (the log starts at entry 2)"
    )


def test_a_lost_tail_is_found_only_against_a_checkpoint():
    rows = make_chain(10, seed=5)
    head = (10, rows[-1]["hash"][:12])

    assert verify_chain(rows[:7]).ok
    report = verify_chain(rows[:7], checkpoints=[head])
    assert report.first_bad == 8
    assert report.problem == (
        "entry 8 is missing (the log ends at entry 7, a checkpoint names entry 10)"
    )


def test_a_rewritten_and_rehashed_log_is_found_only_against_a_checkpoint():
    rows = make_chain(10, seed=6)
    head = (10, rows[-1]["hash"])
    rows[3]["justification"] = "rewritten"
    rehash_from(rows, 3)

    assert verify_chain(rows).ok
    report = verify_chain(rows, checkpoints=[head])
    assert report.first_bad == 10
    assert report.problem.startswith("entry 10 is not the one checkpointed")


# T-8: every mutation is detected, and the first bad seq is the right one.

MUTATIONS = (
    "edit",
    "delete",
    "swap",
    "insert_garbage",
    "insert_forged",
    "truncate",
    "rehash_suffix",
)


def changed_value(name: str, value, rng: random.Random):
    if name in ("seq", "actor_id"):
        return (value or 0) + rng.choice([-1, 1, 2, 1000])
    if name == "at":
        return value + timedelta(microseconds=rng.choice([-1, 1, 3600 * 10**6]))
    if name == "extra":
        return {**value, "forged": True}
    if name in ("prev_hash", "hash"):
        return f"{(int(value, 16) ^ (1 << rng.randrange(256))):064x}"
    return value + rng.choice(["x", " ", "\n", "é"])


def mutate(rows: list[dict], kind: str, rng: random.Random):
    """Apply `kind` to `rows`; return (rows, checkpoints, expected first bad seq)."""
    n = len(rows)
    rows = [dict(r) for r in rows]
    if kind == "edit":
        k = rng.randint(1, n)
        name = rng.choice([*ENTRY_FIELDS, "hash"])
        rows[k - 1][name] = changed_value(name, rows[k - 1][name], rng)
        return rows, (), k
    if kind == "delete":  # not the last: that is "truncate"
        k = rng.randint(1, n - 1)
        return rows[: k - 1] + rows[k:], (), k
    if kind == "swap":  # two entries trade places (and so seq numbers)
        k, j = sorted(rng.sample(range(1, n + 1), 2))
        rows[k - 1], rows[j - 1] = dict(rows[j - 1], seq=k), dict(rows[k - 1], seq=j)
        return rows, (), k
    if kind in ("insert_garbage", "insert_forged"):
        forged = kind == "insert_forged"
        k = rng.randint(1, n if forged else n + 1)
        prev = rows[k - 2]["hash"] if k > 1 else ZERO_HASH
        row = make_row(k, prev, rng)
        if not forged:
            row["hash"] = f"{rng.getrandbits(256):064x}"
        later = [dict(r, seq=r["seq"] + 1) for r in rows[k - 1 :]]
        # A forged row with a right hash is a valid entry; the break is after it.
        return rows[: k - 1] + [row] + later, (), k + 1 if forged else k
    if kind == "truncate":
        t = rng.randint(1, n)
        return rows[: n - t], [(n, rows[-1]["hash"])], n - t + 1
    # rehash_suffix: rewrite one entry and re-hash everything after it.
    head = (n, rows[-1]["hash"])
    k = rng.randint(1, n)
    rows[k - 1]["justification"] += " (rewritten)"
    rehash_from(rows, k - 1)
    return rows, [head], n


@st.composite
def tampered_chains(draw):
    kind = draw(st.sampled_from(MUTATIONS))
    length = draw(
        st.integers(min_value=2 if kind in ("delete", "swap") else 1, max_value=200)
    )
    seed = draw(st.integers(min_value=0, max_value=2**32))
    return kind, make_chain(length, seed), random.Random(seed + 1)


def test_every_mutation_of_a_chain_is_detected_at_its_first_bad_entry(figure):
    tally = Counter()

    @settings(max_examples=400, deadline=None)
    @given(tampered_chains())
    def check(case):
        kind, rows, rng = case
        assert verify_chain(rows).ok
        mutated, checkpoints, first_bad = mutate(rows, kind, rng)
        report = verify_chain(mutated, checkpoints=checkpoints)
        tally["mutations"] += 1
        tally["detected"] += not report.ok
        tally["right seq"] += report.first_bad == first_bad
        tally[kind] += 1
        assert not report.ok, f"{kind} not detected"
        assert report.first_bad == first_bad, report.problem

    check()
    kinds = ", ".join(f"{tally[k]} {k}" for k in MUTATIONS)
    figure(
        f"\naudit chain: {tally['mutations']} mutations, {tally['detected']} "
        f"detected, first bad seq right in {tally['right seq']} ({kinds})"
    )
    assert tally["detected"] == tally["right seq"] == tally["mutations"] >= 400
    assert all(tally[k] for k in MUTATIONS)
