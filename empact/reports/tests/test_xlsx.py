import io
from dataclasses import replace
from datetime import date
from decimal import Decimal

import openpyxl
import pytest

from empact.reports import content
from empact.reports.markings import LIMITE
from empact.reports.render import render
from empact.reports.render.xlsx import MAX_CELL
from empact.reports.tests.hostile import HOSTILE, LONG_WORD, hostile_light_report

# The module-scoped demo needs the test database set up for this module.
pytestmark = [pytest.mark.django_db, pytest.mark.rendering]
TODAY = date(2025, 3, 1)
LONG_SHEETS = ["About", "Goals", "KPIs", "Activities", "Narratives", "Findings"]


@pytest.fixture(scope="module")
def reports(demo_plan, django_db_blocker):
    with django_db_blocker.unblock():
        h1 = demo_plan.periods.get(year=2024, half=1)
        return {
            "light": content.light_report(demo_plan, h1, today=TODAY),
            "light-draft": content.light_report(demo_plan, h1, draft=True, today=TODAY),
            "comprehensive": content.comprehensive_report(
                demo_plan, year=2024, today=TODAY
            ),
            "factsheet": content.fact_sheet(demo_plan, 2024, today=TODAY),
        }


def _book(report, marking=LIMITE):
    return openpyxl.load_workbook(io.BytesIO(render(report, "xlsx", marking=marking)))


def _table(sheet) -> list[dict]:
    """The sheet's rows under its header (row 2) as dicts."""
    rows = sheet.iter_rows(min_row=2, values_only=True)
    header = next(rows)
    return [dict(zip(header, row, strict=True)) for row in rows]


def _cells(book):
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row]


@pytest.mark.parametrize("name", ["light", "comprehensive"])
def test_long_report_annex_has_a_sheet_per_kind_with_marking_and_frozen_header(
    reports, name
):
    book = _book(reports[name])
    assert book.sheetnames == [*LONG_SHEETS, "JAD results"]
    for sheet in book:
        assert sheet["A1"].value.startswith("LIMITE — ")
        assert sheet.oddHeader.center.text == "LIMITE"
        assert sheet.freeze_panes == "A3"
        assert sheet["A2"].font.b


@pytest.mark.parametrize("name", ["light", "comprehensive"])
def test_kpi_sheet_holds_every_kpi_with_figures_typed_as_numbers(reports, name):
    report = reports[name]
    kpis = {k.ref: k for g in report.goals for a in g.actions for k in a.kpis}
    rows = _table(_book(report)["KPIs"])
    assert [r["KPI"] for r in rows] == list(kpis)
    assert {r["OA"] for r in rows} == {a.ref for g in report.goals for a in g.actions}
    for row in rows:
        kpi = kpis[row["KPI"]]
        for column, value in (("Target", kpi.target), ("Accepted", kpi.accepted)):
            if value is None:
                assert row[column] is None
            else:
                assert isinstance(row[column], int | float)
                assert row[column] == pytest.approx(float(value))
    assert ("This period" in rows[0]) == (report.kind == "light")


def test_activities_and_narratives_sheets_list_every_row(reports):
    report = reports["light"]
    book = _book(report)
    activities = [r for g in report.goals for a in g.actions for r in a.activities]
    narratives = [n for g in report.goals for a in g.actions for n in a.narratives]
    assert len(_table(book["Activities"])) == len(activities) > 0
    found = _table(book["Narratives"])
    assert [r["Narrative"] for r in found] == [n.text for n in narratives]
    assert all(isinstance(r["Leader"], bool) for r in found)


def test_fact_sheet_annex_gives_headlines_and_countries_as_numbers(reports):
    report = reports["factsheet"]
    book = _book(report)
    assert book.sheetnames == ["About", "Headlines", "Goals", "Countries"]
    headlines = _table(book["Headlines"])
    assert [(h["Figure"], Decimal(str(h["2024"]))) for h in headlines] == [
        (h.label, h.value) for h in report.headlines
    ]
    countries = _table(book["Countries"])
    assert [c["Code"] for c in countries] == [c.code for c in report.countries]
    assert all(isinstance(c["OAs taken part in"], int) for c in countries)


def test_draft_annex_says_draft_on_every_sheet_and_final_does_not(reports):
    draft, final = _book(reports["light-draft"]), _book(reports["light"])
    for sheet in draft:
        assert sheet["A1"].value.startswith("DRAFT — LIMITE — ")
        assert sheet.oddHeader.center.text == "DRAFT — LIMITE"
    assert "Pending" in _table(draft["KPIs"])[0]
    assert not any("DRAFT" in str(c.value) for c in _cells(final) if c.value)


def test_hostile_user_text_never_becomes_a_formula(reports, figure):
    report = hostile_light_report(reports["light"])
    narrative = "=1+1 " + "x" * (MAX_CELL + 10)
    action = replace(
        report.goals[0].actions[0],
        narratives=(
            *report.goals[0].actions[0].narratives,
            replace(report.goals[0].actions[0].narratives[0], text=narrative),
        ),
    )
    report = replace(report, goals=(replace(report.goals[0], actions=(action,)),))
    cells = _cells(_book(report))
    texts = [c.value for c in cells if isinstance(c.value, str)]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    starts = ("=", "+", "-", "@", "\t")
    assert not [t for t in texts if t.startswith(starts)]
    assert '\'=HYPERLINK("http://x","y")' in texts
    assert "'+cmd|' /C calc'!A0" in texts and "'@SUM(1)" in texts
    assert HOSTILE[0] in texts and LONG_WORD in texts
    quoted = [c for c in cells if isinstance(c.value, str) and c.value[:1] == "'"]
    assert quoted and all(c.quotePrefix for c in quoted)
    assert not [t for t in texts if "\x00" in t or "\x1b" in t or "\u202e" in t]
    assert max(len(t) for t in texts) == MAX_CELL
    figure(
        f"xlsx T-13: {len(cells)} cells, {len(quoted)} defused, 0 formula cells "
        "from user text"
    )
