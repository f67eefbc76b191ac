"""The staged rows of a checked list, and the set-based commit that turns them into persons, leads and change records.

Phase one (services.stage_batch) validates the file in Python and writes its valid rows here, normalised and routed,
at the database's bulk speed. Phase two runs a few INSERT … SELECT statements over them: matching by document,
new persons, leads for those without an open lead of the same category, and a change record for every row written —
no row travels back to Python, and the file is not read again. Callers own the transaction.
"""

import datetime
from collections.abc import Mapping

from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone, translation

from fangxian.core.audit import current_context, require_actor
from fangxian.core.bulk import RowWriter, date_text_sql, insert_select, json_object_sql, uuid7_sql, uuid_text_sql
from fangxian.core.choices import ChangeKind
from fangxian.core.models import ChangeRecord, Unit, User
from fangxian.leads.choices import (
    DEFAULT_DEADLINE_HOURS,
    FALLBACK_DEADLINE_HOURS,
    BatchStatus,
    LeadCategory,
    LeadStatus,
)
from fangxian.leads.intake import IntakePlan
from fangxian.leads.models import ImportBatch, Lead, StagedRow
from fangxian.leads.routing import Router
from fangxian.people.models import Person

STAGED_DAYS = 3

# The same document: how staged rows meet registered persons (the person_document_unique index answers it).
# No statement sorts: staged rows are scanned in the order they were written (row order), which is also the
# order of the time-ordered keys they get.
_SAME_DOCUMENT = "p.doc_type = s.doc_type AND p.doc_number = s.doc_number"


def stage(batch: ImportBatch, plan: IntakePlan, router: Router) -> int:
    """Write the plan's valid rows for `batch`, replacing any staged before (a corrected mapping stages again)."""
    unstage(batch)
    writer = RowWriter(StagedRow)
    local = timezone.get_current_timezone()  # pushed times are local times; looked up once, not per row
    rows = []
    for row in plan.rows:
        document = row.document
        rows.append(
            writer.values(
                batch_id=batch.pk,
                row=row.row,
                name=row.name,
                doc_type=document.doc_type,
                doc_number=document.number,
                sex=document.sex,
                birth_date=document.birth_date,
                phone=row.phone,
                address=row.address,
                category=row.category,
                risk_area=row.risk_area,
                left_at=row.left_at.replace(tzinfo=local) if row.left_at else None,
                pushed=row.pushed,
                unit_id=router.route(row.address).pk,
            )
        )
    writer.insert(rows)
    return len(rows)


def unstage(batch: ImportBatch) -> None:
    StagedRow.objects.filter(batch_id=batch.pk).delete()


def purge(*, now: datetime.datetime | None = None) -> int:
    """Delete the staged rows of committed batches, and of batches left unconfirmed for STAGED_DAYS (their kept
    file is read again if they are committed later). Returns how many rows went."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=STAGED_DAYS)
    done = ImportBatch.objects.filter(Q(status=BatchStatus.COMMITTED) | Q(uploaded_at__lt=cutoff))
    deleted, _ = StagedRow.objects.filter(batch_id__in=done.values("pk")).delete()
    return deleted


def is_staged(batch: ImportBatch) -> bool:
    return StagedRow.objects.filter(batch_id=batch.pk).exists()


def count_registered(batch: ImportBatch) -> int:
    """How many staged rows name a person already in the registry."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT COUNT(*) FROM leads_stagedrow s JOIN people_person p ON {_SAME_DOCUMENT} WHERE s.batch_id = %s",
            [batch.pk],
        )
        return cursor.fetchone()[0]


def _datetime(value: datetime.datetime):
    return connection.ops.adapt_datetimefield_value(value)


class _ChangeColumns:
    """The columns every change record of one statement shares, as expressions and their parameters."""

    def __init__(self, *, actor: User, model_label: str, reason: str, at: datetime.datetime):
        context = current_context()
        self.select = {
            "at": "%s",
            "actor_id": "%s",
            "request_id": "%s",
            "job_id": "%s",
            "kind": "%s",
            "model": "%s",
            "reason": "%s",
        }
        self.params = [
            _datetime(at),
            require_actor(actor).pk,
            context.request_id,
            context.job_id,
            ChangeKind.CREATE.value,
            model_label,
            reason[:200],
        ]


def create_persons(*, actor: User, batch: ImportBatch, reason: str) -> int:
    """Register every staged person whose document is not in the registry yet, each with its change record.
    Persons are placed in the unit their pushed address routes to (the district when it names none)."""
    now = timezone.now()
    stamp = _datetime(now)
    created = insert_select(
        Person,
        {
            "uuid": uuid7_sql("s.row"),
            "name": "s.name",
            "doc_type": "s.doc_type",
            "doc_number": "s.doc_number",
            "sex": "s.sex",
            "birth_date": "s.birth_date",
            "phone": "s.phone",
            "address": "s.address",
            "unit_id": "s.unit_id",
            "created_at": "%s",
            "updated_at": "%s",
        },
        "leads_stagedrow s WHERE s.batch_id = %s AND NOT EXISTS "
        f"(SELECT 1 FROM people_person p WHERE {_SAME_DOCUMENT}) ON CONFLICT DO NOTHING",
        [stamp, stamp, batch.pk],
    )
    # The persons of this batch that were created now: a document is unique, so a registered person with a
    # staged document and this exact creation time can only be one this statement wrote.
    columns = _ChangeColumns(actor=actor, model_label="people.person", reason=reason, at=now)
    after = json_object_sql(
        {
            "name": "p.name",
            "doc_type": "p.doc_type",
            "doc_number": "p.doc_number",
            "sex": "p.sex",
            "birth_date": date_text_sql("p.birth_date"),
            "phone": "p.phone",
            "address": "p.address",
            "unit_id": "p.unit_id",
            "category": "p.category",
            "note": "p.note",
        }
    )
    recorded = insert_select(
        ChangeRecord,
        {
            **columns.select,
            "object_id": uuid_text_sql("p.uuid"),
            "object_repr": "p.name",
            "unit_id": "p.unit_id",
            "after": after,
        },
        f"leads_stagedrow s JOIN people_person p ON {_SAME_DOCUMENT} WHERE s.batch_id = %s AND p.created_at = %s",
        [*columns.params, batch.pk, stamp],
    )
    _check_recorded(created, recorded)
    return created


def _check_recorded(written: int, recorded: int) -> None:
    if written != recorded:  # rolls the caller's transaction back: no row without its record
        raise RuntimeError(f"{written} rows written but {recorded} change records")


def _per_category(column: str, values: Mapping[str, object], fallback: object) -> tuple[str, list]:
    """CASE column WHEN category THEN value … ELSE fallback END, with its parameters."""
    whens, params = [], []
    for category, value in values.items():
        whens.append("WHEN %s THEN %s")
        params += [category, value]
    return f"CASE {column} {' '.join(whens)} ELSE %s END", [*params, fallback]


def create_leads(
    *, actor: User, batch: ImportBatch, district: Unit, received_at: datetime.datetime, reason: str
) -> int:
    """One lead per staged row whose person has no open lead of the same category, each with its change record.

    A lead goes to the unit its pushed address routes to; when the address names no unit of the district, to the
    person's registered unit. The initial assignment is the lead's own unit and received time (its change record
    says who); later hand-overs get Handover rows."""
    deadlines = {
        category: received_at + datetime.timedelta(hours=DEFAULT_DEADLINE_HOURS.get(category, FALLBACK_DEADLINE_HOURS))
        for category in LeadCategory.values
    }
    fallback = received_at + datetime.timedelta(hours=FALLBACK_DEADLINE_HOURS)
    deadline_sql, deadline_params = _per_category(
        "s.category", {key: _datetime(value) for key, value in deadlines.items()}, _datetime(fallback)
    )
    created = insert_select(
        Lead,
        {
            "uuid": uuid7_sql("s.row"),
            "person_id": "p.id",
            "batch_id": "s.batch_id",
            "category": "s.category",
            "source": "%s",
            "pushed_data": "s.pushed",
            "row_number": "s.row",
            "received_at": "%s",
            "deadline": deadline_sql,
            "unit_id": "CASE WHEN s.unit_id = %s THEN p.unit_id ELSE s.unit_id END",
            "risk_area": "s.risk_area",
            "left_risk_area_at": "s.left_at",
        },
        f"leads_stagedrow s JOIN people_person p ON {_SAME_DOCUMENT} WHERE s.batch_id = %s AND NOT EXISTS "
        "(SELECT 1 FROM leads_lead o WHERE o.person_id = p.id AND o.category = s.category AND o.status = %s)",
        [batch.source, _datetime(received_at), *deadline_params, district.pk, batch.pk, LeadStatus.OPEN.value],
    )
    columns = _ChangeColumns(actor=actor, model_label="leads.lead", reason=reason, at=timezone.now())
    with translation.override(settings.LANGUAGE_CODE):  # the change log is written in the office's language
        labels = {value: str(label) for value, label in LeadCategory.choices}
    label_sql, label_params = _per_category("l.category", labels, "")
    deadline_text_sql, deadline_text_params = _per_category(
        "l.category", {key: value.isoformat() for key, value in deadlines.items()}, fallback.isoformat()
    )
    after = json_object_sql(
        {
            "person_id": "l.person_id",
            "batch_id": "l.batch_id",
            "category": "l.category",
            "source": "l.source",
            "deadline": deadline_text_sql,
            "unit_id": "l.unit_id",
            "status": "l.status",
            "outcome": "l.outcome",
        }
    )
    recorded = insert_select(
        ChangeRecord,
        {
            **columns.select,
            "object_id": uuid_text_sql("l.uuid"),
            "object_repr": f"{label_sql} || ' ' || s.name",
            "unit_id": "l.unit_id",
            "after": after,
        },
        "leads_lead l JOIN leads_stagedrow s ON s.batch_id = l.batch_id AND s.row = l.row_number WHERE l.batch_id = %s",
        [*columns.params, *label_params, *deadline_text_params, batch.pk],
    )
    _check_recorded(created, recorded)
    return created
