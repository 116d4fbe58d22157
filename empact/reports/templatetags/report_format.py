"""Filters that write report figures: the same "1,234.5" and "—" as the dashboards."""

from decimal import Decimal

from django import template

from empact.reporting.dashboards import written

register = template.Library()


@register.filter
def figure(value) -> str:
    """A figure with thousands separators and at most two decimals; "—" for none."""
    if value is None or value == "":
        return "—"
    return written(Decimal(value))


@register.filter
def percent(share) -> str:
    """0.8 as "80%"; "—" for none."""
    if share is None:
        return "—"
    return f"{written(Decimal(share) * 100, 0)}%"
