"""The plan file: the OAP as data (YAML or JSON), its schema, reading and writing.

A plan file is read in three steps: `read_plan_file` parses YAML or JSON,
`check_plan_structure` validates it against PLAN_SCHEMA (every problem at once,
each with its location), and `normalise_plan` fills what may be left out (a
target given as text is parsed, quarters are parsed from the timing). The result
has the same shape as `empact plan export`, so a round trip is the identity.
docs/plan-format.md documents the format; docs/plan.schema.json is PLAN_SCHEMA.
"""

import json
import re
from collections import Counter
from decimal import Decimal
from pathlib import Path

import jsonschema
import yaml

from empact.errors import UserError
from empact.plans.targets import Target, parse_target
from empact.plans.timing import Timing, parse_timing

FORMAT_VERSION = 1
KINDS = ["count", "percentage", "rating", "money"]
SCOPES = ["per_year", "period"]
AGGREGATIONS = ["sum", "weighted_mean"]

_number = {"type": ["number", "null"]}
_year_map = {
    "type": "object",
    "propertyNames": {"pattern": "^[0-9]{4}$"},
}
TARGET_SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "as_written": {"type": "string"},
        "value": _number,
        "scope": {"enum": [*SCOPES, None]},
        "kind": {"enum": KINDS},
        "unit": {"type": "string"},
        "minimum": {"type": "boolean"},
        "scale": _number,
        "by_year": {**_year_map, "additionalProperties": {"type": "number"}},
        "components": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["value", "label"],
                "properties": {
                    "value": {"type": "number"},
                    "label": {"type": "string"},
                },
            },
        },
    },
}
PLAN_SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://empact.eu/schemas/plan.schema.json",
    "title": "empact plan file",
    "description": "An EMPACT Operational Action Plan as data. See docs/plan-format.md.",
    "type": "object",
    "additionalProperties": False,
    "required": [
        "format",
        "id",
        "priority",
        "title",
        "period",
        "driver",
        "goals",
        "actions",
    ],
    "properties": {
        "format": {"const": FORMAT_VERSION},
        "id": {"type": "string", "pattern": "^[a-z0-9][a-z0-9-]*$", "maxLength": 100},
        "priority": {"type": "string", "minLength": 1},
        "title": {"type": "string", "minLength": 1},
        "period": {"type": "string", "pattern": "^[0-9]{4}-[0-9]{4}$"},
        "council_document": {"type": "string"},
        "date": {"type": ["string", "null"], "format": "date"},
        "marking": {"type": "string"},
        "driver": {"type": "string", "minLength": 1},
        "co_drivers": {"type": "array", "items": {"type": "string"}},
        "aim": {"type": "string"},
        "goals": {
            "type": "array",
            "minItems": 1,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["number", "title"],
                "properties": {
                    "number": {"type": "integer", "minimum": 1},
                    "title": {"type": "string", "minLength": 1},
                    "objective": {"type": "string"},
                },
            },
        },
        "actions": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["ref", "goal", "leader", "short_title"],
                "properties": {
                    "ref": {"type": "string", "pattern": "^[0-9]+\\.[0-9]+$"},
                    "goal": {"type": "integer", "minimum": 1},
                    "leader": {"type": "string", "minLength": 1},
                    "leader_as_written": {"type": "string"},
                    "co_leader": {"type": ["string", "null"]},
                    "title": {"type": "string"},
                    "short_title": {"type": "string", "minLength": 1},
                    "summary": {"type": "string"},
                    "types": {
                        "type": "array",
                        "items": {"type": "integer", "minimum": 1, "maximum": 5},
                    },
                    "kpis": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["letter", "text"],
                            "properties": {
                                "letter": {"type": "string", "pattern": "^[a-z]{1,3}$"},
                                "text": {"type": "string", "minLength": 1},
                                "target": {
                                    "oneOf": [
                                        {"type": "string"},
                                        {"type": "null"},
                                        TARGET_SCHEMA,
                                    ]
                                },
                                "aggregation": {"enum": AGGREGATIONS},
                            },
                        },
                    },
                    "activities": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "required": ["number", "text"],
                            "properties": {
                                "number": {"type": "integer", "minimum": 1},
                                "text": {"type": "string", "minLength": 1},
                                "timing": {"type": "string"},
                                "quarters": {
                                    **_year_map,
                                    "additionalProperties": {
                                        "type": "array",
                                        "items": {"enum": [1, 2, 3, 4]},
                                    },
                                },
                            },
                        },
                    },
                    "links": {"type": "string"},
                    "jad": {"type": "string"},
                },
            },
        },
    },
}


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
    """The `quarters` mapping of an activity in a plan file (years as strings, as in JSON)."""
    return {str(year): list(qs) for year, qs in sorted(timing.quarters.items())}


def period_years(period: str) -> tuple[int, ...]:
    start, end = (int(y) for y in period.split("-"))
    return tuple(range(start, end + 1))


# Reading -------------------------------------------------------------------


def read_plan_file(path: Path) -> dict:
    """Parse a YAML or JSON plan file; a syntax error names the file, line and column."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"{path}: cannot read the plan file ({e})") from None
    return parse_plan_text(text, name=str(path))


def parse_plan_text(text: str, *, name: str = "plan file") -> dict:
    try:
        data = yaml.safe_load(text)  # JSON is YAML too
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


def json_path(path) -> str:
    """['actions', 3, 'kpis', 1] -> 'actions[3].kpis[1]'."""
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out or "(top level)"


def check_plan_structure(data: dict, *, name: str = "plan file") -> None:
    """Validate against PLAN_SCHEMA, raising one UserError that lists every problem."""
    validator = jsonschema.Draft202012Validator(
        PLAN_SCHEMA, format_checker=jsonschema.FormatChecker()
    )
    problems = sorted(
        f"{json_path(e.absolute_path)}: {_schema_message(e)}"
        for e in validator.iter_errors(data)
    )
    if problems:
        raise UserError(
            f"{name}: {len(problems)} problem(s); nothing was saved", problems
        )


def _schema_message(error: jsonschema.ValidationError) -> str:
    if (
        error.validator == "oneOf"
        and error.absolute_path
        and error.absolute_path[-1] == "target"
    ):
        return (
            f"{error.instance!r} is not a target; write it as text "
            '(e.g. "20 per year") or as a mapping with value, scope, kind'
        )
    if error.validator == "type":
        return f"{error.instance!r} is not {_a(error.validator_value)}"
    if error.validator == "required":
        return error.message.replace("is a required property", "is missing")
    return error.message


def _a(types) -> str:
    names = {
        "number": "a number",
        "integer": "a whole number",
        "string": "text",
        "array": "a list",
        "object": "a mapping",
        "null": "empty",
        "boolean": "true or false",
    }
    types = types if isinstance(types, list) else [types]
    return " or ".join(names.get(t, t) for t in types)


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
    """A target given as text is parsed; given as a mapping, its keys override the parse."""
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


def reference_problems(plan: dict, known_codes: set[str]) -> list[str]:
    """Duplicates, unknown goals and unknown organisations, each with its location."""
    problems = []
    goals = [g["number"] for g in plan["goals"]]
    problems += _duplicates(goals, "goals", "number")
    problems += _duplicates([a["ref"] for a in plan["actions"]], "actions", "ref")
    for who in [plan["driver"], *plan["co_drivers"]]:
        if who not in known_codes:
            problems.append(f"driver: {who!r} is not a known organisation code")
    for i, action in enumerate(plan["actions"]):
        where = f"actions[{i}] (OA {action['ref']})"
        if action["goal"] not in goals:
            problems.append(
                f"{where}.goal: there is no strategic goal {action['goal']}"
            )
        for role in ("leader", "co_leader"):
            code = action[role]
            if code is not None and code not in known_codes:
                problems.append(
                    f"{where}.{role}: {code!r} is not a known organisation code"
                )
        problems += _duplicates(
            [k["letter"] for k in action["kpis"]], f"{where}.kpis", "letter"
        )
        problems += _duplicates(
            [a["number"] for a in action["activities"]], f"{where}.activities", "number"
        )
    return problems


def _duplicates(values: list, where: str, key: str) -> list[str]:
    return [
        f"{where}: {key} {value!r} appears {n} times"
        for value, n in Counter(values).items()
        if n > 1
    ]


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


_SLUG = re.compile(r"[^a-z0-9]+")


def slugify_title(title: str) -> str:
    return _SLUG.sub("-", title.lower()).strip("-")
