"""The engine's tables: statements, entities, identifiers; Arrow, Parquet, DuckDB.

**Statements** (`STATEMENTS`), one row per (entity, property, value), as
followthemoney 4 stores entities (`followthemoney.statement.Statement`), plus the
provenance every piece of operational data carries (DESIGN.md §6) and the engine's
normalised matching key:

===============  ==========  ==========================================================
column           type        meaning
===============  ==========  ==========================================================
id               string      sha1("{dataset}.{entity_id}.{prop}.{value}"), FtM's
                             ``Statement.make_key``: the same fact in the same dataset
                             always gets the same id, so a re-import changes nothing
entity_id        string      the entity (kept as given for FtM JSON lines; hashed from
                             the mapping's key columns and the dataset otherwise)
schema           string      FtM schema name: Person, Passport, BankAccount, Vehicle ...
prop             string      FtM property name; ``id`` is the one statement every
                             entity has (FtM's BASE_ID), carrying its schema and
                             provenance even when it has no other property
prop_type        string      FtM property type: name, phone, identifier, date ...
value            string      the cleaned value (E.164 phone, compact IBAN, ...), or the
                             trimmed value as given when it could not be cleaned
original_value   string?     the value as given, only when it differs from ``value``
lang             string?     language of the value, when known
kind             string?     what the value identifies, for matching: one of ``KINDS``
key              string?     the normalised matching key (``kind`` decides its form:
                             ``+4915112345678``, ``DE89370400440532013000``,
                             ``DE:C01X00T47``, ``NL:AB123C``, a name fingerprint,
                             ``1980-05``); null when the value cannot be normalised
flags            list<str>   problems noticed in the value, never a reason to drop it:
                             ``FLAGS`` (e.g. ``invalid_iban``, ``mrz_check_failed``, a
                             fraud indicator)
dataset          string      the dataset (one imported file) the statement comes from
dataset_version  string      sha256 of the file's bytes
contributor      string      the organisation that provided it (code, e.g. ``DE``)
collected        date32      when the data was collected
handling         string      handling code H0–H3 (DESIGN.md §6)
source_code      string      source evaluation A, B, C or X (Europol Regulation)
info_code        int8        information evaluation 1–4
review_date      date32      when it must be reviewed (3 years after collection by
                             default)
role             string      suspect, victim, witness or other
origin           string      the file name the statement was read from
line             int64?      the line (CSV, JSON lines) or sheet row (XLSX) it came from
===============  ==========  ==========================================================

**Entities** (view ``entities`` in DuckDB): one row per entity, from its ``id``
statement: ``entity_id, schema, dataset, contributor, handling, role, review_date ...``.

**Identifiers** (``IDENTIFIERS``, view ``identifiers`` in DuckDB): the statements a
deterministic cross-match joins on, one row per (entity, kind, key) with the provenance
that decides whether two rows may be compared (contributor, dataset, handling, role).
Names and dates of birth have a key too, but they are not identifiers: they stay out of
this view and are used by probabilistic linkage.

Nothing here builds one Python object per row: batches are Arrow record batches,
files are Parquet, and queries run in DuckDB over ``read_parquet``.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# A dataset name is also its statement file's name: no path, no hidden file.
_DATASET = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

HANDLING_CODES = ("H0", "H1", "H2", "H3")
SOURCE_CODES = ("A", "B", "C", "X")
INFO_CODES = (1, 2, 3, 4)
ROLES = ("suspect", "victim", "witness", "other")
REVIEW_AFTER_YEARS = 3

#: Kinds a deterministic cross-match may join on.
IDENTIFIER_KINDS = ("phone", "email", "iban", "document", "plate", "imo", "mmsi")
#: Every kind a statement's key may have.
KINDS = (*IDENTIFIER_KINDS, "name", "birth_date")
FLAGS = (
    "invalid_phone",
    "invalid_iban",
    "invalid_email",
    "invalid_date",
    "invalid_document",
    # A fraud indicator: forged or altered documents often fail their check digits.
    "mrz_check_failed",
    "mrz_unreadable",
)

STATEMENTS = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("schema", pa.string(), nullable=False),
        pa.field("prop", pa.string(), nullable=False),
        pa.field("prop_type", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("original_value", pa.string()),
        pa.field("lang", pa.string()),
        pa.field("kind", pa.string()),
        pa.field("key", pa.string()),
        pa.field("flags", pa.list_(pa.string()), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("dataset_version", pa.string(), nullable=False),
        pa.field("contributor", pa.string(), nullable=False),
        pa.field("collected", pa.date32(), nullable=False),
        pa.field("handling", pa.string(), nullable=False),
        pa.field("source_code", pa.string(), nullable=False),
        pa.field("info_code", pa.int8(), nullable=False),
        pa.field("review_date", pa.date32(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("origin", pa.string(), nullable=False),
        pa.field("line", pa.int64()),
    ]
)

IDENTIFIERS = pa.schema(
    [
        pa.field("entity_id", pa.string(), nullable=False),
        pa.field("schema", pa.string(), nullable=False),
        pa.field("prop", pa.string(), nullable=False),
        pa.field("kind", pa.string(), nullable=False),
        pa.field("key", pa.string(), nullable=False),
        pa.field("value", pa.string(), nullable=False),
        pa.field("flags", pa.list_(pa.string()), nullable=False),
        pa.field("contributor", pa.string(), nullable=False),
        pa.field("dataset", pa.string(), nullable=False),
        pa.field("handling", pa.string(), nullable=False),
        pa.field("role", pa.string(), nullable=False),
        pa.field("review_date", pa.date32(), nullable=False),
    ]
)

_IDENTIFIER_KINDS_SQL = ", ".join(f"'{k}'" for k in IDENTIFIER_KINDS)
# Built from constants only; {statements} is a checked name (see `register`).
IDENTIFIERS_SQL = f"""
    SELECT DISTINCT {", ".join(IDENTIFIERS.names)}
    FROM {{statements}}
    WHERE kind IN ({_IDENTIFIER_KINDS_SQL}) AND key IS NOT NULL
"""  # noqa: S608
ENTITIES_SQL = """
    SELECT entity_id, schema, dataset, dataset_version, contributor, collected,
           handling, source_code, info_code, review_date, role, origin, line
    FROM {statements}
    WHERE prop = 'id'
"""


@dataclass(frozen=True)
class Provenance:
    """Where a dataset comes from and how it may be handled; every statement has it."""

    contributor: str
    dataset: str
    collected: dt.date
    handling: str = "H0"
    source_code: str = "X"
    info_code: int = 4
    review_date: dt.date | None = None
    role: str = "other"

    def __post_init__(self) -> None:
        problems = provenance_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        if self.review_date is None:
            object.__setattr__(self, "review_date", default_review_date(self.collected))

    @property
    def review(self) -> dt.date:
        assert self.review_date is not None  # set in __post_init__
        return self.review_date


def provenance_problems(p: Provenance) -> list[str]:
    """Every reason the provenance is invalid (empty when it is valid)."""
    checks = [
        (bool(p.contributor.strip()), "contributor is empty"),
        (
            bool(_DATASET.fullmatch(p.dataset)),
            f"dataset {p.dataset!r} must be 1-128 letters, digits, '.', '_' or '-'"
            " (it names a file)",
        ),
        (
            p.handling in HANDLING_CODES,
            f"handling {p.handling!r} is not one of H0, H1, H2, H3",
        ),
        (
            p.source_code in SOURCE_CODES,
            f"source code {p.source_code!r} is not one of A, B, C, X",
        ),
        (
            p.info_code in INFO_CODES,
            f"information code {p.info_code!r} is not one of 1, 2, 3, 4",
        ),
        (p.role in ROLES, f"role {p.role!r} is not one of {', '.join(ROLES)}"),
    ]
    return [message for ok, message in checks if not ok]


def default_review_date(collected: dt.date) -> dt.date:
    """Three years after collection (Europol Regulation Art. 31); 29 February → 28."""
    try:
        return collected.replace(year=collected.year + REVIEW_AFTER_YEARS)
    except ValueError:
        return collected.replace(year=collected.year + REVIEW_AFTER_YEARS, day=28)


def most_restrictive(codes: Iterable[str]) -> str:
    """The handling code a derived result carries: the strictest of its sources."""
    ranked = [HANDLING_CODES.index(c) for c in codes]
    if not ranked:
        raise ValueError("no handling code to combine")
    return HANDLING_CODES[max(ranked)]


def empty_statements() -> pa.Table:
    return STATEMENTS.empty_table()


# --- Parquet


class StatementWriter:
    """Appends statement batches to one Parquet file; see `statement_file`."""

    def __init__(self, writer: pq.ParquetWriter) -> None:
        self._writer = writer
        self.rows = 0

    def write(self, batch: pa.RecordBatch | pa.Table) -> None:
        if batch.schema != STATEMENTS:
            batch = batch.cast(STATEMENTS)
        if batch.num_rows:
            self._writer.write(batch)
            self.rows += batch.num_rows


@contextmanager
def statement_file(
    path: str | os.PathLike[str], *, metadata: dict[str, str] | None = None
) -> Iterator[StatementWriter]:
    """Write statements to `path` all or nothing.

    Batches go to a temporary file beside `path`; only when the block ends without an
    exception is the file flushed to disk and renamed over `path` in one step, so a
    crash or an error never leaves a partial or torn file behind.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    schema = STATEMENTS.with_metadata(
        {k.encode(): v.encode() for k, v in (metadata or {}).items()}
    )
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".tmp", dir=target.parent
    )
    os.close(fd)
    try:
        with pq.ParquetWriter(tmp_name, schema, compression="zstd") as writer:
            yield StatementWriter(writer)
        _fsync(tmp_name)
        os.replace(tmp_name, target)
        _fsync_dir(target.parent)
    finally:
        if os.path.exists(tmp_name):
            os.unlink(tmp_name)


def write_statements(
    path: str | os.PathLike[str],
    batches: Iterable[pa.RecordBatch | pa.Table],
    *,
    metadata: dict[str, str] | None = None,
) -> int:
    """Write batches to one Parquet file atomically; returns the number of rows."""
    with statement_file(path, metadata=metadata) as out:
        for batch in batches:
            out.write(batch)
    return out.rows


def read_statements(
    paths: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> pa.Table:
    """Read one or more statement files into one Arrow table (small data and tests)."""
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    tables = [pq.read_table(p, schema=STATEMENTS) for p in paths]
    return pa.concat_tables(tables) if tables else empty_statements()


def file_metadata(path: str | os.PathLike[str]) -> dict[str, str]:
    """The metadata written with `statement_file` (e.g. the dataset version)."""
    raw = pq.read_schema(path).metadata or {}
    return {
        k.decode(): v.decode() for k, v in raw.items() if not k.startswith(b"ARROW:")
    }


def _fsync(path: str) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except (
        OSError
    ):  # some platforms cannot open a directory; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- DuckDB

ID_SEPARATOR = "\x1f"  # between dataset and entity id in qualified ids (register)


def register(
    con: duckdb.DuckDBPyConnection,
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | pa.Table,
    *,
    name: str = "statements",
    qualified_ids: bool = False,
) -> None:
    """Make `name`, `name`_identifiers and `name`_entities queryable on `con`.

    `source` is a Parquet file, a list of them, a directory of them, or an Arrow table.
    With the default name the views are `statements`, `identifiers` and `entities`.
    `qualified_ids`: each entity_id is given as `dataset` + ID_SEPARATOR + the id,
    since ids kept as given (FtM JSON lines: "p1") repeat across datasets, and
    everything downstream (cross-match, linkage) tells entities apart by id.
    """
    if not _NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a plain SQL name")
    prefix = "" if name == "statements" else f"{name}_"
    if isinstance(source, pa.Table):
        con.register(f"{name}__arrow", source.cast(STATEMENTS))
        body = f"SELECT * FROM {name}__arrow"  # noqa: S608
    else:
        body = f"SELECT * FROM {_read_parquet_sql(source)}"  # noqa: S608
    if qualified_ids:
        qualify = "SELECT * REPLACE (dataset || chr(31) || entity_id AS entity_id)"
        body = f"{qualify} FROM ({body})"  # noqa: S608
    # Names are checked above and file names quoted: nothing here comes from data.
    views = {
        name: body,
        f"{prefix}identifiers": IDENTIFIERS_SQL.format(statements=name),
        f"{prefix}entities": ENTITIES_SQL.format(statements=name),
    }
    for view, sql in views.items():
        con.execute(f"CREATE OR REPLACE VIEW {view} AS {sql}")


def _read_parquet_sql(
    source: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> str:
    if isinstance(source, (str, os.PathLike)):
        p = Path(source)
        files = [str(p / "*.parquet")] if p.is_dir() else [str(p)]
    else:
        files = [str(s) for s in source]
    if not files:
        raise ValueError("no statement file to register")
    listed = ", ".join(_sql_string(f) for f in files)
    # Naming the columns keeps the view's layout fixed even if a file has more.
    columns = ", ".join(STATEMENTS.names)
    return f"(SELECT {columns} FROM read_parquet([{listed}]))"  # noqa: S608


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
