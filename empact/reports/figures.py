"""The charts each report shows, from its content: one place, so that HTML, PDF and
DOCX draw the same figures with the same titles."""

from collections.abc import Sequence

from empact.reports import charts
from empact.reports.content import (
    ActionSection,
    CountryRow,
    GoalAttainment,
    GoalSection,
)


def goal_chart(goals: Sequence[GoalSection | GoalAttainment]) -> charts.Chart:
    """KPI statuses per strategic goal."""
    return charts.attainment_by_goal(
        [
            charts.GoalStatusCounts(
                f"{goal.number}. {goal.title}",
                green=goal.statuses.green,
                amber=goal.statuses.amber,
                red=goal.statuses.red,
                none=goal.statuses.none,
            )
            for goal in goals
        ]
    )


def kpi_chart(action: ActionSection) -> charts.Chart:
    """The OA's KPIs: counted value against the expected value and the target."""
    return charts.kpi_progress(
        [
            charts.KPIProgress(
                f"{kpi.letter}) {kpi.text}",
                accepted=kpi.value,
                expected=kpi.expected,
                target=kpi.target,
                status=kpi.status,
            )
            for kpi in action.kpis
        ]
    )


def country_chart(countries: Sequence[CountryRow]) -> charts.Chart:
    """Operational actions each country (or agency) takes part in."""
    return charts.participation_by_country([(c.code, c.actions) for c in countries])
