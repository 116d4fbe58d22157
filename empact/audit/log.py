"""Writing the audit log: `record()` appends one entry to the hash chain.

Callers write the entry in the same transaction as the change it records, so the
two commit or roll back together. A consultation is recorded *before* the data is
returned, and if the entry cannot be written the data is not returned at all
(fail closed): `record()` raises AuditWriteFailed, which pages turn into a 503
("this access cannot be logged, so it is refused").
"""

import json
import re
from datetime import date, datetime

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from empact.audit.chain import ZERO_HASH, entry_hash, utc_timestamp
from empact.audit.models import AuditEntry

# pg_advisory_xact_lock key that serialises appends: "empact" in ASCII.
APPEND_LOCK_KEY = 0x656D70616374
ACTION_NAME = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+")
EXTRA_MAX_BYTES = 8192


class AuditWriteFailed(Exception):
    """The audit entry could not be written, so the access it records must not
    happen: do not return the data, do not keep the change."""


def record(
    action: str,
    *,
    actor,
    operation: str,
    obj=None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    why: str = "",
    outcome: str = "allowed",
    request=None,
    extra: dict | None = None,
    actor_name: str = "",
) -> AuditEntry:
    """Append one entry to the audit log and return it.

    `actor` is the user who acts; None for the system or the command line, which
    then names itself in `actor_name` (``"cli:<login>"``), unless `request` has a
    signed-in user. `obj`, a model instance, gives object_type, object_id and
    object_repr. `why` is the justification, which callers must give where the
    law asks for one. `extra` is a small JSON object (strings, integers, booleans,
    null, lists and objects of them; no floats).

    Runs inside the caller's transaction. Raises AuditWriteFailed when the entry
    cannot be written: the caller must then refuse the access (fail closed).
    Raises ValueError for a call that is wrong (a bug, not an outage).
    """
    fields = _entry_fields(
        action,
        actor=actor,
        actor_name=actor_name,
        operation=operation,
        outcome=outcome,
        obj=obj,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        why=why,
        request=request,
        extra=extra,
    )
    try:
        return _append(fields)
    except DatabaseError as e:
        raise AuditWriteFailed(f"audit entry {action!r} not written: {e}") from e


def record_consultation(obj, *, actor, request, why: str = "") -> AuditEntry:
    """Record that `actor` looked at `obj` (``<model>.consulted``); call it before
    the data is returned, and return nothing if it raises AuditWriteFailed."""
    return record(
        f"{obj._meta.model_name}.consulted",
        actor=actor,
        operation=AuditEntry.Operation.CONSULTATION,
        obj=obj,
        why=why,
        request=request,
    )


def _append(fields: dict) -> AuditEntry:
    with transaction.atomic():
        _serialise_appends()
        head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
        seq, prev_hash = head or (0, ZERO_HASH)
        entry = AuditEntry(seq=seq + 1, at=timezone.now(), prev_hash=prev_hash)
        for name, value in fields.items():
            setattr(entry, name, value)
        entry.hash = entry_hash(vars(entry))
        entry.save(force_insert=True)
    return entry


def _serialise_appends() -> None:
    """Hold the append lock until the transaction ends, so two appends cannot
    both extend the same head (a fork). SQLite needs nothing here: the project
    opens every transaction IMMEDIATE, which already holds the database's write
    lock. Either way seq is the primary key, so a fork would fail, not persist."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [APPEND_LOCK_KEY])


def _entry_fields(action, *, actor, actor_name, operation, outcome, obj, **given):
    if not ACTION_NAME.fullmatch(action):
        raise ValueError(f"audit action {action!r} is not noun.verb_past")
    fields = {
        "action": action,
        "operation": AuditEntry.Operation(operation).value,
        "outcome": AuditEntry.Outcome(outcome).value,
        **_who(actor, actor_name, given["request"]),
        **_what(obj, given["object_type"], given["object_id"], given["object_repr"]),
        "justification": _text(given["why"]),
        "request_id": _text(getattr(given["request"], "id", "")),
        "extra": _extra(given["extra"]),
    }
    for field in AuditEntry._meta.concrete_fields:
        if field.max_length and isinstance(fields.get(field.name), str):
            fields[field.name] = fields[field.name][: field.max_length]
    return fields


def _who(actor, actor_name: str, request) -> dict:
    if not getattr(actor, "is_authenticated", False):
        actor = None
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        actor = user if getattr(user, "is_authenticated", False) else None
    if actor is None:
        if not actor_name.strip():
            raise ValueError("record() needs an actor, or actor_name for the system")
        return {"actor": _text(actor_name), "actor_id": None, "organisation": ""}
    organisation = getattr(actor, "organisation", None)
    return {
        "actor": _text(actor.get_username()),
        "actor_id": actor.pk,
        "organisation": _text(getattr(organisation, "code", "")),
    }


def _what(obj, object_type: str, object_id: str, object_repr: str) -> dict:
    if obj is not None:
        object_type = obj._meta.label_lower
        object_id = "" if obj.pk is None else str(obj.pk)
        object_repr = str(obj)
    return {
        "object_type": _text(object_type),
        "object_id": _text(object_id),
        "object_repr": _text(object_repr),
    }


def _text(value) -> str:
    """`value` as text both databases store unchanged: no NUL, no lone surrogate."""
    text = str(value).replace("\x00", "\ufffd")
    return text.encode("utf-8", "replace").decode("utf-8")


def _extra(extra: dict | None) -> dict:
    if extra is None:
        return {}
    if not isinstance(extra, dict):
        raise ValueError(f"audit extra must be a dict, not {type(extra).__name__}")
    cleaned = _json_value(extra)
    size = len(json.dumps(cleaned, ensure_ascii=False).encode())
    if size > EXTRA_MAX_BYTES:
        raise ValueError(f"audit extra is {size} bytes; keep it under 8 KiB")
    return cleaned


def _json_value(value):
    """`value` with only what survives a round trip through JSON and jsonb exactly."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, datetime):
        return utc_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {_text(k): _json_value(v) for k, v in value.items()}
    raise ValueError(
        f"{type(value).__name__} is not allowed in audit extra: use str or int"
    )
