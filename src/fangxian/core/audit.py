"""The change log and the access log.

Callers pass the actor explicitly; the request id or job id comes from the ambient context (set by the
middleware for pages and the API, by `audit_context()` for jobs and commands) so records from one request or
one import can be found together.
"""

import contextvars
import datetime
import decimal
import uuid
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import models
from django.utils import timezone

from fangxian.core.bulk import RowWriter, bulk_insert
from fangxian.core.choices import AccessKind, ChangeKind
from fangxian.core.models import AccessRecord, ChangeRecord, Unit, User


class AuditError(RuntimeError):
    """A write or read of personal data was attempted without someone to answer for it."""


@dataclass(frozen=True)
class AuditContext:
    request_id: str = ""
    job_id: str = ""


_context: contextvars.ContextVar[AuditContext | None] = contextvars.ContextVar("audit_context", default=None)


@contextmanager
def audit_context(*, request_id: str = "", job_id: str = ""):
    token = _context.set(AuditContext(request_id=request_id, job_id=job_id))
    try:
        yield
    finally:
        _context.reset(token)


def current_context() -> AuditContext:
    return _context.get() or AuditContext()


def require_actor(actor) -> User:
    if actor is None or not isinstance(actor, User) or actor.pk is None:
        raise AuditError("个人信息的读写必须有操作人 (an actor is required for every audited read or write)")
    return actor


def _plain(value):
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID | decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def storable(value):
    """Text as both databases store it: PostgreSQL refuses NUL characters in text and in jsonb."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [storable(item) for item in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str] | None = None) -> dict:
    """The audited state of an instance: concrete field values, foreign keys by id."""
    names = fields or [f.attname for f in instance._meta.concrete_fields if f.name != "id"]
    return {name: _plain(getattr(instance, name)) for name in names}


def diff(before: dict | None, after: dict | None) -> tuple[dict | None, dict | None]:
    """Keep only the fields that changed, so an update record shows what it changed."""
    if before is None or after is None:
        return before, after
    changed = [key for key in after if before.get(key) != after.get(key)]
    return {key: before.get(key) for key in changed}, {key: after[key] for key in changed}


def _change(*, actor, kind, instance, unit, before, after, reason) -> ChangeRecord:
    context = current_context()
    return ChangeRecord(
        actor=actor,
        request_id=context.request_id,
        job_id=context.job_id,
        kind=kind,
        model=instance._meta.label_lower,
        object_id=str(getattr(instance, "uuid", None) or instance.pk),
        object_repr=str(instance)[:200],
        unit=unit,
        before=before,
        after=after,
        reason=reason[:200],
    )


def record_change(
    *, actor, kind: ChangeKind, instance: models.Model, unit: Unit, before=None, after=None, reason: str = ""
) -> ChangeRecord:
    actor = require_actor(actor)
    before, after = diff(before, after) if kind == ChangeKind.UPDATE else (before, after)
    record = _change(actor=actor, kind=kind, instance=instance, unit=unit, before=before, after=after, reason=reason)
    record.save(force_insert=True)
    return record


def record_changes_bulk(*, actor, kind: ChangeKind, items: Iterable[tuple], reason: str = "") -> int:
    """Many change records in one statement; items are (instance, unit, before, after)."""
    actor = require_actor(actor)
    records = [
        _change(actor=actor, kind=kind, instance=instance, unit=unit, before=before, after=after, reason=reason)
        for instance, unit, before, after in items
    ]
    bulk_insert(ChangeRecord, records)
    return len(records)


class ChangeRows:
    """Change records of one bulk operation as plain rows: the actor is checked and the context read once."""

    def __init__(self, *, actor, kind: ChangeKind, model_label: str, reason: str = ""):
        actor = require_actor(actor)
        context = current_context()
        self.writer = RowWriter(ChangeRecord)
        self.common = {
            "at": timezone.now(),
            "actor_id": actor.pk,
            "request_id": context.request_id,
            "job_id": context.job_id,
            "kind": kind,
            "model": model_label,
            "reason": reason[:200],
        }
        self.rows: list[tuple] = []

    def add(self, *, object_id: str, object_repr: str, unit_id: int, before=None, after=None) -> None:
        self.rows.append(
            self.writer.values(
                **self.common,
                object_id=object_id,
                object_repr=storable(object_repr)[:200],
                unit_id=unit_id,
                before=storable(before),
                after=storable(after),
            )
        )

    def insert(self) -> int:
        self.writer.insert(self.rows)
        return len(self.rows)


def plain_values(values: dict) -> dict:
    """A dict of field values as the change log stores them (dates as ISO text, UUIDs as text)."""
    return {key: _plain(value) for key, value in values.items()}


def record_access(
    *,
    actor,
    kind: AccessKind,
    unit: Unit,
    instance: models.Model | None = None,
    model: str = "",
    detail: dict | None = None,
) -> AccessRecord:
    actor = require_actor(actor)
    context = current_context()
    return AccessRecord.objects.create(
        actor=actor,
        request_id=context.request_id,
        job_id=context.job_id,
        kind=kind,
        model=instance._meta.label_lower if instance is not None else model,
        object_id=str(getattr(instance, "uuid", None) or instance.pk) if instance is not None else "",
        object_repr=storable(str(instance))[:200] if instance is not None else "",
        unit=unit,
        detail=storable(detail or {}),
    )
