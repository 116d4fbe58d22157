"""`empact audit verify` on a real database, tampered with past its triggers."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from empact.audit.tests.factories import make_entries, tamper

pytestmark = pytest.mark.django_db


def audit(*args) -> str:
    out = StringIO()
    call_command("audit", *args, stdout=out)
    return out.getvalue().strip()


def test_verify_reports_an_intact_chain_with_its_count_and_head():
    entries = make_entries(5)
    assert audit("verify") == (
        f"audit log: 5 entries, chain intact, head {entries[-1].hash[:12]}"
    )


def test_verify_of_an_empty_log_is_intact():
    assert audit("verify") == "audit log: 0 entries, chain intact, head 000000000000"


@pytest.mark.parametrize(
    "sql, message",
    [
        (
            "UPDATE audit_auditentry SET actor = 'mallory' WHERE seq = 3",
            "entry 3 was changed (its hash does not match its content)",
        ),
        (
            "UPDATE audit_auditentry SET extra = '{\"rows\": 4}' WHERE seq = 3",
            "entry 3 was changed (its hash does not match its content)",
        ),
        (
            "DELETE FROM audit_auditentry WHERE seq = 3",
            "entry 3 is missing (seq jumps from 2 to 4)",
        ),
        (
            # entries 3 and 4 trade places
            "UPDATE audit_auditentry SET seq = 0 WHERE seq = 3;"
            " UPDATE audit_auditentry SET seq = 3 WHERE seq = 4;"
            " UPDATE audit_auditentry SET seq = 4 WHERE seq = 0",
            "entry 3 is out of place (its prev_hash is not the hash of entry 2)",
        ),
    ],
    ids=["edit", "edit-json", "delete", "reorder"],
)
def test_verify_exits_1_naming_the_first_tampered_entry(sql, message):
    make_entries(6, extra={"rows": 3})
    for statement in sql.split(";"):
        tamper(statement)

    with pytest.raises(CommandError) as caught:
        audit("verify")
    assert str(caught.value) == message
    assert caught.value.returncode == 1


def test_verify_finds_a_lost_tail_against_a_head_noted_earlier():
    entries = make_entries(6)
    noted = f"6:{entries[-1].hash[:12]}"
    assert audit("verify", "--expect", noted).startswith("audit log: 6 entries")
    tamper("DELETE FROM audit_auditentry WHERE seq >= 5")

    assert audit("verify").startswith("audit log: 4 entries, chain intact")
    with pytest.raises(CommandError) as caught:
        audit("verify", "--expect", noted)
    assert str(caught.value) == (
        "entry 5 is missing (the log ends at entry 4, a checkpoint names entry 6)"
    )


def test_verify_reads_the_log_in_chunks_across_their_boundaries():
    from empact.audit.verify import verify

    entries = make_entries(7)
    assert verify(chunk_size=3).summary() == verify(chunk_size=100).summary()
    tamper("DELETE FROM audit_auditentry WHERE seq = 4")  # first of a chunk
    assert verify(chunk_size=3).problem == "entry 4 is missing (seq jumps from 3 to 5)"
    assert entries[3].seq == 4


def test_the_command_needs_a_verb():
    with pytest.raises(CommandError, match="the following arguments are required"):
        audit()
