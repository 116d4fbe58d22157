"""Expectation maximisation of m probabilities on counted agreement patterns.

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

from dataclasses import dataclass

import numpy as np

#: Splink's M_U_CLAMP_MIN: the least m or u a weight is computed from, and the
#: least m it accepts from training.
CLAMP = 1e-300
#: The m Splink gives, within an EM pass, a level the pass never observed.
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
