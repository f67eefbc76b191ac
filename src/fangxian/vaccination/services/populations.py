"""Population figures (the denominators): added with their source and date, never written over. A figure smaller
than the people already vaccinated is taken — it is shown beside the rate as a figure to correct, because refusing
it would hide which figure is wrong."""

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor, snapshot
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind, UnitLevel
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import PopulationSource
from fangxian.vaccination.models import Population

FIELDS = ["unit_id", "band", "source", "count", "as_of", "note"]


def record_population(
    *,
    actor: User,
    unit: Unit,
    band: str,
    source: str,
    count: int,
    as_of: datetime.date,
    note: str = "",
    today: datetime.date | None = None,
) -> Population:
    require_actor(actor)
    require(actor, Capability.VACCINATION_TARGETS, unit)
    today = today or timezone.localdate()
    errors = {}
    if unit.level not in (UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY):
        errors["unit"] = "人口基数按区/县、镇/街道、村/社区录入"
    if band not in [known.key for known in band_rules.configured()]:
        errors["band"] = "请选择年龄段"
    if source not in PopulationSource.values:
        errors["source"] = "请选择口径"
    if count < 0:
        errors["count"] = "人数不能为负"
    if as_of > today:
        errors["as_of"] = "统计日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        figure = Population.objects.create(
            unit=unit, band=band, source=source, count=count, as_of=as_of, note=note.strip()[:200], recorded_by=actor
        )
        record_change(actor=actor, kind=ChangeKind.CREATE, instance=figure, unit=unit, after=snapshot(figure, FIELDS))
    return figure
