from pathlib import Path

import pycountry
import pytest
import yaml

from empact.organisations.codes import (
    AGENCY_ALIASES,
    eu_country_code,
    is_known_country_code,
    iso_country_code,
    organisation_code,
    spelling_key,
)


@pytest.mark.parametrize(
    ("as_written", "code"),
    [
        ("EUROPOL", "EUROPOL"),
        ("Europol", "EUROPOL"),
        ("Frontex", "FRONTEX"),
        ("FRONTEX", "FRONTEX"),
        ("eu-LISA", "EU-LISA"),
        ("EU-LISA", "EU-LISA"),
        ("CEPOL", "CEPOL"),
        ("PL (Police Forces)", "PL"),
        ("EL (Police Forces)", "EL"),
        ("Cyprus (Police Forces)", "CY"),
        ("United Kingdom", "UK"),
        ("United Kingdom (Police Forces)", "UK"),
        ("France (Police Forces)", "FR"),
        ("AT (Police Forces)", "AT"),
        ("DE (Border Guard)", "DE"),
        ("ES (Customs)", "ES"),
        ("Greece", "EL"),
        ("GR", "EL"),
        ("EL", "EL"),
        ("GB", "UK"),
        ("UK", "UK"),
        ("Germany", "DE"),
        ("European Commission", "COM"),
        ("EUROPEAN COMMISSION", "COM"),
        ("COM", "COM"),
        ("EC", "EC"),  # Ecuador: the Commission is written COM
        ("Türkiye", "TR"),
        ("Turkey", "TR"),
        ("Kosovo", "XK"),
        ("Kosovo*", "XK"),
        ("Russia", "RU"),
        ("Cote d'Ivoire", "CI"),
        ("North Macedonia", "MK"),
        ("Guinea-Bissau", "GW"),
        ("EUNAVFORMED – Operation IRINI", "EUNAVFOR-MED"),
        ("EUNAVFOR MED", "EUNAVFOR-MED"),
        ("EMCDDA", "EUDA"),
        ("Interpol", "INTERPOL"),
        ("  Frontex  ", "FRONTEX"),
    ],
)
def test_organisation_code_reads_how_an_oap_writes_a_leader(as_written, code):
    assert organisation_code(as_written) == code


@pytest.mark.parametrize(
    "as_written",
    [
        "",
        "   ",
        "(Police Forces)",
        "Police Forces",
        "Narnia",
        "Europoll",
        "CY DE",
        "276",
        "Frontex 2024",
    ],
)
def test_organisation_code_is_none_for_what_it_does_not_recognise(as_written):
    assert organisation_code(as_written) is None


def test_every_alias_key_is_already_in_lookup_form():
    assert {key: spelling_key(key) for key in AGENCY_ALIASES} == {
        key: key for key in AGENCY_ALIASES
    }


def test_no_alias_hides_a_country_except_the_commission_over_comoros():
    hidden = {
        key
        for key in AGENCY_ALIASES
        if pycountry.countries.get(alpha_2=key) or pycountry.countries.get(alpha_3=key)
    }
    assert hidden == {"COM"}


@pytest.mark.parametrize(
    ("iso", "eu"),
    [("GR", "EL"), ("GB", "UK"), ("DE", "DE"), ("XK", "XK")],
)
def test_eu_and_iso_country_codes_convert_both_ways(iso, eu):
    assert eu_country_code(iso) == eu
    assert iso_country_code(eu) == iso


@pytest.mark.parametrize(
    ("code", "known"),
    [
        ("DE", True),
        ("EL", True),
        ("UK", True),
        ("XK", True),
        ("GR", False),
        ("GB", False),
        ("de", False),
        ("ZZ", False),
        ("DEU", False),
        ("", False),
    ],
)
def test_is_known_country_code_takes_eu_style_codes_only(code, known):
    assert is_known_country_code(code) is known


def catalogue_entries():
    path = Path(__file__).resolve().parents[1] / "data" / "organisations.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "entry", catalogue_entries(), ids=lambda entry: str(entry["code"])
)
def test_every_catalogue_organisation_is_recognised_by_code_and_by_name(entry):
    assert organisation_code(entry["code"]) == entry["code"]
    assert organisation_code(entry["name"]) == entry["code"]
