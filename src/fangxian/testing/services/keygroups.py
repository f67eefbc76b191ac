"""Key groups (重点人群) tested on their own schedule, and their members."""

from django.core.exceptions import ValidationError

from fangxian.core.audit import record_change, require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind, Sector
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.testing.models import (
    KeyGroup,
    KeyGroupMember,
)
from fangxian.testing.services.registration import record_batch


def create_key_group(
    *, actor: User, district: Unit, name: str, interval_days: int, sector: str = ""
) -> tuple[KeyGroup, bool]:
    """A key group of the district (medical staff, cold-chain workers …) tested on its own schedule; `sector`
    names the department that follows it (teachers: education)."""
    require_actor(actor)
    require(actor, Capability.KEY_GROUPS_MANAGE, district)
    if sector and sector not in Sector.values:
        raise ValidationError({"sector": "未知的行业"})
    group, created = KeyGroup.objects.get_or_create(
        district=district, name=name.strip()[:100], defaults={"interval_days": interval_days, "sector": sector}
    )
    if created:
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE,
            instance=group,
            unit=district,
            after={"name": group.name, "interval_days": group.interval_days, "sector": group.sector},
            reason="设置重点人群",
        )
    return group, created


def add_key_group_members(*, actor: User, group, unit: Unit, doc_numbers: list[str], persons) -> tuple[int, list[str]]:
    """Put the registered people with these document numbers (looked up in `persons`, already restricted) in
    the group, answering to `unit`; returns how many were added and the numbers nobody in scope holds."""
    require_actor(actor)
    require(actor, Capability.KEY_GROUPS_MANAGE, unit)
    wanted = [number.strip().upper() for number in doc_numbers if number.strip()]
    found = {person.doc_number: person for person in persons.filter(doc_number__in=wanted)}
    already = set(
        KeyGroupMember.objects.filter(group=group, person__in=found.values()).values_list("person_id", flat=True)
    )
    new = [
        KeyGroupMember(group=group, person=person, unit=unit) for person in found.values() if person.pk not in already
    ]
    KeyGroupMember.objects.bulk_create(new)
    if new:
        record_batch(
            actor=actor,
            kind=ChangeKind.CREATE,
            reason="加入重点人群",
            object_id=f"key_group:{group.pk}",
            object_repr=f"{group.name} 加入成员",
            unit_id=unit.pk,
            after={"person_ids": [member.person_id for member in new]},
            model_label="testing.keygroupmember",
        )
    return len(new), [number for number in wanted if number not in found]
