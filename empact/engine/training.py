"""Training a person model's u and m on a person table, as Splink trains them.

    u_by_sampling(con, "persons", comparisons, pairs, max_pairs=..., seed=...)
        → u of every level: Splink's estimate_u_using_random_sampling
    train_passes(con, "persons", comparisons, blocks, levels, ...)
        → m of every level: Splink's EM passes on those blocks

Both count agreement patterns in one DuckDB query each and do the arithmetic in
numpy (`em`). Splink 5 walks its random sample once per comparison (eight cross
joins of 1.2 million pairs) and runs every EM iteration as a pipeline of SQL
queries; here the sample is walked once and an EM iteration takes microseconds.
The tests hold u and m equal to Splink's own (`linkage.splink_trained_linker`).
`comparisons` are `linkage.Comparison`s (their `null` and `levels[].sql`); `pairs`
is the select list giving each column of a pair's persons l and r suffixed _l
and _r (`linkage.paired_columns`).
"""

from __future__ import annotations

import logging
import math
import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np

from empact.engine.em import EMFailed, Patterns, expectation_maximisation

logger = logging.getLogger(__name__)

#: Splink's deterministic sampling: a row is in the sample when the hash of its
#: id and the seed falls below the proportion of this modulus.
_SAMPLE_MODULUS = 1_000_000_000


def u_by_sampling(  # noqa: PLR0913
    con: duckdb.DuckDBPyConnection,
    persons: str,
    comparisons: Sequence,
    pairs: str,
    *,
    max_pairs: float,
    seed: int,
) -> list[np.ndarray]:
    """u of each comparison's levels, indexed by gamma (NaN for a level no sampled
    pair reaches): the share of each level among the pairs of a seeded sample of
    persons, every pair of the sample once, where the comparison is not null. The
    sample and its pairs are Splink's: enough persons for `max_pairs` pairs,
    picked by the hash of their id and the seed."""
    total = con.execute(f"SELECT count(*) FROM {persons}").fetchall()[0][0]  # noqa: S608
    rows = 0.5 * ((8 * max_pairs + 1) ** 0.5 + 1)
    threshold = max(1, round(min(1.0, rows / total) * _SAMPLE_MODULUS))
    sample = (
        f"(SELECT * FROM {persons} WHERE "  # noqa: S608
        f"hash((entity_id) || '_{seed}') % {_SAMPLE_MODULUS} < {threshold})"
    )
    patterns = _count_patterns(
        con, sample, comparisons, range(len(comparisons)), "TRUE", pairs
    )
    out = []
    for c, comparison in enumerate(comparisons):
        g = patterns.gammas[:, c]
        counts = np.bincount(
            g[g >= 0],
            weights=patterns.counts[g >= 0],
            minlength=len(comparison.levels) + 1,
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            out.append(np.where(counts > 0, counts / counts.sum(), np.nan))
    return out


@dataclass(frozen=True)
class Levels:
    """One comparison's m, u and fixed m (bool) in the model, indexed by gamma."""

    m: np.ndarray
    u: np.ndarray
    fixed: np.ndarray


def train_passes(  # noqa: PLR0913 - the pieces of Splink's training state
    con: duckdb.DuckDBPyConnection,
    persons: str,
    comparisons: Sequence,  # linkage.Comparison: .null, .levels[].sql
    blocks: Sequence[Sequence[str]],
    start: list[Levels],
    *,
    prior: float,
    pairs: str,
    max_iterations: int,
    convergence: float,
) -> list[list[float | None]]:
    """One EM pass per block (columns equal on both sides), as Splink's passes: a
    pass trains the comparisons that read no blocked column, from the model's m
    after the passes before it. A level's m is the median of what the passes that
    trained it found (None: none did). `pairs` is the select list giving each
    column of a pair's persons l and r suffixed _l and _r."""
    found: list[list[list[float]]] = [[[] for _ in s.m] for s in start]
    for block in blocks:
        now = [
            Levels(
                np.array(
                    [
                        statistics.median(v) if v else m
                        for v, m in zip(f, s.m, strict=True)
                    ]
                ),
                s.u,
                s.fixed,
            )
            for s, f in zip(start, found, strict=True)
        ]
        active = [
            c
            for c, comparison in enumerate(comparisons)
            if not _columns(comparison) & set(block)
        ]
        try:
            result = expectation_maximisation(
                _count_patterns(
                    con,
                    persons,
                    comparisons,
                    active,
                    " AND ".join(f"l.{column} = r.{column}" for column in block),
                    pairs,
                ),
                [now[c].m for c in active],
                [now[c].u for c in active],
                [now[c].fixed for c in active],
                _blocked_prior(prior, comparisons, block, now),
                max_iterations=max_iterations,
                convergence=convergence,
            )
        except EMFailed as error:
            # A few persons may give a pass no pair to learn from, or EM may drive
            # the m of a level no true match reaches towards zero: the pass is
            # dropped and the earlier values stay, as Splink does.
            logger.warning("EM pass on %s dropped: %s", block, error)
            continue
        for c, m in zip(active, result.m, strict=True):
            for gamma, value in enumerate(m):
                if not np.isnan(value) and not now[c].fixed[gamma]:
                    found[c][gamma].append(float(value))
    return [[statistics.median(v) if v else None for v in f] for f in found]


_SIDES = re.compile(r"\b([a-z_]+)_[lr]\b")
_EXACT = re.compile(r"([a-z_]+)_l = \1_r")


def _columns(comparison) -> set[str]:  # noqa: ANN001
    sql = " ".join([comparison.null, *(level.sql for level in comparison.levels)])
    return set(_SIDES.findall(sql))


def _exact_columns(sql: str) -> set[str] | None:
    """The columns of a level that is an exact match on them alone, else None."""
    parts = [_EXACT.fullmatch(part.strip()) for part in sql.split(" AND ")]
    return {part.group(1) for part in parts} if all(parts) else None


def _blocked_prior(
    prior: float, comparisons: Sequence, block: Sequence[str], now: list[Levels]
) -> float:
    """Within the block matches are likelier than among all pairs: Splink raises
    the prior by the Bayes factor of each exact level on blocked columns, those
    on most columns first, each column once."""
    exact = []
    for c, comparison in enumerate(comparisons):
        for i, level in enumerate(comparison.levels):
            columns = _exact_columns(level.sql)
            if columns is not None:
                exact.append((columns, c, len(comparison.levels) - i))
    exact.sort(key=lambda item: -len(item[0]))
    left = set(block)
    odds = prior / (1 - prior)
    for columns, c, gamma in exact:
        if columns <= left:
            left -= columns
            u = now[c].u[gamma]
            odds = odds * (math.inf if u == 0 else now[c].m[gamma] / u)
    return odds / (1 + odds)


def _count_patterns(  # noqa: PLR0913
    con: duckdb.DuckDBPyConnection,
    persons: str,
    comparisons: Sequence,
    active: Sequence[int],
    on: str,
    pairs: str,
) -> Patterns:
    """The agreement patterns of the active comparisons over the pairs of
    `persons` (a table or a subquery) for which `on` holds, each pair once, as
    Splink's dedupe orders them."""
    gammas = [
        f"CASE WHEN {comparisons[c].null} THEN -1 "
        + " ".join(
            f"WHEN {level.sql} THEN {len(comparisons[c].levels) - i}"
            for i, level in enumerate(comparisons[c].levels)
        )
        + f" ELSE 0 END AS g{c}"
        for c in active
    ]
    rows = con.execute(
        f"SELECT {', '.join([*gammas, 'count(*) AS n'])} "  # noqa: S608
        f"FROM (SELECT {pairs} FROM {persons} l JOIN {persons} r "
        f"ON {on} AND l.entity_id < r.entity_id) GROUP BY ALL"
    ).fetchnumpy()
    counts = np.asarray(rows["n"], float)
    columns = [np.asarray(rows[f"g{c}"], int) for c in active]
    return Patterns(
        np.column_stack(columns) if columns else np.zeros((len(counts), 0), int),
        counts,
    )
