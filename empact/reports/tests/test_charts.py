import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from empact.reports import charts, fonts
from empact.reports.charts import GoalStatusCounts, KPIProgress

SVG = "{http://www.w3.org/2000/svg}"
HOSTILE = "Goal <script>alert(1)</script> & $\\frac{a}{b}$ =SUM(1)\x00\x1b\u202e"


def _texts(svg: str) -> str:
    root = ET.fromstring(svg)
    return " ".join("".join(t.itertext()) for t in root.iter(f"{SVG}text"))


def _goals():
    return [
        GoalStatusCounts("SG1 High-value targets", green=5, amber=3, red=2, none=1),
        GoalStatusCounts("SG2 Financial investigations", green=8, red=1, none=4),
    ]


def _kpis():
    return [
        KPIProgress("Arrests", Decimal(120), Decimal(100), Decimal(200), "green"),
        KPIProgress("OCGs dismantled", 3, 10, 20, "red"),
        KPIProgress("HVTs identified", 40),
        KPIProgress("Seizures", None, 5, 10, "none"),
    ]


def _all_charts():
    return [
        charts.attainment_by_goal(_goals()),
        charts.kpi_progress(_kpis()),
        charts.participation_by_country([("DE", 20), ("EL", 15), ("BG", 12)]),
    ]


def test_attainment_chart_labels_goals_and_counts_with_symbols_not_colour_alone():
    chart = charts.attainment_by_goal(_goals())
    text = _texts(chart.svg)
    assert "SG1 High-value targets" in text
    assert "5 ✓" in text and "3 !" in text and "2 ✕" in text and "4 –" in text
    assert "13 KPIs" in text
    assert chart.svg.count("<pattern") == 3  # amber, red and none are hatched
    assert "SG2 Financial investigations: 8 on track" in chart.description


def test_kpi_chart_says_accepted_target_and_expected_in_words():
    text = _texts(charts.kpi_progress(_kpis()).svg)
    assert "✓ 120 of 200, 100 expected" in text
    assert "40 (no target)" in text
    assert "nothing accepted of 10, 5 expected" in text


def test_participation_chart_puts_most_active_country_first():
    chart = charts.participation_by_country([("BG", 12), ("DE", 20), ("EL", 15)])
    assert chart.description == "DE: 20; EL: 15; BG: 12"
    text = _texts(chart.svg)
    assert text.index("DE") < text.index("EL") < text.index("BG")


@pytest.mark.parametrize("chart", _all_charts(), ids=lambda c: c.title)
def test_chart_is_valid_svg_and_png(chart):
    root = ET.fromstring(chart.svg)
    assert root.tag == f"{SVG}svg"
    assert chart.png.startswith(b"\x89PNG\r\n\x1a\n")


def test_charts_are_identical_on_every_call():
    first = [(c.svg, c.png) for c in _all_charts()]
    second = [(c.svg, c.png) for c in _all_charts()]
    assert first == second
    assert "<dc:date>" not in first[0][0]


def test_hostile_labels_stay_text_and_keep_the_svg_valid():
    long_word = "W" * 300
    chart = charts.attainment_by_goal(
        [GoalStatusCounts(HOSTILE, green=1), GoalStatusCounts(long_word, red=2)]
    )
    text = _texts(chart.svg)  # parses: no NUL or ESC reached the XML
    assert "<script>alert(1)</script>" in text  # shown as text, escaped in the SVG
    assert "<script>" not in chart.svg
    assert "$\\frac{a}{b}$" in text  # not typeset as mathtext
    assert "\u202e" not in text
    assert max(len(line) for line in text.split(" ")) < 60  # the long word is cut
    assert chart.png.startswith(b"\x89PNG")


def test_charts_name_the_vendored_font_family():
    svg = charts.attainment_by_goal(_goals()).svg
    assert f"font-family: '{fonts.FAMILY}'" in svg
    assert fonts.REGULAR.is_file() and fonts.BOLD.is_file()


def test_empty_data_still_draws():
    for chart in (
        charts.attainment_by_goal([]),
        charts.kpi_progress([]),
        charts.participation_by_country([]),
    ):
        ET.fromstring(chart.svg)
        assert chart.description.startswith("No ")
