"""Importing, opening, keeping and erasing datasets."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied

from empact.analysis import crossmatching, selectors, services, store
from empact.analysis.models import Dataset, Hit, Release
from empact.analysis.tests.conftest import person
from empact.audit.models import AuditEntry
from empact.errors import UserError

TODAY = date(2026, 3, 1)


def test_a_file_becomes_one_dataset_with_its_provenance(jsonl, ingest):
    dataset = ingest(
        jsonl("de.jsonl", [person("p1", "Ivan Petrov"), person("p2", "Anna Berg")]),
        "DE",
        handling="H1",
        source_code="B",
        info_code=2,
    )

    assert dataset.entities == 2
    assert (dataset.handling, dataset.source_code, dataset.info_code) == ("H1", "B", 2)
    assert dataset.review_date == date(2029, 1, 10)  # 3 years after collection
    assert store.dataset_file(dataset.name).exists()
    entry = AuditEntry.objects.get(action="analysis.dataset_imported")
    assert (entry.operation, entry.justification) == (
        "collection",
        "OA 1.1 / case 2024-17",
    )


def test_importing_the_same_file_twice_changes_nothing(jsonl, ingest):
    path = jsonl("de.jsonl", [person("p1", "Ivan Petrov")])
    first = ingest(path, "DE")
    modified = store.dataset_file(first.name).stat().st_mtime_ns

    again = ingest(path, "DE")

    assert again == first
    assert Dataset.objects.count() == 1
    assert store.dataset_file(first.name).stat().st_mtime_ns == modified


def test_the_same_file_under_another_handling_code_is_refused(jsonl, ingest):
    path = jsonl("de.jsonl", [person("p1", "Ivan Petrov")])
    ingest(path, "DE")

    with pytest.raises(UserError, match="already imported .* handling code H0, not H2"):
        ingest(path, "DE", handling="H2")


def test_a_bad_file_is_refused_whole_naming_line_and_reason(jsonl, ingest, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text(
        '{"id": "p1", "schema": "Person", "properties": {"name": ["A"]}}\n'
        "not json at all\n"
        '{"id": "p3", "schema": "NoSuchSchema", "properties": {}}\n'
    )

    with pytest.raises(UserError) as refused:
        ingest(path, "DE")

    text = str(refused.value)
    assert "nothing imported" in text
    assert "line 2" in text
    assert "line 3, column 'schema'" in text
    assert Dataset.objects.count() == 0
    assert list(store.root().glob("*.parquet")) == []


def test_a_purpose_is_required(jsonl, ingest):
    with pytest.raises(UserError, match="purpose is missing"):
        ingest(jsonl("de.jsonl", [person("p1", "A")]), "DE", purpose="  ")


def test_only_analysts_import(jsonl, people, orgs):
    given = services.Contribution(
        contributor=orgs["DE"],
        handling="H0",
        purpose="case",
        collected_on=TODAY,
    )
    with pytest.raises(PermissionDenied):
        services.ingest_dataset(
            jsonl("de.jsonl", [person("p1", "A")]), given, actor=people["de_officer"]
        )
    assert Dataset.objects.count() == 0


def test_opening_an_entity_needs_a_reason_and_is_audited(jsonl, ingest, people):
    dataset = ingest(jsonl("de.jsonl", [person("p1", "Ivan Petrov")]), "DE")

    with pytest.raises(UserError, match="needs a reason"):
        selectors.entity_content(people["analyst"], dataset, "p1", why="")
    rows = selectors.entity_content(
        people["analyst"], dataset, "p1", why="OA 1.1 case 2024-17"
    )

    assert ("Person", "name", "Ivan Petrov") in rows
    entry = AuditEntry.objects.get(action="analysis.entity_opened")
    assert (entry.operation, entry.justification) == (
        "consultation",
        "OA 1.1 case 2024-17",
    )


def _matched_pair(jsonl, ingest, people, **de_fields):
    de = ingest(
        jsonl("de.jsonl", [person("de-1", "A", phone="+49 151 1234567")]),
        "DE",
        **de_fields,
    )
    nl = ingest(
        jsonl("nl.jsonl", [person("nl-1", "B", phone="+49 151 1234567")]),
        "NL",
        handling="H3",
    )
    crossmatching.run_crossmatch(actor=people["analyst"], today=TODAY)
    return de, nl


def test_erasure_at_the_review_date_removes_the_file_hits_and_releases(
    jsonl, ingest, people
):
    de, nl = _matched_pair(jsonl, ingest, people)
    services.request_release(Hit.objects.get(), actor=people["de_officer"], why="c")

    erased = services.erase_due(today=date(2029, 1, 11))

    assert {d.name for d in erased} == {de.name, nl.name}
    assert not store.dataset_file(de.name).exists()
    assert Hit.objects.count() == 0
    assert Release.objects.count() == 0
    entries = AuditEntry.objects.filter(action="analysis.dataset_erased")
    assert {e.operation for e in entries} == {"erasure"}
    assert entries.count() == 2


def test_a_dataset_kept_by_the_dpo_is_not_erased(jsonl, ingest, people):
    de, _nl = _matched_pair(jsonl, ingest, people)

    services.keep_dataset(
        de,
        actor=people["dpo"],
        until=date(2030, 1, 1),
        reason="trial pending",
        today=date(2029, 1, 1),
    )
    erased = services.erase_due(today=date(2029, 1, 11))

    assert de.name not in {d.name for d in erased}
    assert store.dataset_file(de.name).exists()


def test_keeping_needs_the_dpo_and_a_reason(jsonl, ingest, people):
    de, _nl = _matched_pair(jsonl, ingest, people)

    with pytest.raises(PermissionDenied):
        services.keep_dataset(
            de, actor=people["analyst"], until=date(2030, 1, 1), reason="x", today=TODAY
        )
    with pytest.raises(UserError, match="needs a reason"):
        services.keep_dataset(
            de, actor=people["dpo"], until=date(2030, 1, 1), reason="", today=TODAY
        )


def test_the_dpo_sees_what_is_due(jsonl, ingest, people):
    old = ingest(
        jsonl("old.jsonl", [person("p1", "A")]), "DE", collected_on=date(2023, 3, 10)
    )
    ingest(jsonl("new.jsonl", [person("p2", "B")]), "DE")

    due = selectors.retention_due(people["dpo"], today=TODAY)

    assert due == [old]
