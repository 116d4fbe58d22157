"""IBANs validated by schwifty's rules; invalid ones are kept, keyed and flagged."""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from schwifty import registry
from schwifty.exceptions import InvalidCountryCode

from empact.engine.normalise import Normalised
from empact.engine.normalise.columns import ascii_alnum_upper, assemble, bools

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")
_STRUCTURE = re.compile(r"[A-Z]{2}\d{2}[A-Z0-9]+")  # as schwifty's
_STRUCTURE_RE2 = "^[A-Z]{2}[0-9]{2}[A-Z0-9]+$"
_INVALID = ("invalid_iban",)
_NUMERIC = str.maketrans(
    {c: str(i) for i, c in enumerate(string.digits + string.ascii_uppercase)}
)


@lru_cache(maxsize=1 << 18)
def normalise_iban(text: str) -> Normalised:
    """'de89 3704 0044 0532 0130 00' → 'DE89370400440532013000'.

    An IBAN that fails schwifty's checks (country, length, format of the national
    part, check digits) keeps its compact form as key, so that two contributors
    quoting the same wrong IBAN still meet, and is flagged `invalid_iban`.
    """
    compact = _NOT_ALNUM.sub("", text.upper())
    if not compact:
        return Normalised(text.strip(), None, ("invalid_iban",))
    return Normalised(
        compact, compact, () if is_valid_iban(compact) else ("invalid_iban",)
    )


def is_valid_iban(compact: str) -> bool:
    """schwifty's `IBAN(compact)` validation of an upper-case alphanumeric IBAN.

    Its steps, with its own registry of national formats, without building the
    IBAN and BBAN objects around them (8 µs an IBAN, most of normalising one); a
    property test holds the two equal."""
    if not _STRUCTURE.fullmatch(compact):
        return False
    try:
        spec = registry.get_iban_spec(compact[:2])
    except InvalidCountryCode:
        return False
    national = compact[4:]
    if len(compact) != spec.iban_length or not spec.regex.match(national):
        return False
    # ISO 7064 mod 97-10 check digits computed, not just tested (as schwifty does:
    # 00, 01 and 99 pass a plain mod-97 test, but no IBAN carries them).
    remainder = int((national + compact[:2]).translate(_NUMERIC)) * 100 % 97
    return f"{98 - remainder:02d}" == compact[2:4]


def normalise_ibans(values: Sequence[str | None]) -> list[Normalised | None]:
    """`normalise_iban` of each value, the column's ASCII values checked in Arrow."""
    compact, fast = ascii_alnum_upper(pa.array(values, pa.string()))
    return assemble(
        values,
        fast,
        compact,
        compact,
        ~valid_ibans(compact),
        _INVALID,
        lambda i: normalise_iban(values[i]),  # type: ignore[arg-type]
    )


def valid_ibans(compact: pa.Array) -> np.ndarray:
    """`is_valid_iban` of each upper-case alphanumeric value, country by country:
    schwifty's expression for the national part in RE2, the check digits by
    numpy, all the IBANs of a country having one length."""
    valid = np.zeros(len(compact), dtype=bool)
    shaped = bools(pc.match_substring_regex(compact, _STRUCTURE_RE2))
    country = pc.utf8_slice_codeunits(compact, 0, 2)
    for code in pc.unique(country.filter(pa.array(shaped))).to_pylist():
        try:
            spec = registry.get_iban_spec(code)
        except InvalidCountryCode:
            continue
        rows = np.flatnonzero(shaped & bools(pc.equal(country, code)))
        ibans = compact.take(rows)
        fits = bools(
            pc.and_(
                pc.equal(pc.binary_length(ibans), spec.iban_length),
                pc.match_substring_regex(
                    pc.utf8_slice_codeunits(ibans, 4), spec.regex.pattern
                ),
            )
        )
        rows, ibans = rows[fits], ibans.filter(pa.array(fits))
        valid[rows] = _check_digits_hold(ibans, spec.iban_length)
    return valid


def _check_digits_hold(ibans: pa.Array, length: int) -> np.ndarray:
    """The ISO 7064 mod 97-10 check of `is_valid_iban` on IBANs of `length`
    characters, as one row of bytes each."""
    if not len(ibans):
        return np.zeros(0, dtype=bool)
    _, offsets, data = ibans.buffers()
    start = int(np.frombuffer(offsets, dtype=np.int32)[ibans.offset])
    text = np.frombuffer(data, dtype=np.uint8)
    chars = text[start : start + len(ibans) * length].reshape(len(ibans), length)
    # '0'-'9' are 0-9 and 'A'-'Z' are 10-35, read as the digits they stand for.
    numbers = np.where(chars >= ord("A"), chars - (ord("A") - 10), chars - ord("0"))
    numbers = numbers.astype(np.int64)
    remainder = np.zeros(len(ibans), dtype=np.int64)
    for column in [*range(4, length), 0, 1]:
        digit = numbers[:, column]
        remainder = np.where(digit >= 10, remainder * 100, remainder * 10)
        remainder = (remainder + digit) % 97
    given = numbers[:, 2] * 10 + numbers[:, 3]
    return 98 - remainder * 100 % 97 == given
