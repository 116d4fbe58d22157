"""Expectation maximisation of m probabilities on counted agreement patterns.

    train_passes(con, "persons", comparisons, blocks, levels, ...)
        → the m of every level, as Splink's EM passes on those blocks train it

The arithmetic of Splink's EM without term frequencies (its
`estimate_without_term_frequencies=True`), step for step: the same expectation
(match weights clamped at 1e-300, the same probability formula), the same
maximisation (m of a level = its share of the expected matches among the pairs
where the comparison is not null), the same stop (no m, nor the prior, moved by
the convergence threshold) and the same failures. Splink runs each iteration as a
pipeline of SQL queries, about 40 ms however few the patterns; here an iteration
over a few thousand patterns takes well under a millisecond. u stays fixed, as in
Splink's default. A test holds the m values equal to Splink's own EM.
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

logger = logging.getLogger(__name__)

#: Splink's M_U_CLAMP_MIN: the least m or u a weight is computed from, and the
#: least m it accepts from training.
CLAMP = 1e-300
#: The m or u Splink gives a level that training never observed.
NOT_OBSERVED = 1e-6


class EMFailed(ValueError):
    """The pass cannot train (no pairs, or an m driven below `CLAMP`)."""


@dataclass(frozen=True)
class Patterns:
    """Each distinct agreement pattern of a pass's pairs and how often it occurs.

    gammas[i, c] is pattern i's level of comparison c, numbered as Splink numbers
    comparison vector values: -1 null, 0 the else level, the most specific level
    highest."""

    gammas: np.ndarray  # (patterns, comparisons) of int
    counts: np.ndarray  # (patterns,) of float


@dataclass(frozen=True)
class Trained:
    """m of each comparison's levels, indexed by gamma (NaN: not observed in the
    pass, so not trained), the prior within the pass, and the iterations run."""

    m: list[np.ndarray]
    prior: float
    iterations: int


def _effective(values: np.ndarray) -> np.ndarray:
    return np.where(np.isnan(values), NOT_OBSERVED, values)


def _weights(m: np.ndarray, u: np.ndarray) -> np.ndarray:
    return np.log2(np.maximum(_effective(m), CLAMP) / np.maximum(_effective(u), CLAMP))


def _match_probability(weight: np.ndarray) -> np.ndarray:
    # Splink's two branches keep 2**x from overflowing.
    with np.errstate(over="ignore"):
        return np.where(
            weight >= 0,
            1.0 / (1.0 + np.power(2.0, -weight)),
            np.power(2.0, weight) / (1.0 + np.power(2.0, weight)),
        )


def expectation_maximisation(
    patterns: Patterns,
    m: list[np.ndarray],
    u: list[np.ndarray],
    fixed: list[np.ndarray],
    prior: float,
    *,
    max_iterations: int = 25,
    convergence: float = 1e-4,
) -> Trained:
    """Train the m of each comparison of `patterns` from the starting `m`, with
    `u` fixed. m, u and fixed (bool: m kept as given) are per comparison, indexed
    by gamma; NaN in m or u means not observed."""
    if len(patterns.counts) == 0:
        raise EMFailed("the blocking rule gives no pairs")
    gammas, counts = patterns.gammas, patterns.counts.astype(float)
    present = gammas >= 0
    levels = [np.clip(gammas[:, c], 0, None) for c in range(gammas.shape[1])]
    observed = [
        np.bincount(levels[c][present[:, c]], minlength=len(m[c])) > 0
        for c in range(len(m))
    ]
    m = [values.astype(float).copy() for values in m]
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported
        weight = np.full(len(counts), np.log2(prior / (1 - prior)))
        for c in range(len(m)):
            weight += np.where(present[:, c], _weights(m[c], u[c])[levels[c]], 0.0)
        p = _match_probability(weight)
        expected = p * counts
        new_prior = float(expected.sum() / counts.sum())
        change = abs(new_prior - prior)
        for c in range(len(m)):
            totals = np.bincount(
                levels[c][present[:, c]],
                weights=expected[present[:, c]],
                minlength=len(m[c]),
            )
            total = totals.sum()
            # No pair where the comparison says something: nothing is observed.
            new = np.where(observed[c], totals / total if total else np.nan, np.nan)
            new = np.where(fixed[c], m[c], new)
            trained = ~fixed[c] & observed[c]
            if np.any(~(new[trained] >= CLAMP)):
                raise EMFailed(
                    f"an m value fell below the minimum allowed ({CLAMP}): "
                    "a level no match reaches"
                )
            change = max(
                change, float(np.max(np.abs(_effective(new) - _effective(m[c]))))
            )
            m[c] = new
        prior = new_prior
        if change < convergence:
            break
    return Trained(m, prior, iterations)


# --- passes over a person table -----------------------------------------------


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
                _count_patterns(con, persons, comparisons, active, block, pairs),
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
    active: list[int],
    block: Sequence[str],
    pairs: str,
) -> Patterns:
    """The agreement patterns of the active comparisons over the pairs (each once,
    as Splink's dedupe orders them) that agree on every column of `block`."""
    gammas = [
        f"CASE WHEN {comparisons[c].null} THEN -1 "
        + " ".join(
            f"WHEN {level.sql} THEN {len(comparisons[c].levels) - i}"
            for i, level in enumerate(comparisons[c].levels)
        )
        + f" ELSE 0 END AS g{c}"
        for c in active
    ]
    on = " AND ".join(f"l.{column} = r.{column}" for column in block)
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
