"""Venues: registration and their codes."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind, UnitLevel
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require, require_row
from fangxian.venues.choices import CodeKind, VenueStatus
from fangxian.venues.models import Venue, VenueCategory, VenueCode, new_venue_code

VENUE_LEVELS = (UnitLevel.COMMUNITY, UnitLevel.GRID)


def register_venue(
    *,
    actor: User,
    name: str,
    category: VenueCategory,
    unit: Unit,
    address: str,
    contact: str = "",
    phone: str = "",
    areas: list[str] | None = None,
    external_code: str = "",
) -> Venue:
    """A venue in the community it stands in (属地), with a fresh venue code."""
    require_actor(actor)
    require(actor, Capability.VENUES_MANAGE, unit)
    if unit.level not in VENUE_LEVELS:
        raise ValidationError({"unit": "场所登记到所在的村/社区（或网格）"})
    name, address = name.strip(), address.strip()
    if not name or not address:
        raise ValidationError("请填写场所名称和地址")
    cleaned_areas = list(dict.fromkeys(area.strip()[:50] for area in (areas or []) if area.strip()))[:100]
    external_code = external_code.strip()[:64]
    try:
        with transaction.atomic():
            venue = Venue.objects.create(
                name=name[:100],
                category=category,
                unit=unit,
                address=address[:200],
                contact=contact.strip()[:50],
                phone=phone.strip()[:20],
                areas=cleaned_areas,
                external_code=external_code,
                created_by=actor,
            )
            VenueCode.objects.create(code=venue.code, venue=venue, kind=CodeKind.OWN, issued_at=venue.code_issued_at)
            if external_code:
                VenueCode.objects.create(code=external_code, venue=venue, kind=CodeKind.EXTERNAL)
    except IntegrityError:
        raise ValidationError({"external_code": "该外部场所码已登记到其他场所"}) from None
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=venue,
        unit=unit,
        after={"name": venue.name, "category": category.name, "unit_id": unit.pk, "code": venue.code},
        reason="登记场所",
    )
    return venue


def regenerate_code(*, actor: User, venue: Venue) -> Venue:
    """A new venue code; the old one no longer names the venue (a leaked or defaced poster is revoked)."""
    require_actor(actor)
    require_row(actor, Capability.VENUES_MANAGE, venue)
    if venue.status == VenueStatus.CLOSED:
        raise ValidationError("已关闭的场所不再生成场所码")
    before = {"code": venue.code}
    now = timezone.now()
    VenueCode.objects.filter(venue=venue, kind=CodeKind.OWN, revoked_at__isnull=True).update(revoked_at=now)
    venue.code, venue.code_issued_at = new_venue_code(), now
    venue.save(update_fields=["code", "code_issued_at"])
    VenueCode.objects.create(code=venue.code, venue=venue, kind=CodeKind.OWN, issued_at=now)
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=venue,
        unit=venue.unit,
        before=before,
        after={"code": venue.code},
        reason="重新生成场所码（旧码作废）",
    )
    return venue
