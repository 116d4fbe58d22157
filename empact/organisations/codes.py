"""Organisation codes: how a plan writes an organisation, turned into its code.

Pure functions, no Django. Codes follow the catalogue (data/organisations.yaml):
ISO 3166 alpha-2 for states with the EU conventions (EL, UK, XK), upper-case short
names for agencies and international organisations.
"""

import re

import pycountry

# How agencies, EU bodies and international organisations are written in OAPs,
# keyed by the spelling after `spelling_key` (upper case; runs of spaces, hyphens and
# dashes made one space), mapped to their catalogue code. Former names map to the
# body that replaced them (EASO is now EUAA, EMCDDA is now EUDA). "COM" is also the
# ISO alpha-3 code of Comoros; in a plan it means the Commission, so aliases are
# looked up before countries. "EC" is left out on purpose: it is Ecuador's code.
AGENCY_ALIASES: dict[str, str] = {
    "EUROPOL": "EUROPOL",
    "FRONTEX": "FRONTEX",
    "EUROPEAN BORDER AND COAST GUARD AGENCY": "FRONTEX",
    "CEPOL": "CEPOL",
    "EU LISA": "EU-LISA",
    "EULISA": "EU-LISA",
    "EUROJUST": "EUROJUST",
    "EUAA": "EUAA",
    "EUROPEAN UNION AGENCY FOR ASYLUM": "EUAA",
    "EASO": "EUAA",
    "EUDA": "EUDA",
    "EUROPEAN UNION DRUGS AGENCY": "EUDA",
    "EMCDDA": "EUDA",
    "OLAF": "OLAF",
    "EPPO": "EPPO",
    "COM": "COM",
    "EUROPEAN COMMISSION": "COM",
    "EEAS": "EEAS",
    "EUNAVFOR MED": "EUNAVFOR-MED",
    "EUNAVFORMED": "EUNAVFOR-MED",
    "EUNAVFOR MED IRINI": "EUNAVFOR-MED",
    "EUNAVFOR MED OPERATION IRINI": "EUNAVFOR-MED",
    "EUNAVFORMED OPERATION IRINI": "EUNAVFOR-MED",
    "OPERATION IRINI": "EUNAVFOR-MED",
    "INTERPOL": "INTERPOL",
    "UNODC": "UNODC",
    "IOM": "IOM",
    "ICMPD": "ICMPD",
    "AFRIPOL": "AFRIPOL",
}

# Country codes the EU writes differently from ISO 3166 (EU code -> ISO code).
EU_TO_ISO: dict[str, str] = {"EL": "GR", "UK": "GB"}
ISO_TO_EU: dict[str, str] = {iso: eu for eu, iso in EU_TO_ISO.items()}

# Codes valid in EU texts that pycountry does not list: the conventions above and
# Kosovo's user-assigned XK.
EU_ONLY_CODES: frozenset[str] = frozenset({*EU_TO_ISO, "XK"})

# Country names OAPs use that pycountry does not know (ISO 3166 names differ).
EXTRA_COUNTRY_NAMES: dict[str, str] = {
    "KOSOVO": "XK",
    "TURKEY": "TR",
    "RUSSIA": "RU",
    "COTE D'IVOIRE": "CI",
    "IVORY COAST": "CI",
}

_BRACKETED = re.compile(r"\([^()]*\)")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015]+")


def stripped_name(as_written: str) -> str:
    """The name without bracketed qualifiers ("(Police Forces)") or footnote stars,
    spaces collapsed."""
    text = _BRACKETED.sub(" ", as_written).replace("*", " ")
    return " ".join(text.split())


def spelling_key(as_written: str) -> str:
    """The key into AGENCY_ALIASES: the stripped name in upper case, with runs of
    spaces, hyphens and dashes made one space."""
    return _SEPARATORS.sub(" ", stripped_name(as_written)).strip().upper()


def eu_country_code(iso_alpha2: str) -> str:
    """The EU's code for an ISO 3166 alpha-2 code: GR -> EL, GB -> UK, others same."""
    return ISO_TO_EU.get(iso_alpha2, iso_alpha2)


def iso_country_code(eu_code: str) -> str:
    """The ISO 3166 alpha-2 code for an EU country code: EL -> GR, UK -> GB."""
    return EU_TO_ISO.get(eu_code, eu_code)


def is_known_country_code(eu_code: str) -> bool:
    """Whether an EU-style alpha-2 code names a country (ISO 3166 or EL, UK, XK)."""
    if not re.fullmatch(r"[A-Z]{2}", eu_code):
        return False
    if eu_code in EU_ONLY_CODES:
        return True
    if eu_code in ISO_TO_EU:
        return False  # GR and GB are written EL and UK in EU texts.
    return pycountry.countries.get(alpha_2=eu_code) is not None


def organisation_code(as_written: str) -> str | None:
    """The catalogue code for an organisation as an OAP writes it, or None.

    "Cyprus (Police Forces)" -> "CY", "GR" -> "EL", "eu-LISA" -> "EU-LISA".
    Only exact names and codes are recognised; nothing is guessed.
    """
    name = stripped_name(as_written).upper()
    if not name or any(ch.isdigit() for ch in name):
        return None
    key = spelling_key(name)
    if key in AGENCY_ALIASES:
        return AGENCY_ALIASES[key]
    if name in EU_ONLY_CODES:
        return name
    if name in EXTRA_COUNTRY_NAMES:
        return EXTRA_COUNTRY_NAMES[name]
    try:
        country = pycountry.countries.lookup(name)
    except LookupError:
        return None
    return eu_country_code(country.alpha_2)
