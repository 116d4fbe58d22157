"""Changes to plans: importing a plan file updates the plan in place and versions it."""

from collections import Counter
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, ProtectedError, RestrictedError

from empact.audit.log import record
from empact.errors import UserError
from empact.organisations.models import Organisation
from empact.plans.changes import Change, diff_plans
from empact.plans.export import plan_as_dict
from empact.plans.models import KPI, Action, Activity, Plan, PlanVersion, StrategicGoal
from empact.plans.planfile import normalise_plan
from empact.plans.schema import check_plan_structure, reference_problems


@dataclass(frozen=True)
class ImportResult:
    plan: Plan
    changes: list[Change]
    version: PlanVersion | None  # None when the file changed nothing

    def summary(self) -> str:
        if not self.changes:
            return f"{self.plan.slug}: unchanged"
        counts = Counter(c.change for c in self.changes)
        parts = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
        return f"{self.plan.slug}: version {self.version.number} ({parts})"


def import_plan(
    data: dict, *, by: str, reason: str = "", source: str = ""
) -> ImportResult:
    """Create or update the plan a plan file describes; all or nothing.

    Rows are matched by goal number, OA ref, KPI letter and activity number and
    updated in place, so whatever later refers to an unchanged KPI stays attached.
    Raises UserError listing every problem before anything is written.
    """
    check_plan_structure(data, name=source or "plan file")
    incoming = normalise_plan(data)
    organisations = _organisations_for(incoming, name=source or "plan file")
    with transaction.atomic():
        plan = Plan.objects.select_for_update().filter(slug=incoming["id"]).first()
        changes = diff_plans(plan_as_dict(plan) if plan else None, incoming)
        if not changes:
            return ImportResult(plan, [], None)
        plan = _save_plan(plan, incoming, organisations)
        number = (plan.versions.aggregate(n=Max("number"))["n"] or 0) + 1
        version = PlanVersion.objects.create(
            plan=plan,
            number=number,
            created_by=by,
            reason=reason,
            source=source,
            changes=[c.as_dict() for c in changes],
            snapshot=incoming,
        )
        record(
            "plan.imported",
            actor=None,
            actor_name=by,
            operation="alteration",
            obj=plan,
            why=reason,
            extra={"version": number, "changes": len(changes), "source": source},
        )
    return ImportResult(plan, changes, version)


def _organisations_for(plan: dict, *, name: str) -> dict[str, Organisation]:
    organisations = {o.code: o for o in Organisation.objects.all()}
    problems = reference_problems(plan, set(organisations))
    if problems:
        raise UserError(
            f"{name}: {len(problems)} problem(s); nothing was saved", problems
        )
    return organisations


def _save_plan(plan: Plan | None, data: dict, orgs: dict[str, Organisation]) -> Plan:
    start, end = (int(y) for y in data["period"].split("-"))
    fields = {
        "priority": data["priority"],
        "title": data["title"],
        "period_start": start,
        "period_end": end,
        "council_document": data["council_document"],
        "adopted_on": date.fromisoformat(data["date"]) if data["date"] else None,
        "marking": data["marking"],
        "aim": data["aim"],
        "driver": orgs[data["driver"]],
    }
    plan = _upsert(plan, Plan(slug=data["id"]), fields)
    plan.co_drivers.set([orgs[c] for c in data["co_drivers"]])
    goals = _save_goals(plan, data["goals"])
    existing = {a.ref: a for a in plan.actions.all()}
    for position, action_data in enumerate(data["actions"]):
        action = _save_action(
            plan,
            existing.get(action_data["ref"]),
            action_data,
            position=position,
            goal=goals[action_data["goal"]],
            orgs=orgs,
        )
        _save_kpis(action, action_data["kpis"])
        _save_activities(action, action_data["activities"])
    _delete(existing, {a["ref"] for a in data["actions"]}, "OA")
    _delete(
        {g.number: g for g in goals.values()},
        {g["number"] for g in data["goals"]},
        "CHSG",
    )
    return plan


def _save_goals(plan: Plan, goals: list[dict]) -> dict[int, StrategicGoal]:
    existing = {g.number: g for g in plan.goals.all()}
    saved = dict(existing)
    for g in goals:
        saved[g["number"]] = _upsert(
            existing.get(g["number"]),
            StrategicGoal(plan=plan, number=g["number"]),
            {"title": g["title"], "objective": g["objective"]},
        )
    return saved


def _save_action(plan, action, data, *, position, goal, orgs) -> Action:
    fields = {
        "goal": goal,
        "position": position,
        "leader": orgs[data["leader"]],
        "leader_as_written": data["leader_as_written"],
        "co_leader": orgs[data["co_leader"]] if data["co_leader"] else None,
        "title": data["title"],
        "short_title": data["short_title"],
        "summary": data["summary"],
        "types": data["types"],
        "links": data["links"],
        "jad": data["jad"],
    }
    return _upsert(action, Action(plan=plan, ref=data["ref"]), fields)


def _save_kpis(action: Action, kpis: list[dict]) -> None:
    existing = {k.letter: k for k in action.kpis.all()} if action.pk else {}
    for k in kpis:
        t = k["target"]
        fields = {
            "text": k["text"],
            "kind": t["kind"],
            "target_value": t["value"],
            "target_scope": t["scope"] or "",
            "target_by_year": t["by_year"],
            "target_scale": t["scale"],
            "target_minimum": t["minimum"],
            "target_components": t["components"],
            "target_text": t["as_written"],
            "aggregation": k["aggregation"],
            "unit": t["unit"],
        }
        _upsert(
            existing.get(k["letter"]), KPI(action=action, letter=k["letter"]), fields
        )
    _delete(existing, {k["letter"] for k in kpis}, f"OA {action.ref} KPI")


def _save_activities(action: Action, activities: list[dict]) -> None:
    existing = {a.number: a for a in action.activities.all()}
    for a in activities:
        fields = {"text": a["text"], "timing": a["timing"], "quarters": a["quarters"]}
        _upsert(
            existing.get(a["number"]),
            Activity(action=action, number=a["number"]),
            fields,
        )
    _delete(existing, {a["number"] for a in activities}, f"OA {action.ref} activity")


def _upsert(instance, new_instance, fields: dict):
    """Create `new_instance`, or save only the fields of `instance` that differ."""
    if instance is None:
        for name, value in fields.items():
            setattr(new_instance, name, value)
        _check(new_instance)
        new_instance.save()
        return new_instance
    changed = [
        name
        for name, value in fields.items()
        if _comparable(getattr(instance, name)) != _comparable(value)
    ]
    for name in changed:
        setattr(instance, name, fields[name])
    if changed:
        _check(instance)
        instance.save(update_fields=changed)
    return instance


def _check(instance) -> None:
    try:
        instance.full_clean(validate_unique=False, validate_constraints=False)
    except ValidationError as e:
        problems = [
            f"{instance}: {field}: {' '.join(msgs)}"
            for field, msgs in e.message_dict.items()
        ]
        raise UserError(
            "the plan file has values the database cannot hold; nothing was saved",
            problems,
        ) from None


def _comparable(value):
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return Decimal(str(value))
    return value


def _delete(existing: dict, keep: set, what: str) -> None:
    for key, obj in existing.items():
        if key in keep:
            continue
        try:
            obj.delete()
        except (ProtectedError, RestrictedError):
            raise UserError(
                f"{what} {key} is no longer in the plan file, but data refers to it "
                "and it cannot be removed; keep it in the file"
            ) from None
