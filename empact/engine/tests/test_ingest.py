import datetime as dt
import shutil
from pathlib import Path

import duckdb
import openpyxl
import pytest

from empact.engine.errors import InputError, InputRejected
from empact.engine.ingest import ingest, remove_leftovers
from empact.engine.mapping import load_mapping
from empact.engine.tables import Provenance, read_statements, register

DATA = Path(__file__).parent / "data"
MAPPING = load_mapping(DATA / "people.yaml")


def make_provenance(**overrides):
    values = {
        "contributor": "DE",
        "dataset": "de-people",
        "collected": dt.date(2026, 3, 1),
        "handling": "H2",
        "source_code": "B",
        "info_code": 2,
    }
    values.update(overrides)
    return Provenance(**values)


def query(out_dir, sql):
    con = duckdb.connect()
    register(con, out_dir)
    return con.execute(sql).fetchall()


def test_a_csv_file_becomes_statements_with_provenance(tmp_path):
    result = ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    assert (result.entities, result.unchanged) == (7, False)
    rows = read_statements(result.path).to_pylist()
    assert {r["contributor"] for r in rows} == {"DE"}
    assert {r["handling"] for r in rows} == {"H2"}
    assert {(r["source_code"], r["info_code"]) for r in rows} == {("B", 2)}
    assert {r["review_date"] for r in rows} == {dt.date(2029, 3, 1)}
    assert {r["dataset_version"] for r in rows} == {result.dataset_version}
    assert {r["origin"] for r in rows} == {"people.csv"}


def test_identifiers_are_normalised_and_doubtful_ones_flagged(tmp_path):
    ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    found = query(
        tmp_path,
        "SELECT kind, key, flags FROM identifiers ORDER BY kind, key",
    )
    assert found == [
        ("document", "DE:C01X00T47", []),
        # Its MRZ was altered: the birth date no longer matches its check digit.
        ("document", "SE:L898902C3", ["mrz_check_failed"]),
        ("iban", "DE89370400440532013000", []),
        ("iban", "DE89370400440532013001", ["invalid_iban"]),
        ("phone", "+4915112345678", []),
        ("phone", "+49301234567", []),
        ("phone", "+79123456789", []),
    ]


def test_a_row_role_reaches_the_entities_of_its_row(tmp_path):
    ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    roles = query(
        tmp_path,
        """SELECT e.schema, e.role FROM entities e
        JOIN statements s ON s.entity_id = e.entity_id AND s.prop IN ('name', 'iban')
        ORDER BY s.value""",
    )
    assert roles == [
        ("Person", "witness"),  # Anna Maria Eriksson
        ("BankAccount", "suspect"),
        ("BankAccount", "victim"),
        ("Person", "suspect"),  # Erika Mustermann
        ("Person", "victim"),  # Ivan Petrov
    ]


def test_entities_link_by_their_hashed_ids(tmp_path):
    ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    holders = query(
        tmp_path,
        """SELECT n.value FROM statements h
        JOIN statements n ON n.entity_id = h.value AND n.prop = 'name'
        WHERE h.prop = 'holder' ORDER BY 1""",
    )
    assert holders == [("Anna Maria Eriksson",), ("Erika Mustermann",)]


def test_ftm_json_lines_keep_their_entity_ids(tmp_path):
    result = ingest(
        DATA / "people.ftm.jsonl",
        provenance=make_provenance(dataset="de-ftm"),
        out_dir=tmp_path,
    )
    assert result.entities == 3
    found = query(tmp_path, "SELECT entity_id, kind, key FROM identifiers ORDER BY 1")
    assert found == [
        ("de-a-1", "iban", "DE89370400440532013000"),
        ("de-p-1", "phone", "+4915112345678"),
        ("de-pp-1", "document", "DE:C01X00T47"),
    ]


def test_importing_the_same_file_twice_changes_nothing(tmp_path):
    first = ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    before = first.path.read_bytes()
    copy = tmp_path / "again" / "people.csv"
    copy.parent.mkdir()
    shutil.copy(DATA / "people.csv", copy)
    second = ingest(
        copy, provenance=make_provenance(), out_dir=tmp_path, mapping=MAPPING
    )
    assert second.unchanged
    assert (second.entities, second.statements) == (first.entities, first.statements)
    assert first.path.read_bytes() == before


def test_the_same_data_gives_the_same_statement_ids_in_another_run(tmp_path):
    a = ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path / "a",
        mapping=MAPPING,
    )
    b = ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path / "b",
        mapping=MAPPING,
    )
    assert read_statements(a.path).column("id") == read_statements(b.path).column("id")


def test_a_rejected_file_leaves_the_previous_import_untouched(tmp_path):
    good = ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    before = good.path.read_bytes()
    bad = tmp_path / "people.csv"
    text = (DATA / "people.csv").read_text().replace("1980-05", "May 1980")
    bad.write_text(text)
    with pytest.raises(InputRejected):
        ingest(bad, provenance=make_provenance(), out_dir=tmp_path, mapping=MAPPING)
    assert good.path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "de-people.parquet",
        "people.csv",
    ]


def write_csv(tmp_path, lines, name="rows.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


HEADER = (
    "person_id,full_name,dob,phone,mobile,nationality,role,"
    "passport_no,passport_country,passport_mrz,iban,remarks"
)


def rejection(path, mapping=MAPPING, **kwargs):
    with pytest.raises(InputRejected) as caught:
        ingest(
            path,
            provenance=make_provenance(),
            out_dir=path.parent / "out",
            mapping=mapping,
        )
    assert not (path.parent / "out" / "de-people.parquet").exists()
    return [(e.line, e.column, e.reason) for e in caught.value.errors]


def test_every_bad_row_is_reported_with_line_column_and_reason(tmp_path):
    path = write_csv(
        tmp_path,
        [
            HEADER,
            "p1,Ann,1980-02-30,,,de,suspect,,,,,",
            "p2,Bob,,,,Atlantis,boss,,,,,",
            ",Carl,,,,,,,,,,",
            "p4,Dora,,,,,,X1,,,,,extra",
            "p5,Emil,,,,,,,,NOT AN MRZ,,",
        ],
    )
    assert rejection(path) == [
        (2, "dob", "'1980-02-30' is not a valid date for Person.birthDate"),
        (3, "nationality", "'Atlantis' is not a valid country for Person.nationality"),
        (3, "role", "'boss' is not a role; use one of suspect, victim, witness, other"),
        (4, "person_id", "values for person (Person) but no key"),
        (5, None, "13 fields where the header has 12"),
        (
            6,
            "passport_no, passport_country",
            "values for passport (Passport) but no key",
        ),
    ]


def test_missing_and_unmapped_columns_are_named(tmp_path):
    path = write_csv(tmp_path, ["person_id,full_name,nickname", "p1,Ann,Annie"])
    errors = rejection(path)
    assert (1, "dob", "missing: the mapping reads this column") in errors
    assert (
        1,
        "nickname",
        "not in the mapping; map it, or list it under 'ignore:'",
    ) in errors


def test_a_file_that_is_not_utf8_is_rejected_at_its_line(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes((HEADER + "\np1,Jos\xe9,,,,,,,,,,\n").encode("latin-1"))
    assert rejection(path) == [
        (2, None, "not UTF-8 text (byte 0xe9); save it as UTF-8 (in Excel: CSV UTF-8)")
    ]


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "the file is empty"),
        (
            b"\xff\xfep\x00",
            "the file is UTF-16 text; save it as UTF-8 (in Excel: CSV UTF-8)",
        ),
        (
            b"PK\x03\x04rest",
            "this is a ZIP/XLSX file, not text; give it the .xlsx extension",
        ),
    ],
)
def test_empty_and_wrongly_encoded_files_are_rejected(tmp_path, content, reason):
    path = tmp_path / "odd.csv"
    path.write_bytes(content)
    assert rejection(path) == [(None, None, reason)]


def test_a_header_without_rows_is_rejected(tmp_path):
    assert rejection(write_csv(tmp_path, [HEADER])) == [
        (2, None, "no rows after the header")
    ]


def test_a_huge_field_is_rejected(tmp_path):
    path = write_csv(tmp_path, [HEADER, "p1," + "A" * 70_000 + ",,,,,,,,,,"])
    assert rejection(path) == [
        (2, "full_name", "70000 characters, more than the 65536 allowed in a cell")
    ]


def test_a_csv_file_needs_a_mapping(tmp_path):
    with pytest.raises(InputError, match="needs a mapping file"):
        ingest(DATA / "people.csv", provenance=make_provenance(), out_dir=tmp_path)


def write_xlsx(tmp_path, rows):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Persons"
    for row in rows:
        sheet.append(row)
    path = tmp_path / "people.xlsx"
    book.save(path)
    return path


def test_an_xlsx_sheet_is_read_with_numbers_and_dates_as_text(tmp_path):
    header = HEADER.split(",")
    row = ["p1", "Ann Lee", dt.date(1980, 5, 17), 301234567, None, "de", "suspect"]
    path = write_xlsx(tmp_path, [header, row + [None] * 5])
    ingest(
        path, provenance=make_provenance(), out_dir=tmp_path / "out", mapping=MAPPING
    )
    found = query(
        tmp_path / "out",
        "SELECT prop, value FROM statements"
        " WHERE prop IN ('birthDate', 'phone') ORDER BY 1",
    )
    assert found == [("birthDate", "1980-05-17"), ("phone", "+49301234567")]


def test_xlsx_rejections_name_the_sheet(tmp_path):
    header = HEADER.split(",")
    path = write_xlsx(tmp_path, [header, ["p1", "Ann", "someday"] + [None] * 9])
    with pytest.raises(InputRejected) as caught:
        ingest(
            path,
            provenance=make_provenance(),
            out_dir=tmp_path / "out",
            mapping=MAPPING,
        )
    assert [str(e) for e in caught.value.errors] == [
        f"{path}, sheet 'Persons', line 2, column 'dob': "
        "'someday' is not a valid date for Person.birthDate"
    ]


def test_formula_cells_are_rejected(tmp_path):
    header = HEADER.split(",")
    path = write_xlsx(
        tmp_path, [header, ["p1", '=HYPERLINK("http://x","y")'] + [None] * 10]
    )
    assert rejection(path) == [
        (2, "B", "a formula; paste the values instead (formulas are not imported)")
    ]


def test_statement_ids_are_followthemoney_keys(tmp_path):
    from followthemoney.statement import Statement

    result = ingest(
        DATA / "people.csv",
        provenance=make_provenance(),
        out_dir=tmp_path,
        mapping=MAPPING,
    )
    rows = read_statements(result.path).to_pylist()
    expected = [
        Statement.make_key(r["dataset"], r["entity_id"], r["prop"], r["value"], False)
        for r in rows
    ]
    assert [r["id"] for r in rows] == expected
    assert len(set(expected)) == len(rows)


def test_leftovers_of_a_killed_import_are_removed_once_stale(tmp_path):
    target = tmp_path / "de-people.parquet"
    leftover = tmp_path / ".de-people.parquet.ingest-x1"
    leftover.mkdir()
    (leftover / "staged.parquet").write_bytes(b"half")
    other = tmp_path / ".other.parquet.ingest-x2"
    other.mkdir()
    assert remove_leftovers(target) == []  # fresh: perhaps a running import
    assert remove_leftovers(target, older_than=0) == [leftover]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.parquet.ingest-x2"]
