from decimal import Decimal

import pytest

from empact.reports.content.headlines import (
    HEADLINES,
    NO_JAD_RECORDED,
    headline,
    headline_keys,
    jads_headline,
)

RULES = {rule.key: rule for rule in HEADLINES}


@pytest.mark.parametrize(
    "text, keys",
    [
        ("Number of facilitators arrested", ["arrests"]),
        ("Number of suspected migrant smugglers apprehended", ["arrests"]),
        ("Number of OCGs dismantled", ["ocgs"]),
        ("Number of OCGs identified or disrupted", ["ocgs"]),
        ("Number of initiated and supported investigations", ["investigations"]),
        ("Number of HVTs identified and arrested", ["arrests", "hvts"]),
        ("Number of boats seized", ["seizures"]),
        (
            "Number of seizures/ detections of false documents/impersonations",
            ["seizures", "documents"],
        ),
        ("Number of document fraud incidents detected", ["documents"]),
        # Words that only look alike: no headline.
        ("Number of Frontex Document Fraud Teams mission days", []),
        ("Number of OTFs supported", []),
        ("Number of training activities delivered", []),
    ],
)
def test_a_count_kpi_counts_toward_the_headlines_its_text_names(text, keys):
    assert headline_keys(text, "count") == keys


def test_only_count_kpis_make_headlines():
    assert headline_keys("Value of cash or other assets seized", "money") == []
    assert headline_keys("Share of OCGs dismantled", "percentage") == []


def test_each_oa_adds_its_largest_kpi_so_overlapping_kpis_count_once():
    values = [
        ("2.11", "a", Decimal(40)),  # apprehensions/arrests
        ("2.11", "b", Decimal(25)),  # smugglers apprehended: part of the 40
        ("2.1", "c", Decimal(7)),
    ]

    figure = headline(RULES["arrests"], values, Decimal(0))

    assert figure.value == 47
    assert figure.sources == ("OA 2.11 a", "OA 2.1 c")


def test_jad_results_no_kpi_counts_are_added_and_named():
    figure = headline(RULES["arrests"], [("2.1", "c", Decimal(7))], Decimal(5))

    assert figure.value == 12
    assert figure.sources == ("OA 2.1 c", "JAD results not counted by a KPI")


def test_jads_are_the_recorded_ones_else_the_largest_action_day_kpi():
    recorded = jads_headline(3, [("2.2", "e", Decimal(9))])
    stand_in = jads_headline(None, [("2.2", "e", Decimal(9)), ("2.9", "d", 4)])
    nothing = jads_headline(None, [])

    assert (recorded.value, recorded.sources, recorded.note) == (
        3,
        ("JAD records",),
        "",
    )
    assert (stand_in.value, stand_in.sources) == (9, ("OA 2.2 e",))
    assert stand_in.note == NO_JAD_RECORDED
    assert (nothing.value, nothing.sources) == (0, ())
