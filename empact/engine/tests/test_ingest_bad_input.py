"""T-10: importer property tests. Hypothesis writes CSV, XLSX and FtM JSON lines files
with wrong encodings, missing, extra and duplicate columns, wrong types, huge fields,
empty files, formula cells and injected CR/LF; every file is either imported or
rejected with every problem located, never half-written, never an uncaught error."""

import csv
import datetime as dt
import io
import json
import os
from collections import Counter

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.utils.exceptions import IllegalCharacterError

from empact.engine.errors import InputRejected
from empact.engine.ingest import ingest
from empact.engine.mapping import parse_mapping
from empact.engine.readers import MAX_FIELD
from empact.engine.tables import Provenance, read_statements

EXAMPLES = int(os.environ.get("EMPACT_FUZZ_EXAMPLES", "100"))
MAPPING = parse_mapping(
    {
        "entities": {
            "person": {
                "schema": "Person",
                "keys": ["id"],
                "properties": {"name": "name", "birthDate": "dob", "phone": "phone"},
            }
        }
    }
)
COLUMNS = ["id", "name", "dob", "phone"]
PROVENANCE = Provenance("DE", "fuzz", dt.date(2026, 1, 1))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

texts = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12
) | st.sampled_from(["", "\r\n", "a\nb", '"', "=1+1", "é", "\x00", "\ufeff"])
cells = st.one_of(
    texts,
    st.sampled_from(["1980", "1980-05", "1980-02-30", "17.05.1980", "+49 30 1234567"]),
    st.integers(-(10**12), 10**12).map(str),
    st.just("X" * (MAX_FIELD + 1)),
)


good_rows = st.lists(
    st.tuples(
        st.from_regex(r"[a-z0-9]{1,6}", fullmatch=True),
        st.sampled_from(["Ann Lee", "Jürgen Müller", "Иван Петров", ""]),
        st.sampled_from(["1980", "1980-05", "1980-05-17", "17.05.1980", ""]),
        st.sampled_from(["+49 30 1234567", "030 1234567", "nonsense", ""]),
    ).map(list),
    min_size=1,
    max_size=6,
)


@st.composite
def tables(draw):
    if draw(st.booleans()):
        return list(COLUMNS), draw(good_rows)
    header = list(COLUMNS)
    change = draw(st.sampled_from(["none", "drop", "extra", "duplicate", "shuffle"]))
    if change == "drop":
        header.remove(draw(st.sampled_from(COLUMNS)))
    elif change == "extra":
        header.append(draw(st.sampled_from(["extra", "", "name "])))
    elif change == "duplicate":
        header.append(draw(st.sampled_from(COLUMNS)))
    elif change == "shuffle":
        header = draw(st.permutations(header))
    rows = draw(
        st.lists(
            st.lists(cells, min_size=len(header) - 1, max_size=len(header) + 1),
            max_size=6,
        )
    )
    return header, rows


@st.composite
def csv_files(draw):
    header, rows = draw(tables())
    buffer = io.StringIO()
    writer = csv.writer(
        buffer,
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_NONE])),
        escapechar="\\",
    )
    try:
        writer.writerows([header, *rows])
    except csv.Error:
        buffer = io.StringIO(",".join(header) + "\n")
    text = buffer.getvalue()
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"])
    )
    data = text.encode(encoding, errors="replace")
    cut = draw(st.sampled_from([None, None, None, 0, len(data) // 2]))
    return data if cut is None else data[:cut]


@st.composite
def xlsx_files(draw):
    header, rows = draw(tables())
    if draw(st.integers(0, 3)) == 0 and rows:
        rows[0][0] = draw(
            st.sampled_from(
                ["=A1", '=HYPERLINK("http://x","y")', 1.5, 42, dt.date(2020, 1, 2)]
            )
        )
    book = openpyxl.Workbook()
    sheet = book.active
    for row in [header, *rows]:
        try:
            sheet.append(row)
        except (IllegalCharacterError, ValueError, TypeError):  # control characters
            sheet.append(["bad"] * len(row))
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    damage = draw(st.sampled_from(["none", "none", "none", "truncate", "not a zip"]))
    if damage == "truncate":
        return data[: len(data) // 3]
    if damage == "not a zip":
        return b"id,name\n1,x\n"
    return data


entities = st.fixed_dictionaries(
    {
        "id": st.one_of(st.text(max_size=8), st.integers(), st.none()),
        "schema": st.sampled_from(["Person", "Passport", "Nonsense", 7]),
        "properties": st.one_of(
            st.dictionaries(
                st.sampled_from(["name", "birthDate", "phone", "number", "shoeSize"]),
                st.one_of(
                    st.lists(texts, max_size=3),
                    texts,
                    st.lists(st.integers(), max_size=2),
                ),
                max_size=3,
            ),
            st.lists(texts, max_size=2),
        ),
    }
)


good_entities = st.fixed_dictionaries(
    {
        "id": st.from_regex(r"[a-z0-9-]{1,10}", fullmatch=True),
        "schema": st.just("Person"),
        "properties": st.fixed_dictionaries(
            {"name": st.lists(st.sampled_from(["Ann Lee", "Иван Петров"]), max_size=2)}
        ),
    }
)


@st.composite
def ftm_files(draw):
    lines = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(
            st.sampled_from(
                ["good", "good", "entity", "garbage", "blank", "huge", "array"]
            )
        )
        if kind == "good":
            lines.append(json.dumps(draw(good_entities)))
        elif kind == "entity":
            lines.append(json.dumps(draw(entities), ensure_ascii=draw(st.booleans())))
        elif kind == "garbage":
            lines.append(draw(texts))
        elif kind == "huge":
            lines.append(
                json.dumps(
                    {
                        "id": "x",
                        "schema": "Person",
                        "properties": {"name": ["N" * (MAX_FIELD + 1)]},
                    }
                )
            )
        elif kind == "array":
            lines.append("[1, 2]")
        else:
            lines.append("")
    text = "\n".join(lines)
    encoding = draw(
        st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "latin-1"])
    )
    return text.encode(encoding, errors="replace")


def check_one(tmp_path, suffix, data, counts, mapping=MAPPING):
    folder = tmp_path / f"case{sum(counts.values())}"
    folder.mkdir()
    source = folder / f"input{suffix}"
    source.write_bytes(data)
    out = folder / "out"
    try:
        result = ingest(source, provenance=PROVENANCE, out_dir=out, mapping=mapping)
    except InputRejected as rejected:
        counts["rejected"] += 1
        leftovers = list(out.iterdir()) if out.exists() else []
        assert leftovers == [], "a partial write"
        assert rejected.errors, "a rejection without a reason"
        for error in rejected.errors:
            assert error.reason and error.path == str(source)
            if error.line is None:
                counts["file-level reasons"] += 1
        return
    counts["imported"] += 1
    assert read_statements(result.path).num_rows == result.statements > 0


FORMATS = {
    "csv": (".csv", csv_files()),
    "xlsx": (".xlsx", xlsx_files()),
    "ftm": (".jsonl", ftm_files()),
}


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_every_malformed_file_is_rejected_whole_and_located(
    fmt, tmp_path_factory, figure
):
    suffix, strategy = FORMATS[fmt]
    counts: Counter[str] = Counter()
    tmp = tmp_path_factory.mktemp(fmt)

    @FUZZ
    @given(strategy)
    def run(data):
        check_one(tmp, suffix, data, counts)

    run()
    files = counts["imported"] + counts["rejected"]
    figure(
        f"T-10 {fmt}: {files} files, {counts['imported']} imported, "
        f"{counts['rejected']} rejected with located reasons, 0 uncaught exceptions, "
        "0 partial writes"
    )
    # Both outcomes must occur, or the property says little.
    assert counts["rejected"] > 0
    assert counts["imported"] > 0
