"""Phone numbers to E.164 (phonenumbers)."""

from __future__ import annotations

import re
from functools import lru_cache

import phonenumbers

from empact.engine.normalise import Normalised

_E164 = phonenumbers.PhoneNumberFormat.E164
# Digits in groups split by single spaces, hyphens, dots or slashes, the way
# contributors write most numbers. phonenumbers reads such a number from its
# digits alone, so each number is parsed once however many ways it is written
# (not after '+0', nor with under 3 digits: there phonenumbers reads the text's
# grouping too).
_DIGIT_GROUPS = re.compile(r"(?:\+(?=[1-9]))?[0-9]+(?:[ \-./][0-9]+)*")
_NOT_DIGIT = re.compile(r"[^0-9]")


@lru_cache(maxsize=1 << 18)
def normalise_phone(text: str, region: str | None = None) -> Normalised:
    """'0151 1234 5678' with region DE → '+4915112345678'.

    `region` (ISO alpha-2) reads numbers written without a country prefix; without
    one such numbers, and anything phonenumbers calls impossible, are flagged
    `invalid_phone` and keep no key.
    """
    raw = " ".join(text.split())
    if not raw:
        return Normalised("", None, ("invalid_phone",))
    candidate = "+" + raw[2:] if raw.startswith("00") else raw
    digits = _NOT_DIGIT.sub("", candidate)
    if len(digits) >= 3 and _DIGIT_GROUPS.fullmatch(candidate):
        if candidate.startswith("+"):
            candidate, region = "+" + digits, None  # the prefix names the country
        else:
            candidate = digits
    e164, valid = read_number(candidate, region)
    if e164 is None:
        return Normalised(raw, None, ("invalid_phone",))
    # A possible but unassigned number is still an identifier people wrote down.
    return Normalised(e164, e164, () if valid else ("invalid_phone",))


# Larger than the other caches: a parse is the costliest step of normalisation,
# and an entry here is small.
@lru_cache(maxsize=1 << 20)
def read_number(candidate: str, region: str | None) -> tuple[str | None, bool]:
    """(E.164, assigned?) of a possible number; (None, False) otherwise."""
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return None, False
    if not phonenumbers.is_possible_number(number):
        return None, False
    return phonenumbers.format_number(number, _E164), phonenumbers.is_valid_number(
        number
    )
