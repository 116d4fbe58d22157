"""`empact analysis ingest|crossmatch|retention` and `empact demo entities`."""

import csv
from datetime import date
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from empact.analysis.models import Dataset
from empact.analysis.tests.conftest import person


def empact(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_ingest_then_crossmatch_writes_the_pairs(jsonl, people, tmp_path):
    de = jsonl("de.jsonl", [person("de-1", "Ivan Petrov", phone="+49 151 12345678")])
    nl = jsonl("nl.jsonl", [person("nl-1", "I. Petrov", phone="+4915112345678")])
    for path, code in ((de, "DE"), (nl, "nl")):
        said = empact(
            "analysis", "ingest", str(path), "--contributor", code,
            "--handling", "H1", "--purpose", "OA 1.1", "--as", "analyst",
        )  # fmt: skip
        assert "imported; 1 entities" in said
    pairs = tmp_path / "pairs.csv"

    said = empact(
        "analysis", "crossmatch", "--deterministic-only", "--out", str(pairs),
        "--as", "analyst",
    )  # fmt: skip

    assert "2 datasets, 1 pairs" in said
    rows = list(csv.reader(pairs.open()))
    assert rows == [
        ["left_id", "right_id", "score", "reason"],
        ["de-1", "nl-1", "1.0000", "phone:+4915112345678"],
    ]


def test_pairs_that_cannot_be_written_whole_leave_the_previous_file(
    jsonl, people, tmp_path, monkeypatch
):
    for code in ("DE", "NL"):
        path = jsonl(
            f"{code}.jsonl", [person(f"{code}-1", "Ivan", phone="+4915112345678")]
        )
        empact(
            "analysis", "ingest", str(path), "--contributor", code,
            "--handling", "H1", "--purpose", "OA 1.1", "--as", "analyst",
        )  # fmt: skip
    pairs = tmp_path / "out" / "pairs.csv"
    pairs.parent.mkdir()
    pairs.write_text("the previous pairs\n")

    def full_disk(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("empact.files.os.fsync", full_disk)
    with pytest.raises(CommandError, match="No space left on device"):
        empact(
            "analysis", "crossmatch", "--deterministic-only", "--out", str(pairs),
            "--as", "analyst",
        )  # fmt: skip

    assert pairs.read_text() == "the previous pairs\n"
    assert [p.name for p in pairs.parent.iterdir()] == ["pairs.csv"]


def test_a_second_ingest_of_the_same_file_says_so(jsonl, people):
    path = jsonl("de.jsonl", [person("de-1", "A")])
    args = ["analysis", "ingest", str(path), "--contributor", "DE"]
    args += ["--handling", "H0", "--purpose", "case 1", "--as", "analyst"]
    empact(*args)

    assert "already imported, unchanged" in empact(*args)
    assert Dataset.objects.count() == 1


def test_refusals_are_one_clear_line(jsonl, people):
    path = jsonl("de.jsonl", [person("de-1", "A")])
    args = ["analysis", "ingest", str(path), "--handling", "H0", "--purpose", "c"]

    with pytest.raises(CommandError, match="--contributor ZZ: no organisation"):
        empact(*args, "--contributor", "ZZ", "--as", "analyst")
    with pytest.raises(CommandError, match="de_officer may not do this"):
        empact(*args, "--contributor", "DE", "--as", "de_officer")


def test_retention_lists_then_erases_what_is_due(jsonl, people):
    path = jsonl("de.jsonl", [person("de-1", "A")])
    empact(
        "analysis", "ingest", str(path), "--contributor", "DE", "--handling", "H0",
        "--purpose", "c", "--collected", "2020-01-01", "--as", "analyst",
    )  # fmt: skip

    listed = empact("analysis", "retention")
    erased = empact("analysis", "retention", "--apply")

    assert "review date 2023-01-01 has passed" in listed
    assert "1 dataset(s) erased" in erased
    assert Dataset.objects.get().erased_at.date() <= date.today()


def test_demo_entities_writes_datasets_and_a_ground_truth(tmp_path):
    said = empact(
        "demo", "entities", "--n", "200", "--contributors", "4", "--seed", "3",
        "--out", str(tmp_path / "gen"),
    )  # fmt: skip

    assert "SYNTHETIC DEMO DATA" in said
    assert (tmp_path / "gen" / "truth.csv").exists()
    assert len(list((tmp_path / "gen").glob("C*/entities.ftm.json"))) == 4
