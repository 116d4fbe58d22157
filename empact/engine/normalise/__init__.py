"""Normalisation of identifiers and names into matching keys: pure, cached functions.

Each normaliser takes one raw value and returns a `Normalised` (cleaned value, matching
key or None, flags). A value that cannot be normalised is kept and flagged, never
dropped. `normalise_values` applies a normaliser to a column, computing each distinct
value once, which is what makes a million-row column fast: real data repeats.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple


class Normalised(NamedTuple):
    """A value cleaned for display, its key for matching, and what is wrong with it.

    A named tuple rather than a dataclass: made a million times a column, it
    costs a fraction as much."""

    value: str
    key: str | None
    flags: tuple[str, ...] = ()


def normalise_values(
    normaliser: Callable[..., Normalised],
    values: Sequence[str | None],
    args: Sequence[tuple] | None = None,
) -> list[Normalised | None]:
    """`normaliser(value)` for each value (None stays None), or `normaliser(*arg)`
    with each value's `args`; each distinct call once."""
    calls = [(v,) for v in values] if args is None else args
    seen: dict[tuple, Normalised] = {}
    out: list[Normalised | None] = []
    for value, call in zip(values, calls, strict=True):
        if value is None:
            out.append(None)
            continue
        done = seen.get(call)
        if done is None:
            done = seen[call] = normaliser(*call)
        out.append(done)
    return out
