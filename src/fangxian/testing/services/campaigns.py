"""City-scale campaigns (全员核酸): zones, sampling points, expected people and progress."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db.models import Count, Exists, OuterRef, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.testing.choices import (
    SamplingMode,
)
from fangxian.testing.models import (
    Campaign,
    CampaignZone,
    KeyGroupMember,
    Sample,
    SamplingPoint,
    Tube,
)


@dataclass
class ZoneProgress:
    unit: Unit
    mode: str
    target: int
    sampled: int
    zone_id: int = 0
    head_count: int | None = None  # entered on the ground; None: the target comes from the registry

    @property
    def mode_label(self) -> str:
        return str(SamplingMode(self.mode).label)

    @property
    def share(self) -> float:
        return self.sampled / self.target if self.target else 0.0


def expected_people(campaign, people):
    """Of `people` (persons), those this round expects to sample: less the exclusions it was set up with —
    children under 2, people under an active isolation or monitoring measure, members of the district's key
    groups (tested on their own schedule). One definition for the target and the not-sampled list."""
    from fangxian.control.choices import MeasureStatus
    from fangxian.control.models import Measure

    if campaign.exclude_under_2:
        # Under 2 on the round's first day: born after the same date two years earlier (29 Feb → 28 Feb).
        first = timezone.localtime(campaign.starts_at).date()
        two_years_earlier = first.replace(
            year=first.year - 2, day=28 if (first.month, first.day) == (2, 29) else first.day
        )
        people = people.exclude(birth_date__gt=two_years_earlier)
    if campaign.exclude_isolated:
        people = people.exclude(Exists(Measure.objects.filter(person_id=OuterRef("pk"), status=MeasureStatus.ACTIVE)))
    if campaign.exclude_key_groups:
        people = people.exclude(
            Exists(KeyGroupMember.objects.filter(person_id=OuterRef("pk"), group__district_id=campaign.district_id))
        )
    return people


def _expected(campaign, unit: Unit) -> int:
    """The people a zone should sample: its registered population, less the exclusions of the round."""
    from fangxian.people.models import Person

    return expected_people(campaign, Person.objects.filter(unit__path__startswith=unit.path)).count()


def campaign_progress(campaign, *, zones=None) -> list[ZoneProgress]:
    """Sampled over target per zone of the round (`zones`: those the viewer may see)."""
    zones = list((zones if zones is not None else campaign.zones.all()).select_related("unit"))
    sampled = dict(
        Tube.objects.filter(campaign=campaign)
        .values_list("unit__path")
        .annotate(people=Sum("member_count"))
        .values_list("unit__path", "people")
    )
    rows = []
    for zone in zones:
        done = sum(people for path, people in sampled.items() if path.startswith(zone.unit.path))
        target = zone.head_count if zone.head_count is not None else _expected(campaign, zone.unit)
        rows.append(ZoneProgress(zone.unit, zone.mode, target, done, zone.pk, zone.head_count))
    return rows


def progress_by_point(campaign, points) -> list[dict]:
    rows = (
        Tube.objects.filter(campaign=campaign, point__in=points)
        .values("point__name", "point__unit__name")
        .annotate(tubes=Count("id"), people=Sum("member_count"))
        .order_by("-people")
    )
    return [dict(row) for row in rows]


def progress_by_hour(campaign, tubes) -> list[tuple[datetime.datetime, int]]:
    rows = (
        tubes.filter(campaign=campaign)
        .annotate(hour=TruncHour("sampled_at"))
        .values("hour")
        .annotate(people=Sum("member_count"))
        .order_by("hour")
    )
    return [(row["hour"], row["people"]) for row in rows]


def not_sampled(campaign, persons):
    """应检尽检: the people of `persons` (already restricted and narrowed to a unit) this round expects
    (expected_people) with no sample in it, matched by document number."""
    first = timezone.localtime(campaign.starts_at).date()
    last = timezone.localtime(campaign.ends_at).date()
    sampled = Sample.objects.filter(
        doc_number=OuterRef("doc_number"), day__range=(first, last), tube__campaign=campaign
    )
    return expected_people(campaign, persons).filter(~Exists(sampled))


def create_campaign(
    *,
    actor: User,
    district: Unit,
    name: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    zones: list[tuple[Unit, str, int | None]],
    exclude_under_2: bool = True,
    exclude_isolated: bool = True,
    exclude_key_groups: bool = True,
) -> Campaign:
    """A round over some units of the district, each with its sampling mode and, if known, its head count;
    the exclusions say who is not expected (expected_people)."""
    require_actor(actor)
    require(actor, Capability.CAMPAIGNS_MANAGE, district)
    if not name.strip():
        raise ValidationError("请填写轮次名称")
    if ends_at <= starts_at:
        raise ValidationError("结束时间应晚于开始时间")
    if not zones:
        raise ValidationError("请至少选择一个检测单位")
    outside = [unit.name for unit, _, _ in zones if not unit.path.startswith(district.path)]
    if outside:
        raise ValidationError(f"不在本区/县的单位：{'、'.join(outside)}")
    campaign = Campaign.objects.create(
        district=district,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        status="running" if starts_at <= timezone.now() else "planned",
        exclude_under_2=exclude_under_2,
        exclude_isolated=exclude_isolated,
        exclude_key_groups=exclude_key_groups,
    )
    CampaignZone.objects.bulk_create(
        CampaignZone(campaign=campaign, unit=unit, mode=mode, head_count=head_count) for unit, mode, head_count in zones
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=campaign,
        unit=district,
        after={
            "name": campaign.name,
            "zones": [unit.code for unit, _, _ in zones],
            "exclude": {
                "under_2": exclude_under_2,
                "isolated": exclude_isolated,
                "key_groups": exclude_key_groups,
            },
        },
        reason="组织全员核酸",
    )
    return campaign


def zone_of(point: SamplingPoint) -> CampaignZone | None:
    """The zone of its round a point samples in: the nearest zone at or above the point's unit."""
    if point.campaign is None:
        return None
    zones = [zone for zone in point.campaign.zones.select_related("unit") if point.unit.path.startswith(zone.unit.path)]
    return max(zones, key=lambda zone: len(zone.unit.path), default=None)


def update_zone(*, actor: User, zone: CampaignZone, mode: str, head_count: int | None) -> CampaignZone:
    """A zone's sampling mode (sealed areas single, households one tube each…) and its head count (none: the
    registry's people less the round's exclusions). Set by the office that organised the round."""
    require_actor(actor)
    require(actor, Capability.CAMPAIGNS_MANAGE, zone.campaign.district)
    if mode not in SamplingMode.values:
        raise ValidationError("未知的采样方式")
    if head_count is not None and head_count < 0:
        raise ValidationError("应检人数不能为负数")
    before = {"mode": zone.mode, "head_count": zone.head_count}
    zone.mode, zone.head_count = mode, head_count
    zone.save(update_fields=["mode", "head_count"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=zone.campaign,
        unit=zone.campaign.district,
        before=before,
        after={"mode": mode, "head_count": head_count},
        reason=f"调整检测单位：{zone.unit.name}（{zone.unit.code}）",
    )
    return zone


def create_point(*, actor: User, campaign, unit: Unit, name: str, address: str = "", hours: str = "") -> SamplingPoint:
    require_actor(actor)
    require(actor, Capability.POINTS_MANAGE, unit)
    if not campaign.zones.filter(unit__path__in=[unit.path[:end] for end in range(1, len(unit.path) + 1)]).exists():
        raise ValidationError("采样点应设在本轮检测单位之内")
    if not name.strip():
        raise ValidationError("请填写采样点名称")
    point = SamplingPoint.objects.create(
        campaign=campaign, unit=unit, name=name.strip()[:100], address=address.strip()[:200], hours=hours.strip()[:100]
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=point,
        unit=unit,
        after={"name": point.name, "address": point.address, "hours": point.hours},
        reason="设置采样点",
    )
    return point
