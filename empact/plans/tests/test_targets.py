from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from empact.plans.targets import (
    Target,
    TargetComponent,
    parse_kpi,
    parse_target,
    split_kpi,
)

PLAN_YEARS = (2024, 2025)

# Every distinct KPI line of the seed OAP 2024-2025 on migrant smuggling (letter off),
# with the description and the target fragment split_kpi must find.
SEED_SPLITS = [
    (
        "Number of strategic intelligence / risk analysis products issued by Europol "
        "and Frontex (minimum: 80 EPMTs, 6 ad-hoc strategic/thematic reports "
        "contributing to EU situational awareness)",
        "Number of strategic intelligence / risk analysis products issued by Europol "
        "and Frontex",
        "(minimum: 80 EPMTs, 6 ad-hoc strategic/thematic reports contributing to EU "
        "situational awareness)",
    ),
    (
        "Number of the updates provided during the Migrant Smuggling EMPACT meetings.",
        "Number of the updates provided during the Migrant Smuggling EMPACT meetings",
        "",
    ),
    (
        "Number of focused thematic reports, such as secondary movements etc.",
        "Number of focused thematic reports, such as secondary movements etc.",
        "",
    ),
    (
        "Strategic or operational information contributed via SIENA: "
        "at least 5 per OAP",
        "Strategic or operational information contributed via SIENA",
        "at least 5 per OAP",
    ),
    (
        "Online workshop with OA participants across participating OAPs organised: 1",
        "Online workshop with OA participants across participating OAPs organised",
        "1",
    ),
    (
        "Number of OCGs identified/dismantled – 20 per year",
        "Number of OCGs identified/dismantled",
        "20 per year",
    ),
    (
        "Number OTFs and HVTs – at least 1 per year",
        "Number OTFs and HVTs",
        "at least 1 per year",
    ),
    (
        "Number of OCGs dismantled. At least 1 per year.",
        "Number of OCGs dismantled",
        "At least 1 per year",
    ),
    (
        "Number of seizures of assets, false documents and production material, "
        "criminal proceeds and other relevant commodities (e.g. cash, printshops, "
        "means of transportation, communication devices) At least 1 of each.",
        "Number of seizures of assets, false documents and production material, "
        "criminal proceeds and other relevant commodities (e.g. cash, printshops, "
        "means of transportation, communication devices)",
        "At least 1 of each",
    ),
    (
        "Number of initiated JITs, JADs, OTFs and CADs (1 each/year)",
        "Number of initiated JITs, JADs, OTFs and CADs",
        "(1 each/year)",
    ),
    (
        "Number of smugglers/facilitators arrested, at least fifteen per year.",
        "Number of smugglers/facilitators arrested",
        "at least fifteen per year",
    ),
    (
        "Number of intelligence products (50) per year",
        "Number of intelligence products",
        "(50) per year",
    ),
    (
        "Number of OTF's and JIT's (2) - 1 per year",
        "Number of OTF's and JIT's",
        "(2) - 1 per year",
    ),
    (
        "Number of OCGs dismantled (print shop): at least 01",
        "Number of OCGs dismantled (print shop)",
        "at least 01",
    ),
    (
        "Number of checked documents and facial comparisons. (1200)",
        "Number of checked documents and facial comparisons",
        "(1200)",
    ),
    (
        "Training attendance target; values 80%",
        "Training attendance",
        "target; values 80%",
    ),
    (
        "Achievement of course job competencies and learning outcomes; "
        "target values 80 %",
        "Achievement of course job competencies and learning outcomes",
        "target values 80 %",
    ),
    (
        "Number of training activities delivered. (Target: 9 in 2024 and 9 in 2025)",
        "Number of training activities delivered",
        "(Target: 9 in 2024 and 9 in 2025)",
    ),
    (
        "Participant satisfaction rate, target 4.5/6",
        "Participant satisfaction rate",
        "target 4.5/6",
    ),
    (
        'Number of EFS service request received under reference to "Migrant '
        'Smuggling" (target:80)',
        'Number of EFS service request received under reference to "Migrant Smuggling"',
        "(target:80)",
    ),
    (
        "Number of EMPACT Action Days (2) and JADs (2) supported.",
        "Number of EMPACT Action Days and JADs supported",
        "Number of EMPACT Action Days (2) and JADs (2)",
    ),
    (
        "Early Warning and Emergency Response Mechanism used (6) and Early Warning "
        "Notifications provided (6)",
        "Early Warning and Emergency Response Mechanism used and Early Warning "
        "Notifications provided",
        "Early Warning and Emergency Response Mechanism used (6) and Early Warning "
        "Notifications provided (6)",
    ),
    (
        "Number of non-EU partners (WB6) participating, leading or Co-leading an "
        "operational activities (JAD, EMPACT Action Day, CAD, etc.) (4)",
        "Number of non-EU partners (WB6) participating, leading or Co-leading an "
        "operational activities (JAD, EMPACT Action Day, CAD, etc.)",
        "(4)",
    ),
    (
        "Providing or sharing tools and information (eg search terms, OCG, online "
        "behaviour, platform vulnerabilities) to enhance capacity to fight Migrant "
        "Smuggling (1)",
        "Providing or sharing tools and information (eg search terms, OCG, online "
        "behaviour, platform vulnerabilities) to enhance capacity to fight Migrant "
        "Smuggling",
        "(1)",
    ),
    (
        "<i>Number of mission days of Frontex Document Fraud Teams members deployed in "
        "the Operational Areas during the implementation periods of the Mizar "
        "Operational Modules 20</i>",
        "Number of mission days of Frontex Document Fraud Teams members deployed in "
        "the Operational Areas during the implementation periods of the Mizar "
        "Operational Modules",
        "20",
    ),
    (
        "<i>Number of awareness sessions organised and number of participants 8</i>",
        "Number of awareness sessions organised and number of participants",
        "8",
    ),
    (
        "Number of delivered training activities (Target = 6).",
        "Number of delivered training activities",
        "(Target = 6)",
    ),
]


@pytest.mark.parametrize(("line", "description", "fragment"), SEED_SPLITS)
def test_split_kpi_separates_description_from_target_as_written(
    line, description, fragment
):
    assert split_kpi(line) == (description, fragment)


def test_split_kpi_drops_the_kpi_letter_and_table_pipes():
    assert split_kpi("| a) Number of cases (400) |") == ("Number of cases", "(400)")


def _target(line: str) -> Target:
    return parse_kpi(line, years=PLAN_YEARS)[1]


def _summary(target: Target) -> tuple:
    return (target.value, target.scope, target.kind, target.minimum)


# (KPI line, value, scope, kind, minimum) for the plain targets of the seed.
SEED_TARGETS = [
    ("Number of OCGs identified/dismantled – 20 per year", 20, "per_year", False),
    ("Number of apprehensions/arrests made (1,000)", 1000, None, False),
    (
        "Number of cases exchanged within SIENA by PCCC in the area of illegal "
        "immigration and document fraud (10.000/year)",
        10000,
        "per_year",
        False,
    ),
    (
        "Number of initiated and supported investigations (300/year)",
        300,
        "per_year",
        False,
    ),
    ("Trainings and workshops on the use of SIENA (5 year)", 5, "per_year", False),
    ("Number of OCGs dismantled. At least 1 per year.", 1, "per_year", True),
    ("Number of cases, at least five per year.", 5, "per_year", True),
    ("Number of OTFs and HVTs. At least 1.", 1, None, True),
    ("Number of OCGs dismantled (print shop): at least 01", 1, None, True),
    ("Number of delivered training activities (Target = 6).", 6, None, False),
    (
        "Number of Member States/Third Parties participated. (Target: 26)",
        26,
        None,
        False,
    ),
    (
        "Strategic or operational information contributed via SIENA: "
        "at least 5 per OAP",
        5,
        "period",
        True,
    ),
    ("Number of strategic analysis reports produced: 1", 1, None, False),
    ("Number of seized documents: 300", 300, None, False),
    ("Number of intelligence products (50) per year", 50, "per_year", False),
    (
        "Number of initiated JITs, JADs, OTFs and CADs (1 each/year)",
        1,
        "per_year",
        False,
    ),
    (
        "Number of seizures of assets, false documents and production material "
        "(e.g. cash, printshops) At least 1 of each.",
        1,
        None,
        True,
    ),
    (
        "Number of EFS awareness sessions/training organized (target: minimum 1 "
        "general EFS awareness session)",
        1,
        None,
        True,
    ),
    (
        "Number of awareness sessions organised and number of participants 8",
        8,
        None,
        False,
    ),
]


@pytest.mark.parametrize(("line", "value", "scope", "minimum"), SEED_TARGETS)
def test_seed_counts_parse_to_value_scope_and_minimum(line, value, scope, minimum):
    assert _summary(_target(line)) == (Decimal(value), scope, "count", minimum)


def test_explicit_per_year_figure_wins_over_the_bracketed_one():
    target = _target("Number of OTF's and JIT's (2) - 1 per year")
    assert (target.value, target.scope) == (Decimal(1), "per_year")


@pytest.mark.parametrize(
    "line",
    [
        "Number of the updates provided during the Migrant Smuggling EMPACT meetings.",
        "Number of contributions regarding emerging crisis or arising threats",
    ],
)
def test_line_without_a_figure_has_no_target(line):
    assert _target(line) == Target(as_written="", value=None, scope=None, kind="count")


@pytest.mark.parametrize(
    "line",
    [
        "Number of JADs under Reflex 2024/25",
        "Close Cooperation with OA 1.8 of OAP HRCN",
        "Close Cooperation with OA 1.8",
        "Contribution to the EU SOCTA 2021",
        "Training EURODAC & SIS II",
        "Number of non-EU partners (WB6)",
        "Analysis of data provided to Europol for EU SOCTA (2021 / 2025)",
    ],
)
def test_figures_in_names_and_years_are_not_targets(line):
    assert split_kpi(line)[1] == ""


def test_figure_in_a_name_before_the_target_is_left_in_the_description():
    assert split_kpi("Contribution to EU SOCTA 2021 (5)") == (
        "Contribution to EU SOCTA 2021",
        "(5)",
    )


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("Training attendance target; values 80%", 80),
        ("Assessment Results; target values 70%", 70),
        ("Learner Satisfaction; target values 80%", 80),
        (
            "Achievement of course job competencies and learning outcomes; "
            "target values 80 %",
            80,
        ),
        ("Satisfaction rate. (Target: 90%)", 90),
        ("Satisfaction rate (Target = 90%).", 90),
    ],
)
def test_percentages_have_the_percent_unit(line, value):
    target = _target(line)
    assert (target.value, target.kind, target.unit) == (
        Decimal(value),
        "percentage",
        "%",
    )


def test_decimal_over_small_scale_is_a_rating():
    target = _target("Participant satisfaction rate, target 4.5/6")
    assert (target.value, target.kind, target.scale) == (
        Decimal("4.5"),
        "rating",
        Decimal(6),
    )


def test_ratio_without_rating_words_or_decimal_is_a_count():
    target = parse_target("3/5", description="Number of reports")
    assert (target.value, target.kind, target.scale) == (Decimal(3), "count", None)


def test_satisfaction_score_without_a_scale_is_a_rating():
    target = parse_target("(Target: 5)", description="Satisfaction rate")
    assert (target.kind, target.scale) == ("rating", None)


def test_euro_amount_is_money_with_a_floor():
    target = _target("Value of cash or other assets seized. At least EUR 50,000.")
    assert (target.value, target.kind, target.unit, target.minimum) == (
        Decimal(50000),
        "money",
        "EUR",
        True,
    )


def test_value_of_assets_without_currency_is_money_in_euro():
    target = parse_target("1.000.000", description="Amount of assets frozen")
    assert (target.value, target.kind, target.unit) == (
        Decimal(1000000),
        "money",
        "EUR",
    )


def test_european_decimal_comma_with_thousands_point():
    assert parse_target("1.000,50 €").value == Decimal("1000.50")


def test_targets_per_year_give_by_year_and_their_common_value():
    target = _target(
        "Number of training activities delivered. (Target: 9 in 2024 and 9 in 2025)"
    )
    assert (target.value, target.scope, target.by_year) == (
        Decimal(9),
        "per_year",
        {2024: Decimal(9), 2025: Decimal(9)},
    )


def test_targets_per_year_that_differ_have_no_single_value():
    target = parse_target("(Target: 9 in 2024 and 8 in 2025)", years=PLAN_YEARS)
    assert (target.value, target.scope, target.by_year) == (
        None,
        "per_year",
        {2024: Decimal(9), 2025: Decimal(8)},
    )


def test_year_span_before_a_target_is_not_read_as_a_year_target():
    description, target = parse_kpi("Number of reports in 2024-2025: 12")
    assert (description, target.value, target.scope, target.by_year) == (
        "Number of reports",
        Decimal(12),
        "period",
        {},
    )


def test_listed_components_add_up_to_the_value():
    target = _target(
        "Number of JET action weeks or supports/establishments of permanent "
        "helpdesks (one permanent Helpdesk, 4 Action-Weeks)"
    )
    assert (target.value, target.components) == (
        Decimal(5),
        (
            TargetComponent(Decimal(1), "permanent Helpdesk"),
            TargetComponent(Decimal(4), "Action-Weeks"),
        ),
    )


def test_minimum_components_keep_their_long_labels():
    target = _target(
        "Number of strategic intelligence / risk analysis products issued by Europol "
        "and Frontex (minimum: 80 EPMTs, 6 ad-hoc strategic/thematic reports "
        "contributing to EU situational awareness)"
    )
    assert (target.value, target.minimum, [c.label for c in target.components]) == (
        Decimal(86),
        True,
        [
            "EPMTs",
            "ad-hoc strategic/thematic reports contributing to "
            "EU situational awareness",
        ],
    )


@pytest.mark.parametrize(
    ("line", "components"),
    [
        (
            "Number of EMPACT Action Days (2) and JADs (2) supported.",
            [(2, "EMPACT Action Days"), (2, "JADs")],
        ),
        (
            "Early Warning and Emergency Response Mechanism used (6) and Early "
            "Warning Notifications provided (6)",
            [
                (6, "Early Warning and Emergency Response Mechanism used"),
                (6, "Early Warning Notifications provided"),
            ],
        ),
    ],
)
def test_bracketed_figures_inside_the_text_are_components(line, components):
    target = _target(line)
    assert [(c.value, c.label) for c in target.components] == [
        (Decimal(v), label) for v, label in components
    ]
    assert target.value == sum(Decimal(v) for v, _ in components)


def test_components_listed_after_a_colon_are_found_without_brackets():
    description, target = parse_kpi("Number of X: at least 3 reports and 2 workshops")
    assert (description, target.value, len(target.components), target.minimum) == (
        "Number of X",
        Decimal(5),
        2,
        True,
    )


def test_plan_year_alone_after_a_colon_is_not_a_value():
    target = parse_kpi("Number of JADs: 2024", years=PLAN_YEARS)[1]
    assert target.value is None


def test_number_word_alone_at_the_end_is_not_a_target():
    assert split_kpi("Number of phase one") == ("Number of phase one", "")


def test_as_written_keeps_the_fragment_and_strips_markup():
    target = parse_target("<i>(Target = 6)</i>")
    assert target.as_written == "(Target = 6)"


@given(st.integers(min_value=1000, max_value=10**12))
def test_thousands_separators_of_either_convention_read_as_the_same_count(n):
    english = f"{n:,}"
    european = english.replace(",", ".")
    assert parse_target(f"({english})").value == Decimal(n)
    assert parse_target(f"({european}/year)").value == Decimal(n)


@given(
    st.integers(min_value=0, max_value=10**6),
    st.sampled_from(["per year", "/year", "a year", "annually", "each year", "year"]),
)
def test_every_per_year_wording_gives_the_per_year_scope(n, wording):
    target = parse_target(f"{n} {wording}")
    assert (target.value, target.scope) == (Decimal(n), "per_year")


@given(st.text())
def test_parse_kpi_never_raises_and_returns_a_target(line):
    description, target = parse_kpi(line, years=PLAN_YEARS)
    assert isinstance(description, str)
    assert target.kind in {"count", "percentage", "rating", "money"}


@given(st.text(alphabet=st.characters(exclude_characters="<>&")))
def test_fragment_is_a_piece_of_the_normalised_line(line):
    fragment = split_kpi(line)[1]
    assert fragment in " ".join(line.split())
