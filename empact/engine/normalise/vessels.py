"""Ship identifiers: IMO numbers (with their check digit) and MMSI."""

from __future__ import annotations

import re
from functools import lru_cache

from empact.engine.normalise import Normalised

_DIGITS = re.compile(r"\D")


@lru_cache(maxsize=1 << 16)
def normalise_imo(text: str) -> Normalised:
    """'IMO 9074729' → '9074729'; a wrong check digit is flagged `invalid_document`."""
    digits = _DIGITS.sub("", text)
    if len(digits) != 7:
        return Normalised(text.strip(), None, ("invalid_document",))
    check = sum(int(d) * w for d, w in zip(digits[:6], range(7, 1, -1), strict=True))
    flags = () if check % 10 == int(digits[6]) else ("invalid_document",)
    return Normalised(digits, digits, flags)


@lru_cache(maxsize=1 << 16)
def normalise_mmsi(text: str) -> Normalised:
    """A Maritime Mobile Service Identity: nine digits."""
    digits = _DIGITS.sub("", text)
    if len(digits) != 9:
        return Normalised(text.strip(), None, ("invalid_document",))
    return Normalised(digits, digits, ())
