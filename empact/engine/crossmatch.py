"""Deterministic cross-match: entities of different contributors that share a
normalised identifier (phone, IBAN, identity document, plate, IMO ...), in DuckDB.

Input is an identifier table or view with the layout of `tables.IDENTIFIERS` (one
row per entity, kind and key); output is a table of pairs, one row per matched pair
of entities, `left_id < right_id`:

    left_id, right_id, score (1.0), reason ("iban:DE89…; phone:+49…"),
    left_contributor, right_contributor, handling (the stricter of the two),
    capped (true when the pair stands for a hot identifier's group, see below)

Only rows of different contributors are paired, and only when the rules allow their
data to be compared: `allowed` names a table of allowed pairs, either of contributors
(`left_contributor, right_contributor`) or of datasets (`left_dataset,
right_dataset`), read in both directions; `where` is an optional SQL condition over
the two sides `l` and `r` (e.g. ``"l.handling <> 'H3' AND r.handling <> 'H3'"``),
over their columns entity_id, kind, key, contributor, dataset, handling and role; a
pair is tested in one orientation only, so the condition must treat `l` and `r` alike.

Hot identifiers. One burner phone held by 5,000 records would give 12.5 million
pairs on its own. An identifier held by more than `max_group` entities is therefore
not expanded pair by pair: each of its entities is paired with one representative
(the smallest entity id) of every other dataset holding it, and those pairs are
marked `capped`. Every entity still learns every contributor it hits, which is what
hit/no-hit needs, and the output grows linearly. `groups` gives the size of each
shared identifier.
"""

import re
from dataclasses import dataclass

import duckdb

from empact.engine.tables import IDENTIFIER_KINDS

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class CrossmatchConfig:
    """`kinds`: identifier kinds joined on. `max_group`: above this many entities
    sharing one identifier, pairs go through representatives (see the module)."""

    kinds: tuple[str, ...] = IDENTIFIER_KINDS
    max_group: int = 100


PAIR_COLUMNS = (
    "left_id",
    "right_id",
    "score",
    "reason",
    "left_contributor",
    "right_contributor",
    "handling",
    "capped",
)


def crossmatch(
    con: duckdb.DuckDBPyConnection,
    identifiers: str = "identifiers",
    *,
    into: str = "crossmatch_pairs",
    allowed: str | None = None,
    where: str | None = None,
    config: CrossmatchConfig = CrossmatchConfig(),
) -> duckdb.DuckDBPyRelation:
    """Create table `into` with the pairs (layout in the module docstring) and
    return it as a relation (`.to_arrow_table()`, `.write_parquet(path)`)."""
    for name in (identifiers, into, allowed):
        if name is not None and not _NAME.fullmatch(name):
            raise ValueError(f"{name!r} is not a plain SQL name")
    if config.max_group < 2:
        raise ValueError("max_group must be at least 2")
    grain = _allowed_grain(con, allowed) if allowed else None
    sql = crossmatch_sql(identifiers, config, allowed, grain, where)
    con.execute(f"CREATE OR REPLACE TABLE {into} AS {sql}")
    return con.table(into)


def crossmatch_sql(
    identifiers: str,
    config: CrossmatchConfig,
    allowed: str | None = None,
    grain: str | None = None,
    where: str | None = None,
) -> str:
    """The whole cross-match as one SQL query (used by `crossmatch`)."""
    kinds = _kinds_sql(config)
    conditions = ["l.contributor <> r.contributor"]
    allowed_cte = ""
    if allowed:
        # Comparison is symmetric: a listed pair allows both directions.
        allowed_cte = f"""
        allowed_pairs AS (
            SELECT left_{grain} AS a, right_{grain} AS b FROM {allowed}
            UNION SELECT right_{grain}, left_{grain} FROM {allowed}
        ),"""  # noqa: S608 - checked names
        conditions.append(
            "EXISTS (SELECT 1 FROM allowed_pairs p "  # noqa: S608
            f"WHERE p.a = l.{grain} AND p.b = r.{grain})"
        )
    if where:
        conditions.append(f"({where})")
    may_compare = " AND ".join(conditions)
    handling = "greatest(l.handling, r.handling)"  # 'H0' < 'H1' < 'H2' < 'H3'
    cap = int(config.max_group)
    return f"""
    WITH {allowed_cte}
    ids AS (
        SELECT DISTINCT entity_id, kind, key, contributor, dataset, handling, role
        FROM {identifiers}
        WHERE kind IN ({kinds}) AND key IS NOT NULL
    ),
    shared_keys AS (
        SELECT kind, key, count(*) > {cap} AS hot
        FROM ids GROUP BY kind, key
        HAVING count(DISTINCT contributor) > 1
    ),
    shared AS MATERIALIZED (
        SELECT ids.*, s.hot FROM ids JOIN shared_keys s USING (kind, key)
    ),
    small AS (SELECT * FROM shared WHERE NOT hot),
    hot AS (SELECT * FROM shared WHERE hot),
    representatives AS (
        SELECT kind, key, dataset, min(entity_id) AS entity_id,
               arg_min(contributor, entity_id) AS contributor,
               arg_min(handling, entity_id) AS handling,
               arg_min(role, entity_id) AS role
        FROM hot GROUP BY kind, key, dataset
    ),
    matches AS MATERIALIZED (
        SELECT l.entity_id AS left_id, r.entity_id AS right_id,
               l.kind || ':' || l.key AS reason,
               l.contributor AS lc, r.contributor AS rc,
               {handling} AS handling, false AS capped
        FROM small l JOIN small r
          ON l.kind = r.kind AND l.key = r.key AND l.entity_id < r.entity_id
        WHERE {may_compare}
        UNION ALL
        -- two representatives meet twice (each as the other's): DISTINCT
        SELECT DISTINCT least(l.entity_id, r.entity_id),
               greatest(l.entity_id, r.entity_id),
               l.kind || ':' || l.key,
               CASE WHEN l.entity_id < r.entity_id
                    THEN l.contributor ELSE r.contributor END,
               CASE WHEN l.entity_id < r.entity_id
                    THEN r.contributor ELSE l.contributor END,
               {handling}, true
        FROM hot l JOIN representatives r
          ON l.kind = r.kind AND l.key = r.key AND l.entity_id <> r.entity_id
        WHERE {may_compare}
    ),
    -- Nearly every pair shares one identifier: min and max give its reasons
    -- cheaply, and only pairs sharing three or more build a list.
    grouped AS (
        SELECT left_id, right_id, lc, rc, count(*) AS n,
               min(reason) AS first_reason, max(reason) AS last_reason,
               max(handling) AS handling, bool_and(capped) AS capped
        FROM matches GROUP BY left_id, right_id, lc, rc
    ),
    many AS (
        SELECT left_id, right_id,
               array_to_string(list_sort(list(reason)), '; ') AS reasons
        FROM matches
        SEMI JOIN (SELECT left_id, right_id FROM grouped WHERE n > 2)
            USING (left_id, right_id)
        GROUP BY left_id, right_id
    )
    SELECT left_id, right_id, 1.0::DOUBLE AS score,
           CASE n WHEN 1 THEN first_reason
                  WHEN 2 THEN first_reason || '; ' || last_reason
                  ELSE many.reasons END AS reason,
           lc AS left_contributor, rc AS right_contributor, handling, capped
    FROM grouped LEFT JOIN many USING (left_id, right_id)
    """  # noqa: S608 - names are checked, values come from constants


def groups(
    con: duckdb.DuckDBPyConnection,
    identifiers: str = "identifiers",
    *,
    config: CrossmatchConfig = CrossmatchConfig(),
) -> duckdb.DuckDBPyRelation:
    """One row per identifier held by more than one contributor: kind, key,
    entities, contributors, and whether it is hot (above `max_group`)."""
    if not _NAME.fullmatch(identifiers):
        raise ValueError(f"{identifiers!r} is not a plain SQL name")
    kinds = _kinds_sql(config)
    return con.sql(
        f"""
        SELECT kind, key, count(DISTINCT entity_id) AS entities,
               count(DISTINCT contributor) AS contributors,
               count(DISTINCT entity_id) > {int(config.max_group)} AS hot
        FROM {identifiers}
        WHERE kind IN ({kinds}) AND key IS NOT NULL
        GROUP BY kind, key
        HAVING count(DISTINCT contributor) > 1
        """  # noqa: S608
    )


def _kinds_sql(config: CrossmatchConfig) -> str:
    return ", ".join("'" + k.replace("'", "''") + "'" for k in config.kinds)


def _allowed_grain(con: duckdb.DuckDBPyConnection, allowed: str) -> str:
    """'dataset' or 'contributor': what the table of allowed pairs lists."""
    columns = {row[0] for row in con.execute(f"DESCRIBE {allowed}").fetchall()}
    for grain in ("dataset", "contributor"):
        if {f"left_{grain}", f"right_{grain}"} <= columns:
            return grain
    raise ValueError(
        f"table {allowed!r} must have columns left_dataset and right_dataset, "
        "or left_contributor and right_contributor"
    )
