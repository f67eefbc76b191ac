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


def world_dose_import(world):
    """A dose file 新城街道 has checked (alice's first dose) but not imported: made the first time a test asks."""
    from fangxian.vaccination.services import imports

    if "dose_import" not in world:
        path = world["xc_community"].code + "-接种.csv"
        from django.conf import settings

        folder = settings.VAR_DIR / "test-files"
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / path
        file.write_text(
            f"姓名,身份证号,接种日期,剂次,生产企业\n新城甲,{world['alice'].doc_number},2021-05-01,第1剂,科兴\n"
        )
        world["dose_import"], _plan = imports.check_file(
            actor=world["township_a"],
            path=file,
            file_name=file.name,
            unit=world["xincheng"],
            person_unit=world["xc_community"],
        )
    return world["dose_import"]


def world_target(world):
    """The district's target (18–59, first dose, 95 %), today's shares issued."""
    from django.utils import timezone

    from fangxian.vaccination.choices import Milestone
    from fangxian.vaccination.services import targets

    if "vaccination_target" not in world:
        today = timezone.localdate()
        world["vaccination_target"] = targets.set_target(
            actor=world["district"],
            district=world["huiji"],
            title="18 岁以上首针",
            bands=["18-59"],
            milestone=Milestone.STARTED,
            rate=95,
            due_on=today + datetime.timedelta(days=5),
        )
        targets.issue(target=world["vaccination_target"], day=today)
    return world["vaccination_target"]
