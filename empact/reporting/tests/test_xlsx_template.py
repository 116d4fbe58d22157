from io import BytesIO

import pytest
from openpyxl import load_workbook

from empact.plans.tests.factories import make_plan_file, make_plan_from
from empact.reporting.models import ActivityStatus, ReportingPeriod
from empact.reporting.tests.test_xlsx_upload import make_open_contribution
from empact.reporting.xlsx import TemplateSpec, write_template
from empact.reporting.xlsx.template import FORMAT

pytestmark = pytest.mark.django_db

HOSTILE_TEXTS = [
    '=HYPERLINK("http://x","y")',
    "+1",
    "-1",
    "@SUM(1)",
    "\t=1+1",
    "\r=1+1",
    "  =1+1",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "$\\frac{a}{b}$",
    "w" * 10_000,
    "\u202eevil",
    "vertical\x0btab",
]


def open_book(data: bytes):
    return load_workbook(BytesIO(data))


@pytest.fixture
def setup():
    return make_open_contribution()


def test_the_template_lists_the_oa_kpis_and_activities(setup):
    book = open_book(write_template(setup.contribution))

    assert book.sheetnames == [
        "Instructions",
        "KPIs",
        "Activities",
        "Narrative",
        "Metadata",
    ]
    kpis = [[c.value for c in row] for row in book["KPIs"].iter_rows()]
    assert kpis[0] == [
        "KPI",
        "Indicator",
        "Target",
        "Kind",
        "Unit",
        "Value",
        "Weight",
        "Evidence",
    ]
    assert kpis[1][:4] == ["a", "Number of OCGs dismantled", "20 per year", "Count"]
    assert kpis[2][:4] == ["b", "Satisfaction rate", "90%", "Percentage"]
    activities = [[c.value for c in row] for row in book["Activities"].iter_rows()]
    assert activities[1][:3] == ["1", "Kick-off meeting", "Q1 2024"]
    assert book["Instructions"]["A1"].value.startswith("OA 1.1 Action 1 · IT · 2024-H1")


def test_only_input_cells_are_unlocked_and_the_sheets_are_protected(setup):
    book = open_book(write_template(setup.contribution))
    kpis = book["KPIs"]

    assert all(book[name].protection.sheet for name in book.sheetnames)
    assert book.security.lockStructure
    assert [kpis[f"{c}2"].protection.locked for c in "ABCDEFGH"] == [
        True,
        True,
        True,
        True,
        True,
        False,
        True,  # a count has no weight
        False,
    ]
    assert kpis["G3"].protection.locked is False  # a percentage has one
    assert book["Activities"]["D2"].protection.locked is False
    assert book["Narrative"]["A2"].protection.locked is False


def test_the_status_column_offers_the_five_statuses(setup):
    sheet = open_book(write_template(setup.contribution))["Activities"]

    (validation,) = sheet.data_validations.dataValidation
    assert validation.type == "list"
    assert validation.formula1 == '"Not started,Ongoing,Completed,Delayed,Cancelled"'
    assert str(validation.sqref) == "D2:D3"
    assert len(ActivityStatus.Status.choices) == 5


def test_the_metadata_sheet_is_hidden_and_names_the_contribution(setup):
    sheet = open_book(write_template(setup.contribution))["Metadata"]

    assert sheet.sheet_state == "veryHidden"
    assert {r[0].value: r[1].value for r in sheet.iter_rows()} == {
        "format": FORMAT,
        "plan": "oap-test",
        "oa": "1.1",
        "organisation": "IT",
        "period": "2024-H1",
        "version": "1",
    }


def test_a_contribution_not_started_gets_a_blank_template_of_version_1(setup):
    c = setup.contribution
    spec = TemplateSpec(c.organisation, setup.other.action, c.period)

    book = open_book(write_template(spec))

    assert book["Metadata"]["B3"].value == "2.2"
    assert book["Metadata"]["B6"].value == "1"
    assert book["KPIs"]["F2"].value is None


def test_no_text_of_the_plan_becomes_a_formula(db):
    plan_file = make_plan_file("oap-hostile", actions=1)
    kpis = [
        {"letter": chr(ord("a") + i), "text": text, "target": "5"}
        for i, text in enumerate(HOSTILE_TEXTS)
    ]
    plan_file["actions"][0]["kpis"] = kpis
    plan_file["actions"][0]["activities"][0]["text"] = "=1+1"
    action = make_plan_from(plan_file).actions.get()
    setup_like = TemplateSpec(action.leader, action, _period_of(action))

    book = open_book(write_template(setup_like))

    cells = [
        c for name in book.sheetnames for row in book[name].iter_rows() for c in row
    ]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [book["KPIs"][f"B{row}"].value for row in range(2, 2 + len(HOSTILE_TEXTS))]
    assert texts[0] == "'" + HOSTILE_TEXTS[0]
    assert texts[3] == "'@SUM(1)"
    assert texts[6] == "'  =1+1"
    assert texts[8:12] == HOSTILE_TEXTS[8:12]
    assert texts[13] == "vertical\\x0btab"
    assert book["Activities"]["B2"].value == "'=1+1"


def _period_of(action):
    return ReportingPeriod(plan=action.plan, year=2024, half=1)
