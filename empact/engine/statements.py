"""Rows and FtM entities → statement batches (Arrow tables of `tables.STATEMENTS`).

One batch at a time, column by column: each property's values are normalised as a
column (each distinct value once), and the statement ids are FtM's hashes, so the
same row always gives the same statements.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pyarrow as pa

from empact.engine.errors import InputError
from empact.engine.mapping import MRZ, EntityMap, Mapping
from empact.engine.normalise import Normalised
from empact.engine.normalise.countries import phone_region
from empact.engine.normalise.documents import normalise_document, parse_mrz
from empact.engine.normalise.properties import (
    REJECTING_FLAGS,
    normalise_column,
    property_rule,
)
from empact.engine.readers import (
    EntityBatch,
    Errors,
    RowBatch,
    read_csv,
    read_ftm,
    read_xlsx,
)
from empact.engine.tables import ROLES, STATEMENTS, Provenance


class Context:
    """What every statement of one import shares."""

    def __init__(
        self, provenance: Provenance, version: str, path: Path, mapping: Mapping | None
    ):
        self.provenance = provenance
        self.version = version
        self.path = path
        self.origin = path.name
        self.mapping = mapping
        region = mapping.phone_region if mapping and mapping.phone_region else None
        self.region = region or phone_region(provenance.contributor)


def statement_tables(
    fmt: str, path: Path, ctx: Context, batch_rows: int, errors: Errors
) -> Iterator[pa.Table]:
    if fmt == "ftm":
        for entities in read_ftm(path, batch_rows=batch_rows, errors=errors):
            yield _ftm_statements(entities, ctx, errors)
        return
    assert ctx.mapping is not None
    if fmt == "csv":
        batches = read_csv(
            path, delimiter=ctx.mapping.delimiter, batch_rows=batch_rows, errors=errors
        )
    else:
        batches = read_xlsx(
            path, sheet=ctx.mapping.sheet, batch_rows=batch_rows, errors=errors
        )
    checked = False
    for header, rows in batches:
        if not checked:
            checked = True
            if not _check_columns(header, ctx, errors):
                return
        yield _mapped_statements(rows, ctx, errors)


def _check_columns(header: Sequence[str], ctx: Context, errors: Errors) -> bool:
    assert ctx.mapping is not None
    wanted, present = ctx.mapping.columns(), set(header)
    before = len(errors)
    for column in sorted(wanted - present):
        errors.append(
            InputError(
                str(ctx.path), 1, column, "missing: the mapping reads this column"
            )
        )
    for column in [
        c for c in header if c not in wanted and c not in ctx.mapping.ignore
    ]:
        reason = "not in the mapping; map it, or list it under 'ignore:'"
        errors.append(InputError(str(ctx.path), 1, column, reason))
    found = len(errors) - before
    errors.fatal = errors.fatal or found > 0
    return not found


class _Builder:
    """Accumulates statement columns for one batch; `table()` adds the constants."""

    def __init__(self, ctx: Context, errors: Errors, sheet: str | None = None):
        self.ctx, self.errors, self.sheet = ctx, errors, sheet
        self.cols: dict[str, list] = {  # type: ignore[type-arg]
            n: []
            for n in (
                "entity_id",
                "schema",
                "prop",
                "prop_type",
                "value",
                "original_value",
                "kind",
                "key",
                "flags",
                "role",
                "line",
            )
        }

    def identity(self, entity_id: str, schema: str, role: str, line: int) -> None:
        self._row(
            entity_id, schema, "id", "id", Normalised(entity_id, None), None, role, line
        )

    def column(
        self,
        *,
        schema: str,
        prop: str,
        ids: Sequence[str | None],
        values: Sequence[str | None],
        roles: Sequence[str],
        lines: Sequence[int],
        column: str | None,
        countries: Sequence[str | None] | None = None,
    ) -> None:
        rule = property_rule(schema, prop)
        wanted = [
            v if e is not None else None for e, v in zip(ids, values, strict=True)
        ]
        done = normalise_column(
            rule, wanted, region=self.ctx.region, countries=countries
        )
        for i, result in enumerate(done):
            if result is None:
                continue
            rejected = REJECTING_FLAGS.intersection(result.flags)
            if rejected:
                reason = (
                    f"{values[i]!r} is not a valid {rule.prop_type} for {schema}.{prop}"
                )
                self.errors.append(
                    InputError(
                        str(self.ctx.path),
                        lines[i],
                        column or prop,
                        reason,
                        sheet=self.sheet,
                    )
                )
                continue
            if not result.value:
                continue
            self._row(
                ids[i],
                schema,
                prop,
                rule.prop_type,
                result,
                values[i],
                roles[i],
                lines[i],
                kind=rule.kind,
            )  # type: ignore[arg-type]

    def _row(
        self,
        entity_id: str,
        schema: str,
        prop: str,
        prop_type: str,
        result: Normalised,
        original: str | None,
        role: str,
        line: int,
        kind: str | None = None,
    ) -> None:
        c = self.cols
        c["entity_id"].append(entity_id)
        c["schema"].append(schema)
        c["prop"].append(prop)
        c["prop_type"].append(prop_type)
        c["value"].append(result.value)
        c["original_value"].append(original if original != result.value else None)
        c["kind"].append(kind if result.key is not None else None)
        c["key"].append(result.key)
        c["flags"].append(list(result.flags))
        c["role"].append(role)
        c["line"].append(line)

    def table(self) -> pa.Table:
        c, p, n = self.cols, self.ctx.provenance, len(self.cols["entity_id"])
        dataset = p.dataset
        ids = [
            hashlib.sha1(f"{dataset}.{e}.{pr}.{v}".encode()).hexdigest()
            for e, pr, v in zip(c["entity_id"], c["prop"], c["value"], strict=True)
        ]
        constants = {
            "dataset": dataset,
            "dataset_version": self.ctx.version,
            "contributor": p.contributor,
            "collected": p.collected,
            "handling": p.handling,
            "source_code": p.source_code,
            "info_code": p.info_code,
            "review_date": p.review,
            "origin": self.ctx.origin,
        }
        arrays = {"id": pa.array(ids, pa.string()), "lang": pa.nulls(n, pa.string())}
        for name, value in constants.items():
            arrays[name] = pa.repeat(pa.scalar(value, STATEMENTS.field(name).type), n)
        for name, values in c.items():
            arrays[name] = pa.array(values, STATEMENTS.field(name).type)
        return pa.Table.from_arrays(
            [arrays[f.name] for f in STATEMENTS], schema=STATEMENTS
        )


def _entity_id(dataset: str, name: str, keys: Sequence[str | None]) -> str:
    joined = "\x1f".join(k or "" for k in keys)
    return hashlib.sha1(f"{dataset}\x1f{name}\x1f{joined}".encode()).hexdigest()


def _mapped_statements(rows: RowBatch, ctx: Context, errors: Errors) -> pa.Table:
    assert ctx.mapping is not None
    sheet = ctx.mapping.sheet
    builder = _Builder(ctx, errors, sheet)
    ids = {e.name: _entity_ids(e, rows, ctx, errors) for e in ctx.mapping.entities}
    row_roles = _row_roles(ctx.mapping, rows, ctx, errors)
    for entity in ctx.mapping.entities:
        roles = row_roles if entity.role is None and not entity.role_column else None
        roles = roles or _roles(entity, rows, ctx, errors)
        own = ids[entity.name]
        for i, entity_id in enumerate(own):
            if entity_id is not None:
                builder.identity(entity_id, entity.schema, roles[i], rows.lines[i])
        for p in entity.properties:
            if p.prop == MRZ:
                _mrz_statements(entity, rows, own, roles, p.columns, builder)
                continue
            countries = _countries(entity, p.prop, rows)
            for column, values in _property_values(p, rows, ids):
                builder.column(
                    schema=entity.schema,
                    prop=p.prop,
                    ids=own,
                    values=values,
                    roles=roles,
                    lines=rows.lines,
                    column=column,
                    countries=countries,
                )
    return builder.table()


def _entity_ids(
    entity: EntityMap, rows: RowBatch, ctx: Context, errors: Errors
) -> list[str | None]:
    dataset = ctx.provenance.dataset
    keys = list(zip(*(rows.columns[k] for k in entity.keys), strict=True))
    valued = [rows.columns[c] for c in entity.columns() - set(entity.keys)]
    out: list[str | None] = []
    for i, key in enumerate(keys):
        if any(key):
            out.append(_entity_id(dataset, entity.name, key))
            continue
        out.append(None)
        if any(column[i] is not None for column in valued):
            reason = f"values for {entity.name} ({entity.schema}) but no key"
            errors.append(
                InputError(
                    str(ctx.path),
                    rows.lines[i],
                    ", ".join(entity.keys),
                    reason,
                    sheet=ctx.mapping.sheet if ctx.mapping else None,
                )
            )
    return out


def _row_roles(
    mapping: Mapping, rows: RowBatch, ctx: Context, errors: Errors
) -> list[str] | None:
    """A row's role, from the first entity that names one: a victim's passport is a
    victim's too, unless its own mapping says otherwise."""
    for entity in mapping.entities:
        if entity.role_column is not None:
            return _roles(entity, rows, ctx, Errors())  # reported with that entity
    return None


def _roles(
    entity: EntityMap, rows: RowBatch, ctx: Context, errors: Errors
) -> list[str]:
    default = entity.role or ctx.provenance.role
    if entity.role_column is None:
        return [default] * len(rows)
    out = []
    for line, value in zip(rows.lines, rows.columns[entity.role_column], strict=True):
        role = (value or default).lower()
        if role not in ROLES:
            reason = f"{value!r} is not a role; use one of {', '.join(ROLES)}"
            errors.append(InputError(str(ctx.path), line, entity.role_column, reason))
        out.append(role)
    return out


def _countries(entity: EntityMap, prop: str, rows: RowBatch) -> list[str | None] | None:
    for country_prop in property_rule(entity.schema, prop).country_props:
        for p in entity.properties:
            if p.prop == country_prop:
                if p.literal is not None:
                    return [p.literal] * len(rows)
                if p.columns:
                    return rows.columns[p.columns[0]]
    return None


def _property_values(p, rows: RowBatch, ids: dict[str, list[str | None]]):  # type: ignore[no-untyped-def]
    if p.literal is not None:
        yield None, [p.literal] * len(rows)
    elif p.entity is not None:
        yield None, ids[p.entity]
    else:
        for column in p.columns:
            yield column, rows.columns[column]


def _mrz_statements(
    entity: EntityMap,
    rows: RowBatch,
    ids: Sequence[str | None],
    roles: Sequence[str],
    columns: Sequence[str],
    builder: _Builder,
) -> None:
    ctx = builder.ctx
    has_birth_date = entity.schema == "Passport"
    for column in columns:
        for i, text in enumerate(rows.columns[column]):
            entity_id = ids[i]
            if text is None or entity_id is None:
                continue
            zone = parse_mrz(text, collected=ctx.provenance.collected)
            if zone is None:
                reason = "not a machine-readable zone (TD1 3×30, TD2 2×36, TD3 2×44)"
                builder.errors.append(
                    InputError(
                        str(ctx.path),
                        rows.lines[i],
                        column,
                        reason,
                        sheet=builder.sheet,
                    )
                )
                continue
            number = normalise_document(zone.number, zone.country)
            flagged = Normalised(
                number.value, number.key, tuple(sorted({*number.flags, *zone.flags}))
            )
            prop = "passportNumber" if entity.schema == "Passport" else "number"
            builder._row(
                entity_id,
                entity.schema,
                prop,
                "identifier",
                flagged,
                text,
                roles[i],
                rows.lines[i],
                kind="document",
            )
            extra = [
                ("country", zone.country.lower() if zone.country else None, "country"),
                (
                    "namesMentioned",
                    f"{zone.given_names} {zone.surname}".strip(),
                    "name",
                ),
            ]
            if has_birth_date:
                extra.append(("birthDate", zone.birth_date, "date"))
            for prop_name, value, prop_type in extra:
                if value:
                    builder._row(
                        entity_id,
                        entity.schema,
                        prop_name,
                        prop_type,
                        Normalised(value, None),
                        None,
                        roles[i],
                        rows.lines[i],
                    )


def _ftm_statements(batch: EntityBatch, ctx: Context, errors: Errors) -> pa.Table:
    builder = _Builder(ctx, errors)
    role = ctx.provenance.role
    groups: dict[tuple[str, str], tuple[list, list, list, list]] = {}  # type: ignore[type-arg]
    for line, entity_id, schema, properties in batch.entities:
        builder.identity(entity_id, schema, role, line)
        country = (properties.get("country") or [None])[0]
        for prop, values in properties.items():
            ids, vals, lines, countries = groups.setdefault(
                (schema, prop), ([], [], [], [])
            )
            for value in values:
                ids.append(entity_id)
                vals.append(value.strip() or None)
                lines.append(line)
                countries.append(country)
    for (schema, prop), (ids, vals, lines, countries) in groups.items():
        builder.column(
            schema=schema,
            prop=prop,
            ids=ids,
            values=vals,
            roles=[role] * len(ids),
            lines=lines,
            column=f"properties.{prop}",
            countries=countries,
        )
    return builder.table()
