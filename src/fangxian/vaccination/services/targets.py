"""Targets and their daily shares (日分解、日下达、日清零). The district sets a rate for some age bands by a date;
each morning the gap still to close is divided by the days left, and that day's number is split among the
townships, and each township's among its communities, by the people each still has to vaccinate (largest
remainders, so the parts always add up to the whole). Shares are fixed when issued; what a unit did is counted
from the doses, and what it did not do falls into the next mornings' gap by itself."""

import datetime
import math
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor, snapshot
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind, UnitLevel
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import Milestone, PopulationSource
from fangxian.vaccination.models import Quota, Target
from fangxian.vaccination.services.coverage import (
    Counts,
    children_of,
    counts,
    figure_of,
    latest_populations,
    reached_on,
)

TARGET_FIELDS = ["title", "bands", "milestone", "rate", "source", "starts_on", "due_on", "is_active"]


def set_target(
    *,
    actor: User,
    district: Unit,
    title: str,
    bands: list[str],
    milestone: str,
    rate,
    due_on: datetime.date,
    source: str = PopulationSource.REGISTERED,
    starts_on: datetime.date | None = None,
    today: datetime.date | None = None,
) -> Target:
    require_actor(actor)
    require(actor, Capability.VACCINATION_TARGETS, district)
    today = today or timezone.localdate()
    starts_on = starts_on or today
    errors: dict[str, str] = {}
    if district.level != UnitLevel.DISTRICT:
        errors["district"] = "接种目标由区/县设定"
    known = [band.key for band in band_rules.configured()]
    if not bands or any(band not in known for band in bands):
        errors["bands"] = "请选择年龄段"
    if milestone not in Milestone.values:
        errors["milestone"] = "请选择指标"
    if source not in PopulationSource.values:
        errors["source"] = "请选择人口口径"
    try:
        rate = Decimal(str(rate))
    except InvalidOperation:
        rate = Decimal(-1)
    if not rate.is_finite() or not Decimal(0) < rate <= Decimal(100):
        errors["rate"] = "目标接种率应在 0 到 100 之间"
    if due_on < today:
        errors["due_on"] = f"完成时限 {due_on:%Y-%m-%d} 已过，请填今天或以后的日期"
    elif due_on < starts_on:
        errors["due_on"] = "完成时限早于开始日期"
    if not title.strip():
        errors["title"] = "请填写目标名称"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        target = Target.objects.create(
            district=district,
            title=title.strip()[:100],
            bands=[key for key in known if key in bands],
            milestone=milestone,
            rate=rate.quantize(Decimal("0.01")),
            source=source,
            starts_on=starts_on,
            due_on=due_on,
            created_by=actor,
        )
        record_change(
            actor=actor, kind=ChangeKind.CREATE, instance=target, unit=district, after=snapshot(target, TARGET_FIELDS)
        )
    return target


def end_target(*, actor: User, target: Target, reason: str) -> None:
    require_actor(actor)
    require(actor, Capability.VACCINATION_TARGETS, target.district)
    if not reason.strip():
        raise ValidationError({"reason": "请说明停止原因"})
    with transaction.atomic():
        locked = Target.objects.select_for_update().filter(pk=target.pk, is_active=True).first()
        if locked is None:
            raise ValidationError("该目标已停止")
        target = locked
        before = snapshot(target, TARGET_FIELDS)
        target.is_active = False
        target.save(update_fields=["is_active"])
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE,
            instance=target,
            unit=target.district,
            before=before,
            after=snapshot(target, TARGET_FIELDS),
            reason=reason,
        )


Key = TypeVar("Key")


def apportion(total: int, weights: dict[Key, int]) -> dict[Key, int]:
    """Split `total` by `weights` in whole numbers that add up to it (largest remainders), none above its weight:
    a unit is never asked for more people than it has left."""
    whole = sum(weights.values())
    total = min(total, whole)
    if total <= 0:
        return {key: 0 for key in weights}
    shares = {key: total * weight // whole for key, weight in weights.items()}
    left = total - sum(shares.values())
    by_remainder = sorted(weights, key=lambda key: (-(total * weights[key] % whole), -weights[key], str(key)))
    for key in by_remainder[:left]:
        shares[key] += 1
    return shares


@dataclass
class Position:
    """A unit's position against a target at the start of a day."""

    unit: Unit
    population: int  # the denominator (the target's source, or the registry when no figure is recorded)
    population_from_registry: bool
    reached: int
    remaining: int  # eligible people still to reach the milestone

    def goal(self, rate: Decimal) -> int:
        return math.ceil(self.population * rate / 100)

    def gap(self, rate: Decimal) -> int:
        return max(0, self.goal(rate) - self.reached)


def _units_below(unit: Unit, level: str) -> list[Unit]:
    return list(Unit.objects.filter(parent=unit, level=level, is_active=True).order_by("code"))


def _subtrees(units: list[Unit]) -> list[tuple[int, str]]:
    below = Q(pk__in=[])
    for unit in units:
        below |= Q(path__startswith=unit.path)
    return list(Unit.objects.filter(below).values_list("id", "path"))


def _sum_below(unit: Unit, values: dict[int, int], paths: dict[int, str]) -> int:
    return sum(value for unit_id, value in values.items() if paths[unit_id].startswith(unit.path))


def standings(target: Target, units: list[Unit], day: datetime.date, *, at_start: bool = False) -> dict[int, Position]:
    """Each unit's population, reached and remaining for the target's bands at `day` (ages at `day`), counting
    the doses of the whole day, or with `at_start` only those before it (what a morning's share is weighed by)."""
    everything = _subtrees(units)
    ids = [pk for pk, _path in everything]
    paths = dict(everything)
    counted = counts(ids, day)
    today = reached_on(ids, bands=target.bands, milestone=target.milestone, day=day, age_day=day) if at_start else {}
    figures = latest_populations(units, day)
    children = children_of(units)
    result = {}
    for unit in units:
        total = Counts()
        for (unit_id, band), value in counted.items():
            if band in target.bands and paths[unit_id].startswith(unit.path):
                total.add(value)
        known = [figure_of(unit, band, target.source, figures, children) for band in target.bands]
        if None in known:
            population, from_registry = total.people, True
        else:
            population, from_registry = sum(known), False  # type: ignore[arg-type]
        reached = total.reached(target.milestone) - _sum_below(unit, today, paths)
        result[unit.pk] = Position(unit, population, from_registry, reached, max(0, total.eligible - reached))
    return result


OWN = 0  # the key of a unit's own part in a split (no unit has id 0)


def _split(total: int, whole: Position, parts: list[Position]) -> dict[int, int]:
    """A unit's share split among the units below it by the people each has left. People registered to the unit
    itself (a township office's own register, a community since closed) weigh as the unit's own part, which stays
    with it: the parts below add up to the share less that own part, never more."""
    own = whole.remaining - sum(part.remaining for part in parts)
    shares = apportion(total, {**{part.unit.pk: part.remaining for part in parts}, OWN: max(0, own)})
    shares.pop(OWN)
    return shares


def issue(*, target: Target, day: datetime.date) -> int:
    """Issue `day`'s shares of an active target (once: a second call changes nothing). Returns the rows written."""
    if not target.is_active or day < target.starts_on or day > target.due_on:
        return 0
    with transaction.atomic():
        # Its state read under the lock: a target ended meanwhile (the sweep holding an old copy) issues nothing.
        if not Target.objects.select_for_update().filter(pk=target.pk, is_active=True).exists():
            return 0
        if Quota.objects.filter(target=target, day=day).exists():
            return 0
        district = target.district
        townships = _units_below(district, UnitLevel.TOWNSHIP)
        communities = {township.pk: _units_below(township, UnitLevel.COMMUNITY) for township in townships}
        units = [district, *townships, *[c for group in communities.values() for c in group]]
        position = standings(target, units, day, at_start=True)
        days_left = (target.due_on - day).days + 1
        whole = position[district.pk]
        today_total = min(math.ceil(whole.gap(target.rate) / days_left), whole.remaining)
        shares = {district.pk: today_total}
        by_township = _split(today_total, position[district.pk], [position[t.pk] for t in townships])
        shares.update(by_township)
        for township in townships:
            shares.update(
                _split(
                    by_township[township.pk], position[township.pk], [position[c.pk] for c in communities[township.pk]]
                )
            )
        Quota.objects.bulk_create(
            [
                Quota(target=target, unit_id=pk, day=day, quota=share, remaining=position[pk].remaining)
                for pk, share in shares.items()
            ]
        )
    return len(shares)


@dataclass
class DayLine:
    """A unit's line on the day's board: its share, what it did, and yesterday's shortfall (if any)."""

    unit: Unit
    quota: int
    done: int
    shortfall_yesterday: int
    reached: int
    population: int
    population_from_registry: bool

    @property
    def missed(self) -> bool:
        return self.done < self.quota

    @property
    def percent_of_quota(self) -> int | None:
        return None if self.quota == 0 else min(999, self.done * 100 // self.quota)

    def rate(self) -> Decimal | None:
        if not self.population:
            return None
        return (Decimal(self.reached * 100) / Decimal(self.population)).quantize(Decimal("0.1"))


def board(*, target: Target, day: datetime.date, unit_ids: list[int]) -> list[DayLine]:
    """The day's lines of the units in `unit_ids` (the reader's scope): share, done so far, yesterday's shortfall,
    progress to the target. Ordered as a ranking: the worst share completion first."""
    quotas = {
        quota.unit_id: quota
        for quota in Quota.objects.filter(target=target, day=day, unit_id__in=unit_ids).select_related("unit")
    }
    if not quotas:
        return []
    yesterday = day - datetime.timedelta(days=1)
    previous = {
        q.unit_id: q.quota for q in Quota.objects.filter(target=target, day=yesterday, unit_id__in=list(quotas))
    }
    units = [quota.unit for quota in quotas.values()]
    now = standings(target, units, day)
    everything = _subtrees(units)
    ids, paths = [pk for pk, _path in everything], dict(everything)
    rule = {"bands": target.bands, "milestone": target.milestone}
    done_today = reached_on(ids, day=day, age_day=day, **rule)
    done_yesterday = reached_on(ids, day=yesterday, age_day=yesterday, **rule) if previous else {}
    lines = []
    for unit_id, quota in quotas.items():
        unit = quota.unit
        lines.append(
            DayLine(
                unit=unit,
                quota=quota.quota,
                done=_sum_below(unit, done_today, paths),
                shortfall_yesterday=max(0, previous[unit_id] - _sum_below(unit, done_yesterday, paths))
                if unit_id in previous
                else 0,
                reached=now[unit_id].reached,
                population=now[unit_id].population,
                population_from_registry=now[unit_id].population_from_registry,
            )
        )
    lines.sort(key=lambda line: (line.unit.level != UnitLevel.DISTRICT, -(line.quota - line.done), line.unit.code))
    return lines
