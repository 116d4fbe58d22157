"""An import killed between publishing its file and committing its record (T-18):
the file is adopted when the import runs again, and retention removes what is
still there a day later. tests/test_crash_consistency.py kills real imports."""

import os
from datetime import date, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from empact import engine
from empact.analysis import services, store
from empact.analysis.models import Dataset
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry
from empact.engine.ingest import file_sha256
from empact.errors import UserError

COLLECTED = date(2026, 1, 10)


def given_by(orgs, code="DE"):
    return services.Contribution(
        contributor=orgs[code], handling="H1", purpose="OA 1.1", collected_on=COLLECTED
    )


def published_without_record(path, given):
    """What a killed import leaves: its file, published by the engine, no row."""
    name = f"{given.contributor.code.lower()}-{file_sha256(path)[:16]}"
    provenance = services._provenance(given, name)
    engine.ingest(path, provenance=provenance, out_dir=store.root())
    return store.dataset_file(name)


def age(path, days):
    then = (timezone.now() - timedelta(days=days)).timestamp()
    for p in [path, *path.rglob("*")] if path.is_dir() else [path]:
        os.utime(p, (then, then))


def test_running_the_import_again_adopts_the_file_it_left(jsonl, people, orgs):
    path = jsonl("de.jsonl", [person("de-1", "Ivan Petrov"), person("de-2", "Olga")])
    left = published_without_record(path, given_by(orgs))
    inode = left.stat().st_ino
    age(left, 2)

    dataset, created = services.ingest_dataset(
        path, given_by(orgs), actor=people["analyst"]
    )

    assert created and (dataset.name, dataset.entities) == (left.stem, 2)
    assert left.stat().st_ino == inode  # the same file, not written again
    assert left.stat().st_mtime > timezone.now().timestamp() - 60  # touched
    assert AuditEntry.objects.filter(
        action="analysis.dataset_imported", object_id=str(dataset.pk)
    ).exists()


def test_retention_removes_leftovers_a_day_old_and_keeps_the_rest(jsonl, ingest, orgs):
    live = ingest(jsonl("de.jsonl", [person("de-1", "A")]), "DE")
    orphan = published_without_record(
        jsonl("nl.jsonl", [person("nl-1", "B")]), given_by(orgs, "NL")
    )
    staging = store.root() / ".ingest-killed"
    staging.mkdir()
    (staging / "staged.parquet").write_bytes(b"PAR1 torn")
    young = published_without_record(
        jsonl("nl2.jsonl", [person("nl-2", "C")]), given_by(orgs, "NL")
    )
    for path in (store.dataset_file(live.name), orphan, staging):
        age(path, 2)
    out = StringIO()

    call_command("analysis", "retention", "--apply", stdout=out)

    assert sorted(p.name for p in store.root().iterdir()) == sorted(
        [f"{live.name}.parquet", young.name]
    )
    assert "2 leftover(s) of interrupted imports removed" in out.getvalue()
    entry = AuditEntry.objects.get(action="analysis.leftovers_removed")
    assert (entry.operation, entry.actor) == ("erasure", "cli:retention")
    assert sorted(entry.extra["files"]) == sorted([orphan.name, staging.name])
    assert Dataset.objects.get().name == live.name


def test_the_file_of_an_erased_dataset_goes_at_the_next_run_whatever_its_age(
    jsonl, ingest, orgs
):
    path = jsonl("de.jsonl", [person("de-1", "A")])
    dataset = ingest(path, "DE")
    services.erase_dataset(dataset, actor_name="test", why="provider's request")
    # What an erasure killed after its commit, before removing the file, leaves.
    published_without_record(path, given_by(orgs))

    removed = services.remove_leftovers(now=timezone.now(), actor_name="test")

    assert removed == [f"{dataset.name}.parquet"]
    assert list(store.root().iterdir()) == []


def test_an_import_racing_another_of_the_same_file_leaves_it_the_file(
    jsonl, people, orgs, monkeypatch
):
    path = jsonl("de.jsonl", [person("de-1", "A")])
    real = services.ingest

    def other_run_commits_first(*args, **kwargs):
        result = real(*args, **kwargs)
        Dataset.objects.create(
            name=result.dataset,
            contributor=orgs["DE"],
            sha256=file_sha256(path),
            handling="H1",
            collected_on=COLLECTED,
            review_date=COLLECTED + timedelta(days=1000),
        )
        return result

    monkeypatch.setattr(services, "ingest", other_run_commits_first)

    with pytest.raises(UserError, match="imported meanwhile as de-"):
        services.ingest_dataset(path, given_by(orgs), actor=people["analyst"])
    assert store.dataset_file(Dataset.objects.get().name).exists()
