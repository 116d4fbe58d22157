import datetime as dt

import duckdb
import pyarrow as pa
import pytest

from empact.engine.tables import (
    ID_SEPARATOR,
    STATEMENTS,
    Provenance,
    default_review_date,
    file_metadata,
    most_restrictive,
    read_statements,
    register,
    statement_file,
    write_statements,
)


def make_rows(**overrides):
    row = {
        "id": "s1",
        "entity_id": "e1",
        "schema": "Person",
        "prop": "phone",
        "prop_type": "phone",
        "value": "+4915112345678",
        "original_value": "0151 1234 5678",
        "lang": None,
        "kind": "phone",
        "key": "+4915112345678",
        "flags": [],
        "dataset": "de-1",
        "dataset_version": "abc",
        "contributor": "DE",
        "collected": dt.date(2026, 1, 2),
        "handling": "H2",
        "source_code": "B",
        "info_code": 2,
        "review_date": dt.date(2029, 1, 2),
        "role": "suspect",
        "origin": "people.csv",
        "line": 2,
    }
    row.update(overrides)
    return pa.Table.from_pylist([row], schema=STATEMENTS)


def test_written_statements_read_back_with_their_metadata(tmp_path):
    path = tmp_path / "de-1.parquet"
    rows = write_statements(path, [make_rows()], metadata={"dataset_version": "abc"})
    assert rows == 1
    assert read_statements(path).to_pylist() == make_rows().to_pylist()
    assert file_metadata(path) == {"dataset_version": "abc"}


def test_a_failed_write_leaves_no_file_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "de-1.parquet"
    write_statements(path, [make_rows()])
    with pytest.raises(RuntimeError), statement_file(path) as out:
        out.write(make_rows(id="s2"))
        raise RuntimeError("disk went away")
    assert read_statements(path).column("id").to_pylist() == ["s1"]
    assert [p.name for p in tmp_path.iterdir()] == ["de-1.parquet"]


def test_registered_views_list_identifiers_and_entities(tmp_path):
    id_row = make_rows(
        id="s0", prop="id", prop_type="id", value="e1", kind=None, key=None
    )
    name = make_rows(id="s2", prop="name", prop_type="name", value="Ann", kind="name")
    write_statements(tmp_path / "a.parquet", [id_row, make_rows(), name])
    con = duckdb.connect()
    register(con, tmp_path)
    idents = con.sql(
        "SELECT entity_id, kind, key, handling FROM identifiers"
    ).fetchall()
    assert idents == [("e1", "phone", "+4915112345678", "H2")]
    assert con.sql("SELECT entity_id, schema FROM entities").fetchall() == [
        ("e1", "Person")
    ]


def test_an_arrow_table_registers_under_another_name():
    con = duckdb.connect()
    register(con, make_rows(), name="incoming")
    assert con.execute("SELECT count(*) FROM incoming_identifiers").fetchone() == (1,)
    with pytest.raises(ValueError, match="not a plain SQL name"):
        register(con, make_rows(), name="x; DROP TABLE y")


def test_qualified_ids_tell_apart_entities_whose_ids_repeat(tmp_path):
    """Two datasets each with an entity e1 are two entities once qualified."""
    write_statements(tmp_path / "a.parquet", [make_rows()])
    write_statements(tmp_path / "b.parquet", [make_rows(id="s9", dataset="nl-1")])
    con = duckdb.connect()
    register(con, tmp_path, qualified_ids=True)
    ids = con.sql("SELECT entity_id FROM identifiers ORDER BY 1").fetchall()
    assert ids == [(f"de-1{ID_SEPARATOR}e1",), (f"nl-1{ID_SEPARATOR}e1",)]


def test_provenance_defaults_review_three_years_after_collection():
    p = Provenance(contributor="DE", dataset="d", collected=dt.date(2024, 2, 29))
    assert p.review_date == dt.date(2027, 2, 28)
    assert default_review_date(dt.date(2025, 6, 1)) == dt.date(2028, 6, 1)


def test_provenance_names_every_wrong_code():
    with pytest.raises(ValueError) as caught:
        Provenance("DE", "d", dt.date(2025, 1, 1), handling="H4", info_code=7)
    assert str(caught.value) == (
        "handling 'H4' is not one of H0, H1, H2, H3; "
        "information code 7 is not one of 1, 2, 3, 4"
    )


def test_the_strictest_handling_code_wins():
    assert most_restrictive(["H0", "H2", "H1"]) == "H2"
    with pytest.raises(ValueError):
        most_restrictive([])


@pytest.mark.parametrize("name", ["", "../etc/passwd", ".hidden", "a/b", "x" * 129])
def test_a_dataset_name_cannot_leave_its_folder(name):
    with pytest.raises(ValueError, match="names a file"):
        Provenance("DE", name, dt.date(2025, 1, 1))
