"""Filters that write plan values the way the plan pages show them."""

from decimal import Decimal

from django import template

from empact.plans.models import KPI

register = template.Library()


@register.filter
def plain_number(value) -> str:
    """20.00 as "20", 4.50 as "4.5", 10000 as "10,000"; None as ""."""
    if value is None or value == "":
        return ""
    number = Decimal(str(value))
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


@register.filter
def target_amount(kpi: KPI) -> str:
    """The parsed target value with its unit: "20", "90%", "EUR 50,000", "4.5/6"."""
    if kpi.target_value is None:
        return ""
    value = plain_number(kpi.target_value)
    if kpi.target_scale is not None:
        value = f"{value}/{plain_number(kpi.target_scale)}"
    if not kpi.unit:
        return value
    if kpi.unit == "%":
        return f"{value}%"
    if kpi.kind == KPI.Kind.MONEY:
        return f"{kpi.unit} {value}"
    return f"{value} {kpi.unit}"


@register.filter
def scope_label(kpi: KPI) -> str:
    """ "per year", "whole period" or "not stated"."""
    return {
        KPI.Scope.PER_YEAR: "per year",
        KPI.Scope.PERIOD: "whole period",
    }.get(kpi.target_scope, "not stated")


@register.filter
def has_measurable_target(kpi: KPI) -> bool:
    return (
        kpi.target_value is not None
        or bool(kpi.target_by_year)
        or bool(kpi.target_components)
    )


@register.filter
def by_year(kpi: KPI) -> list[tuple[str, str]]:
    """[("2024", "9"), ("2025", "9")] from {"2024": 9, "2025": 9}, by year."""
    return [
        (str(year), plain_number(value))
        for year, value in sorted(
            (kpi.target_by_year or {}).items(), key=lambda i: str(i[0])
        )
    ]
