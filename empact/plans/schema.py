"""The plan file's JSON Schema and the checks a plan file must pass before import.

docs/plan.schema.json is PLAN_SCHEMA (`empact plan schema`); a test keeps them equal.
"""

from collections import Counter

import jsonschema

from empact.errors import UserError

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
    "title": "empact plan file",
    "description": "An EMPACT Operational Action Plan as data; see docs/plan-format.md",
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
