"""Phone numbers to E.164 (phonenumbers)."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers

from empact.engine.normalise import Normalised

_E164 = phonenumbers.PhoneNumberFormat.E164


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
    try:
        number = phonenumbers.parse(candidate, region)
    except phonenumbers.NumberParseException:
        return Normalised(raw, None, ("invalid_phone",))
    if not phonenumbers.is_possible_number(number):
        return Normalised(raw, None, ("invalid_phone",))
    e164 = phonenumbers.format_number(number, _E164)
    # A possible but unassigned number is still an identifier people wrote down.
    flags = () if phonenumbers.is_valid_number(number) else ("invalid_phone",)
    return Normalised(e164, e164, flags)
