"""Dates, and partial dates of birth: YYYY, YYYY-MM or YYYY-MM-DD."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from empact.engine.normalise import Normalised

_ISO = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?(?:[T ][0-9:.+\-Z]*)?")
# Day first, as written across the EU: 17.05.1980, 17/05/1980, 05/1980.
_DAY_FIRST = re.compile(r"(?:(\d{1,2})[./](\d{1,2})|(\d{1,2}))[./](\d{4})")
EARLIEST_YEAR = 1800


@lru_cache(maxsize=1 << 18)
def normalise_date(text: str) -> Normalised:
    """'1980', '1980-5', '17.05.1980', '05/1980', '1980-05-17T00:00' → ISO prefix.

    The key keeps only the precision given ('1980-05'), so a missing day stays
    missing instead of becoming the first of the month. A value that is not such
    a date, or not a real calendar date, is flagged `invalid_date` and unkeyed.
    """
    raw = text.strip()
    parts = _date_parts(raw)
    if parts is None:
        return Normalised(raw, None, ("invalid_date",))
    iso = _iso(*parts)
    if iso is None:
        return Normalised(raw, None, ("invalid_date",))
    return Normalised(iso, iso, ())


def is_date(text: str) -> bool:
    return normalise_date(text).key is not None


def _date_parts(raw: str) -> tuple[int, int | None, int | None] | None:
    if match := _ISO.fullmatch(raw):
        year, month, day = match.groups()
        return int(year), _int(month), _int(day)
    if match := _DAY_FIRST.fullmatch(raw):
        day, month, month_only, year = match.groups()
        if month_only is not None:
            return int(year), int(month_only), None
        return int(year), int(month), int(day)
    return None


def _iso(year: int, month: int | None, day: int | None) -> str | None:
    if year < EARLIEST_YEAR or year > 2999:
        return None
    if month is None:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None:
        return f"{year:04d}-{month:02d}"
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _int(text: str | None) -> int | None:
    return int(text) if text is not None else None
