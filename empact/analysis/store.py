"""The analysis store on disk: one Parquet file of statements per dataset.

Nothing else is kept there: the DuckDB database of a cross-match run lives in memory
for the run, and hits are rows in the platform's database. So erasing a dataset is
deleting its file and its rows (services.erase_dataset), with no derived copy left
behind.

A dataset's record commits after its file is published, so an import killed between
the two leaves a whole file no record names, and one killed earlier its staging
folder; an erasure killed after its commit, the erased dataset's file. Nothing
reads them (files are opened by the names of live records); the import run again
adopts its file, and retention removes the rest (`leftovers`).
"""

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path

import duckdb
from django.conf import settings

from empact import engine


def root() -> Path:
    path = Path(settings.EMPACT_ANALYSIS_DIR)
    path.mkdir(parents=True, exist_ok=True)
    return path


def dataset_file(name: str) -> Path:
    return root() / f"{name}.parquet"


def connect(
    names: list[str], *, qualified_ids: bool = False, spill: Path | None = None
) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with the statements of these datasets registered;
    `qualified_ids`: entity ids prefixed with their dataset (engine.register).
    `spill`: a folder in the store for a cross-match run, which is then held to
    EMPACT_ANALYSIS_MEMORY_MB and writes what does not fit there (personal data:
    never DuckDB's default, a .tmp folder wherever the process was started)."""
    config = {}
    if spill is not None:
        config = {
            "memory_limit": f"{settings.EMPACT_ANALYSIS_MEMORY_MB}MB",
            "temp_directory": str(spill),
        }
    con = duckdb.connect(config=config)
    files = [dataset_file(n) for n in names]
    if files:
        engine.register(con, files, qualified_ids=qualified_ids)
    return con


def spill_folder() -> tempfile.TemporaryDirectory:
    """A folder in the store for one run's overflow, removed when it ends (one a
    killed run leaves behind goes with the other leftovers)."""
    return tempfile.TemporaryDirectory(dir=root(), prefix=".spill-")


def entity_statements(name: str, entity_id: str) -> list[tuple[str, str, str]]:
    """(schema, property, value) of one entity of one dataset."""
    return entities_statements(name, [entity_id]).get(entity_id, [])


def entities_statements(
    name: str, entity_ids: list[str]
) -> dict[str, list[tuple[str, str, str]]]:
    """(schema, property, value) per entity of one dataset, in one query."""
    if not entity_ids:
        return {}
    rows = (
        connect([name])
        .execute(
            "SELECT entity_id, schema, prop, coalesce(original_value, value) "
            "FROM statements WHERE entity_id IN (SELECT unnest(?)) AND prop <> 'id' "
            "ORDER BY entity_id, prop, value",
            [entity_ids],
        )
        .fetchall()
    )
    found: dict[str, list[tuple[str, str, str]]] = {}
    for entity, schema, prop, value in rows:
        found.setdefault(entity, []).append((schema, prop, value))
    return found


def entity_captions(name: str, entity_ids: list[str]) -> dict[str, str]:
    """A short label per entity: its schema and first name, number or key."""
    if not entity_ids:
        return {}
    con = connect([name])
    rows = con.execute(
        """
        SELECT entity_id, any_value(schema),
               min(value) FILTER (WHERE prop_type = 'name'),
               min(value) FILTER (WHERE prop_type = 'identifier' OR kind IS NOT NULL)
        FROM statements WHERE entity_id IN (SELECT unnest(?))
        GROUP BY entity_id
        """,
        [entity_ids],
    ).fetchall()
    return {e: f"{s}: {n or k or e[:12]}" for e, s, n, k in rows}


def remove(name: str) -> bool:
    path = dataset_file(name)
    if path.exists():
        path.unlink()
        return True
    return False


# An import still running has touched its files more recently than this.
LEFTOVER_AGE = timedelta(days=1)


def leftovers(live: set[str], *, before: float, erased=frozenset()) -> list[Path]:
    """What the store holds besides the files of the `live` datasets: files of
    `erased` ones, and anything else untouched since `before` (a timestamp)."""
    return sorted(
        path
        for path in root().iterdir()
        if not (path.suffix == ".parquet" and path.stem in live)
        and (path.stem in erased or _last_touched(path) < before)
    )


def discard(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _last_touched(path: Path) -> float:
    try:
        times = [path.lstat().st_mtime]
        if path.is_dir() and not path.is_symlink():
            times += [p.lstat().st_mtime for p in path.rglob("*")]
    except OSError:  # changing under our feet: in use
        return float("inf")
    return max(times)
