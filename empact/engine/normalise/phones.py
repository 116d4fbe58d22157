"""Phone numbers to E.164 (phonenumbers)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
import phonenumbers
import pyarrow as pa
import pyarrow.compute as pc
from phonenumbers import NumberParseException, PhoneMetadata
from phonenumbers import phonenumberutil as _util

from empact.engine.normalise import Normalised, normalise_values
from empact.engine.normalise.columns import bools

_E164 = phonenumbers.PhoneNumberFormat.E164
# Digits in groups split by single spaces, hyphens, dots or slashes, the way
# contributors write most numbers. phonenumbers reads such a number from its
# digits alone, so each number is parsed once however many ways it is written
# (not after '+0', nor with under 3 digits: there phonenumbers reads the text's
# grouping too).
_DIGIT_GROUPS = re.compile(r"(?:\+(?=[1-9]))?[0-9]+(?:[ \-./][0-9]+)*")
# The same for Arrow's RE2, which has no look-ahead, anchored.
_DIGIT_GROUPS_RE2 = r"^(?:\+[1-9][0-9]*|[0-9]+)(?:[ \-./][0-9]+)*$"
_NOT_DIGIT = re.compile(r"[^0-9]")


@lru_cache(maxsize=1 << 18)
def normalise_phone(text: str, region: str | None = None) -> Normalised:
    """'0151 1234 5678' with region DE → '+4915112345678'.

    `region` (ISO alpha-2) reads numbers written without a country prefix; without
    one such numbers, and anything phonenumbers calls impossible, are flagged
    `invalid_phone` and keep no key.
    """
    # Most numbers are digit groups already trimmed: read those first, the text
    # with its white space tidied only when they are not.
    done = _read_groups(text.strip(), region)
    if done is None:
        raw = " ".join(text.split())
        if not raw:
            return Normalised("", None, ("invalid_phone",))
        done = _read_groups(raw, region)
        if done is None:
            done = read_number("+" + raw[2:] if raw.startswith("00") else raw, region)
    e164, valid = done
    if e164 is None:
        return Normalised(" ".join(text.split()), None, ("invalid_phone",))
    # A possible but unassigned number is still an identifier people wrote down.
    return Normalised(e164, e164, () if valid else ("invalid_phone",))


def _read_groups(text: str, region: str | None) -> tuple[str | None, bool] | None:
    """`read_digits` of a number written as digit groups; None for other text."""
    candidate = "+" + text[2:] if text.startswith("00") else text
    if not _DIGIT_GROUPS.fullmatch(candidate):
        return None
    digits = _NOT_DIGIT.sub("", candidate)
    if not 3 <= len(digits) <= _util._MAX_INPUT_STRING_LENGTH:
        return None
    if candidate[0] == "+":
        return read_digits(digits, None)  # the prefix names the country
    return read_digits(digits, region or "")


def normalise_phones(
    values: Sequence[str | None], regions: Sequence[str | None]
) -> list[Normalised | None]:
    """`normalise_phone(value, region)` for a column.

    Which values are digit groups, and their digits, is worked out for the whole
    column at once in Arrow, which also reads most international numbers
    (`read_international`); Python reads the other digit groups, each distinct
    number once however many ways it is written. Anything else, and numbers
    that do not read, go through `normalise_phone` itself, so the results are
    the same."""
    text = pa.array(values, pa.string())
    plus_text = pc.binary_join_element_wise("+", pc.utf8_slice_codeunits(text, 2), "")
    candidate = pc.if_else(pc.starts_with(text, "00"), plus_text, text)
    digits = pc.replace_substring_regex(candidate, "[^0-9]", "")
    length = pc.utf8_length(digits)
    grouped = pc.and_(
        pc.match_substring_regex(candidate, _DIGIT_GROUPS_RE2),
        pc.and_(
            pc.greater_equal(length, 3),
            pc.less_equal(length, _util._MAX_INPUT_STRING_LENGTH),
        ),
    )
    plus = pc.starts_with(candidate, "+")
    international = bools(pc.and_(grouped, plus))
    read, valid = read_international(digits, international)
    # What Arrow read is '+' and its digits; the rest goes on in Python.
    e164 = pc.binary_join_element_wise("+", digits, "").to_pylist()
    out: list[Normalised | None] = list(
        map(Normalised, e164, e164, map((_INVALID, ()).__getitem__, valid.tolist()))
    )
    unread = np.flatnonzero(~read)
    digits_of, grouped_of, plus_of = (
        column.take(unread).to_pylist() for column in (digits, grouped, plus)
    )
    rest = unread.tolist()
    keys = [
        ((d, None) if p else (d, regions[i] or "")) if g else None
        for i, g, d, p in zip(rest, grouped_of, digits_of, plus_of, strict=True)
    ]
    by_key = {}
    for key in dict.fromkeys(keys):
        if key is not None:
            number, ok = read_digits(*key)
            by_key[key] = number and Normalised(number, number, () if ok else _INVALID)
    todo = []
    for i, key in zip(rest, keys, strict=True):
        out[i] = by_key.get(key) if key is not None else None
        if out[i] is None and values[i] is not None:
            todo.append(i)
    # The rest (other text, or white space to tidy first) one distinct value at
    # a time, as a single value would be.
    again = normalise_values(
        normalise_phone,
        [values[i] for i in todo],
        [(values[i], regions[i]) for i in todo],
    )
    for i, redone in zip(todo, again, strict=True):
        out[i] = redone
    return out


_INVALID = ("invalid_phone",)


def read_international(
    digits: pa.Array, international: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """`read_digits(d, None)` in Arrow for the `international` rows' digits, as
    far as it goes: (which rows it read, whether each is valid).

    It reads a possible number whose national part its country's national
    prefix does not begin; anything else (a prefix to strip, an impossible
    number, a code with no metadata) is left unread for `read_digits`. Then the
    E.164 form is '+' and the digits; validity is `_is_valid` by the same
    expressions in RE2 (the engine libphonenumber's own C++ uses)."""
    read = np.zeros(len(digits), dtype=bool)
    valid = np.zeros(len(digits), dtype=bool)
    # As _extract_country_code: the shortest known code the digits begin with.
    code = pa.nulls(len(digits), pa.string())
    for width in (3, 2, 1):
        prefix = pc.utf8_slice_codeunits(digits, 0, width)
        known = pc.is_in(prefix, value_set=_CODES_BY_WIDTH[width])
        code = pc.if_else(known, prefix, code)
    candidates = pc.and_(pa.array(international), pc.is_valid(code))
    for country in pc.unique(code.filter(candidates)).to_pylist():
        rows = np.flatnonzero(bools(pc.and_(candidates, pc.equal(code, country))))
        national = pc.utf8_slice_codeunits(digits.take(rows), len(country))
        done, ok = _read_national(int(country), national)
        read[rows[done]] = True
        valid[rows[done]] = ok[done]
    return read, valid


_CODES_BY_WIDTH = {
    width: pa.array(
        sorted(
            str(c) for c in _util.COUNTRY_CODE_TO_REGION_CODE if len(str(c)) == width
        ),
        pa.string(),
    )
    for width in (1, 2, 3)
}


def _read_national(
    country_code: int, national: pa.Array
) -> tuple[np.ndarray, np.ndarray]:
    """For national numbers after `country_code`: which `read_digits` would read
    as they are, and which of those are valid."""
    none = np.zeros(len(national), dtype=bool)
    metadata = _main_metadata(country_code)
    if metadata is None:
        return none, none
    length = pc.utf8_length(national).to_numpy(zero_copy_only=False)
    possible = np.array(
        [
            _length(metadata, n) in _POSSIBLE
            for n in range(_util._MAX_LENGTH_FOR_NSN + 1)
        ]
    )
    done = (length >= _util._MIN_LENGTH_FOR_NSN) & (length <= _util._MAX_LENGTH_FOR_NSN)
    done &= possible[np.minimum(length, _util._MAX_LENGTH_FOR_NSN)]
    prefix = metadata.national_prefix_for_parsing
    if prefix:
        done &= ~bools(pc.match_substring_regex(national, f"^(?:{prefix})"))
    return done, _valid_in_arrow(country_code, national, length)


def _valid_in_arrow(
    country_code: int, national: pa.Array, length: np.ndarray
) -> np.ndarray:
    """`_is_valid(country_code, n)` of each national number n."""
    regions = _util.COUNTRY_CODE_TO_REGION_CODE[country_code]
    if len(regions) == 1:
        return _has_type_in_arrow(_main_metadata(country_code), national, length)
    valid = np.zeros(len(national), dtype=bool)
    undecided = np.ones(len(national), dtype=bool)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None:
            continue
        typed = _has_type_in_arrow(metadata, national, length)
        if metadata.leading_digits is not None:
            leading = metadata.leading_digits
            fits = undecided & bools(
                pc.match_substring_regex(national, f"^(?:{leading})")
            )
            valid |= fits & typed
        else:
            fits = undecided & typed
            valid |= fits
        undecided &= ~fits
    return valid


def _has_type_in_arrow(metadata, national: pa.Array, length: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
    """`_has_type(metadata, n)` of each national number n, length by length."""
    has = np.zeros(len(national), dtype=bool)
    for n in np.unique(length).tolist():
        patterns = _type_patterns(metadata, n)
        if patterns is None:
            continue
        general, alternatives = patterns
        rows = np.flatnonzero(length == n)
        some = national.take(rows)
        has[rows] = bools(
            pc.and_(
                pc.match_substring_regex(some, f"^(?:{general})$"),
                pc.match_substring_regex(some, f"^(?:{alternatives})$"),
            )
        )
    return has


# Larger than the other caches: a parse is the costliest step of normalisation,
# and an entry here is small.
@lru_cache(maxsize=1 << 20)
def read_number(candidate: str, region: str | None) -> tuple[str | None, bool]:
    """(E.164, assigned?) of a possible number; (None, False) otherwise."""
    try:
        number = phonenumbers.parse(candidate, region)
    except NumberParseException:
        return None, False
    if not phonenumbers.is_possible_number(number):
        return None, False
    return phonenumbers.format_number(number, _E164), phonenumbers.is_valid_number(
        number
    )


@lru_cache(maxsize=1 << 20)
def read_digits(digits: str, region: str | None) -> tuple[str | None, bool]:
    """`read_number` of ASCII digits: international (after '+') when `region` is
    None, else national in `region` ('' for none).

    phonenumbers.parse spends most of its time finding the digits in the text
    and normalising them (about 15 of 22 µs a number); here they are known, so
    this follows parse's steps from that point with its own helpers. Validity
    asks one regular expression per region and length instead of phonenumbers'
    ten (`_type_pattern`). A property test holds the two equal on random numbers
    in every region."""
    try:
        country_code, national = _parse_digits(digits, region)
    except NumberParseException:
        return None, False
    if _length(_main_metadata(country_code), len(national)) not in _POSSIBLE:
        return None, False
    return f"+{country_code}{national}", _is_valid(country_code, national)


_POSSIBLE = (
    _util.ValidationResult.IS_POSSIBLE,
    _util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
)


def _parse_digits(digits: str, region: str | None) -> tuple[int, str]:
    """(country code, national significant number) as phonenumbers.parse reads
    `digits` ('+' first when `region` is None); raises where parse raises."""
    metadata = None
    if region is not None:
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise NumberParseException(
                NumberParseException.INVALID_COUNTRY_CODE, "no default region"
            )
        metadata = PhoneMetadata.metadata_for_region(region, None)
    country_code, national = _country_code(digits, metadata)
    if country_code:
        if _util.region_code_for_country_code(country_code) != region:
            metadata = _main_metadata(country_code)
    else:
        national = digits
        country_code = metadata.country_code  # a region is known here
    if len(national) < _util._MIN_LENGTH_FOR_NSN:
        raise NumberParseException(NumberParseException.TOO_SHORT_NSN, "too short")
    _, stripped, _ = _util._maybe_strip_national_prefix_carrier_code(national, metadata)
    if _length(metadata, len(stripped)) not in _TOO_SHORT_TO_STRIP:
        national = stripped
    if len(national) < _util._MIN_LENGTH_FOR_NSN:
        raise NumberParseException(NumberParseException.TOO_SHORT_NSN, "too short")
    if len(national) > _util._MAX_LENGTH_FOR_NSN:
        raise NumberParseException(NumberParseException.TOO_LONG, "too long")
    return country_code, national


def _main_metadata(country_code: int):  # type: ignore[no-untyped-def]
    """The metadata of a country code's main region (or of the non-geographic
    entity), as parse and phonenumbers' possibility check look it up."""
    metadata = _MAIN_METADATA.get(country_code)
    if metadata is None:
        metadata = _MAIN_METADATA[country_code] = (
            PhoneMetadata.metadata_for_region_or_calling_code(
                country_code, _util.region_code_for_country_code(country_code)
            )
        )
    return metadata


def _length(metadata, length: int):  # type: ignore[no-untyped-def]
    """phonenumbers' _test_number_length, which depends on the length alone."""
    key = (metadata.country_code, metadata.id, length)
    result = _LENGTHS.get(key)
    if result is None:
        result = _LENGTHS[key] = _util._test_number_length("0" * length, metadata)
    return result


_MAIN_METADATA: dict[int, object] = {}
_LENGTHS: dict[tuple, int] = {}
_TOO_SHORT_TO_STRIP = (
    _util.ValidationResult.TOO_SHORT,
    _util.ValidationResult.IS_POSSIBLE_LOCAL_ONLY,
    _util.ValidationResult.INVALID_LENGTH,
)


def _country_code(digits: str, metadata) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """parse's _maybe_extract_country_code on digits: (0, '') when the number is
    national to `metadata`'s region (None: the digits followed a '+')."""
    if metadata is None:
        after_prefix = digits
    else:
        idd = metadata.international_prefix
        match = _util.re_compile(idd if idd is not None else "NonMatch").match(digits)
        if match and not digits[match.end() : match.end() + 1] == "0":
            after_prefix = digits[match.end() :]
        else:
            return _own_country_code(digits, metadata)
    if len(after_prefix) <= _util._MIN_LENGTH_FOR_NSN:
        raise NumberParseException(
            NumberParseException.TOO_SHORT_AFTER_IDD, "too short after the prefix"
        )
    country_code, national = _util._extract_country_code(after_prefix)
    if country_code == 0:
        raise NumberParseException(
            NumberParseException.INVALID_COUNTRY_CODE, "unknown country code"
        )
    return country_code, national


def _own_country_code(digits: str, metadata) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    """A national number that begins with its own region's country code, read
    as international where parse does so."""
    own = str(metadata.country_code)
    if not digits.startswith(own):
        return 0, ""
    general = metadata.general_desc
    _, rest, _ = _util._maybe_strip_national_prefix_carrier_code(
        digits[len(own) :], metadata
    )
    if (
        not _util._match_national_number(digits, general, False)
        and _util._match_national_number(rest, general, False)
    ) or _length(metadata, len(digits)) == _util.ValidationResult.TOO_LONG:
        return metadata.country_code, rest
    return 0, ""


def _is_valid(country_code: int, national: str) -> bool:
    """phonenumbers.is_valid_number: the number's region (the first of a shared
    country code whose leading digits or numbering plan it fits) knows its type."""
    regions = _util.COUNTRY_CODE_TO_REGION_CODE.get(country_code)
    if not regions:
        return False
    if len(regions) == 1:
        metadata = _main_metadata(country_code)
        return metadata is not None and _has_type(metadata, national)
    for region in regions:
        metadata = PhoneMetadata.metadata_for_region(region, None)
        if metadata is None:
            continue
        if metadata.leading_digits is not None:
            if _util.re_compile(metadata.leading_digits).match(national):
                return _has_type(metadata, national)
        elif _has_type(metadata, national):
            return True
    return False


def _has_type(metadata, national: str) -> bool:  # type: ignore[no-untyped-def]
    """phonenumbers' number type is not UNKNOWN: the general pattern and one type's
    pattern (of those whose possible lengths admit the number's) match."""
    key = (metadata.country_code, metadata.id, len(national))
    pattern = _TYPE_PATTERNS.get(key, False)
    if pattern is False:
        pattern = _TYPE_PATTERNS[key] = _type_pattern(metadata, len(national))
    return pattern is not None and pattern.fullmatch(national) is not None


_TYPE_PATTERNS: dict[tuple, re.Pattern | None] = {}
_TYPES = (
    "premium_rate",
    "toll_free",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
    "fixed_line",
    "mobile",
)


def _type_pattern(metadata, length: int) -> re.Pattern | None:  # type: ignore[no-untyped-def]
    """One expression for `_has_type` on numbers of `length` digits."""
    patterns = _type_patterns(metadata, length)
    if patterns is None:
        return None
    general, alternatives = patterns
    return re.compile(f"(?=(?:{general})\\Z)(?:{alternatives})")


def _type_patterns(metadata, length: int) -> tuple[str, str] | None:  # type: ignore[no-untyped-def]
    """The general expression a number of `length` digits must match, and the
    alternatives of the types it may be; None when it can be of none."""

    def fits(desc) -> bool:  # type: ignore[no-untyped-def]
        return bool(
            desc is not None
            and desc.national_number_pattern
            and (not desc.possible_length or length in desc.possible_length)
        )

    general = metadata.general_desc
    types = [getattr(metadata, name) for name in _TYPES]
    patterns = [d.national_number_pattern for d in types if fits(d)]
    if not fits(general) or not patterns:
        return None
    alternatives = "|".join(f"(?:{p})" for p in patterns)
    return general.national_number_pattern, alternatives
