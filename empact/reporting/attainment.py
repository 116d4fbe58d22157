"""Where a KPI stands against its target (pure: plain values in, dataclasses out).

DESIGN §5: attainment is the sum (or weighted mean) of accepted values over the
periods in scope, against the target; the value expected at a date is the target
pro rata of the time elapsed in its scope; the status is green, amber or red by
configurable thresholds; a KPI without a target shows its values without status.

The rules, for each year of the plan and for the whole plan period:

- accepted: the sum of accepted values (sum KPIs), or their weighted mean
  Σ(value·weight)/Σweight (weighted-mean KPIs; None when nothing is accepted).
  pending: the same over submitted values that are not accepted yet.
- target of a year: the plan's explicit value for that year, else the target value
  when it is per year. A whole-period target gives the years no target of their
  own, so they show values without status. A percentage or rating with no stated
  scope is a level, which reads the same per year and for the period.
- target of the whole period: for a sum, the year targets added up (per year ×
  years, or the sum of the explicit values), else the period target. A sum whose
  scope the plan does not state is read as a whole-period target (the lint warns
  about it) and marked `scope_assumed`. For a weighted mean, the target value.
- expected by `today`: the target × the share of the scope's days elapsed up to and
  including `today` (0 before it starts, 1 once it has ended); a whole-period
  target built from years is expected year by year, so uneven explicit values are
  expected when their year runs. For a weighted mean the level is expected in
  full as soon as the scope has started: a percentage is not an accumulation.
- status: green when accepted ≥ green × expected, amber when ≥ amber × expected,
  red otherwise; none when there is no target, nothing is expected yet, or a
  weighted mean has no accepted value to compare.

Sources: reported amounts come keyed by (source id, year, half), already summed
per source and period. Contributions are one source; another (e.g. Joint Action
Day results) adds its own keys, and `merge_sources` refuses a key given twice,
so no period of a source is ever counted twice.
"""

import decimal
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache

ZERO = Decimal(0)
ONE = Decimal(1)
SUM, WEIGHTED_MEAN = "sum", "weighted_mean"
PER_YEAR, PERIOD, NOT_STATED = "per_year", "period", ""
DONE_ACTIVITY_STATUSES = frozenset({"completed", "cancelled"})
# Enough digits that no division here can round a comparison the wrong way: the
# values have two decimals and the scopes a few thousand days.
_CONTEXT = decimal.Context(prec=50)


class Status(StrEnum):
    GREEN = "green"
    AMBER = "amber"
    RED = "red"
    NONE = "none"

    @property
    def label(self) -> str:
        return _LABELS[self][0]

    @property
    def symbol(self) -> str:
        """Shown beside the label, so that no status is told by colour alone."""
        return _LABELS[self][1]


_LABELS = {
    Status.GREEN: ("On track", "✓"),
    Status.AMBER: ("Behind", "!"),
    Status.RED: ("Far behind", "✕"),
    Status.NONE: ("No status", "–"),
}


@dataclass(frozen=True)
class Thresholds:
    """Shares of the expected value: green from `green`, amber from `amber`."""

    green: Decimal = Decimal("1.00")
    amber: Decimal = Decimal("0.75")

    def __post_init__(self):
        if not ZERO <= self.amber <= self.green:
            raise ValueError(
                f"attainment thresholds: amber ({self.amber}) must be between 0 "
                f"and green ({self.green})"
            )

    @classmethod
    def from_percent(cls, green: int, amber: int) -> "Thresholds":
        return cls(Decimal(green) / 100, Decimal(amber) / 100)


@dataclass(frozen=True)
class Amount:
    """Values already added up: Σ value, Σ value × weight, Σ weight, how many."""

    total: Decimal = ZERO
    weighted_total: Decimal = ZERO
    weight: Decimal = ZERO
    count: int = 0

    def __add__(self, other: "Amount") -> "Amount":
        return Amount(
            self.total + other.total,
            self.weighted_total + other.weighted_total,
            self.weight + other.weight,
            self.count + other.count,
        )


@dataclass(frozen=True)
class Reported:
    """What one source reported for a KPI in one period: accepted and pending."""

    accepted: Amount = Amount()
    pending: Amount = Amount()


# (source id, year, half): e.g. ("contributions", 2024, 1).
SourceKey = tuple[str, int, int]


@dataclass(frozen=True)
class TargetSpec:
    """A KPI's target as the plan states it, and how its values add up."""

    value: Decimal | None
    scope: str = NOT_STATED  # per_year | period | "" (not stated)
    by_year: Mapping[int, Decimal] = field(default_factory=dict)
    aggregation: str = SUM  # sum | weighted_mean


@dataclass(frozen=True)
class ScopeAttainment:
    """One KPI in one scope (a year, or the whole plan period) at one date."""

    label: str
    starts: date
    ends: date
    accepted: Decimal | None
    accepted_count: int
    pending: Decimal | None
    pending_count: int
    target: Decimal | None
    expected: Decimal | None
    elapsed: Decimal  # share of the scope's days elapsed, 0 to 1
    status: Status
    reason: str  # why there is no status; "" when there is one

    @property
    def share_of_expected(self) -> Decimal | None:
        """accepted / expected, e.g. 0.8 for 80 % of what is expected by now."""
        return _share(self.accepted, self.expected)

    @property
    def share_of_target(self) -> Decimal | None:
        return _share(self.accepted, self.target)


@dataclass(frozen=True)
class KPIAttainment:
    years: tuple[ScopeAttainment, ...]
    period: ScopeAttainment
    aggregation: str
    scope_assumed: bool  # a sum with no stated scope, read as whole-period


def merge_sources(
    *parts: Mapping[SourceKey, Reported],
) -> dict[SourceKey, Reported]:
    """One mapping of reported amounts; raises ValueError for a key given twice."""
    merged: dict[SourceKey, Reported] = {}
    for part in parts:
        for key, reported in part.items():
            if key in merged:
                raise ValueError(f"{key[0]} {key[1]}-H{key[2]} is given twice")
            merged[key] = reported
    return merged


def kpi_attainment(
    target: TargetSpec,
    reported: Mapping[SourceKey, Reported],
    *,
    years: Sequence[int],
    today: date,
    thresholds: Thresholds = Thresholds(),
) -> KPIAttainment:
    """The KPI's attainment for each year of `years` and for all of them."""
    if not years:
        raise ValueError("a plan period has at least one year")
    with decimal.localcontext(_CONTEXT):
        per_year = tuple(
            _year_attainment(target, reported, y, today, thresholds) for y in years
        )
        period = _period_attainment(target, reported, years, today, thresholds)
    return KPIAttainment(
        years=per_year,
        period=period,
        aggregation=target.aggregation,
        scope_assumed=_is_scope_assumed(target),
    )


def year_target(target: TargetSpec, year: int) -> Decimal | None:
    """The target of one year, or None when the plan gives that year none."""
    if year in target.by_year:
        return target.by_year[year]
    if target.scope == PER_YEAR:
        return target.value
    if target.scope == NOT_STATED and target.aggregation == WEIGHTED_MEAN:
        return target.value
    return None


def period_target(target: TargetSpec, years: Sequence[int]) -> Decimal | None:
    """The target of the whole plan period, or None when there is none."""
    if target.aggregation == WEIGHTED_MEAN or not _is_built_from_years(target):
        return target.value
    year_targets = [t for t in (year_target(target, y) for y in years) if t is not None]
    return sum(year_targets, ZERO) if year_targets else None


@lru_cache(maxsize=256)  # a dashboard asks the same few scopes for every KPI
def elapsed_share(starts: date, ends: date, today: date) -> Decimal:
    """The share of the days from `starts` to `ends` elapsed by the end of
    `today`: 0 before it starts, 1 from its last day on."""
    days = (ends - starts).days + 1
    elapsed = min(max((today - starts).days + 1, 0), days)
    return _CONTEXT.divide(Decimal(elapsed), Decimal(days))


def aggregate(amount: Amount, aggregation: str) -> Decimal | None:
    """The sum of the values, or their weighted mean (None without values)."""
    if aggregation == SUM:
        return amount.total
    if amount.weight == ZERO:
        return None
    return _CONTEXT.divide(amount.weighted_total, amount.weight)


def status_of(
    accepted: Decimal | None,
    expected: Decimal | None,
    thresholds: Thresholds,
) -> tuple[Status, str]:
    """The status and, when there is none, why."""
    if expected is None:
        return Status.NONE, "no target"
    if expected <= ZERO:
        return Status.NONE, "nothing expected yet"
    if accepted is None:
        return Status.NONE, "no accepted value yet"
    if accepted >= _CONTEXT.multiply(thresholds.green, expected):
        return Status.GREEN, ""
    if accepted >= _CONTEXT.multiply(thresholds.amber, expected):
        return Status.AMBER, ""
    return Status.RED, ""


def count_statuses(scopes: Iterable[ScopeAttainment]) -> dict[Status, int]:
    """How many of `scopes` have each status, every status present."""
    counts = dict.fromkeys(Status, 0)
    for scope in scopes:
        counts[scope.status] += 1
    return counts


def quarter_ends(year: int, quarter: int) -> date:
    """The last day of a quarter."""
    if quarter == 4:
        return date(year, 12, 31)
    return date(year, 3 * quarter + 1, 1) - timedelta(days=1)


def is_overdue(quarters: Mapping, status: str | None, *, today: date) -> bool:
    """An activity whose planned quarters ({"2024": [1, 2]}) have all ended before
    `today` and that is not reported completed or cancelled."""
    ends = [quarter_ends(int(y), int(q)) for y, qs in quarters.items() for q in qs]
    if not ends:
        return False
    return max(ends) < today and status not in DONE_ACTIVITY_STATUSES


# Inside ----------------------------------------------------------------------


def _year_attainment(target, reported, year, today, thresholds) -> ScopeAttainment:
    goal = year_target(target, year)
    starts, ends = date(year, 1, 1), date(year, 12, 31)
    elapsed = elapsed_share(starts, ends, today)
    expected = None if goal is None else _expected(target, goal, elapsed)
    reason = (
        "" if goal is not None or target.value is None else "target is for the period"
    )
    return _scope(
        str(year),
        starts,
        ends,
        _amounts(reported, {year}),
        target,
        goal,
        expected,
        elapsed,
        thresholds,
        reason,
    )


def _period_attainment(target, reported, years, today, thresholds) -> ScopeAttainment:
    goal = period_target(target, years)
    starts, ends = date(years[0], 1, 1), date(years[-1], 12, 31)
    elapsed = elapsed_share(starts, ends, today)
    if goal is None:
        expected = None
    elif target.aggregation == SUM and _is_built_from_years(target):
        expected = sum(
            (
                _CONTEXT.multiply(
                    t, elapsed_share(date(y, 1, 1), date(y, 12, 31), today)
                )
                for y in years
                if (t := year_target(target, y)) is not None
            ),
            ZERO,
        )
    else:
        expected = _expected(target, goal, elapsed)
    label = f"{years[0]}-{years[-1]}" if len(years) > 1 else str(years[0])
    return _scope(
        label,
        starts,
        ends,
        _amounts(reported, set(years)),
        target,
        goal,
        expected,
        elapsed,
        thresholds,
        "",
    )


def _scope(
    label, starts, ends, amounts, target, goal, expected, elapsed, thresholds, reason
) -> ScopeAttainment:
    accepted_amount, pending_amount = amounts
    accepted = aggregate(accepted_amount, target.aggregation)
    status, why = status_of(accepted, expected, thresholds)
    return ScopeAttainment(
        label=label,
        starts=starts,
        ends=ends,
        accepted=accepted,
        accepted_count=accepted_amount.count,
        pending=aggregate(pending_amount, target.aggregation),
        pending_count=pending_amount.count,
        target=goal,
        expected=expected,
        elapsed=elapsed,
        status=status,
        reason=reason or why,
    )


def _expected(target: TargetSpec, goal: Decimal, elapsed: Decimal) -> Decimal:
    if target.aggregation == WEIGHTED_MEAN:
        return goal if elapsed > ZERO else ZERO
    return _CONTEXT.multiply(goal, elapsed)


def _amounts(reported, years: set[int]) -> tuple[Amount, Amount]:
    in_scope = [r for (_source, year, _half), r in reported.items() if year in years]
    return (
        _added(r.accepted for r in in_scope),
        _added(r.pending for r in in_scope),
    )


def _added(amounts: Iterable[Amount]) -> Amount:
    """Amounts added up field by field: one Amount made rather than one per term
    (a plan dashboard adds up a few thousand)."""
    total = weighted_total = weight = ZERO
    count = 0
    for amount in amounts:
        total += amount.total
        weighted_total += amount.weighted_total
        weight += amount.weight
        count += amount.count
    return Amount(total, weighted_total, weight, count)


def _is_built_from_years(target: TargetSpec) -> bool:
    return bool(target.by_year) or target.scope == PER_YEAR


def _is_scope_assumed(target: TargetSpec) -> bool:
    return (
        target.aggregation == SUM
        and target.scope == NOT_STATED
        and target.value is not None
        and not target.by_year
    )


def _share(part: Decimal | None, whole: Decimal | None) -> Decimal | None:
    if part is None or whole is None or whole <= ZERO:
        return None
    return _CONTEXT.divide(part, whole)
