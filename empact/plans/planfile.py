"""The plan file: the OAP as data (YAML or JSON), its schema, reading and writing.

A plan file is read in three steps: `read_plan_file` parses YAML or JSON,
`check_plan_structure` (schema.py) validates it (every problem at once,
each with its location), and `normalise_plan` fills what may be left out (a
target given as text is parsed, quarters are parsed from the timing). The result
has the same shape as `empact plan export`, so a round trip is the identity.
docs/plan-format.md documents the format.
"""

import json
from decimal import Decimal
from pathlib import Path

import yaml

from empact.errors import UserError
from empact.plans.schema import FORMAT_VERSION
from empact.plans.targets import Target, parse_target
from empact.plans.timing import Timing, parse_timing


def plain_number(value: Decimal | float | int | None) -> int | float | None:
    """A number as the plainest YAML/JSON number: 20 rather than 20.00."""
    if value is None:
        return None
    value = Decimal(str(value))
    return int(value) if value == value.to_integral_value() else float(value)


def target_as_dict(target: Target) -> dict:
    """The `target` mapping of a KPI in a plan file."""
    return {
        "as_written": target.as_written,
        "value": plain_number(target.value),
        "scope": target.scope,
        "kind": target.kind,
        "unit": target.unit,
        "minimum": target.minimum,
        "scale": plain_number(target.scale),
        "by_year": {
            str(year): plain_number(v) for year, v in sorted(target.by_year.items())
        },
        "components": [
            {"value": plain_number(c.value), "label": c.label}
            for c in target.components
        ],
    }


def quarters_as_dict(timing: Timing) -> dict[str, list[int]]:
    """An activity's `quarters` mapping (years as strings, as in JSON)."""
    return {str(year): list(qs) for year, qs in sorted(timing.quarters.items())}


def period_years(period: str) -> tuple[int, ...]:
    start, end = (int(y) for y in period.split("-"))
    return tuple(range(start, end + 1))


# libyaml's loader when PyYAML has it: several times faster, same safe subset.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


# Reading -------------------------------------------------------------------


def read_plan_file(path: Path) -> dict:
    """Parse a YAML or JSON plan file; a syntax error names file, line and column."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the plan file ({e})") from None
    return parse_plan_text(text, name=str(path))


def parse_plan_text(text: str, *, name: str = "plan file") -> dict:
    try:
        data = yaml.load(text, Loader=_Loader)  # JSON is YAML too
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark
        where = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise UserError(f"{where}: not valid YAML ({e.problem})") from None
    except yaml.YAMLError as e:
        raise UserError(f"{name}: not valid YAML ({e})") from None
    if not isinstance(data, dict):
        raise UserError(
            f"{name}: a plan file is a mapping with keys such as id, goals, "
            "actions; this one is not"
        )
    return _stringify_year_keys(data)


def _stringify_year_keys(value):
    # YAML reads `2024:` as an int key; JSON, the database and the schema use strings.
    if isinstance(value, dict):
        return {
            str(k) if isinstance(k, int) else k: _stringify_year_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_stringify_year_keys(v) for v in value]
    return value


# Normalising ---------------------------------------------------------------


def normalise_plan(data: dict) -> dict:
    """The canonical plan dict (the shape of `empact plan export`) from checked data."""
    years = period_years(data["period"])
    return {
        "format": FORMAT_VERSION,
        "id": data["id"],
        "priority": data["priority"],
        "title": data["title"],
        "period": data["period"],
        "council_document": data.get("council_document", ""),
        "date": str(data["date"]) if data.get("date") else None,
        "marking": data.get("marking", "LIMITE"),
        "driver": data["driver"],
        "co_drivers": list(data.get("co_drivers", [])),
        "aim": data.get("aim", ""),
        "goals": [
            {
                "number": g["number"],
                "title": g["title"],
                "objective": g.get("objective", ""),
            }
            for g in data["goals"]
        ],
        "actions": [_normalise_action(a, years) for a in data["actions"]],
    }


def _normalise_action(action: dict, years: tuple[int, ...]) -> dict:
    leader = action["leader"]
    return {
        "ref": action["ref"],
        "goal": action["goal"],
        "leader": leader,
        "leader_as_written": action.get("leader_as_written", leader),
        "co_leader": action.get("co_leader"),
        "title": action.get("title", ""),
        "short_title": action["short_title"],
        "summary": action.get("summary", ""),
        "types": sorted(set(action.get("types", []))),
        "kpis": [_normalise_kpi(k, years) for k in action.get("kpis", [])],
        "activities": [
            _normalise_activity(a, years) for a in action.get("activities", [])
        ],
        "links": action.get("links", ""),
        "jad": action.get("jad", ""),
    }


def _normalise_kpi(kpi: dict, years: tuple[int, ...]) -> dict:
    target = normalise_target(kpi.get("target"), description=kpi["text"], years=years)
    default = "sum" if target["kind"] in ("count", "money") else "weighted_mean"
    return {
        "letter": kpi["letter"],
        "text": kpi["text"],
        "target": target,
        "aggregation": kpi.get("aggregation", default),
    }


def normalise_target(raw, *, description: str, years: tuple[int, ...]) -> dict:
    """Parse a target given as text; a mapping's keys override the parse."""
    if isinstance(raw, dict):
        parsed = parse_target(
            raw.get("as_written", ""), description=description, years=years
        )
        target = target_as_dict(parsed)
        target.update({k: v for k, v in raw.items()})
    else:
        parsed = parse_target(raw or "", description=description, years=years)
        target = target_as_dict(parsed)
    target["value"] = plain_number(target["value"])
    target["scale"] = plain_number(target["scale"])
    target["by_year"] = {
        k: plain_number(v) for k, v in sorted(target["by_year"].items())
    }
    target["components"] = [
        {"value": plain_number(c["value"]), "label": c["label"]}
        for c in target["components"]
    ]
    return target


def _normalise_activity(activity: dict, years: tuple[int, ...]) -> dict:
    timing = activity.get("timing", "")
    quarters = activity.get("quarters")
    if quarters is None:
        quarters = quarters_as_dict(parse_timing(timing, years=years))
    return {
        "number": activity["number"],
        "text": activity["text"],
        "timing": timing,
        "quarters": {y: sorted(set(qs)) for y, qs in sorted(quarters.items())},
    }


# Writing -------------------------------------------------------------------


class _PlanDumper(yaml.SafeDumper):
    pass


def _represent_str(dumper: yaml.SafeDumper, value: str):
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


def _represent_list(dumper: yaml.SafeDumper, value: list):
    # Short lists of numbers (types, quarters) read best on one line.
    flow = all(isinstance(v, int) for v in value)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", value, flow_style=flow)


_PlanDumper.add_representer(str, _represent_str)
_PlanDumper.add_representer(list, _represent_list)


def dump_plan_yaml(plan: dict) -> str:
    """The plan as YAML, keys in the documented order, long texts as blocks."""
    header = "# empact plan file, format 1: see docs/plan-format.md\n"
    body = yaml.dump(
        plan,
        Dumper=_PlanDumper,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        default_flow_style=None,
    )
    return header + body


def dump_plan_json(plan: dict) -> str:
    return json.dumps(plan, ensure_ascii=False, indent=2) + "\n"
