"""Business rules for persons. Every write leaves a change record; every read of full data an access record."""

from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID, uuid4

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from fangxian.core.audit import ChangeRows, plain_values, record_access, record_change, require_actor, snapshot
from fangxian.core.bulk import RowWriter, allocate_ids
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, ChangeKind
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.people.choices import ResidenceCategory
from fangxian.people.documents import Document, DocumentError, parse_document
from fangxian.people.models import Person

REVEALABLE_FIELDS = {"doc_number": "证件号码", "phone": "联系电话"}


def _document(doc_type: str, doc_number: str) -> Document:
    try:
        return parse_document(doc_type, doc_number)
    except DocumentError as error:
        raise ValidationError({"doc_number": str(error)}) from None


def find_by_document(*, doc_type: str, doc_number: str) -> Person | None:
    """The person holding this document, matched on the normalised number (unscoped: callers restrict)."""
    document = _document(doc_type, doc_number)
    return Person.objects.filter(doc_type=document.doc_type, doc_number=document.number).first()


def register_person(
    *,
    actor: User,
    unit: Unit,
    name: str,
    doc_type: str,
    doc_number: str,
    phone: str = "",
    address: str = "",
    category: str = ResidenceCategory.REGISTERED,
    note: str = "",
    reason: str = "",
) -> Person:
    require_actor(actor)
    require(actor, Capability.PERSONS_CHANGE, unit)
    document = _document(doc_type, doc_number)
    if Person.objects.filter(doc_type=document.doc_type, doc_number=document.number).exists():
        raise ValidationError({"doc_number": "该证件号码已登记，请勿重复登记（可在人员列表中按证件号检索）"})
    person = Person(
        name=name.strip(),
        doc_type=document.doc_type,
        doc_number=document.number,
        sex=document.sex,
        birth_date=document.birth_date,
        phone=phone.strip(),
        address=address.strip(),
        unit=unit,
        category=category,
        note=note,
    )
    person.full_clean(exclude=["uuid"])
    person.save()
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=person,
        unit=unit,
        after=snapshot(person, Person.AUDIT_FIELDS),
        reason=reason,
    )
    return person


_EDITABLE = {"name", "doc_type", "doc_number", "phone", "address", "unit", "category", "note"}


def update_person(*, actor: User, person: Person, changes: dict, reason: str = "") -> Person:
    require_actor(actor)
    require(actor, Capability.PERSONS_CHANGE, person.unit)
    if "unit" in changes:
        require(actor, Capability.PERSONS_CHANGE, changes["unit"])
    unknown = set(changes) - _EDITABLE
    if unknown:
        raise ValidationError(f"不可修改的字段：{', '.join(sorted(unknown))}")
    before = snapshot(person, Person.AUDIT_FIELDS)
    previous_unit = person.unit
    for name, value in changes.items():
        setattr(person, name, value.strip() if isinstance(value, str) else value)
    if {"doc_type", "doc_number"} & changes.keys():
        document = _document(person.doc_type, person.doc_number)
        clash = Person.objects.filter(doc_type=document.doc_type, doc_number=document.number).exclude(pk=person.pk)
        if clash.exists():
            raise ValidationError({"doc_number": "该证件号码已属于另一人员"})
        person.doc_number, person.sex, person.birth_date = document.number, document.sex, document.birth_date
    person.full_clean(exclude=["uuid"])
    person.save()
    after = snapshot(person, Person.AUDIT_FIELDS)
    if before != after:
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE,
            instance=person,
            unit=previous_unit,
            before=before,
            after=after,
            reason=reason,
        )
    return person


def delete_person(*, actor: User, person: Person, reason: str) -> None:
    require_actor(actor)
    require(actor, Capability.PERSONS_DELETE, person.unit)
    if not reason.strip():
        raise ValidationError({"reason": "删除人员必须填写原因"})
    # Work done about a person (leads, measures, tests) keeps them: deleting would lose the trail.
    for relation in person._meta.related_objects:
        accessor = relation.get_accessor_name()
        if relation.on_delete is models.PROTECT and accessor and getattr(person, accessor).exists():
            raise ValidationError(
                f"该人员已有{relation.related_model._meta.verbose_name}记录，不能删除；如系重复登记，请在备注中说明"
            )
    before = snapshot(person, Person.AUDIT_FIELDS)
    unit = person.unit
    record_change(actor=actor, kind=ChangeKind.DELETE, instance=person, unit=unit, before=before, reason=reason)
    person.delete()


def reveal(*, actor: User, person: Person, field: str) -> str:
    """The unmasked value of one sensitive field; the act itself is logged."""
    if field not in REVEALABLE_FIELDS:
        raise ValidationError(f"不支持查看的字段：{field}")
    require(actor, Capability.REVEAL, person.unit)
    record_access(actor=actor, kind=AccessKind.REVEAL, unit=person.unit, instance=person, detail={"field": field})
    return getattr(person, field)


@dataclass(frozen=True)
class PersonRow:
    """One valid, normalised row ready to be written by bulk_register_persons."""

    unit: Unit
    name: str
    document: Document
    phone: str = ""
    address: str = ""
    category: str = ResidenceCategory.REGISTERED
    uuid: UUID | None = None


def person_from_row(row: PersonRow) -> Person:
    """An unsaved person from a valid row, with sex and birth date derived from the document."""
    return Person(
        uuid=row.uuid or uuid4(),
        name=row.name,
        doc_type=row.document.doc_type,
        doc_number=row.document.number,
        sex=row.document.sex,
        birth_date=row.document.birth_date,
        phone=row.phone,
        address=row.address,
        unit=row.unit,
        category=row.category,
    )


def bulk_register_persons(*, actor: User, rows: Sequence[PersonRow], reason: str) -> list[int]:
    """Create many persons with one change record each; rows must already be valid and new. Returns their ids,
    in the order of `rows`. Written as plain rows (COPY on PostgreSQL): no model instance per person."""
    require_actor(actor)
    for unit in {row.unit.pk: row.unit for row in rows}.values():
        require(actor, Capability.PERSONS_CHANGE, unit)
    ids = allocate_ids(Person, len(rows))
    now = timezone.now()
    persons = RowWriter(Person, with_pk=True)
    changes = ChangeRows(actor=actor, kind=ChangeKind.CREATE, model_label="people.person", reason=reason)
    person_rows = []
    for pk, row in zip(ids, rows, strict=True):
        person_uuid = row.uuid or uuid4()
        values = {
            "name": row.name,
            "doc_type": row.document.doc_type,
            "doc_number": row.document.number,
            "sex": row.document.sex,
            "birth_date": row.document.birth_date,
            "phone": row.phone,
            "address": row.address,
            "unit_id": row.unit.pk,
            "category": row.category,
            "note": "",
        }
        person_rows.append(persons.values(id=pk, uuid=person_uuid, created_at=now, updated_at=now, **values))
        changes.add(object_id=str(person_uuid), object_repr=row.name, unit_id=row.unit.pk, after=plain_values(values))
    persons.insert(person_rows)
    changes.insert()
    return ids
