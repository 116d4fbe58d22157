"""E-mail addresses: trimmed and lower-cased."""

from __future__ import annotations

import re
from functools import lru_cache

from empact.engine.normalise import Normalised

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


@lru_cache(maxsize=1 << 18)
def normalise_email(text: str) -> Normalised:
    """' Ann@Example.ORG ' → 'ann@example.org'; anything else is flagged, unkeyed."""
    cleaned = text.strip().removeprefix("mailto:").lower()
    if not _EMAIL.fullmatch(cleaned):
        return Normalised(text.strip(), None, ("invalid_email",))
    return Normalised(cleaned, cleaned, ())
