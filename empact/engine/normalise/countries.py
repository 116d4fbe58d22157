"""Country codes as the engine keys them: ISO 3166 alpha-2, upper case."""

from __future__ import annotations

from functools import lru_cache

import pycountry

# Codes an ICAO machine-readable zone or an EU document uses that are not ISO 3166.
_SPECIAL = {
    "D": "DE",  # Germany in ICAO 9303
    "EL": "GR",  # Greece in EU usage
    "UK": "GB",
    "GBD": "GB",
    "GBN": "GB",
    "GBO": "GB",
    "GBP": "GB",
    "GBS": "GB",
    "RKS": "XK",  # Kosovo
    "EUE": "EU",  # European Union laissez-passer
    "EU": "EU",
}


@lru_cache(maxsize=4096)
def country_code(text: str | None) -> str | None:
    """'DEU', 'de', 'Germany', 'D' → 'DE'; None when it is not a country we know."""
    if text is None:
        return None
    cleaned = text.strip().strip("<").upper()
    if not cleaned:
        return None
    if cleaned in _SPECIAL:
        return _SPECIAL[cleaned]
    try:
        # pycountry rather than FtM's country type: FtM loads every territory name in
        # every language first, which costs seconds per process.
        return str(pycountry.countries.lookup(cleaned).alpha_2)
    except LookupError:
        return "XK" if cleaned in ("XK", "XKX", "KOSOVO") else None


def phone_region(contributor: str | None) -> str | None:
    """The phone region of a contributor whose code is a country, else None."""
    code = country_code(contributor)
    return code if code and len(code) == 2 and code != "EU" else None
