"""Rows and FtM entities → statement batches (Arrow tables of `tables.STATEMENTS`).

One batch at a time, column by column: each property's values are normalised as a
column (each distinct value once), and the statement ids are FtM's hashes, so the
same row always gives the same statements.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from hashlib import sha1
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
    """Accumulates one batch's statements, a column at a time, as Arrow tables."""

    def __init__(self, ctx: Context, errors: Errors, sheet: str | None = None):
        self.ctx, self.errors, self.sheet = ctx, errors, sheet
        self.chunks: list[pa.Table] = []

    def identities(
        self,
        ids: Sequence[str | None],
        schema: str,
        roles: Sequence[str],
        lines: Sequence[int],
    ) -> None:
        keep = [i for i, e in enumerate(ids) if e is not None]
        entity_ids = [e for e in ids if e is not None]
        self.add(
            schema=schema,
            prop="id",
            prop_type="id",
            kind=None,
            entity_ids=entity_ids,
            results=[Normalised(e, None) for e in entity_ids],
            originals=[None] * len(keep),
            roles=[roles[i] for i in keep],
            lines=[lines[i] for i in keep],
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
        """Normalise one column of values of `schema.prop`; reject the invalid."""
        rule = property_rule(schema, prop)
        wanted = [
            v if e is not None else None for e, v in zip(ids, values, strict=True)
        ]
        done = normalise_column(
            rule, wanted, region=self.ctx.region, countries=countries
        )
        keep = []
        for i, result in enumerate(done):
            if result is None or not result.value:
                continue
            if result.flags and not REJECTING_FLAGS.isdisjoint(result.flags):
                reason = (
                    f"{values[i]!r} is not a valid {rule.prop_type} for {schema}.{prop}"
                )
                where = column or prop
                self.errors.append(
                    InputError(
                        str(self.ctx.path), lines[i], where, reason, sheet=self.sheet
                    )
                )
                continue
            keep.append(i)
        self.add(
            schema=schema,
            prop=prop,
            prop_type=rule.prop_type,
            kind=rule.kind,
            entity_ids=[ids[i] for i in keep],  # type: ignore[misc]
            results=[done[i] for i in keep],  # type: ignore[misc]
            originals=[values[i] for i in keep],
            roles=[roles[i] for i in keep],
            lines=[lines[i] for i in keep],
        )

    def add(
        self,
        *,
        schema: str,
        prop: str,
        prop_type: str,
        kind: str | None,
        entity_ids: list[str],
        results: list[Normalised],
        originals: list[str | None],
        roles: list[str],
        lines: list[int],
    ) -> None:
        n = len(entity_ids)
        if not n:
            return
        values = [r.value for r in results]
        keys = [r.key for r in results]
        # FtM's Statement.make_key: sha1 of "dataset.entity_id.prop.value".
        head = f"{self.ctx.provenance.dataset}."
        tail = f".{prop}."
        ids = [
            sha1(f"{head}{e}{tail}{v}".encode()).hexdigest()
            for e, v in zip(entity_ids, values, strict=True)
        ]
        columns = {
            "id": pa.array(ids, pa.string()),
            "entity_id": pa.array(entity_ids, pa.string()),
            "schema": _repeat(schema, n),
            "prop": _repeat(prop, n),
            "prop_type": _repeat(prop_type, n),
            "value": pa.array(values, pa.string()),
            "original_value": pa.array(
                [o if o != v else None for o, v in zip(originals, values, strict=True)],
                pa.string(),
            ),
            "kind": pa.array([None if k is None else kind for k in keys], pa.string()),
            "key": pa.array(keys, pa.string()),
            "flags": _flags([r.flags for r in results]),
            "role": pa.array(roles, pa.string()),
            "line": pa.array(lines, pa.int64()),
        }
        self.chunks.append(self._with_constants(columns, n))

    def _with_constants(self, columns: dict[str, pa.Array], n: int) -> pa.Table:
        p = self.ctx.provenance
        constants = {
            "lang": None,
            "dataset": p.dataset,
            "dataset_version": self.ctx.version,
            "contributor": p.contributor,
            "collected": p.collected,
            "handling": p.handling,
            "source_code": p.source_code,
            "info_code": p.info_code,
            "review_date": p.review,
            "origin": self.ctx.origin,
        }
        for name, value in constants.items():
            columns[name] = _repeat(value, n, STATEMENTS.field(name).type)
        return pa.Table.from_arrays(
            [columns[f.name] for f in STATEMENTS], schema=STATEMENTS
        )

    def table(self) -> pa.Table:
        if not self.chunks:
            return STATEMENTS.empty_table()
        return pa.concat_tables(self.chunks)


def _repeat(value: object, n: int, type_: pa.DataType | None = None) -> pa.Array:
    return pa.repeat(pa.scalar(value, type_ or pa.string()), n)


def _flags(flags: list[tuple[str, ...]]) -> pa.Array:
    offsets = [0]
    for f in flags:
        offsets.append(offsets[-1] + len(f))
    values = [flag for f in flags for flag in f]
    return pa.ListArray.from_arrays(
        pa.array(offsets, pa.int32()), pa.array(values, pa.string())
    )


def _entity_id(dataset: str, name: str, keys: Sequence[str | None]) -> str:
    joined = "\x1f".join(k or "" for k in keys)
    return sha1(f"{dataset}\x1f{name}\x1f{joined}".encode()).hexdigest()


def _mapped_statements(rows: RowBatch, ctx: Context, errors: Errors) -> pa.Table:
    assert ctx.mapping is not None
    builder = _Builder(ctx, errors, rows.sheet)
    ids = {e.name: _entity_ids(e, rows, ctx, errors) for e in ctx.mapping.entities}
    row_roles = _row_roles(ctx.mapping, rows, ctx, errors)
    for entity in ctx.mapping.entities:
        roles = row_roles if entity.role is None and not entity.role_column else None
        roles = roles or _roles(entity, rows, ctx, errors)
        own = ids[entity.name]
        builder.identities(own, entity.schema, roles, rows.lines)
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
                    sheet=rows.sheet,
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
            where = entity.role_column
            errors.append(
                InputError(str(ctx.path), line, where, reason, sheet=rows.sheet)
            )
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
    number_prop = "passportNumber" if entity.schema == "Passport" else "number"
    # Where the zone's issuer is no ISO country (specimens say UTO), the mapped one.
    mapped_countries = _countries(entity, number_prop, rows) or [None] * len(rows)
    found: dict[str, tuple[list, list, list, list, list]] = {}  # type: ignore[type-arg]

    def add(
        prop: str, entity_id: str, result: Normalised, original: str | None, i: int
    ) -> None:
        ids_, results, originals, roles_, lines = found.setdefault(
            prop, ([], [], [], [], [])
        )
        ids_.append(entity_id)
        results.append(result)
        originals.append(original)
        roles_.append(roles[i])
        lines.append(rows.lines[i])

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
            number = normalise_document(
                zone.number, zone.country or mapped_countries[i]
            )
            flags = tuple(sorted({*number.flags, *zone.flags}))
            add(
                number_prop,
                entity_id,
                Normalised(number.value, number.key, flags),
                text,
                i,
            )
            if zone.country:
                add(
                    "country",
                    entity_id,
                    Normalised(zone.country.lower(), None),
                    None,
                    i,
                )
            names = f"{zone.given_names} {zone.surname}".strip()
            if names:
                add("namesMentioned", entity_id, Normalised(names, None), None, i)
            if zone.birth_date and entity.schema == "Passport":
                add("birthDate", entity_id, Normalised(zone.birth_date, None), None, i)
    for prop, (ids_, results, originals, roles_, lines) in found.items():
        rule = property_rule(entity.schema, prop)
        builder.add(
            schema=entity.schema,
            prop=prop,
            prop_type=rule.prop_type,
            kind=rule.kind if prop == number_prop else None,
            entity_ids=ids_,
            results=results,
            originals=originals,
            roles=roles_,
            lines=lines,
        )


def _ftm_statements(batch: EntityBatch, ctx: Context, errors: Errors) -> pa.Table:
    builder = _Builder(ctx, errors)
    role = ctx.provenance.role
    groups: dict[tuple[str, str], tuple[list, list, list, list]] = {}  # type: ignore[type-arg]
    identities: dict[str, tuple[list, list]] = {}  # type: ignore[type-arg]
    for line, entity_id, schema, properties in batch.entities:
        same_schema = identities.setdefault(schema, ([], []))
        same_schema[0].append(entity_id)
        same_schema[1].append(line)
        country = next(iter(properties.get("country") or ()), None)
        for prop, values in properties.items():
            ids, vals, lines, countries = groups.setdefault(
                (schema, prop), ([], [], [], [])
            )
            for value in values:
                ids.append(entity_id)
                vals.append(value.strip() or None)
                lines.append(line)
                countries.append(country)
    for schema, (ids, lines) in identities.items():
        builder.identities(ids, schema, [role] * len(ids), lines)
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
