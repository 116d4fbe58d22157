"""Mapping files: which column of a table becomes which property of which entity.

In the spirit of followthemoney's mappings (``ftm map``), as YAML::

    sheet: Persons                # XLSX only; the first sheet otherwise
    delimiter: ","                # CSV only
    phone_region: DE              # numbers without +; default: the contributor
    ignore: [remarks]             # columns present but deliberately not imported
    entities:
      person:
        schema: Person
        keys: [person_id]         # the entity id hashes these with the dataset
        role: role                # optional: a column holding suspect/victim/...
        properties:
          name: full_name         # a column
          phone: [phone, mobile]  # several columns
          birthDate: {column: dob}
          country: {literal: de}
      passport:
        schema: Passport
        keys: [passport_no]
        properties:
          holder: {entity: person}
          number: passport_no
          country: passport_country
          mrz: passport_mrz       # a machine-readable zone: parsed, check digits tested

An entity whose key columns are all empty on a row is not created for that row
(followthemoney's rule); if that row has values for it, the row is rejected.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from followthemoney import model

from empact.engine.errors import InputError
from empact.engine.tables import ROLES

MRZ = "mrz"  # pseudo-property of Identification schemata: a machine-readable zone


@dataclass(frozen=True)
class PropertyMap:
    prop: str
    columns: tuple[str, ...] = ()
    literal: str | None = None
    entity: str | None = None


@dataclass(frozen=True)
class EntityMap:
    name: str
    schema: str
    keys: tuple[str, ...]
    properties: tuple[PropertyMap, ...]
    role_column: str | None = None
    role: str | None = None

    def columns(self) -> set[str]:
        used = set(self.keys)
        used.update(c for p in self.properties for c in p.columns)
        if self.role_column:
            used.add(self.role_column)
        return used


@dataclass(frozen=True)
class Mapping:
    entities: tuple[EntityMap, ...]
    version: str
    sheet: str | None = None
    delimiter: str = ","
    phone_region: str | None = None
    ignore: frozenset[str] = frozenset()

    def columns(self) -> set[str]:
        """Every column the mapping reads."""
        return set().union(*(e.columns() for e in self.entities))


def load_mapping(path: str | Path) -> Mapping:
    """Read and check a mapping file; InputError names what is wrong and where."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(
            str(path), None, None, f"cannot read the mapping: {error}"
        ) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise InputError(str(path), line, None, f"not valid YAML: {error}") from None
    return parse_mapping(data, source=str(path))


def parse_mapping(data: Any, *, source: str = "mapping") -> Mapping:
    """Build a `Mapping` from already-parsed YAML/JSON data."""
    problems: list[str] = []
    if not isinstance(data, dict) or not isinstance(data.get("entities"), dict):
        raise InputError(source, None, None, "a mapping needs an 'entities:' section")
    if not data["entities"]:
        raise InputError(source, None, None, "'entities:' is empty")
    entities = [
        _entity(str(name), spec, problems) for name, spec in data["entities"].items()
    ]
    _check_references(entities, problems)
    unknown = set(data) - {"entities", "sheet", "delimiter", "phone_region", "ignore"}
    problems += [f"unknown setting {k!r}" for k in sorted(unknown)]
    delimiter = str(data.get("delimiter", ","))
    if len(delimiter) != 1:
        problems.append(f"delimiter {delimiter!r} must be one character")
    if problems:
        raise InputError(source, None, None, "; ".join(problems))
    canonical = json.dumps(data, sort_keys=True, default=str).encode()
    return Mapping(
        entities=tuple(e for e in entities if e is not None),
        version=hashlib.sha256(canonical).hexdigest(),
        sheet=data.get("sheet"),
        delimiter=delimiter,
        phone_region=data.get("phone_region"),
        ignore=frozenset(str(c) for c in data.get("ignore") or ()),
    )


def _entity(name: str, spec: Any, problems: list[str]) -> EntityMap | None:
    where = f"entities.{name}"
    if not isinstance(spec, dict):
        problems.append(f"{where}: expected schema, keys and properties")
        return None
    schema = model.get(str(spec.get("schema")))
    if schema is None:
        problems.append(f"{where}.schema: {spec.get('schema')!r} is not an FtM schema")
        return None
    keys = _columns(spec.get("keys"))
    if not keys:
        problems.append(f"{where}.keys: name the column(s) that identify the entity")
    props = []
    for prop, value in (spec.get("properties") or {}).items():
        mapped = _property(str(prop), value, f"{where}.properties.{prop}", problems)
        if mapped is None:
            continue
        if prop == MRZ and not schema.is_a("Identification"):
            problems.append(f"{where}.properties.mrz: only Passport/Identification")
        elif prop != MRZ and schema.get(prop) is None:
            problems.append(
                f"{where}.properties: {schema.name} has no property {prop!r}"
            )
        props.append(mapped)
    role = spec.get("role")
    role_literal = role.get("literal") if isinstance(role, dict) else None
    if role_literal is not None and role_literal not in ROLES:
        problems.append(
            f"{where}.role: {role_literal!r} is not one of {', '.join(ROLES)}"
        )
    role_column = role.get("column") if isinstance(role, dict) else role
    return EntityMap(
        name=name,
        schema=schema.name,
        keys=keys,
        properties=tuple(props),
        role_column=None if role_column is None else str(role_column),
        role=role_literal,
    )


def _property(
    prop: str, value: Any, where: str, problems: list[str]
) -> PropertyMap | None:
    if isinstance(value, (str, list)):
        return PropertyMap(prop, columns=_columns(value))
    if isinstance(value, dict) and len(value) == 1:
        ((how, what),) = value.items()
        if how in ("column", "columns"):
            return PropertyMap(prop, columns=_columns(what))
        if how == "literal":
            return PropertyMap(prop, literal=str(what))
        if how == "entity":
            return PropertyMap(prop, entity=str(what))
    problems.append(
        f"{where}: expected a column, [columns], {{literal: ...}} or {{entity: ...}}"
    )
    return None


def _columns(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        return tuple(str(v) for v in value)
    return (str(value),)


def _check_references(entities: list[EntityMap | None], problems: list[str]) -> None:
    by_name = {e.name: e for e in entities if e is not None}
    for entity in by_name.values():
        schema = model.get(entity.schema)
        for p in entity.properties:
            if p.entity is None:
                continue
            target = by_name.get(p.entity)
            where = f"entities.{entity.name}.properties.{p.prop}"
            prop = schema.get(p.prop) if schema is not None else None
            if target is None:
                problems.append(f"{where}: no entity {p.entity!r} in this mapping")
            elif prop is not None and prop.range is not None:
                target_schema = model.get(target.schema)
                if target_schema is None or not target_schema.is_a(prop.range):
                    problems.append(
                        f"{where}: {p.prop} must point to a {prop.range.name}, "
                        f"not a {target.schema}"
                    )
