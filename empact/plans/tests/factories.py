"""make_* factories: small plans with a default for every argument, built through
the real plan-file import."""

import copy

from empact.organisations.models import Organisation
from empact.plans.models import Plan
from empact.plans.services import import_plan


def make_organisation(code: str = "DE", **fields) -> Organisation:
    defaults = {
        "name": f"Organisation {code}",
        "kind": Organisation.Kind.MEMBER_STATE,
        "country": code if len(code) == 2 else "",
    }
    defaults.update(fields)
    org, _ = Organisation.objects.get_or_create(code=code, defaults=defaults)
    return org


def make_plan_file(slug: str = "oap-test", *, actions: int = 3) -> dict:
    """A plan file (as read from YAML) with two goals and `actions` OAs, each with
    two KPIs and two activities."""
    return {
        "format": 1,
        "id": slug,
        "priority": "Migrant smuggling",
        "title": "Operational Action Plan 2024-2025: Migrant smuggling",
        "period": "2024-2025",
        "driver": "DE",
        "goals": [
            {"number": 1, "title": "Criminal intelligence picture"},
            {"number": 2, "title": "Investigations and judicial response"},
        ],
        "actions": [_action(i) for i in range(actions)],
    }


def _action(i: int) -> dict:
    return {
        "ref": f"{i % 2 + 1}.{i + 1}",
        "goal": i % 2 + 1,
        "leader": "EUROPOL",
        "short_title": f"Action {i + 1}",
        "summary": "Detect and disrupt migrant smuggling networks.",
        "types": [1, 2],
        "kpis": [
            {
                "letter": "a",
                "text": "Number of OCGs dismantled",
                "target": "20 per year",
            },
            {"letter": "b", "text": "Satisfaction rate", "target": "90%"},
        ],
        "activities": [
            {"number": 1, "text": "Kick-off meeting", "timing": "Q1 2024"},
            {"number": 2, "text": "Operational meetings", "timing": "Q1-Q4 2024/25"},
        ],
    }


def make_plan(slug: str = "oap-test", *, actions: int = 3) -> Plan:
    """Import make_plan_file(slug, actions=actions)."""
    return make_plan_from(make_plan_file(slug, actions=actions))


def make_plan_from(data: dict) -> Plan:
    """Import a plan file's data, with the organisations the factories use."""
    make_organisation("DE")
    make_organisation("EUROPOL", kind=Organisation.Kind.EU_AGENCY, name="Europol")
    return import_plan(copy.deepcopy(data), by="factory", reason="test plan").plan
