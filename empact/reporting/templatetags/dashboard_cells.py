"""The dashboards' repeated rows and cells, written in Python rather than as
included templates: the plan dashboard has a row per KPI (a hundred or more), each
with a target and a cell per year and for the whole period, and rendering these
with template partials was most of the page's time (see BENCHMARKS.md,
dashboard). Every value is escaped with `_escape`, as a template would escape it;
plain f-strings rather than format_html, which costs several times more a value."""

from functools import lru_cache
from html import escape

from django import template
from django.urls import reverse
from django.utils.safestring import SafeString

from empact.plans.templatetags.plan_format import (
    by_year,
    has_measurable_target,
    scope_label,
    target_amount,
)
from empact.reporting.attainment import ScopeAttainment, Status

register = template.Library()

NO_TARGET = SafeString('<span class="no-target">no measurable target</span>')
READ_AS_PERIOD = '<br><span class="muted">(read as the whole period)</span>'


def _escape(value) -> str:
    """What Django's escape filter does (quotes included), without its lazy
    wrapper."""
    return escape(str(value), quote=True)


@register.filter
def status_badge(scope: ScopeAttainment) -> SafeString:
    """A scope's status as words, a symbol and a colour (never colour alone),
    and why there is none when there is none."""
    return _badge(scope.status, scope.reason)


@lru_cache(maxsize=64)  # four statuses and a handful of reasons
def _badge(status: Status, reason: str) -> SafeString:
    badge = (
        f'<span class="attainment attainment-{_escape(status)}">'
        f'<span class="attainment-symbol" aria-hidden="true">{_escape(status.symbol)}'
        f"</span> {_escape(status.label)}</span>"
    )
    if reason:
        badge += f' <span class="attainment-reason">{_escape(reason)}</span>'
    return SafeString(badge)


def scope_cell(cell) -> SafeString:
    """One KPI in one scope on the plan dashboard (`cell`: dashboards.ScopeFigures):
    the accepted figure, of its target when it has one, then the status."""
    scope = cell.scope
    target = (
        ""
        if scope.target is None
        else f' <span class="muted">of {_escape(cell.target)}</span>'
    )
    return SafeString(
        f'<td class="scope-cell"><span class="figure">{_escape(cell.accepted)}'
        f"</span>{target}<br>{_badge(scope.status, scope.reason)}</td>"
    )


@register.filter
def action_rows(action_row, plan) -> SafeString:
    """An OA's rows on the plan dashboard (`action_row`: dashboards.ActionRow):
    its heading, linked to its own dashboard, then a row per KPI."""
    action = action_row.action
    columns = len(plan.years) + 6
    url = reverse("dashboards:action", args=[plan.slug, action.ref])
    heading = (
        f'<tr class="group-row"><th scope="rowgroup" colspan="{columns}">'
        f'<a href="{_escape(url)}"><span class="oa-ref">OA {_escape(action.ref)}'
        f"</span> {_escape(action.short_title)}</a> "
        f'<span class="muted">· led by {_escape(action.leader.code)}</span></th></tr>'
    )
    rows = "".join(kpi_row(row, action) for row in action_row.kpis) or (
        f'<tr><td colspan="{columns}" class="muted">'
        "The plan states no KPI for this action.</td></tr>"
    )
    return SafeString(heading + rows)


def kpi_row(row, action) -> SafeString:
    """A KPI's row on the plan dashboard (`row`: dashboards.KPIRow of `action`):
    letter, indicator, target, a cell per year and for the whole period, then
    expected by now and pending over the whole period."""
    kpi, period = row.kpi, row.period
    ref, letter = _escape(action.ref), _escape(kpi.letter)
    scopes = "".join(scope_cell(cell) for cell in row.scopes)
    return SafeString(
        f'<tr id="kpi-{ref}-{letter}">'
        '<th scope="row" class="col-ref"><span class="visually-hidden">'
        f"OA {ref} KPI </span>{letter}</th>"
        f"<td>{_escape(kpi.text)}</td>"
        f'<td class="target">{kpi_target(row)}</td>'
        f"{scopes}"
        f'<td class="num">{_escape(period.expected)}</td>'
        f'<td class="num">{_escape(period.pending)}</td></tr>'
    )


@register.filter
def kpi_target(row) -> SafeString:
    """A KPI's target as the plan states it, as the dashboards read it
    (`row`: dashboards.KPIRow)."""
    kpi = row.kpi
    if not has_measurable_target(kpi):
        return NO_TARGET
    html = ""
    if kpi.target_value is not None:
        html += f"<strong>{_escape(target_amount(kpi))}</strong>"
        if kpi.target_scope or kpi.aggregation == "sum":
            html += f" {_escape(scope_label(kpi))}"
    years = by_year(kpi)
    if years:
        items = "".join(
            f'<li><span class="muted">{_escape(year)}:</span> {_escape(value)}</li>'
            for year, value in years
        )
        html += f'<ul class="plain">{items}</ul>'
    if row.attainment.scope_assumed:
        html += READ_AS_PERIOD
    return SafeString(html)
