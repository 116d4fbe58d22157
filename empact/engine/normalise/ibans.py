"""IBANs validated with schwifty; invalid ones are kept, keyed and flagged."""

from __future__ import annotations

import re
from functools import lru_cache

from schwifty import IBAN
from schwifty.exceptions import SchwiftyException

from empact.engine.normalise import Normalised

_NOT_ALNUM = re.compile(r"[^0-9A-Z]")


@lru_cache(maxsize=1 << 18)
def normalise_iban(text: str) -> Normalised:
    """'de89 3704 0044 0532 0130 00' → 'DE89370400440532013000'.

    An IBAN that fails schwifty's checks (country, length, checksum, bank code) keeps
    its compact form as key, so that two contributors quoting the same wrong IBAN
    still meet, and is flagged `invalid_iban`.
    """
    compact = _NOT_ALNUM.sub("", text.upper())
    if not compact:
        return Normalised(text.strip(), None, ("invalid_iban",))
    try:
        iban = IBAN(compact)
    except (SchwiftyException, ValueError):
        return Normalised(compact, compact, ("invalid_iban",))
    return Normalised(iban.compact, iban.compact, ())
