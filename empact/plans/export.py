"""The plan in the database as a canonical plan dict (the shape of a plan file)."""

from django.db.models import Prefetch

from empact.plans.models import KPI, Action, Activity, Plan
from empact.plans.planfile import plain_number
from empact.plans.schema import FORMAT_VERSION


def plan_as_dict(plan: Plan) -> dict:
    """The plan as `empact plan export` writes it; a fixed number of queries."""
    actions = (
        Action.objects.filter(plan=plan)
        .select_related("goal", "leader", "co_leader")
        .prefetch_related(
            Prefetch("kpis", queryset=KPI.objects.order_by("letter")),
            Prefetch("activities", queryset=Activity.objects.order_by("number")),
        )
        .order_by("position")
    )
    return {
        "format": FORMAT_VERSION,
        "id": plan.slug,
        "priority": plan.priority,
        "title": plan.title,
        "period": plan.period,
        "council_document": plan.council_document,
        "date": plan.adopted_on.isoformat() if plan.adopted_on else None,
        "marking": plan.marking,
        "driver": plan.driver.code,
        "co_drivers": sorted(o.code for o in plan.co_drivers.all()),
        "aim": plan.aim,
        "goals": [
            {"number": g.number, "title": g.title, "objective": g.objective}
            for g in plan.goals.order_by("number")
        ],
        "actions": [_action_as_dict(a) for a in actions],
    }


def _action_as_dict(action: Action) -> dict:
    return {
        "ref": action.ref,
        "goal": action.goal.number,
        "leader": action.leader.code,
        "leader_as_written": action.leader_as_written,
        "co_leader": action.co_leader.code if action.co_leader else None,
        "title": action.title,
        "short_title": action.short_title,
        "summary": action.summary,
        "types": list(action.types),
        "kpis": [kpi_as_dict(k) for k in action.kpis.all()],
        "activities": [
            {
                "number": a.number,
                "text": a.text,
                "timing": a.timing,
                "quarters": a.quarters,
            }
            for a in action.activities.all()
        ],
        "links": action.links,
        "jad": action.jad,
    }


def kpi_as_dict(kpi: KPI) -> dict:
    return {
        "letter": kpi.letter,
        "text": kpi.text,
        "target": {
            "as_written": kpi.target_text,
            "value": plain_number(kpi.target_value),
            "scope": kpi.target_scope or None,
            "kind": kpi.kind,
            "unit": kpi.unit,
            "minimum": kpi.target_minimum,
            "scale": plain_number(kpi.target_scale),
            "by_year": kpi.target_by_year,
            "components": kpi.target_components,
        },
        "aggregation": kpi.aggregation,
    }
