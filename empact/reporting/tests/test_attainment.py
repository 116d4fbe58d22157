"""Attainment arithmetic as pure functions (no database): cases worked out by hand,
then properties checked against an independent reading of the rules in fractions."""

from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from empact.reporting.attainment import (
    Amount,
    Reported,
    Status,
    TargetSpec,
    Thresholds,
    count_statuses,
    elapsed_share,
    is_overdue,
    kpi_attainment,
    merge_sources,
    quarter_ends,
)

YEARS = (2024, 2025)  # 2024 has 366 days, 2025 365: the period 731
D = Decimal


def values(*pairs) -> Amount:
    """An Amount from (value, weight) pairs, or bare values of weight 1."""
    amount = Amount()
    for pair in pairs:
        value, weight = pair if isinstance(pair, tuple) else (pair, 1)
        amount += Amount(D(value), D(value) * D(weight), D(weight), 1)
    return amount


def reported(source="contributions", **periods) -> dict:
    """reported(h2024_1=values(3), p2024_2=values(1)): h = accepted, p = pending."""
    found: dict = {}
    for name, amount in periods.items():
        state, year, half = name[0], int(name[1:5]), int(name[6])
        key = (source, year, half)
        before = found.get(key, Reported())
        found[key] = (
            Reported(amount, before.pending)
            if state == "h"
            else Reported(before.accepted, amount)
        )
    return found


def attain(spec, given_values=None, today=date(2024, 7, 1), **kwargs):
    return kpi_attainment(spec, given_values or {}, years=YEARS, today=today, **kwargs)


PER_YEAR_20 = TargetSpec(D(20), "per_year")
BY_YEAR = TargetSpec(None, "per_year", {2024: D(2), 2025: D(10)})
PERIOD_5 = TargetSpec(D(5), "period")
UNSTATED_400 = TargetSpec(D(400), "")
PERCENT_80 = TargetSpec(D(80), "", aggregation="weighted_mean")
RATING = TargetSpec(D("4.5"), "", aggregation="weighted_mean")
PERCENT_PERIOD = TargetSpec(D(90), "period", aggregation="weighted_mean")
NO_TARGET = TargetSpec(None, "")

# (what, spec, reported, today, scope: 0 or 1 for a year or "period", wanted);
# a Fraction wanted is a number that has no exact decimal form.
# fmt: off
CASES = [
    ("before the plan, nothing is expected", PER_YEAR_20, {}, date(2023, 12, 31),
     0, {"expected": D(0), "status": Status.NONE, "reason": "nothing expected yet"}),
    ("before the plan, the period expects nothing", PER_YEAR_20, {},
     date(2023, 12, 31), "period", {"expected": D(0), "status": Status.NONE}),
    ("the first day counts as one day elapsed", PER_YEAR_20, {}, date(2024, 1, 1),
     0, {"expected": Fraction(20, 366), "status": Status.RED}),
    ("half-way through 2024 (183 of 366 days), 10 accepted: green", PER_YEAR_20,
     reported(h2024_1=values(4, 6)), date(2024, 7, 1), 0,
     {"accepted": D(10), "expected": D(10), "target": D(20),
      "status": Status.GREEN}),
    ("half-way, 8 of 10 expected: amber", PER_YEAR_20,
     reported(h2024_1=values(8)), date(2024, 7, 1), 0, {"status": Status.AMBER}),
    ("half-way, exactly 75 % of expected: amber", PER_YEAR_20,
     reported(h2024_1=values("7.5")), date(2024, 7, 1), 0,
     {"status": Status.AMBER}),
    ("half-way, 7 of 10 expected: red", PER_YEAR_20,
     reported(h2024_1=values(7)), date(2024, 7, 1), 0, {"status": Status.RED}),
    ("pending values do not count", PER_YEAR_20,
     reported(h2024_1=values(7), p2024_1=values(50)), date(2024, 7, 1), 0,
     {"accepted": D(7), "pending": D(50), "pending_count": 1,
      "status": Status.RED}),
    ("2024 values do not count for 2025", PER_YEAR_20,
     reported(h2024_2=values(30)), date(2025, 12, 31), 1,
     {"accepted": D(0), "target": D(20), "expected": D(20),
      "status": Status.RED}),
    ("last day of 2024: the whole year expected", PER_YEAR_20,
     reported(h2024_1=values(20)), date(2024, 12, 31), 0,
     {"expected": D(20), "elapsed": D(1), "status": Status.GREEN}),
    ("a per-year target for the period: 20 × 2 years", PER_YEAR_20, {},
     date(2024, 7, 1), "period", {"target": D(40), "expected": D(10)}),
    ("end of 2024: the period expects 2024's target", PER_YEAR_20,
     reported(h2024_1=values(12), h2024_2=values(8)), date(2024, 12, 31),
     "period", {"expected": D(20), "accepted": D(20), "status": Status.GREEN}),
    ("after the plan: 30 of 40, amber", PER_YEAR_20,
     reported(h2024_1=values(20), h2025_2=values(10)), date(2026, 1, 1),
     "period", {"expected": D(40), "elapsed": D(1), "status": Status.AMBER}),
    ("after the plan, 2025 with 10 of 20: red", PER_YEAR_20,
     reported(h2024_1=values(20), h2025_2=values(10)), date(2026, 1, 1), 1,
     {"accepted": D(10), "status": Status.RED}),
    ("an explicit by-year value for 2024", BY_YEAR, {}, date(2024, 7, 1), 0,
     {"target": D(2), "expected": D(1)}),
    ("an explicit by-year value for 2025", BY_YEAR, {}, date(2024, 7, 1), 1,
     {"target": D(10), "expected": D(0), "status": Status.NONE}),
    ("a by-year period target is their sum", BY_YEAR, {}, date(2024, 7, 1),
     "period", {"target": D(12), "expected": D(1)}),
    ("uneven by-year values are expected as their year runs", BY_YEAR,
     reported(h2024_2=values(2)), date(2025, 1, 1), "period",
     {"expected": Fraction(2) + Fraction(10, 365), "status": Status.AMBER}),
    ("a period target gives the years none", PERIOD_5,
     reported(h2024_1=values(3)), date(2024, 7, 1), 0,
     {"accepted": D(3), "target": None, "expected": None,
      "status": Status.NONE, "reason": "target is for the period"}),
    ("a period target is expected over the whole period", PERIOD_5,
     reported(h2024_1=values(3)), date(2024, 12, 31), "period",
     {"target": D(5), "expected": Fraction(5 * 366, 731),
      "status": Status.GREEN}),
    ("an unstated sum scope reads as the period", UNSTATED_400,
     reported(h2024_1=values(100)), date(2024, 12, 31), "period",
     {"target": D(400), "status": Status.RED}),
    ("an unstated sum scope gives the years none", UNSTATED_400, {},
     date(2024, 12, 31), 1, {"target": None, "status": Status.NONE}),
    ("a percentage is a weighted mean", PERCENT_80,
     reported(h2024_1=values((90, 10), (60, 30))), date(2024, 3, 1), 0,
     {"accepted": D("67.5"), "expected": D(80), "status": Status.AMBER}),
    ("a percentage level is expected in full once its year starts", PERCENT_80,
     reported(h2024_1=values((85, 10))), date(2024, 1, 1), 0,
     {"expected": D(80), "status": Status.GREEN}),
    ("a percentage is not expected before its year", PERCENT_80, {},
     date(2024, 7, 1), 1, {"expected": D(0), "status": Status.NONE}),
    ("a percentage over the period weighs every value", PERCENT_80,
     reported(h2024_1=values((90, 10)), h2025_1=values((50, 30))),
     date(2026, 1, 1), "period",
     {"accepted": D(60), "target": D(80), "status": Status.AMBER}),
    ("a percentage without accepted values has no status", PERCENT_80,
     reported(p2024_1=values((90, 10))), date(2024, 9, 1), 0,
     {"accepted": None, "pending": D(90), "status": Status.NONE,
      "reason": "no accepted value yet"}),
    ("a rating of 4.5 on average meets 4.5", RATING,
     reported(h2024_1=values((5, 20), (4, 20))), date(2024, 9, 1), 0,
     {"accepted": D("4.5"), "status": Status.GREEN}),
    ("a rating of 3 against 4.5: red", RATING,
     reported(h2024_1=values((3, 1))), date(2024, 9, 1), "period",
     {"status": Status.RED}),
    ("a weighted mean that does not end in decimals", PERCENT_80,
     reported(h2024_1=values((80, 1), (90, 2))), date(2024, 9, 1), 0,
     {"accepted": Fraction(260, 3), "status": Status.GREEN}),
    ("a period percentage gives the years no target", PERCENT_PERIOD,
     reported(h2024_1=values(95)), date(2024, 9, 1), 0,
     {"target": None, "status": Status.NONE,
      "reason": "target is for the period"}),
    ("a period percentage applies to the period", PERCENT_PERIOD,
     reported(h2024_1=values(95)), date(2024, 9, 1), "period",
     {"target": D(90), "expected": D(90), "status": Status.GREEN}),
    ("no target: values without status", NO_TARGET,
     reported(h2024_1=values(7, 5)), date(2024, 9, 1), 0,
     {"accepted": D(12), "accepted_count": 2, "target": None,
      "status": Status.NONE, "reason": "no target"}),
    ("no target over the period either", NO_TARGET,
     reported(h2024_1=values(7)), date(2024, 9, 1), "period",
     {"accepted": D(7), "status": Status.NONE, "reason": "no target"}),
    ("values of several sources add up", PER_YEAR_20,
     merge_sources(reported(h2024_1=values(6)), reported("jad", h2024_1=values(4))),
     date(2024, 7, 1), 0, {"accepted": D(10), "status": Status.GREEN}),
    ("scope labels and dates", PER_YEAR_20, {}, date(2024, 7, 1), "period",
     {"label": "2024-2025", "starts": date(2024, 1, 1),
      "ends": date(2025, 12, 31)}),
    ("shares of expected and of target", PER_YEAR_20, reported(h2024_1=values(8)),
     date(2024, 7, 1), 0, {"share_of_expected": D("0.8"),
                           "share_of_target": D("0.4")}),
]
# fmt: on
THRESHOLD_CASES = [
    ("green from 90 %", Thresholds(D("0.9"), D("0.5")), 9, Status.GREEN),
    ("amber from 50 %", Thresholds(D("0.9"), D("0.5")), 5, Status.AMBER),
    ("red below 50 %", Thresholds(D("0.9"), D("0.5")), D("4.99"), Status.RED),
    ("equal thresholds: no amber", Thresholds(D(1), D(1)), D("9.99"), Status.RED),
    ("thresholds from percent", Thresholds.from_percent(120, 100), 11, Status.AMBER),
    ("default: 100 %", Thresholds(), 10, Status.GREEN),
]


def matches(got, wanted) -> bool:
    if isinstance(wanted, Fraction):
        return close(got, wanted)
    return got == wanted and type(got) is type(wanted)


def scope_of(result, index):
    return result.period if index == "period" else result.years[index]


def test_worked_cases_give_the_rules_results(figure):
    wrong = []
    for what, spec, given_values, today, index, wanted in CASES:
        scope = scope_of(attain(spec, given_values, today), index)
        got = {name: getattr(scope, name) for name in wanted}
        if not all(matches(got[name], wanted[name]) for name in wanted):
            wrong.append(f"{what}: got {got}, wanted {wanted}")
    for what, thresholds, accepted, status in THRESHOLD_CASES:
        result = attain(
            PER_YEAR_20,
            reported(h2024_1=values(accepted)),
            date(2024, 7, 1),
            thresholds=thresholds,
        )
        if result.years[0].status != status:
            wrong.append(f"{what}: got {result.years[0].status}, wanted {status}")
    cases = len(CASES) + len(THRESHOLD_CASES)
    figure(f"attainment: {cases} worked cases, {len(wrong)} wrong")
    assert wrong == []


def test_a_sum_without_stated_scope_is_marked_as_read_for_the_period():
    assert attain(UNSTATED_400).scope_assumed
    assert not attain(PER_YEAR_20).scope_assumed
    assert not attain(PERCENT_80).scope_assumed
    assert not attain(NO_TARGET).scope_assumed


def test_thresholds_refuse_amber_above_green():
    with pytest.raises(ValueError, match=r"amber \(0.8\) must be between 0"):
        Thresholds(D("0.7"), D("0.8"))


def test_the_same_source_and_period_cannot_be_merged_twice():
    part = reported(h2024_1=values(3))
    with pytest.raises(ValueError, match="contributions 2024-H1 is given twice"):
        merge_sources(part, part)


def test_a_plan_period_needs_a_year():
    with pytest.raises(ValueError, match="at least one year"):
        kpi_attainment(PER_YEAR_20, {}, years=(), today=date(2024, 1, 1))


def test_statuses_are_counted_with_every_status_present():
    result = attain(PER_YEAR_20, reported(h2024_1=values(10)), date(2024, 7, 1))
    counts = count_statuses([*result.years, result.period])
    assert counts == {
        Status.GREEN: 2,
        Status.AMBER: 0,
        Status.RED: 0,
        Status.NONE: 1,
    }
    assert Status.AMBER.label == "Behind" and Status.NONE.label == "No status"
    assert [s.symbol for s in Status] == ["✓", "!", "✕", "–"]


@pytest.mark.parametrize(
    "quarters, status, today, overdue",
    [
        ({"2024": [1, 2]}, None, date(2024, 7, 1), True),
        ({"2024": [1, 2]}, None, date(2024, 6, 30), False),
        ({"2024": [1, 2]}, "ongoing", date(2024, 7, 1), True),
        ({"2024": [1, 2]}, "delayed", date(2025, 1, 1), True),
        ({"2024": [1, 2]}, "completed", date(2025, 1, 1), False),
        ({"2024": [4]}, "cancelled", date(2025, 1, 1), False),
        ({"2024": [1], "2025": [3]}, None, date(2025, 1, 1), False),
        ({}, None, date(2030, 1, 1), False),
    ],
)
def test_an_activity_is_overdue_when_all_its_quarters_are_past_and_not_done(
    quarters, status, today, overdue
):
    assert is_overdue(quarters, status, today=today) is overdue


def test_quarters_end_on_their_last_day():
    assert [quarter_ends(2024, q) for q in (1, 2, 3, 4)] == [
        date(2024, 3, 31),
        date(2024, 6, 30),
        date(2024, 9, 30),
        date(2024, 12, 31),
    ]


# Properties ------------------------------------------------------------------

money = st.integers(min_value=0, max_value=10**9).map(lambda c: D(c) / 100)
weights = st.integers(min_value=1, max_value=10**6).map(lambda c: D(c) / 100)
days = st.dates(min_value=date(2023, 6, 1), max_value=date(2026, 6, 30))
periods = st.sampled_from([(y, h) for y in YEARS for h in (1, 2)])
value_lists = st.lists(st.tuples(money, weights), max_size=4)


@st.composite
def specs(draw) -> TargetSpec:
    aggregation = draw(st.sampled_from(["sum", "weighted_mean"]))
    scope = draw(st.sampled_from(["per_year", "period", ""]))
    value = draw(st.none() | money)
    by_year = {}
    if scope == "per_year" and draw(st.booleans()):
        by_year = draw(st.dictionaries(st.sampled_from(YEARS), money, min_size=1))
    return TargetSpec(value, scope, by_year, aggregation)


@st.composite
def reports(draw) -> dict:
    found = {}
    for source in draw(st.sets(st.sampled_from(["contributions", "jad"]))):
        for year, half in draw(st.sets(periods)):
            accepted, pending = draw(value_lists), draw(value_lists)
            found[source, year, half] = Reported(values(*accepted), values(*pending))
    return found


def thresholds_strategy():
    return st.tuples(
        st.integers(min_value=0, max_value=150), st.integers(min_value=0, max_value=150)
    ).map(lambda pair: Thresholds.from_percent(max(pair), min(pair)))


def oracle(spec: TargetSpec, given_values: dict, today: date, thresholds, scope):
    """The rules read again in exact fractions: accepted, target, expected, status."""
    years = YEARS if scope == "period" else (YEARS[scope],)

    def fraction_elapsed(first, last):
        total = (last - first).days + 1
        return Fraction(min(max((today - first).days + 1, 0), total), total)

    def level_target(year):
        if year in spec.by_year:
            return Fraction(spec.by_year[year])
        if spec.value is None:
            return None
        if spec.scope == "per_year" or (
            spec.scope == "" and spec.aggregation == "weighted_mean"
        ):
            return Fraction(spec.value)
        return None

    chosen = [r for (s, y, h), r in given_values.items() if y in years]
    total = sum((Fraction(r.accepted.total) for r in chosen), Fraction(0))
    weighted = sum((Fraction(r.accepted.weighted_total) for r in chosen), Fraction(0))
    weight = sum((Fraction(r.accepted.weight) for r in chosen), Fraction(0))
    if spec.aggregation == "sum":
        accepted = total
    else:
        accepted = weighted / weight if weight else None
    first, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    if scope != "period":
        target = level_target(years[0])
        share = fraction_elapsed(first, last)
        expected_parts = [(target, share)] if target is not None else []
    elif spec.aggregation == "weighted_mean" or not (
        spec.by_year or spec.scope == "per_year"
    ):
        target = None if spec.value is None else Fraction(spec.value)
        expected_parts = [(target, fraction_elapsed(first, last))]
    else:
        parts = [
            (level_target(y), fraction_elapsed(date(y, 1, 1), date(y, 12, 31)))
            for y in years
        ]
        parts = [(t, f) for t, f in parts if t is not None]
        target = sum(t for t, _ in parts) if parts else None
        expected_parts = parts
    if target is None:
        return accepted, None, None, Status.NONE
    if spec.aggregation == "weighted_mean":
        expected = target if fraction_elapsed(first, last) > 0 else Fraction(0)
    else:
        expected = sum((t * f for t, f in expected_parts), Fraction(0))
    if expected <= 0 or accepted is None:
        status = Status.NONE
    elif accepted >= Fraction(thresholds.green) * expected:
        status = Status.GREEN
    elif accepted >= Fraction(thresholds.amber) * expected:
        status = Status.AMBER
    else:
        status = Status.RED
    return accepted, target, expected, status


def close(decimal_value, fraction_value) -> bool:
    if decimal_value is None or fraction_value is None:
        return decimal_value is None and fraction_value is None
    return abs(Fraction(decimal_value) - fraction_value) < Fraction(1, 10**30)


@settings(max_examples=200, deadline=None)
@given(specs(), reports(), days, thresholds_strategy())
def test_every_scope_agrees_with_the_rules_read_in_exact_fractions(
    spec, given_values, today, thresholds
):
    result = attain(spec, given_values, today, thresholds=thresholds)
    for index in (0, 1, "period"):
        scope = scope_of(result, index)
        accepted, target, expected, status = oracle(
            spec, given_values, today, thresholds, index
        )
        assert close(scope.accepted, accepted)
        assert close(scope.target, target)
        assert close(scope.expected, expected)
        assert scope.status == status


@settings(max_examples=100, deadline=None)
@given(specs(), reports(), days, periods, st.tuples(money, weights))
def test_more_accepted_never_worsens_a_sum_kpis_status(
    spec, given_values, today, period, extra
):
    spec = TargetSpec(spec.value, spec.scope, spec.by_year, "sum")
    more = dict(given_values)
    key = ("extra", *period)
    more[key] = Reported(values(extra))
    rank = {Status.RED: 0, Status.AMBER: 1, Status.GREEN: 2}
    before, after = attain(spec, given_values, today), attain(spec, more, today)
    for old, new in zip(
        [*before.years, before.period], [*after.years, after.period], strict=True
    ):
        if old.status != Status.NONE:
            assert rank[new.status] >= rank[old.status]


@settings(max_examples=100, deadline=None)
@given(specs(), days, days)
def test_expected_never_falls_as_time_passes(spec, one_day, other_day):
    earlier, later = sorted((one_day, other_day))
    first, second = attain(spec, {}, earlier), attain(spec, {}, later)
    for old, new in zip(
        [*first.years, first.period], [*second.years, second.period], strict=True
    ):
        if old.expected is not None:
            assert old.expected <= new.expected
            assert old.elapsed <= new.elapsed


@settings(max_examples=100, deadline=None)
@given(specs())
def test_nothing_is_expected_before_the_plan_and_the_target_after_it(spec):
    before = attain(spec, {}, date(2023, 12, 31))
    after = attain(spec, {}, date(2026, 1, 1))
    for scope in [*before.years, before.period]:
        assert scope.expected in (None, D(0))
        assert scope.status == Status.NONE
    for scope in [*after.years, after.period]:
        assert scope.expected == scope.target
        assert scope.elapsed == 1


@settings(max_examples=100, deadline=None)
@given(specs(), st.lists(st.tuples(money, weights), min_size=1, max_size=6), days)
def test_splitting_values_among_sources_and_halves_changes_nothing(spec, pairs, today):
    together = reported(h2024_1=values(*pairs))
    apart = merge_sources(
        reported(h2024_1=values(*pairs[::2])),
        reported("jad", h2024_2=values(*pairs[1::2])),
    )
    one, other = attain(spec, together, today), attain(spec, apart, today)
    assert one.years[0].accepted == other.years[0].accepted
    assert one.years[0].status == other.years[0].status
    assert one.period == other.period


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(money, weights), min_size=1, max_size=6), days)
def test_a_weighted_mean_lies_between_the_smallest_and_largest_value(pairs, today):
    result = attain(PERCENT_80, reported(h2024_1=values(*pairs)), today)
    smallest, largest = min(v for v, _ in pairs), max(v for v, _ in pairs)
    assert smallest <= result.years[0].accepted <= largest


@settings(max_examples=100, deadline=None)
@given(specs(), reports(), days)
def test_pending_values_never_change_a_status(spec, given_values, today):
    without = {key: Reported(r.accepted, Amount()) for key, r in given_values.items()}
    one, other = attain(spec, given_values, today), attain(spec, without, today)
    assert [s.status for s in one.years] == [s.status for s in other.years]
    assert one.period.status == other.period.status


@settings(max_examples=100, deadline=None)
@given(days, st.integers(min_value=0, max_value=800))
def test_elapsed_share_is_0_before_1_after_and_between_inside(today, length):
    starts = date(2024, 1, 1)
    ends = starts + timedelta(days=length)
    share = elapsed_share(starts, ends, today)
    if today < starts:
        assert share == 0
    elif today >= ends:
        assert share == 1
    else:
        assert close(share, Fraction((today - starts).days + 1, length + 1))
        assert 0 < share < 1
