import datetime as dt

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empact.engine.normalise import Normalised, normalise_values
from empact.engine.normalise.countries import country_code, phone_region
from empact.engine.normalise.dates import normalise_date
from empact.engine.normalise.documents import (
    normalise_document,
    normalise_documents,
    parse_mrz,
)
from empact.engine.normalise.emails import normalise_email
from empact.engine.normalise.ibans import is_valid_iban, normalise_iban, normalise_ibans
from empact.engine.normalise.names import name_key, name_phonetic_key, name_tokens
from empact.engine.normalise.phones import (
    normalise_phone,
    normalise_phones,
    read_digits,
    read_international,
)
from empact.engine.normalise.plates import normalise_plate, normalise_plates
from empact.engine.normalise.properties import normalise_column, property_rule
from empact.engine.normalise.vessels import normalise_imo, normalise_mmsi

# ICAO 9303 part 4 specimen and the German specimen passport.
TD3 = (
    "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\n"
    "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
)
TD1 = (
    "I<UTOD231458907<<<<<<<<<<<<<<<\n"
    "7408122F1204159UTO<<<<<<<<<<<6\n"
    "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"
)
GERMAN = (
    "P<D<<MUSTERMANN<<ERIKA<<<<<<<<<<<<<<<<<<<<<<"
    "C01X00T478D<<6408125F2702283<<<<<<<<<<<<<<<4"
)
COLLECTED = dt.date(2026, 1, 1)


@pytest.mark.parametrize(
    ("raw", "region", "key"),
    [
        ("0151 1234 5678", "DE", "+4915112345678"),
        ("+49 (151) 1234-5678", None, "+4915112345678"),
        ("0049 151 12345678", None, "+4915112345678"),
        ("06 12 34 56 78", "FR", "+33612345678"),
    ],
)
def test_phones_become_e164(raw, region, key):
    assert normalise_phone(raw, region) == Normalised(key, key, ())


@pytest.mark.parametrize("raw", ["0151 1234 5678", "12", "call me", ""])
def test_phones_that_cannot_be_read_are_flagged_and_unkeyed(raw):
    result = normalise_phone(raw, None)
    assert result.key is None
    assert result.flags == ("invalid_phone",)


def _phonenumbers_on_the_text(raw, region):
    """What phonenumbers itself makes of the text as written (00 as +)."""
    text = " ".join(raw.split())
    return _phonenumbers_reads(
        "+" + text[2:] if text.startswith("00") else text, region
    )


def _phonenumbers_reads(text, region):
    import phonenumbers

    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None, False
    if not phonenumbers.is_possible_number(number):
        return None, False
    e164 = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return e164, phonenumbers.is_valid_number(number)


_PHONE_TEXT = st.from_regex(r"\A(\+|00)?[0-9]{1,4}([ ./-]?[0-9]{1,5}){0,4}\Z")


# The normaliser reads a number written as digit groups from its digits alone (one
# parse per number, however it is written): it must agree with phonenumbers reading
# the text as written, in every region's reading.
@settings(deadline=None, max_examples=300)
@given(_PHONE_TEXT, st.sampled_from([None, "DE", "FR", "IT", "GB", "US", "UA", "MA"]))
def test_phones_read_from_their_digits_as_phonenumbers_reads_the_text(raw, region):
    done = normalise_phone(raw, region)
    e164, valid = _phonenumbers_on_the_text(raw, region)
    assert done.key == e164
    assert ("invalid_phone" not in done.flags) == (e164 is not None and valid)


@st.composite
def _digits_in_a_region(draw):
    """(digits, region): a region's example number of some type, with or without
    its country code, maybe one digit changed; or random digits. Region None: the
    digits follow a '+'; '' is no region at all."""
    import phonenumbers

    regions = sorted(phonenumbers.SUPPORTED_REGIONS)
    region = draw(st.sampled_from(regions))
    example = phonenumbers.example_number_for_type(region, draw(st.integers(0, 10)))
    digits = draw(st.from_regex(r"\A[0-9]{3,18}\Z"))
    if example is not None and draw(st.booleans()):
        digits = phonenumbers.national_significant_number(example)
        if draw(st.booleans()):
            digits = f"{example.country_code}{digits}"
        if draw(st.booleans()):
            at = draw(st.integers(0, len(digits) - 1))
            digits = (
                digits[:at] + draw(st.sampled_from("0123456789")) + digits[at + 1 :]
            )
    if digits[0] != "0" and draw(st.booleans()):
        return digits, None
    return digits, draw(st.sampled_from([region, "", *regions]))


# read_digits follows phonenumbers.parse from the point where the digits are
# known, with its own checks of possibility and validity: it must read any digits
# in any region exactly as phonenumbers does (its numbering plans change with
# each release, so this runs on the pinned version's metadata).
@settings(deadline=None, max_examples=600)
@given(_digits_in_a_region())
def test_digits_are_read_as_phonenumbers_reads_them_in_every_region(case):
    digits, region = case
    if region is None:
        expected = _phonenumbers_reads("+" + digits, None)
    else:
        expected = _phonenumbers_reads(digits, region or None)
    assert read_digits.__wrapped__(digits, region) == expected


# A column is sorted into digit groups in Arrow, the rest read one by one: the
# column must come out exactly as each value would on its own.
@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.one_of(
                st.none(),
                _PHONE_TEXT,
                _PHONE_TEXT.map(lambda t: f" {t}\t"),
                st.text(alphabet="0123456789+ -./()x٣", max_size=16),
            ),
            st.sampled_from([None, "DE", "FR", "US", "ZZ"]),
        ),
        max_size=30,
    )
)
def test_a_column_of_phones_reads_as_each_value_alone(rows):
    values = [v for v, _ in rows]
    regions = [r for _, r in rows]
    expected = [None if v is None else normalise_phone(v, r) for v, r in rows]
    assert normalise_phones(values, regions) == expected


# Arrow reads most international numbers of a column (`read_international`): it
# must read them as phonenumbers does, in every region's numbering plan.
@settings(deadline=None, max_examples=300)
@given(st.lists(_digits_in_a_region(), min_size=1, max_size=20))
def test_a_column_of_numbers_in_every_region_reads_as_each_alone(cases):
    values = ["+" + d if region is None else d for d, region in cases]
    regions = [region or None for _, region in cases]
    expected = [normalise_phone(v, r) for v, r in zip(values, regions, strict=True)]
    assert normalise_phones(values, regions) == expected


def test_arrow_reads_international_numbers_and_leaves_a_prefix_to_python():
    digits = pa.array(["4915112345678", "440201234567", "4915112345678", "3912"])
    read, valid = read_international(digits, np.array([True, True, False, True]))
    # Germany's mobile read and valid; the UK's trunk 0 after +44 is for
    # read_digits to strip; a row not marked international, or too short for
    # its country, is not read.
    assert read.tolist() == [True, False, False, False]
    assert valid[0]


def test_a_valid_iban_is_compacted():
    assert normalise_iban("de89 3704 0044 0532 0130 00") == Normalised(
        "DE89370400440532013000", "DE89370400440532013000", ()
    )


def test_an_iban_with_a_wrong_check_digit_is_kept_keyed_and_flagged():
    result = normalise_iban("DE89 3704 0044 0532 0130 01")
    assert result == Normalised(
        "DE89370400440532013001", "DE89370400440532013001", ("invalid_iban",)
    )


@st.composite
def _iban_texts(draw):
    """An IBAN schwifty makes for a country, maybe one character changed or cut
    short; or letters and digits after a country's code."""
    import pycountry
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    country = draw(st.sampled_from(sorted(c.alpha_2 for c in pycountry.countries)))
    alphanumeric = st.sampled_from("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
    try:
        iban = str(IBAN.random(country_code=country, random=draw(st.randoms())))
    except (SchwiftyException, ValueError, KeyError):
        return country + "".join(draw(st.lists(alphanumeric, min_size=0, max_size=32)))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(iban) - 1))
        iban = iban[:at] + draw(alphanumeric) + iban[at + 1 :]
    return iban[: draw(st.integers(1, len(iban)))] if draw(st.booleans()) else iban


# is_valid_iban takes schwifty's validation steps without its objects: it must
# accept exactly the IBANs schwifty accepts.
@settings(deadline=None, max_examples=400)
@given(_iban_texts())
def test_ibans_are_valid_exactly_when_schwifty_says_so(compact):
    from schwifty import IBAN
    from schwifty.exceptions import SchwiftyException

    try:
        IBAN(compact)
        schwifty_accepts = True
    except (SchwiftyException, ValueError):
        schwifty_accepts = False
    assert is_valid_iban(compact) == schwifty_accepts


# Columns of IBANs, documents and plates are normalised in Arrow where their
# values are ASCII, the rest one by one: a column must come out as each value
# would alone.
@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.one_of(
            st.none(),
            _iban_texts(),
            _iban_texts().map(lambda t: f" {t[:4].lower()} {t[4:6]}-{t[6:]}"),
            st.text(max_size=40),
        ),
        max_size=30,
    )
)
def test_a_column_of_ibans_reads_as_each_value_alone(values):
    expected = [None if v is None else normalise_iban(v) for v in values]
    assert normalise_ibans(values) == expected


_DOCUMENT_TEXT = st.text(alphabet="abcXYZ0189 -./<АВЕКßıﬁ", max_size=30) | st.text()


@settings(deadline=None, max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.none() | _DOCUMENT_TEXT,
            st.sampled_from([None, "DEU", "fr", "Germany", "Narnia", ""]),
        ),
        max_size=30,
    )
)
def test_columns_of_documents_and_plates_read_as_each_value_alone(rows):
    values = [v for v, _ in rows]
    countries = [c for _, c in rows]
    assert normalise_documents(values, countries) == [
        None if v is None else normalise_document(v, c) for v, c in rows
    ]
    assert normalise_plates(values, countries) == [
        None if v is None else normalise_plate(v, c) for v, c in rows
    ]


def test_documents_are_keyed_by_country_and_cleaned_number():
    assert normalise_document("c01x-00t.47", "DEU").key == "DE:C01X00T47"
    assert normalise_document("C01X00T47", "Germany").key == "DE:C01X00T47"
    assert normalise_document("C01X00T47", None).key == ":C01X00T47"
    assert normalise_document("X", "DE").flags == ("invalid_document",)


def test_a_machine_readable_zone_is_read_with_its_check_digits():
    zone = parse_mrz(TD3, collected=COLLECTED)
    assert zone is not None
    assert (zone.number, zone.surname, zone.given_names) == (
        "L898902C3",
        "ERIKSSON",
        "ANNA MARIA",
    )
    assert (zone.birth_date, zone.expiry_date) == ("1974-08-12", "2012-04-15")
    assert zone.flags == ()
    german = parse_mrz(GERMAN, collected=COLLECTED)
    assert german is not None
    assert (german.country, german.number) == ("DE", "C01X00T47")
    td1 = parse_mrz(TD1, collected=COLLECTED)
    assert td1 is not None and td1.number == "D23145890"


def test_an_altered_birth_date_fails_the_check_digit_as_a_fraud_indicator():
    forged = TD3.replace("7408122F", "7508122F")
    zone = parse_mrz(forged, collected=COLLECTED)
    assert zone is not None
    assert "birth date hash" in zone.failed_checks
    assert zone.flags == ("mrz_check_failed",)


@pytest.mark.parametrize("text", ["", "P<UTO", "x" * 88, "1" * 90])
def test_text_that_is_no_machine_readable_zone_gives_none(text):
    assert parse_mrz(text, collected=COLLECTED) is None


def test_plates_are_keyed_by_country_and_cleaned_plate():
    assert normalise_plate("b-ab 1234", "de").key == "DE:BAB1234"
    # Cyrillic letters that look Latin, as typed on a Ukrainian keyboard.
    assert normalise_plate("АА 1234 ВС", "UA").key == "UA:AA1234BC"
    assert normalise_plate("AA1234BC", "UKR").key == "UA:AA1234BC"


def test_names_meet_across_accents_case_order_and_honorifics():
    keys = {
        name_key("Dr. José GARCÍA-López"),
        name_key("garcia lopez, jose"),
        name_key("LOPEZ José Garcia"),
    }
    assert keys == {"garcia jose lopez"}


def test_names_in_other_scripts_are_transliterated():
    assert name_key("Владимир Путин") == "putin vladimir"
    assert name_tokens("Müller, Hans-Jürgen") == ("muller", "hans", "jurgen")
    assert name_key("محمد علي") is not None
    assert name_key("...") is None


def test_phonetic_keys_forgive_spelling():
    assert name_phonetic_key("Jon Smith") == name_phonetic_key("Smith John")


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        ("1980", "1980"),
        ("1980-5", "1980-05"),
        ("1980-05-17", "1980-05-17"),
        ("1980-05-17T10:00:00", "1980-05-17"),
        ("17.05.1980", "1980-05-17"),
        ("17/5/1980", "1980-05-17"),
        ("05/1980", "1980-05"),
    ],
)
def test_partial_dates_keep_the_precision_given(raw, key):
    assert normalise_date(raw) == Normalised(key, key, ())


@pytest.mark.parametrize("raw", ["1980-02-30", "1980-13", "31.02.1980", "soon", "80"])
def test_impossible_dates_are_flagged(raw):
    assert normalise_date(raw).flags == ("invalid_date",)
    assert normalise_date(raw).key is None


def test_emails_and_ship_numbers():
    assert normalise_email(" Ann@Example.ORG ").key == "ann@example.org"
    assert normalise_email("not an address").flags == ("invalid_email",)
    assert normalise_imo("IMO 9074729") == Normalised("9074729", "9074729", ())
    assert normalise_imo("IMO 9074728").flags == ("invalid_document",)
    assert normalise_mmsi("211 234 567").key == "211234567"


def test_country_codes_follow_eu_and_icao_conventions():
    codes = [country_code(c) for c in ("DEU", "de", "Germany", "D", "EL", "UK")]
    assert codes == ["DE", "DE", "DE", "DE", "GR", "GB"]
    assert country_code("Atlantis") is None
    assert phone_region("EUROPOL") is None
    assert phone_region("EL") == "GR"


def test_property_rules_say_what_a_property_identifies():
    assert property_rule("Person", "phone").kind == "phone"
    assert property_rule("Passport", "number").kind == "document"
    assert property_rule("Person", "passportNumber").kind == "document"
    assert property_rule("BankAccount", "iban").kind == "iban"
    assert property_rule("Vehicle", "registrationNumber").kind == "plate"
    assert property_rule("Person", "name").kind == "name"
    assert property_rule("Person", "birthDate").kind == "birth_date"
    assert property_rule("Person", "firstName").kind is None
    with pytest.raises(KeyError):
        property_rule("Person", "shoeSize")


def test_a_column_of_phones_reads_each_number_in_its_entity_country():
    rule = property_rule("Person", "phone")
    done = normalise_column(
        rule,
        ["0612345678", None, "0612345678"],
        region="DE",
        countries=["fr", None, None],
    )
    # The entity's country first, the contributor's region where it has none.
    assert [d.key if d else None for d in done] == [
        "+33612345678",
        None,
        "+49612345678",
    ]


def test_each_distinct_value_is_normalised_once():
    calls = []

    def count(text):
        calls.append(text)
        return Normalised(text, text)

    out = normalise_values(count, ["a", "b", "a", None, "a"])
    assert calls == ["a", "b"]
    assert [o.key if o else None for o in out] == ["a", "b", "a", None, "a"]


NORMALISERS = [
    lambda t: normalise_phone(t, "DE"),
    normalise_iban,
    lambda t: normalise_document(t, "DE"),
    lambda t: normalise_plate(t, "NL"),
    lambda t: Normalised(t, name_key(t)),
    normalise_date,
    normalise_email,
    normalise_imo,
]


# ICU builds a transliterator the first time it meets a script: no deadline.
@settings(deadline=None)
@given(st.text(max_size=60), st.integers(0, len(NORMALISERS) - 1))
def test_normalisers_never_raise_and_their_keys_are_stable(text, which):
    normalise = NORMALISERS[which]
    result = normalise(text)
    assert isinstance(result.value, str)
    if result.key is not None:
        # The cleaned value, normalised again, gives the same key.
        assert normalise(result.value).key == result.key


@given(st.text(alphabet="<ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789\n ", max_size=100))
def test_the_mrz_parser_never_raises(text):
    zone = parse_mrz(text, collected=COLLECTED)
    assert zone is None or isinstance(zone.failed_checks, tuple)


def test_gender_takes_followthemoney_words():
    rule = property_rule("Person", "gender")
    done = normalise_column(rule, ["m", "F", "weiblich", "unknown here"])
    assert [d.value for d in done if d] == ["male", "female", "female", "unknown here"]
