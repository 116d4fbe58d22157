"""The plan dashboard's rows are written in Python (dashboard_cells): what a plan
says reaches the page escaped, as a template would have escaped it, and a status
is never told by colour alone."""

from datetime import date
from decimal import Decimal
from types import SimpleNamespace

from empact.plans.models import KPI
from empact.reporting import attainment
from empact.reporting.dashboards import KPIRow, target_spec
from empact.reporting.templatetags.dashboard_cells import action_rows, kpi_target

HOSTILE = "<script>alert(\"x\")</script> & 'co'"


def _row(**target) -> KPIRow:
    kpi = KPI(letter="a", text=HOSTILE, aggregation="sum", unit="", **target)
    return KPIRow(
        kpi,
        attainment.kpi_attainment(
            target_spec(kpi), {}, years=[2024, 2025], today=date(2024, 7, 1)
        ),
    )


def _page(rows):
    plan = SimpleNamespace(slug="oap-ms", years=[2024, 2025])
    action = SimpleNamespace(
        ref='1.1"><b>', short_title=HOSTILE, leader=SimpleNamespace(code="<IT>")
    )
    return str(action_rows(SimpleNamespace(action=action, kpis=rows), plan))


def test_what_the_plan_says_is_escaped_in_every_row():
    html = _page([_row(target_value=Decimal(20), target_scope="per_year")])
    assert "<script>" not in html and "<b>" not in html and "<IT>" not in html
    assert (
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#x27;co&#x27;" in html
    )
    assert 'id="kpi-1.1&quot;&gt;&lt;b&gt;-a"' in html
    assert "&lt;IT&gt;" in html


def test_each_scope_shows_its_status_in_words_and_a_symbol():
    html = _page([_row(target_value=Decimal(20), target_scope="per_year")])
    # nothing accepted half-way through 2024: far behind in 2024 and overall
    assert (
        html.count(
            '<span class="attainment-symbol" aria-hidden="true">✕</span> Far behind'
        )
        == 2
    )
    assert (
        '–</span> No status</span> <span class="attainment-reason">nothing expected yet'
        in html
    )
    assert '<span class="figure">0</span> <span class="muted">of 20</span>' in html


def test_an_oa_without_kpis_says_so_across_the_table():
    html = _page([])
    assert '<td colspan="8" class="muted">The plan states no KPI' in html


def test_a_target_shows_its_amount_scope_and_years():
    by_year = _row(target_by_year={"2024": 9, "2025": 12}, target_scope="per_year")
    assert kpi_target(by_year) == (
        '<ul class="plain"><li><span class="muted">2024:</span> 9</li>'
        '<li><span class="muted">2025:</span> 12</li></ul>'
    )
    assumed = _row(target_value=Decimal(40))
    assert kpi_target(assumed) == (
        "<strong>40</strong> not stated"
        '<br><span class="muted">(read as the whole period)</span>'
    )
    assert "no measurable target" in kpi_target(_row())
