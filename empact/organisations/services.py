"""Services that change organisations: loading the catalogue."""

from dataclasses import dataclass
from pathlib import Path

import yaml
from django.db import transaction
from django.utils.translation import gettext as _

from empact.errors import UserError
from empact.organisations.codes import ISO_TO_EU, is_known_country_code
from empact.organisations.models import Organisation

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "organisations.yaml"

FIELDS = ("code", "name", "kind", "country", "europol_status", "note")
REQUIRED = ("code", "name", "kind")
STATES = {Organisation.Kind.MEMBER_STATE, Organisation.Kind.THIRD_COUNTRY}
PARTNERS = {Organisation.Kind.THIRD_COUNTRY, Organisation.Kind.INTERNATIONAL}


@dataclass(frozen=True)
class LoadSummary:
    created: int
    updated: int
    unchanged: int


def load_organisations(*, path: Path | None = None) -> LoadSummary:
    """Create or update every catalogue organisation; a second run changes nothing.

    Raises UserError listing every problem in the file, before anything is written.
    """
    entries = read_catalogue(path or CATALOGUE_PATH)
    created = updated = unchanged = 0
    with transaction.atomic():
        existing = {o.code: o for o in Organisation.objects.select_for_update()}
        for entry in entries:
            organisation = existing.get(entry["code"])
            if organisation is None:
                Organisation.objects.create(**entry)
                created += 1
            elif any(getattr(organisation, f) != entry[f] for f in FIELDS):
                for field in FIELDS:
                    setattr(organisation, field, entry[field])
                organisation.save()
                updated += 1
            else:
                unchanged += 1
    return LoadSummary(created=created, updated=updated, unchanged=unchanged)


def read_catalogue(path: Path) -> list[dict[str, str]]:
    """The catalogue's entries with every field; raises UserError if any is wrong."""
    where = path.name
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        message = _("%(where)s: cannot be read: %(error)s")
        raise UserError(message % {"where": where, "error": exc}) from exc
    if not isinstance(data, list):
        raise UserError(
            _("%(where)s: must be a list of organisations") % {"where": where}
        )
    problems: list[str] = []
    first_index: dict[str, int] = {}
    entries = []
    for index, raw in enumerate(data):
        entry, entry_problems = check_entry(raw, where=f"{where}[{index}]")
        problems += entry_problems
        code = entry.get("code")
        if code and code in first_index:
            message = _(
                '%(where)s[%(index)d].code: "%(code)s" is already used by '
                "%(where)s[%(first)d]"
            )
            params = {"where": where, "index": index, "code": code}
            problems.append(message % {**params, "first": first_index[code]})
        elif code:
            first_index[code] = index
        entries.append(entry)
    if problems:
        message = _("%(where)s: %(count)d problem(s); nothing was loaded")
        raise UserError(message % {"where": where, "count": len(problems)}, problems)
    return entries


def check_entry(raw: object, *, where: str) -> tuple[dict[str, str], list[str]]:
    """One entry with every field filled (empty when absent), and its problems."""
    if not isinstance(raw, dict):
        message = _("%(where)s: must be a mapping with the fields %(fields)s")
        return {}, [message % {"where": where, "fields": ", ".join(FIELDS)}]
    problems = [
        _("%(where)s.%(field)s: unknown field; the fields are %(fields)s")
        % {"where": where, "field": key, "fields": ", ".join(FIELDS)}
        for key in raw
        if key not in FIELDS
    ]
    entry: dict[str, str] = {}
    for field in FIELDS:
        value = raw.get(field)
        params = {"where": where, "field": field, "value": value}
        if value is not None and not isinstance(value, str):
            problems.append(
                _("%(where)s.%(field)s: %(value)r is not text; put it in quotes")
                % params
            )
            continue
        entry[field] = (value or "").strip()
        if field in REQUIRED and not entry[field]:
            problems.append(_("%(where)s.%(field)s: is required") % params)
    return entry, problems + check_values(entry, where=where)


def check_values(entry: dict[str, str], *, where: str) -> list[str]:
    """Problems with an entry's kind, Europol status, country and code length."""
    kind, status = entry.get("kind"), entry.get("europol_status")
    country, code = entry.get("country"), entry.get("code")
    max_code = Organisation._meta.get_field("code").max_length
    params = {
        "where": where,
        "kind": kind,
        "status": status,
        "country": country,
        "code": code,
        "max": max_code,
        "eu_code": ISO_TO_EU.get(country or ""),
        "kinds": quoted(Organisation.Kind.values),
        "statuses": quoted(Organisation.EuropolStatus.values),
    }
    checks = [
        (
            kind and kind not in Organisation.Kind.values,
            _('%(where)s.kind: "%(kind)s" is not one of %(kinds)s'),
        ),
        (
            status and status not in Organisation.EuropolStatus.values,
            _('%(where)s.europol_status: "%(status)s" is not one of %(statuses)s'),
        ),
        (
            status in Organisation.EuropolStatus.values
            and status
            and kind in Organisation.Kind.values
            and kind not in PARTNERS,
            _(
                "%(where)s.europol_status: only third countries and international "
                "organisations have one; leave it empty for a %(kind)s"
            ),
        ),
        (
            country in ISO_TO_EU,
            _('%(where)s.country: write "%(eu_code)s", the EU code, not "%(country)s"'),
        ),
        (
            country and country not in ISO_TO_EU and not is_known_country_code(country),
            _('%(where)s.country: "%(country)s" is not an ISO 3166 alpha-2 code'),
        ),
        (
            kind in STATES and not country,
            _("%(where)s.country: is required for a %(kind)s"),
        ),
        (
            code and len(code) > max_code,
            _('%(where)s.code: "%(code)s" is longer than %(max)d characters'),
        ),
    ]
    return [message % params for failed, message in checks if failed]


def quoted(values: list[str]) -> str:
    """Non-empty choice values, quoted, for an error message."""
    return ", ".join(f'"{v}"' for v in values if v)
