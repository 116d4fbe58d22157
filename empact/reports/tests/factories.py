"""Reporting made through the real services, for the report tests."""

from datetime import date

from empact.reporting import services


def report_value(
    organisation, action, period, *, value: str, actor, leader, steps, narrative=""
):
    """`organisation`'s contribution to `action` in `period` with `value` for the
    OA's first KPI, taken through `steps` ("submit", "accept") by `actor` and
    `leader`; returns the contribution."""
    today = date(period.year, 6 if period.half == 1 else 12, 20)
    contribution = services.start_contribution(
        organisation, action, period, actor=actor
    )
    kpi = action.kpis.order_by("letter").first()
    contribution = services.save_contribution(
        contribution,
        version=contribution.version,
        values={kpi.pk: services.ValueInput(value, "case files")},
        statuses={},
        narrative=narrative,
        actor=actor,
        today=today,
    )
    for step in steps:
        contribution = services.take_step(
            contribution,
            step,
            actor=leader if step == "accept" else actor,
            version=contribution.version,
            today=today,
        )
    return contribution
