"""Identity documents: country + cleaned number; machine-readable zones parsed (mrz)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from mrz.checker.mrva import MRVACodeChecker
from mrz.checker.mrvb import MRVBCodeChecker
from mrz.checker.td1 import TD1CodeChecker
from mrz.checker.td2 import TD2CodeChecker
from mrz.checker.td3 import TD3CodeChecker

from empact.engine.normalise import Normalised
from empact.engine.normalise.columns import keyed_by_country
from empact.engine.normalise.countries import country_code

# Document numbers may be typed with Cyrillic letters that look Latin.
_LOOKALIKES = str.maketrans("АВЕКМНОРСТУХІ", "ABEKMHOPCTYXI")
_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_LENGTHS = (3, 24)  # of a document number's letters and digits


@lru_cache(maxsize=1 << 18)
def normalise_document(number: str, country: str | None = None) -> Normalised:
    """('c01x00t47', 'Germany') → key 'DE:C01X00T47'.

    The key is `COUNTRY:NUMBER` with the issuing country as ISO alpha-2, empty when
    unknown (':C01X00T47'): the same number from two countries is two documents.
    A number that is not 3–24 letters and digits once everything else is removed is
    flagged `invalid_document` but still keyed.
    """
    cleaned = _NOT_ALNUM.sub("", number.upper().translate(_LOOKALIKES))
    if not cleaned:
        return Normalised(number.strip(), None, ("invalid_document",))
    flags = () if _LENGTHS[0] <= len(cleaned) <= _LENGTHS[1] else ("invalid_document",)
    return Normalised(cleaned, f"{country_code(country) or ''}:{cleaned}", flags)


def normalise_documents(
    values: Sequence[str | None], countries: Sequence[str | None] | None = None
) -> list[Normalised | None]:
    """`normalise_document(value, country)` of each value, the ASCII ones in Arrow."""
    return keyed_by_country(
        values,
        countries,
        normalise_document,
        lengths=_LENGTHS,
        flag=("invalid_document",),
    )


@dataclass(frozen=True)
class MachineReadableZone:
    """What an ICAO 9303 machine-readable zone says; whether its check digits hold."""

    document_type: str
    country: str | None
    number: str
    surname: str
    given_names: str
    nationality: str | None
    birth_date: str | None
    expiry_date: str | None
    sex: str
    failed_checks: tuple[str, ...]

    @property
    def flags(self) -> tuple[str, ...]:
        if any(c.endswith("hash") for c in self.failed_checks):
            return ("mrz_check_failed",)
        return ("invalid_document",) if self.failed_checks else ()


# Checks that fail only when the text is not laid out as a zone at all.
_STRUCTURE = {"document type format", "birth date", "expiry date", "valid genre format"}

# Length of the zone without line breaks → (line length, checkers by first letter).
_LAYOUTS = {
    90: (30, TD1CodeChecker, TD1CodeChecker),
    72: (36, TD2CodeChecker, MRVBCodeChecker),
    88: (44, TD3CodeChecker, MRVACodeChecker),
}


@lru_cache(maxsize=1 << 16)
def parse_mrz(text: str, *, collected: dt.date) -> MachineReadableZone | None:
    """Parse a TD1, TD2, TD3 or visa zone; None when it is not laid out as one.

    `collected` (when the data was collected) decides the century of the two-digit
    years: nobody is born after the data about them was collected.
    """
    compact = "".join(text.upper().split())
    layout = _LAYOUTS.get(len(compact))
    if layout is None:
        return None
    width, document_checker, visa_checker = layout
    lines = "\n".join(compact[i : i + width] for i in range(0, len(compact), width))
    checker_class = visa_checker if compact.startswith("V") else document_checker
    try:
        checker = checker_class(lines)
        fields = checker.fields()
    except (
        ValueError,
        IndexError,
        KeyError,
        TypeError,
    ):  # mrz's errors are ValueErrors
        return None
    failed = tuple(name for name, ok in checker.report.falses if not ok)
    if _STRUCTURE.intersection(failed):
        return None  # not a zone with a wrong digit, but no zone at all
    return MachineReadableZone(
        document_type=fields.document_type.strip("<"),
        country=country_code(fields.country),
        number=fields.document_number.strip("<"),
        surname=fields.surname,
        given_names=fields.name,
        nationality=country_code(fields.nationality),
        birth_date=_mrz_date(fields.birth_date, latest=collected.year),
        expiry_date=_mrz_date(fields.expiry_date, latest=collected.year + 30),
        sex=fields.sex.strip("<"),
        failed_checks=failed,
    )


def _mrz_date(yymmdd: str, *, latest: int) -> str | None:
    """'740812' → '1974-08-12', taking the latest century not after `latest`."""
    if not re.fullmatch(r"\d{6}", yymmdd or ""):
        return None
    yy, month, day = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    year = (latest // 100) * 100 + yy
    if year > latest:
        year -= 100
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None
