"""What changed between two versions of a plan, read as Council amendments are.

Both sides are canonical plan dicts (the shape of `empact plan export`). Goals
are matched by number, actions by ref, KPIs by letter and activities by number,
so an edited KPI is a change to that KPI, never a removal and an addition.
"""

from dataclasses import asdict, dataclass

PLAN_FIELDS = (
    "priority",
    "title",
    "period",
    "council_document",
    "date",
    "marking",
    "driver",
    "co_drivers",
    "aim",
)
GOAL_FIELDS = ("title", "objective")
ACTION_FIELDS = (
    "goal",
    "leader",
    "leader_as_written",
    "co_leader",
    "title",
    "short_title",
    "summary",
    "types",
    "links",
    "jad",
)
KPI_FIELDS = ("text", "target", "aggregation")
ACTIVITY_FIELDS = ("text", "timing", "quarters")


@dataclass(frozen=True)
class Change:
    change: str  # "added" | "removed" | "changed"
    what: str  # "plan", "CHSG 2", "OA 2.4", "OA 2.4 KPI b", "OA 2.4 activity 3"
    field: str = ""
    old: str | None = None
    new: str | None = None

    def __str__(self) -> str:
        if self.change == "changed":
            return f"~ {self.what} {self.field}: {self.old} → {self.new}"
        sign = "+" if self.change == "added" else "-"
        return f"{sign} {self.what} {self.change}"

    def as_dict(self) -> dict:
        return asdict(self)


def diff_plans(old: dict | None, new: dict) -> list[Change]:
    """Every change from `old` to `new`; everything is added when `old` is None."""
    if old is None:
        return [Change("added", "plan")]
    changes = _diff_fields("plan", old, new, PLAN_FIELDS)
    changes += _diff_items(
        old["goals"], new["goals"], "number", lambda n: f"CHSG {n}", GOAL_FIELDS
    )
    changes += _diff_items(
        old["actions"],
        new["actions"],
        "ref",
        lambda r: f"OA {r}",
        ACTION_FIELDS,
        _diff_action_children,
    )
    old_order = [a["ref"] for a in old["actions"]]
    new_order = [a["ref"] for a in new["actions"] if a["ref"] in old_order]
    if [r for r in old_order if r in new_order] != new_order:
        changes.append(
            Change(
                "changed",
                "plan",
                "order of actions",
                ", ".join(old_order),
                ", ".join(a["ref"] for a in new["actions"]),
            )
        )
    return changes


def _diff_action_children(old: dict, new: dict) -> list[Change]:
    what = f"OA {new['ref']}"
    return _diff_items(
        old["kpis"],
        new["kpis"],
        "letter",
        lambda letter: f"{what} KPI {letter}",
        KPI_FIELDS,
    ) + _diff_items(
        old["activities"],
        new["activities"],
        "number",
        lambda n: f"{what} activity {n}",
        ACTIVITY_FIELDS,
    )


def _diff_items(old_items, new_items, key, name, fields, children=None) -> list[Change]:
    old_by_key = {item[key]: item for item in old_items}
    new_keys = {item[key] for item in new_items}
    changes = [Change("removed", name(k)) for k in old_by_key if k not in new_keys]
    for item in new_items:
        before = old_by_key.get(item[key])
        if before is None:
            changes.append(Change("added", name(item[key])))
            continue
        changes += _diff_fields(name(item[key]), before, item, fields)
        if children:
            changes += children(before, item)
    return changes


def _diff_fields(
    what: str, old: dict, new: dict, fields, prefix: str = ""
) -> list[Change]:
    changes = []
    for field in fields:
        before, after = old.get(field), new.get(field)
        if field == "target":
            before, after = before or {}, after or {}
            keys = sorted(set(before) | set(after))
            changes += _diff_fields(what, before, after, keys, prefix="target.")
        elif before != after:
            changes.append(
                Change("changed", what, prefix + field, _show(before), _show(after))
            )
    return changes


def _show(value) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text if len(text) <= 120 else text[:117] + "..."
