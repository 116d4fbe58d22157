"""Which normaliser an FtM property gets, and normalising a column of its values."""

from __future__ import annotations

import gc
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache

from followthemoney import model
from followthemoney.types import registry

from empact.engine.normalise import Normalised, normalise_values
from empact.engine.normalise.countries import country_code, phone_region
from empact.engine.normalise.dates import normalise_date
from empact.engine.normalise.documents import normalise_documents
from empact.engine.normalise.emails import normalise_email
from empact.engine.normalise.ibans import normalise_ibans
from empact.engine.normalise.names import normalise_name
from empact.engine.normalise.phones import normalise_phones
from empact.engine.normalise.plates import normalise_plates
from empact.engine.normalise.vessels import normalise_imo, normalise_mmsi

#: Flags that make a value wrong rather than doubtful: the row is rejected.
REJECTING_FLAGS = frozenset({"invalid_date", "invalid_country"})

_DOCUMENT_PROPS = {"passportNumber", "idNumber"}
_IDENTIFICATION_PROPS = {"number", "passportNumber"}
_NAME_SCHEMATA = ("LegalEntity", "Vessel", "Vehicle")


@dataclass(frozen=True)
class PropertyRule:
    """How one property of one schema is normalised."""

    prop_type: str
    kind: str | None
    #: Properties of the same entity that say which country the value belongs to.
    country_props: tuple[str, ...] = ()


@cache
def property_rule(schema_name: str, prop_name: str) -> PropertyRule:
    """The rule for `schema.prop`; KeyError if FtM does not know the property."""
    schema = model.get(schema_name)
    if schema is None:
        raise KeyError(f"{schema_name!r} is not a followthemoney schema")
    prop = schema.get(prop_name)
    if prop is None:
        raise KeyError(f"{schema_name} has no property {prop_name!r}")
    prop_type = prop.type.name
    kind, countries = _kind(schema, prop_name, prop_type)
    return PropertyRule(prop_type=prop_type, kind=kind, country_props=countries)


def _kind(schema, prop_name: str, prop_type: str) -> tuple[str | None, tuple[str, ...]]:  # type: ignore[no-untyped-def]
    if prop_type == "phone":
        return "phone", ("country",)
    if prop_type == "email":
        return "email", ()
    if prop_name in ("iban", "ibanMentioned"):
        return "iban", ()
    if schema.is_a("Identification") and prop_name in _IDENTIFICATION_PROPS:
        return "document", ("country",)
    if schema.is_a("Person") and prop_name in _DOCUMENT_PROPS:
        return "document", ()
    if schema.is_a("Vehicle") and prop_name == "registrationNumber":
        return "plate", ("country",)
    if schema.is_a("Vessel") and prop_name in ("imoNumber", "mmsi"):
        return ("imo" if prop_name == "imoNumber" else "mmsi"), ()
    if prop_name == "birthDate":
        return "birth_date", ()
    if prop_type == "name" and any(schema.is_a(s) for s in _NAME_SCHEMATA):
        return "name", ()
    return None, ()


def normalise_column(
    rule: PropertyRule,
    values: Sequence[str | None],
    *,
    region: str | None = None,
    countries: Sequence[str | None] | None = None,
) -> list[Normalised | None]:
    """Normalise one column of raw values for `rule`: phones, IBANs, documents
    and plates mostly in Arrow, other values each distinct one once.

    `countries` (one per value, from the rule's `country_props`) places documents and
    plates, and reads phone numbers written without a country prefix; `region` does
    that where the entity's country is unknown.
    """
    # A column makes up to a million small objects, none in a reference cycle:
    # the cycle collector's full passes over them found nothing and took a
    # quarter of the time (S1 ③ in BENCHMARKS.md). Reference counting frees them.
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _normalise_column(rule, values, region, countries)
    finally:
        if enabled:
            gc.enable()


def _normalise_column(
    rule: PropertyRule,
    values: Sequence[str | None],
    region: str | None,
    countries: Sequence[str | None] | None,
) -> list[Normalised | None]:
    kind = rule.kind
    if kind == "phone":
        if countries is None:
            return normalise_phones(values, [region] * len(values))
        places = {c: _region(c) or region for c in set(countries)}
        return normalise_phones(values, [places[c] for c in countries])
    if kind == "document":
        return normalise_documents(values, countries)
    if kind == "plate":
        return normalise_plates(values, countries)
    if kind == "iban":
        return normalise_ibans(values)
    return normalise_values(_SIMPLE.get(kind or rule.prop_type, _plain), values)


def _region(country: str | None) -> str | None:
    return phone_region(country) if country else None


def _plain(text: str) -> Normalised:
    return Normalised(
        " ".join(text.split()) if "\n" not in text else text.strip(), None
    )


def _country(text: str) -> Normalised:
    code = country_code(text)
    if code is None:
        return Normalised(text.strip(), None, ("invalid_country",))
    return Normalised(code.lower(), None, ())


def _gender(text: str) -> Normalised:
    # FtM's words (male, female, other); anything else is kept as written.
    return Normalised(registry.gender.clean(text) or " ".join(text.split()), None)


def _date(text: str) -> Normalised:
    done = normalise_date(text)
    return Normalised(done.value, None, done.flags)


def _text(text: str) -> Normalised:
    return Normalised(text.strip(), None)


_SIMPLE: dict[str, Callable[[str], Normalised]] = {
    "email": normalise_email,
    "imo": normalise_imo,
    "mmsi": normalise_mmsi,
    "name": normalise_name,
    "birth_date": normalise_date,
    "date": _date,
    "country": _country,
    "gender": _gender,
    "string": _plain,
    "text": _text,
}
