"""Ingestion: a CSV, XLSX or FtM JSON lines file → one Parquet file of statements.

Streaming: rows are read and turned into statements a batch at a time (Arrow record
batches staged to a temporary Parquet file), never the whole dataset as Python
objects. All or nothing: every bad row is collected as an `InputError`; if there is
any, `InputRejected` is raised and nothing is written. Otherwise the staged
statements are deduplicated and sorted by DuckDB and published with one atomic
rename. Idempotent: ids are hashes of the data, and a file already imported with the
same bytes, mapping and provenance is left untouched.
"""

from __future__ import annotations

import glob
import hashlib
import json
import os
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from empact.engine.errors import InputError, InputRejected
from empact.engine.mapping import Mapping
from empact.engine.readers import Errors
from empact.engine.statements import Context, statement_tables
from empact.engine.tables import STATEMENTS, Provenance, file_metadata, statement_file

BATCH_ROWS = 20_000
STALE_AFTER_S = (
    6 * 3600
)  # an import's working files older than this were left by a crash
MAX_ERRORS = 1_000  # reported; counting goes on so the total is known
FORMATS = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".json": "ftm",
    ".jsonl": "ftm",
    ".ndjson": "ftm",
    ".ftm": "ftm",
}


@dataclass(frozen=True)
class IngestResult:
    path: Path
    dataset: str
    dataset_version: str
    entities: int
    statements: int
    unchanged: bool


def ingest(
    source: str | os.PathLike[str],
    *,
    provenance: Provenance,
    out_dir: str | os.PathLike[str],
    mapping: Mapping | None = None,
    batch_rows: int = BATCH_ROWS,
) -> IngestResult:
    """Import `source` as dataset `provenance.dataset` into `out_dir/<dataset>.parquet`.

    Raises InputRejected with every problem found (nothing is written), or
    InputError for a problem with the request itself (unknown format, no mapping).
    """
    path = Path(source)
    fmt = _format(path, mapping)
    target = Path(out_dir) / f"{provenance.dataset}.parquet"
    metadata = {
        "dataset_version": file_sha256(path),
        "mapping_version": mapping.version if mapping else "",
        "provenance": json.dumps(asdict(provenance), default=str, sort_keys=True),
    }
    if target.exists() and _same_import(target, metadata):
        return _result(target, provenance.dataset, metadata, unchanged=True)
    context = Context(provenance, metadata["dataset_version"], path, mapping)
    errors = Errors()
    tables = statement_tables(fmt, path, context, batch_rows, errors)
    remove_leftovers(target)
    with tempfile.TemporaryDirectory(
        prefix=f".{target.name}.ingest-", dir=_mkdir(target.parent)
    ) as tmp:
        staged = Path(tmp) / "staged.parquet"
        with pq.ParquetWriter(staged, STATEMENTS) as writer:
            for table in tables:
                if not errors:  # after the first error, only check the rest
                    writer.write_table(table)
        if errors:
            shown = sorted(errors, key=_reading_order)[:MAX_ERRORS]
            raise InputRejected(str(path), shown, truncated=len(errors) > MAX_ERRORS)
        _publish(staged, target, metadata, Path(tmp))
    return _result(target, provenance.dataset, metadata, unchanged=False)


def remove_leftovers(target: Path, *, older_than: float = STALE_AFTER_S) -> list[Path]:
    """Remove what an import of `target` killed mid-way left beside it.

    Only leftovers older than `older_than` seconds go, so that a concurrent import
    of the same dataset keeps its working files.
    """
    if not target.parent.is_dir():
        return []
    cutoff = time.time() - older_than
    stale = [
        p
        for p in target.parent.glob(f".{glob.escape(target.name)}.*")
        if p.stat().st_mtime < cutoff
    ]
    for p in stale:
        if p.is_dir():
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)
    return stale


def _reading_order(error: InputError) -> tuple[str, int, str]:
    return (error.sheet or "", error.line or 0, str(error.column or ""))


def file_sha256(path: Path) -> str:
    """The dataset version: a hash of the file's bytes."""
    digest = hashlib.sha256()
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                digest.update(chunk)
    except OSError as error:
        raise InputError(
            str(path), None, None, f"cannot read the file: {error.strerror}"
        ) from None
    return digest.hexdigest()


def _format(path: Path, mapping: Mapping | None) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        known = ", ".join(sorted(FORMATS))
        raise InputError(
            str(path), None, None, f"unknown file type; expected one of {known}"
        )
    if fmt != "ftm" and mapping is None:
        raise InputError(
            str(path), None, None, "a CSV or XLSX file needs a mapping file"
        )
    return fmt


def _same_import(target: Path, metadata: dict[str, str]) -> bool:
    try:
        existing = file_metadata(target)
    except (OSError, pa.ArrowInvalid):
        return False
    return all(existing.get(k) == v for k, v in metadata.items())


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _result(
    target: Path, dataset: str, metadata: dict[str, str], *, unchanged: bool
) -> IngestResult:
    con = duckdb.connect()
    entities, statements = con.execute(
        "SELECT count(*) FILTER (WHERE prop = 'id'), count(*) FROM read_parquet(?)",
        [str(target)],
    ).fetchone()  # type: ignore[misc]
    con.close()
    return IngestResult(
        target, dataset, metadata["dataset_version"], entities, statements, unchanged
    )


# A fact stated twice (same statement id) is kept once: the copy with the most flags,
# so that a failed MRZ check is not lost to a plain copy of the same number, then
# the first line. Only narrow columns are read to find the copies to drop.
_DROP_SQL = """
WITH s AS (
    SELECT id, len(flags) AS flagged, line, file_row_number AS r
    FROM read_parquet(?, file_row_number = true)
)
SELECT r FROM s WHERE id IN (SELECT id FROM s GROUP BY id HAVING count(*) > 1)
QUALIFY row_number() OVER (PARTITION BY id ORDER BY flagged DESC, line, r) > 1
"""


def _publish(staged: Path, target: Path, metadata: dict[str, str], tmp: Path) -> None:
    """Drop repeated statements and publish the rest, in the order they were read."""
    config: dict[str, str | bool | int | float | list[str]] = {
        "memory_limit": "1GB",
        "temp_directory": str(tmp / "spill"),
    }
    con = duckdb.connect(config=config)
    try:
        con.execute("SET enable_progress_bar = false")
        drop = con.execute(_DROP_SQL, [str(staged)]).fetchnumpy()["r"]
    finally:
        con.close()
    source = pq.ParquetFile(staged)
    keep = np.ones(source.metadata.num_rows, dtype=bool)
    keep[drop] = False
    start = 0
    with statement_file(target, metadata=metadata) as out:
        for batch in source.iter_batches(batch_size=100_000):
            mask = keep[start : start + batch.num_rows]
            start += batch.num_rows
            out.write(batch if mask.all() else batch.filter(pa.array(mask)))
