from collections import Counter

import pytest

from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.organisations.services import LoadSummary, load_organisations

CATALOGUE_SIZE = 87

# Europol's cooperation status as the seed OAP marks it (^o, ^s, ^w, footnote 3).
SEED_STATUSES = {
    "AL": "operational",
    "BA": "operational",
    "CH": "operational",
    "MD": "operational",
    "ME": "operational",
    "MK": "operational",
    "RS": "operational",
    "UA": "operational",
    "INTERPOL": "operational",
    "BR": "strategic",
    "CN": "strategic",
    "TR": "strategic",
    "UNODC": "strategic",
    "RU": "strategic_suspended",
    "XK": "working_arrangement",
    "UK": "working_arrangement",
}

BROKEN = """\
- {code: "AT", name: "Austria", kind: "member_state", country: "AT"}
- {code: "EUROPOL", name: "Europol", kind: "agency"}
- {code: "AT", name: "Austria again", kind: "member_state", country: "AT"}
- {code: "GR", name: "Greece", kind: "member_state", country: "GR"}
- {code: "ZZ", name: "Nowhere", kind: "third_country", country: "ZZ",
   europol_status: "friendly"}
- {code: NO, name: "Norway", kind: "third_country", country: "NO"}
- {code: "DE", name: "Germany", kind: "member_state", country: "DE",
   europol_status: "operational", colour: "black"}
- {name: "Nobody", kind: "international"}
- "FRONTEX"
"""


@pytest.mark.django_db
def test_load_creates_every_catalogue_organisation():
    summary = load_organisations()

    assert summary == LoadSummary(created=CATALOGUE_SIZE, updated=0, unchanged=0)
    assert Counter(Organisation.objects.values_list("kind", flat=True)) == {
        "member_state": 27,
        "eu_agency": 12,
        "third_country": 43,
        "international": 5,
    }
    greece = Organisation.objects.get(code="EL")
    assert (greece.name, greece.kind, greece.country) == (
        "Greece",
        "member_state",
        "EL",
    )
    kosovo = Organisation.objects.get(code="XK")
    assert kosovo.name == "Kosovo*"
    assert "UNSCR 1244/99" in kosovo.note


@pytest.mark.django_db
def test_load_records_europol_status_exactly_as_the_seed_marks_it():
    load_organisations()

    statuses = dict(
        Organisation.objects.exclude(europol_status="").values_list(
            "code", "europol_status"
        )
    )
    assert statuses == SEED_STATUSES
    assert "suspended" in Organisation.objects.get(code="RU").note


@pytest.mark.django_db
def test_second_load_changes_nothing():
    load_organisations()

    assert load_organisations() == LoadSummary(
        created=0, updated=0, unchanged=CATALOGUE_SIZE
    )


@pytest.mark.django_db
def test_load_restores_an_organisation_edited_since():
    load_organisations()
    Organisation.objects.filter(code="FRONTEX").update(name="Frontex (old)")

    summary = load_organisations()

    assert summary == LoadSummary(created=0, updated=1, unchanged=CATALOGUE_SIZE - 1)
    assert Organisation.objects.get(code="FRONTEX").name == "Frontex"


@pytest.mark.django_db
def test_broken_catalogue_reports_every_problem_and_writes_nothing(tmp_path):
    load_organisations()
    path = tmp_path / "organisations.yaml"
    path.write_text(BROKEN, encoding="utf-8")

    with pytest.raises(UserError) as caught:
        load_organisations(path=path)

    assert str(caught.value).splitlines()[0] == (
        "organisations.yaml: 10 problem(s); nothing was loaded"
    )
    kinds = '"member_state", "eu_agency", "third_country", "international"'
    statuses = (
        '"operational", "strategic", "strategic_suspended", "working_arrangement"'
    )
    assert caught.value.problems == [
        f'organisations.yaml[1].kind: "agency" is not one of {kinds}',
        'organisations.yaml[2].code: "AT" is already used by organisations.yaml[0]',
        'organisations.yaml[3].country: write "EL", the EU code, not "GR"',
        f'organisations.yaml[4].europol_status: "friendly" is not one of {statuses}',
        'organisations.yaml[4].country: "ZZ" is not an ISO 3166 alpha-2 code',
        "organisations.yaml[5].code: False is not text; put it in quotes",
        "organisations.yaml[6].colour: unknown field; the fields are "
        "code, name, kind, country, europol_status, note",
        "organisations.yaml[6].europol_status: only third countries and "
        "international organisations have one; leave it empty for a member_state",
        "organisations.yaml[7].code: is required",
        "organisations.yaml[8]: must be a mapping with the fields "
        "code, name, kind, country, europol_status, note",
    ]
    assert Organisation.objects.count() == CATALOGUE_SIZE
    assert Organisation.objects.get(code="AT").name == "Austria"
    assert not Organisation.objects.filter(code__in=["GR", "ZZ"]).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("code: AT\n", "organisations.yaml: must be a list of organisations"),
        ("- {code: [AT\n", "organisations.yaml: cannot be read: "),
    ],
)
def test_catalogue_that_is_not_a_list_of_entries_is_refused(tmp_path, text, message):
    path = tmp_path / "organisations.yaml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(UserError) as caught:
        load_organisations(path=path)

    assert str(caught.value).startswith(message)
    assert Organisation.objects.count() == 0
