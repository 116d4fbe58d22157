"""Vehicle registration plates: country + cleaned plate."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from empact.engine.normalise import Normalised
from empact.engine.normalise.columns import keyed_by_country
from empact.engine.normalise.countries import country_code

# Plates in Cyrillic-script countries use only the letters that look Latin; a clerk
# may type either, so both must give one key.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІ", "ABEKMHOPCTYXI")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@lru_cache(maxsize=1 << 18)
def normalise_plate(plate: str, country: str | None = None) -> Normalised:
    """('b-ab 1234', 'DE') → key 'DE:BAB1234'; country empty when unknown."""
    upper = plate.upper().translate(_LOOKALIKES)
    cleaned = _NOT_ALNUM.sub("", upper)
    if not cleaned:
        return Normalised(plate.strip(), None, ())
    return Normalised(cleaned, f"{country_code(country) or ''}:{cleaned}", ())


def normalise_plates(
    values: Sequence[str | None], countries: Sequence[str | None] | None = None
) -> list[Normalised | None]:
    """`normalise_plate(value, country)` of each value, the ASCII ones in Arrow."""
    return keyed_by_country(values, countries, normalise_plate)
