"""Doses and people for the vaccination tests: resident IDs built from a birth date, doses by product code."""

import datetime

from fangxian.people.choices import DocumentType
from fangxian.people.documents import check_char
from fangxian.people.services import register_person
from fangxian.vaccination.models import Product
from fangxian.vaccination.services.doses import record_dose

_serial = iter(range(100, 999))


def resident_id(born: datetime.date, *, area: str = "410108", serial: int | None = None) -> str:
    first17 = f"{area}{born:%Y%m%d}{serial if serial is not None else next(_serial):03d}"
    return first17 + check_char(first17)


def person_born(world, born: datetime.date, *, unit=None, name: str = "受种者"):
    return register_person(
        actor=world["system"],
        unit=unit or world["xc_community"],
        name=name,
        doc_type=DocumentType.RESIDENT_ID,
        doc_number=resident_id(born),
    )


def give(world, person, kind: str, product: str, on: datetime.date, **extra):
    return record_dose(
        actor=world["district"],
        person=person,
        kind=kind,
        product=Product.objects.get(code=product),
        given_on=on,
        today=extra.pop("today", datetime.date(2026, 12, 1)),
        **extra,
    )
