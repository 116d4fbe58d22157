"""Names transliterated to ASCII and fingerprinted with rigour, as FtM 4 does.

The key is the set of a name's ASCII tokens, sorted, so that 'GARCÍA López, José',
'José Garcia Lopez' and 'Хосе Гарсия Лопес' meet despite script, accents, case,
punctuation and the order of the parts; honorifics ('Mr', 'Dr') are dropped.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rigour.names import remove_person_prefixes, tokenize_name
from rigour.text.phonetics import metaphone
from rigour.text.translit import ascii_text, maybe_ascii

from empact.engine.normalise import Normalised

_NOT_ALNUM = re.compile(r"[^a-z0-9]")


@lru_cache(maxsize=1 << 18)
def name_tokens(text: str) -> tuple[str, ...]:
    """The ASCII tokens of a name in their order, honorifics dropped."""
    tokens = (_latin(t) for t in tokenize_name(remove_person_prefixes(text).casefold()))
    return tuple(t for t in tokens if t)


@lru_cache(maxsize=1 << 18)
def _latin(token: str) -> str:
    # Cached per token: tokens repeat far more than whole names, and ICU's
    # transliteration of Han or Arabic script costs up to milliseconds a call.
    if token.isascii():
        return _NOT_ALNUM.sub("", token)
    latin = maybe_ascii(token)
    if not latin.isascii():
        latin = ascii_text(latin)
    return _NOT_ALNUM.sub("", latin.lower())


def name_key(text: str) -> str | None:
    """'Dr. José GARCÍA-López' → 'garcia jose lopez'; None when nothing is left."""
    tokens = sorted(set(name_tokens(text)))
    return " ".join(tokens) or None


@lru_cache(maxsize=1 << 16)
def name_phonetic_key(text: str) -> str | None:
    """The metaphone codes of the tokens, sorted: 'Meier Jon' ~ 'Jonh Mayer'."""
    codes = sorted({metaphone(t) for t in name_tokens(text) if t.isalpha()} - {""})
    return " ".join(codes) or None


@lru_cache(maxsize=1 << 18)
def normalise_name(text: str) -> Normalised:
    """A name with its spaces squashed, keyed by `name_key`."""
    return Normalised(" ".join(text.split()), name_key(text), ())
