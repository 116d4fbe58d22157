import pytest
from hypothesis import given
from hypothesis import strategies as st

from empact.plans.timing import format_quarters, parse_timing

PLAN_YEARS = (2024, 2025)
ALL = (1, 2, 3, 4)

# Every distinct Timing cell of the seed OAP 2024-2025 on migrant smuggling.
SEED_CELLS = [
    ("Q1-Q4 2024/25", {2024: ALL, 2025: ALL}),
    ("Q1- Q4 2024/25", {2024: ALL, 2025: ALL}),
    ("Q1- Q-4 2024/25", {2024: ALL, 2025: ALL}),
    ("Q1 - Q4 2024/25", {2024: ALL, 2025: ALL}),
    ("Q1-Q4 2024-25", {2024: ALL, 2025: ALL}),
    ("<p>Q1-Q4 2024/25</p>", {2024: ALL, 2025: ALL}),
    ("Q1, Q4 2024/25", {2024: (1, 4), 2025: (1, 4)}),
    ("Q2, Q4 2024", {2024: (2, 4)}),
    ("Q2 Q4 2024/25", {2024: (2, 4), 2025: (2, 4)}),
    ("Q1 & Q3 2024/25", {2024: (1, 3), 2025: (1, 3)}),
    ("Q1 2024", {2024: (1,)}),
    ("Q2 2024", {2024: (2,)}),
    ("Q3 2024", {2024: (3,)}),
    ("Q4 2024", {2024: (4,)}),
    ("Q3-2025", {2025: (3,)}),
    ("Q1 2024/25", {2024: (1,), 2025: (1,)}),
    ("Q2 2024/25", {2024: (2,), 2025: (2,)}),
    ("Q4 2024/25", {2024: (4,), 2025: (4,)}),
    ("Q1-Q2 2024/25", {2024: (1, 2), 2025: (1, 2)}),
    ("Q1-Q3 2024/25", {2024: (1, 2, 3), 2025: (1, 2, 3)}),
    ("Q2-Q3 2024/25", {2024: (2, 3), 2025: (2, 3)}),
    ("Q2-Q4 2024/25", {2024: (2, 3, 4), 2025: (2, 3, 4)}),
    ("Q3-Q4 2024/25", {2024: (3, 4), 2025: (3, 4)}),
    ("| Q1- Q-4 2024", {2024: ALL}),
]


@pytest.mark.parametrize(("cell", "quarters"), SEED_CELLS)
def test_seed_timing_cells_parse_to_quarters_per_year(cell, quarters):
    timing = parse_timing(cell, years=PLAN_YEARS)
    assert (timing.quarters, timing.ok, timing.problem) == (quarters, True, "")


def test_as_written_is_the_cell_without_markup():
    assert parse_timing("<p>Q1-Q4 2024/25</p>", years=PLAN_YEARS).as_written == (
        "Q1-Q4 2024/25"
    )


@pytest.mark.parametrize("years", ["2024/2025", "2024-2025", "2024/25", "2024 - 25"])
def test_every_way_of_writing_both_years_means_both_years(years):
    timing = parse_timing(f"Q2 {years}", years=PLAN_YEARS)
    assert timing.quarters == {2024: (2,), 2025: (2,)}


def test_quarters_can_run_across_years():
    timing = parse_timing("Q3 2024 - Q2 2025", years=PLAN_YEARS)
    assert timing.quarters == {2024: (3, 4), 2025: (1, 2)}


def test_half_years_are_two_quarters():
    assert parse_timing("H2 2024", years=PLAN_YEARS).quarters == {2024: (3, 4)}


def test_entities_are_decoded():
    timing = parse_timing("Q1 &amp; Q3 2024", years=PLAN_YEARS)
    assert timing.quarters == {2024: (1, 3)}


def test_typo_in_the_year_is_reported_by_name():
    timing = parse_timing("Q1-Q4 202/25", years=PLAN_YEARS)
    assert (timing.ok, timing.quarters, timing.problem) == (
        False,
        {},
        'year "202" is not a year of the plan period 2024-2025',
    )


def test_year_outside_the_plan_period_is_a_problem():
    timing = parse_timing("Q1 2026", years=PLAN_YEARS)
    assert (timing.ok, timing.problem) == (
        False,
        'year "2026" is not a year of the plan period 2024-2025',
    )


def test_without_a_plan_period_any_four_digit_year_is_accepted():
    assert parse_timing("Q1 2031", years=()).quarters == {2031: (1,)}


@pytest.mark.parametrize("text", ["ongoing", "", "   ", "2024/25"])
def test_text_without_quarters_is_not_ok(text):
    timing = parse_timing(text, years=PLAN_YEARS)
    assert (timing.ok, timing.quarters) == (False, {})
    assert timing.problem.startswith("no quarter found in ")


def test_quarters_without_a_year_are_reported():
    timing = parse_timing("Q1-Q4", years=PLAN_YEARS)
    assert (timing.ok, timing.problem) == (
        False,
        'Q1-Q4 has no year after it; write e.g. "Q1-Q4 2024/25"',
    )


def test_backwards_quarter_range_is_reported():
    timing = parse_timing("Q4-Q1 2024", years=PLAN_YEARS)
    assert (timing.ok, timing.problem) == (
        False,
        '"Q4-Q1" runs backwards; write "Q1-Q4"',
    )


def test_fifth_quarter_does_not_exist():
    timing = parse_timing("Q5 2024", years=PLAN_YEARS)
    assert (timing.ok, timing.problem) == (
        False,
        'quarter "Q5" does not exist; quarters are Q1-Q4',
    )


def test_format_merges_consecutive_years_with_the_same_quarters():
    quarters = {2024: ALL, 2025: ALL, 2026: (2,)}
    assert format_quarters(quarters) == "Q1-Q4 2024/25, Q2 2026"


def test_format_lists_gaps_between_quarters():
    assert format_quarters({2024: (1, 2, 4)}) == "Q1-Q2, Q4 2024"


def test_format_of_nothing_is_empty():
    assert format_quarters({}) == ""


@pytest.mark.parametrize(("cell", "quarters"), SEED_CELLS)
def test_formatted_seed_timing_reparses_to_the_same_quarters(cell, quarters):
    text = format_quarters(parse_timing(cell, years=PLAN_YEARS).quarters)
    assert parse_timing(text, years=PLAN_YEARS).quarters == quarters


quarters_per_year = st.dictionaries(
    st.integers(min_value=2000, max_value=2099),
    st.sets(st.integers(min_value=1, max_value=4), min_size=1).map(
        lambda qs: tuple(sorted(qs))
    ),
    max_size=6,
)


@given(quarters_per_year)
def test_any_quarters_survive_formatting_and_reparsing(quarters):
    timing = parse_timing(format_quarters(quarters), years=tuple(quarters))
    assert timing.quarters == dict(sorted(quarters.items()))
    assert timing.ok is bool(quarters)


@given(st.text())
def test_parse_timing_never_raises_and_explains_every_failure(text):
    timing = parse_timing(text, years=PLAN_YEARS)
    assert timing.ok == (timing.problem == "")
    assert timing.ok == bool(timing.quarters)
