"""Normalisation of identifiers and names into matching keys: pure, cached functions.

Each normaliser takes one raw value and returns a `Normalised` (cleaned value, matching
key or None, flags). A value that cannot be normalised is kept and flagged, never
dropped. `normalise_values` applies a normaliser to a column, computing each distinct
value once, which is what makes a million-row column fast: real data repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Normalised:
    """A value cleaned for display, its key for matching, and what is wrong with it."""

    value: str
    key: str | None
    flags: tuple[str, ...] = ()


def normalise_values(
    normaliser: Callable[[str], Normalised], values: Sequence[str | None]
) -> list[Normalised | None]:
    """Apply `normaliser` to each value (None stays None), each distinct value once."""
    seen: dict[str, Normalised] = {}
    out: list[Normalised | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        done = seen.get(value)
        if done is None:
            done = seen[value] = normaliser(value)
        out.append(done)
    return out
