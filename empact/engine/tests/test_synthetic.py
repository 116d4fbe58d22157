import csv
import json
import tracemalloc
from collections import Counter, defaultdict

import pytest

from empact.engine.synthetic import PERSON_CSV_COLUMNS, generate, iban_with_check


def _files(folder):
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _truth(folder):
    with open(folder / "truth.csv", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _entities(folder):
    for path in sorted(folder.glob("C*/entities.ftm.json")):
        with open(path, encoding="utf-8") as f:
            for line in f:
                yield json.loads(line)


def test_the_same_seed_writes_the_same_bytes(tmp_path):
    generate(800, 5, seed=7, out_dir=tmp_path / "a")
    generate(800, 5, seed=7, out_dir=tmp_path / "b")
    generate(800, 5, seed=8, out_dir=tmp_path / "c")
    a, b, c = (_files(tmp_path / x) for x in "abc")
    assert a == b
    assert a.keys() == c.keys() and a != c


def test_counts_and_truth_agree_with_the_files(tmp_path):
    summary = generate(2000, 6, seed=1, out_dir=tmp_path)
    truth = _truth(tmp_path)
    entities = list(_entities(tmp_path))
    assert summary.persons == 2000
    assert len(truth) == len(entities) == summary.entities
    assert {t["entity_id"] for t in truth} == {e["id"] for e in entities}
    assert Counter(e["schema"] for e in entities) == Counter(summary.by_schema)
    # Every relationship and document points at a person the same contributor holds.
    ids = {e["id"] for e in entities}
    for e in entities:
        for prop in ("holder", "owner", "person", "associate", "relative", "asset"):
            for target in e["properties"].get(prop, []):
                assert target in ids and target[:3] == e["id"][:3]
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert manifest["persons"] == 2000 and manifest["contributors"] == 6


def test_duplicates_are_across_contributors_and_counted(tmp_path):
    summary = generate(3000, 8, seed=2, out_dir=tmp_path)
    clusters = defaultdict(list)
    for row in _truth(tmp_path):
        if row["schema"] == "Person":
            clusters[row["cluster_id"]].append(row["contributor"])
    assert len(clusters) == summary.individuals
    assert all(len(set(c)) == len(c) for c in clusters.values())
    pairs = sum(len(c) * (len(c) - 1) // 2 for c in clusters.values())
    assert pairs == summary.true_pairs
    assert 2.0 < summary.persons / summary.individuals < 3.0


def test_planted_variations_are_there(tmp_path):
    generate(6000, 10, seed=3, out_dir=tmp_path)
    persons = [e for e in _entities(tmp_path) if e["schema"] == "Person"]
    names = [p["properties"]["lastName"][0] for p in persons]
    assert any("\u0400" <= ch <= "\u04ff" for n in names for ch in n)  # Cyrillic
    assert any("\u0600" <= ch <= "\u06ff" for n in names for ch in n)  # Arabic
    dates = Counter(len(p["properties"].get("birthDate", [""])[0]) for p in persons)
    assert dates[10] > dates[7] > 0 and dates[4] > 0 and dates[0] > 0
    # Hot phones: a handful of numbers carried by many unrelated records.
    digits = Counter(
        "".join(ch for ch in phone if ch.isdigit())[-8:]
        for p in persons
        for phone in p["properties"].get("phone", [])
    )
    assert digits.most_common(1)[0][1] >= 10


def test_persons_csv_has_one_row_per_person(tmp_path):
    summary = generate(500, 3, seed=4, out_dir=tmp_path)
    rows = []
    for path in sorted(tmp_path.glob("C*/persons.csv")):
        with open(path, encoding="utf-8") as f:
            reader = csv.DictReader(f)
            assert tuple(reader.fieldnames) == PERSON_CSV_COLUMNS
            rows += list(reader)
    assert len(rows) == summary.persons


def test_planted_ibans_have_valid_check_digits():
    from schwifty import IBAN

    assert IBAN(iban_with_check("DE", "370400440532013000")).validate()


def test_memory_does_not_grow_with_the_number_of_rows(tmp_path):
    def peak(n):
        tracemalloc.start()
        generate(n, 5, seed=1, out_dir=tmp_path / str(n))
        _, top = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return top

    small, large = peak(500), peak(3000)
    assert large < 1.5 * small, (small, large)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError):
        generate(10, 1, seed=1, out_dir=tmp_path)


def test_the_persons_csv_imports_with_its_mapping(tmp_path):
    import datetime as dt

    import duckdb

    from empact.engine.ingest import ingest
    from empact.engine.mapping import load_mapping
    from empact.engine.tables import Provenance, register

    generate(300, 2, seed=6, out_dir=tmp_path)
    mapping = load_mapping(tmp_path / "persons.mapping.yml")
    provenance = Provenance(contributor="C01", dataset="c01", collected=dt.date.today())
    ingest(
        tmp_path / "C01" / "persons.csv",
        provenance=provenance,
        out_dir=tmp_path / "st",
        mapping=mapping,
    )
    con = duckdb.connect()
    register(con, tmp_path / "st")
    schemata = dict(
        con.execute("SELECT schema, count(*) FROM entities GROUP BY 1").fetchall()
    )
    with open(tmp_path / "C01" / "persons.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert schemata["Person"] == len(rows)
    assert schemata["Passport"] == len(
        {
            (r["passport_country"], r["passport_number"])
            for r in rows
            if r["passport_number"]
        }
    )
    assert schemata["Ownership"] == sum(1 for r in rows if r["iban"])
