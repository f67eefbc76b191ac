"""Recording a dose, and the checks every dose passes wherever it comes from (a page, a file, the API): not before
birth nor in the future, in the order of the series, after the product's shortest interval, and within the ages the
product is licensed for (outside them only when the recorder confirms it)."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor, snapshot
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import User
from fangxian.core.scoping import require
from fangxian.people.models import Person
from fangxian.vaccination.bands import age_on
from fangxian.vaccination.choices import BOOSTER_KINDS, SERIES_ORDER, DoseKind, DoseSource
from fangxian.vaccination.models import Dose, Product
from fangxian.vaccination.services import status as status_service
from fangxian.vaccination.services.status import DoseFact

# China's first COVID-19 doses were given under emergency use in July 2020: an earlier date is a typing error.
FIRST_POSSIBLE_DAY = datetime.date(2020, 7, 1)


@dataclass
class Verdict:
    """What the checks found for one dose: errors refuse it, conflicts name the dose it disagrees with (neither is
    written), warnings need the recorder's confirmation; `same` means the person already has exactly this dose."""

    errors: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    same: bool = False

    @property
    def refused(self) -> bool:
        return bool(self.errors or self.conflicts)


def _kind(kind: str) -> str:
    return str(DoseKind(kind).label)


def check(
    *,
    dose: DoseFact,
    birth_date: datetime.date | None,
    held: list[DoseFact],
    products: dict[int, Product],
    today: datetime.date,
) -> Verdict:
    """Check `dose` against the doses the person already holds (`held`, which may include doses accepted earlier in
    the same file)."""
    verdict = Verdict()
    product = products[dose.product_id]
    if dose.given_on > today:
        verdict.errors.append(f"接种日期 {dose.given_on:%Y-%m-%d} 晚于今天")
    if dose.given_on < FIRST_POSSIBLE_DAY:
        verdict.errors.append(f"接种日期 {dose.given_on:%Y-%m-%d} 早于新冠疫苗开始接种（2020 年 7 月）")
    if birth_date and dose.given_on < birth_date:
        verdict.errors.append(f"接种日期 {dose.given_on:%Y-%m-%d} 早于出生日期")
    if verdict.errors:
        return verdict
    for other in held:
        if other.kind == dose.kind:
            if other.given_on == dose.given_on and other.product_id == dose.product_id:
                verdict.same = True
            elif other.given_on == dose.given_on:
                verdict.conflicts.append(
                    f"已有{_kind(dose.kind)}（{other.given_on:%Y-%m-%d}），疫苗为{products[other.product_id].name}"
                    f"（{products[other.product_id].manufacturer}），与本条不同"
                )
            else:
                verdict.conflicts.append(
                    f"已有{_kind(dose.kind)}，接种日期为 {other.given_on:%Y-%m-%d}，与本条 {dose.given_on:%Y-%m-%d} 不同"
                )
            return verdict
    series = status_service.series_of(held)
    if dose.kind in SERIES_ORDER:
        place = SERIES_ORDER[dose.kind]
        for other in series:
            if SERIES_ORDER[other.kind] < place and other.given_on > dose.given_on:
                verdict.conflicts.append(
                    f"{_kind(dose.kind)}（{dose.given_on:%Y-%m-%d}）早于{_kind(other.kind)}（{other.given_on:%Y-%m-%d}）"
                )
            if SERIES_ORDER[other.kind] > place and other.given_on < dose.given_on:
                verdict.conflicts.append(
                    f"{_kind(dose.kind)}（{dose.given_on:%Y-%m-%d}）晚于{_kind(other.kind)}（{other.given_on:%Y-%m-%d}）"
                )
        before = [other for other in series if SERIES_ORDER[other.kind] == place - 1]
        if place > 1 and not before:
            # Without it the series would count wrong (a second dose would stand as the first): record it first.
            missing = list(SERIES_ORDER)[place - 2]
            verdict.conflicts.append(f"缺少{_kind(missing)}的记录：请先补录{_kind(missing)}")
        if before and not verdict.conflicts:
            gap = (dose.given_on - before[0].given_on).days
            first_product = products[before[0].product_id]
            if gap < first_product.series_interval_days:
                verdict.conflicts.append(
                    f"与{_kind(before[0].kind)}间隔 {gap} 天，短于{first_product.name}的最短间隔 "
                    f"{first_product.series_interval_days} 天"
                )
    if dose.kind in BOOSTER_KINDS:
        summary = status_service.derive(held, products) if held else None
        if summary is None or summary.full_on is None:
            verdict.conflicts.append(f"{_kind(dose.kind)}之前未完成基础免疫")
        else:
            base = products[summary.product_id]
            gap = (dose.given_on - summary.full_on).days
            if dose.kind != DoseKind.SECOND_BOOSTER and gap < base.booster_interval_days:
                verdict.conflicts.append(
                    f"与完成基础免疫（{summary.full_on:%Y-%m-%d}）间隔 {gap} 天，短于加强免疫最短间隔 "
                    f"{base.booster_interval_days} 天"
                )
            if dose.kind == DoseKind.HETEROLOGOUS_BOOSTER and product.platform == base.platform:
                verdict.conflicts.append(
                    f"序贯加强应使用与基础免疫不同技术路线的疫苗（均为{base.get_platform_display()}）"
                )
            if dose.kind == DoseKind.SECOND_BOOSTER and not any(
                other.kind in (DoseKind.BOOSTER, DoseKind.HETEROLOGOUS_BOOSTER) and other.given_on < dose.given_on
                for other in held
            ):
                verdict.conflicts.append("第二剂次加强之前没有第一剂次加强")
    if birth_date:
        age = age_on(birth_date, dose.given_on)
        if age < product.min_age or (product.max_age is not None and age > product.max_age):
            ages = (
                f"{product.min_age}–{product.max_age} 岁"
                if product.max_age is not None
                else f"{product.min_age} 岁以上"
            )
            verdict.warnings.append(f"接种时 {age} 岁，超出{product.name}说明书年龄范围（{ages}）")
    return verdict


def held_by(person: Person) -> list[DoseFact]:
    return [
        DoseFact(kind, product_id, given_on)
        for kind, product_id, given_on in person.doses.values_list("kind", "product_id", "given_on")
    ]


def record_dose(
    *,
    actor: User,
    person: Person,
    kind: str,
    product: Product,
    given_on: datetime.date,
    batch_number: str = "",
    site_name: str = "",
    source: str = DoseSource.ENTERED,
    confirm_ages: bool = False,
    today: datetime.date | None = None,
) -> Dose:
    """Record one dose; refused with every reason when a check fails, and when it is outside the product's ages
    unless `confirm_ages` (the confirmation is kept on the dose and in its change record)."""
    require_actor(actor)
    require(actor, Capability.DOSES_RECORD, person.unit)
    today = today or timezone.localdate()
    if kind not in DoseKind.values:
        raise ValidationError({"kind": "请选择剂次"})
    with transaction.atomic():
        # The person's row locked: two recorders of the same person's doses check against each other's result.
        Person.objects.select_for_update().filter(pk=person.pk).first()
        fact = DoseFact(kind, product.pk, given_on)
        verdict = check(
            dose=fact,
            birth_date=person.birth_date,
            held=held_by(person),
            products=status_service.products_by_id(),
            today=today,
        )
        if verdict.same:
            raise ValidationError("该剂次已登记（同一日期），无需重复录入")
        if verdict.refused:
            raise ValidationError(verdict.errors + verdict.conflicts)
        if verdict.warnings and not confirm_ages:
            raise ValidationError({"confirm_ages": verdict.warnings})
        dose = Dose.objects.create(
            person=person,
            kind=kind,
            product=product,
            given_on=given_on,
            batch_number=batch_number.strip()[:40],
            site_name=site_name.strip()[:100],
            source=source,
            outside_ages=bool(verdict.warnings),
            recorded_by=actor,
        )
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE,
            instance=dose,
            unit=person.unit,
            after=snapshot(dose, Dose.AUDIT_FIELDS),
            reason="；".join(["超出说明书年龄范围，录入人已确认", *verdict.warnings]) if verdict.warnings else "",
        )
        status_service.refresh([person.pk])
    return dose


def remove_dose(*, actor: User, dose: Dose, reason: str) -> None:
    """Take back a dose recorded by mistake (a conflict resolved in favour of the other record): with a reason."""
    require_actor(actor)
    person = dose.person
    require(actor, Capability.DOSES_RECORD, person.unit)
    if not reason.strip():
        raise ValidationError({"reason": "请说明删除原因（如：与免疫规划系统核对后为重复录入）"})
    with transaction.atomic():
        # Two people taking back the same dose at once: the second finds it gone, and records nothing.
        locked = Dose.objects.select_for_update().filter(pk=dose.pk).first()
        if locked is None:
            raise ValidationError("该接种记录已被删除")
        dose = locked
        before = snapshot(dose, Dose.AUDIT_FIELDS)
        record_change(
            actor=actor, kind=ChangeKind.DELETE, instance=dose, unit=person.unit, before=before, reason=reason
        )
        dose.delete()
        status_service.refresh([person.pk])
