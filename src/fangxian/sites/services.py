"""Quarantine sites: rooms, check-in and check-out, reserve sites, occupancy. Services never commit."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Q, Value, When
from django.utils import timezone

from fangxian.control.choices import MeasureStatus, PhaseKind
from fangxian.control.models import Measure
from fangxian.core.audit import record_change, require_actor
from fangxian.core.capabilities import UNDO_WINDOW_HOURS, Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import User
from fangxian.core.scoping import can_row, require, require_row
from fangxian.people.models import Person
from fangxian.sites.choices import ENDS_ISOLATION, ZONE_CHECKLIST, CheckOutReason, RoomKind, RoomStatus, SiteStatus
from fangxian.sites.models import Arrival, Room, Site, Stay


def _may_operate(actor: User, site: Site) -> None:
    """Check-in, check-out and rooms: the site's own staff and the district office, nobody else."""
    require_row(actor, Capability.SITES_OPERATE, site)


def missing_zones(site: Site) -> list[str]:
    return [str(label) for key, label in ZONE_CHECKLIST.items() if not site.zones.get(key)]


def activate(*, actor: User, site: Site) -> Site:
    """A reserve site (储备) opens once its 三区两通道 are all in place."""
    require_actor(actor)
    require(actor, Capability.SITES_MANAGE, site.unit)
    if site.status == SiteStatus.ACTIVE:
        return site
    missing = missing_zones(site)
    if missing:
        raise ValidationError(f"三区两通道未全部具备（缺：{'、'.join(missing)}），不能启用")
    site.status = SiteStatus.ACTIVE
    site.save(update_fields=["status"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=site,
        unit=site.unit,
        before={"status": "reserve"},
        after={"status": "active"},
        reason="启用储备隔离点",
    )
    return site


def suggest_room(site: Site, *, accessible: bool = False) -> Room | None:
    """The free room to offer: lowest floor first; an accessible room only for who needs one (kept for them)."""
    rooms = site.rooms.filter(status=RoomStatus.AVAILABLE)
    if accessible:
        return rooms.filter(kind=RoomKind.ACCESSIBLE).order_by("floor", "number").first()
    # One person a room: single rooms first; accessible rooms last, kept for those who need them.
    preference = Case(
        When(kind=RoomKind.SINGLE, then=Value(0)),
        When(kind=RoomKind.MULTI, then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return rooms.order_by(preference, "floor", "number").first()


def check_in(
    *,
    actor: User,
    site: Site,
    person: Person,
    measure: Measure | None = None,
    room: Room | None = None,
    accessible: bool = False,
    join: Stay | None = None,
) -> Stay:
    """Assign a room and open the stay. Two officers taking the same last room at once: the database lets exactly
    one of them claim it (a conditional UPDATE on its status); the other is told to choose again.
    `join`: a household member already staying here, whose multi-bed room this person shares (同户同住)."""
    require_actor(actor)
    _may_operate(actor, site)
    if site.status != SiteStatus.ACTIVE:
        raise ValidationError("该隔离点未启用（储备或已关闭）")
    if join is not None:
        if join.site_id != site.pk or join.checked_out_at is not None:
            raise ValidationError("同住人员不在该隔离点")
        return _open_stay(
            actor=actor,
            site=site,
            person=person,
            measure=measure,
            claim=lambda: _claim_bed(join.room_id),
            reason="同户入住",
            with_person_id=join.person_id,
        )
    room = room or suggest_room(site, accessible=accessible)
    if room is None:
        raise ValidationError("该隔离点已无空闲房间")
    if room.site_id != site.pk:
        raise ValidationError("房间不属于该隔离点")
    return _open_stay(
        actor=actor, site=site, person=person, measure=measure, claim=lambda: _claim_room(room), reason="入住"
    )


def _claim_room(room: Room) -> Room:
    # A conditional UPDATE: of two officers taking this room at once, exactly one changes its status.
    if not Room.objects.filter(pk=room.pk, status=RoomStatus.AVAILABLE).update(status=RoomStatus.OCCUPIED):
        raise ValidationError(f"房间 {room.number} 刚被占用，请重新选择")
    return room


def _claim_bed(room_id: int) -> Room:
    """A free bed in a household member's multi-bed room (同户同住). The room row is locked so two members
    joining at once cannot both take its last bed."""
    room = Room.objects.select_for_update().get(pk=room_id)
    if room.kind != RoomKind.MULTI:
        raise ValidationError(f"房间 {room.number} 不是多人间，不能同住")
    if Stay.objects.filter(room=room, checked_out_at__isnull=True).count() >= room.beds:
        raise ValidationError(f"房间 {room.number} 已满（{room.beds} 床）")
    return room


def _open_stay(
    *, actor: User, site: Site, person: Person, measure: Measure | None, claim, reason: str, **noted
) -> Stay:
    try:
        with transaction.atomic():
            room = claim()
            stay = Stay.objects.create(person=person, measure=measure, site=site, room=room, checked_in_by=actor)
    except IntegrityError:
        raise ValidationError(f"{person.name}已在隔离点入住，请先办理离开或转运") from None
    # Whoever was expecting this person (here or at another site) sees them arrived.
    Arrival.objects.filter(person=person, stay__isnull=True, cancelled_at__isnull=True).update(stay=stay)
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=stay,
        unit=person.unit,
        after={"person_id": person.pk, "site": site.name, "room": room.number, **noted},
        reason=reason,
    )
    return stay


def household_rooms(site: Site) -> list[Stay]:
    """Stays whose multi-bed room still has a free bed: the people a household member can be put with."""
    open_stays = Stay.objects.filter(checked_out_at__isnull=True)
    rooms = (
        site.rooms.filter(kind=RoomKind.MULTI, status=RoomStatus.OCCUPIED)
        .annotate(used=Count("stays", filter=Q(stays__checked_out_at__isnull=True)))
        .filter(used__lt=F("beds"))
    )
    return list(open_stays.filter(room__in=rooms).select_related("person", "room").order_by("room__number"))


def check_out(
    *,
    actor: User,
    stay: Stay,
    reason: str,
    note: str = "",
    override: bool = False,
    now: datetime.datetime | None = None,
) -> Stay:
    """Leave the room (released, transferred, to hospital, other); the room goes to cleaning (终末消杀).
    A reason that ends the isolation is refused while the person's plan still has them in centralised isolation
    today, unless the command office overrides it (recorded as such)."""
    require_actor(actor)
    _may_operate(actor, stay.site)
    if stay.checked_out_at is not None:
        raise ValidationError("已办理离开")
    if reason not in CheckOutReason.values:
        raise ValidationError("请选择离开原因")
    note = note.strip()
    if reason == CheckOutReason.OTHER and not note:
        raise ValidationError("原因为“其他”时请写明情况")
    now = now or timezone.now()
    until = isolation_until(stay, timezone.localtime(now).date())
    if until is not None and reason in ENDS_ISOLATION:
        if not override:
            raise ValidationError(
                f"{stay.person.name}的管控计划集中隔离至 {until:%m月%d日}，不能以“{CheckOutReason(reason).label}”离开；"
                "转点或就医请选相应原因，确需提前离开的由区指挥部办理"
            )
        require(actor, Capability.PLAN_OVERRIDE, stay.person.unit)
    stay.checked_out_at = now
    stay.checkout_reason, stay.checkout_note = reason, note[:200]
    # Conditional, like a room's claim: of two check-outs of one stay at once, exactly one is written.
    if not Stay.objects.filter(pk=stay.pk, checked_out_at__isnull=True).update(
        checked_out_at=now, checkout_reason=reason, checkout_note=stay.checkout_note
    ):
        raise ValidationError("已办理离开")
    if not Stay.objects.filter(room=stay.room, checked_out_at__isnull=True).exists():
        Room.objects.filter(pk=stay.room_id).update(status=RoomStatus.CLEANING)
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=stay,
        unit=stay.person.unit,
        before={"checked_out_at": None},
        after={
            "checked_out_at": stay.checked_out_at.isoformat(),
            "checkout_reason": reason,
            **({"checkout_note": stay.checkout_note} if note else {}),
            **({"override": True} if until is not None and reason in ENDS_ISOLATION else {}),
        },
        reason="离开（越过管控计划）" if until is not None and reason in ENDS_ISOLATION else "离开",
    )
    return stay


def undo_check_out(*, actor: User, stay: Stay, now: datetime.datetime | None = None) -> Stay:
    """The district takes back a check-out made by mistake, within a day, while the room has not been given to
    anyone else: the stay is open again in the same room."""
    require_actor(actor)
    require_row(actor, Capability.UNDO, stay)
    now = now or timezone.now()
    if stay.checked_out_at is None:
        raise ValidationError("此人仍在住，无需撤销")
    if now - stay.checked_out_at > datetime.timedelta(hours=UNDO_WINDOW_HOURS):
        raise ValidationError(f"只能撤销 {UNDO_WINDOW_HOURS} 小时内的离开")
    room = Room.objects.select_for_update().get(pk=stay.room_id)
    others = Stay.objects.filter(room=room, checked_out_at__isnull=True).count()
    if others and (room.kind != RoomKind.MULTI or others >= room.beds):
        raise ValidationError(f"房间 {room.number} 已另有人入住，请重新办理入住")
    before = {
        "checked_out_at": stay.checked_out_at.isoformat(),
        "checkout_reason": stay.checkout_reason,
        "checkout_note": stay.checkout_note,
    }
    try:
        with transaction.atomic():
            reopened = Stay.objects.filter(pk=stay.pk, checked_out_at=stay.checked_out_at).update(
                checked_out_at=None, checkout_reason="", checkout_note=""
            )
    except IntegrityError:
        raise ValidationError(f"{stay.person.name}已在别处入住，不能撤销") from None
    if not reopened:
        raise ValidationError("该离开记录刚被他人改动，请刷新后再试")
    Room.objects.filter(pk=room.pk).update(status=RoomStatus.OCCUPIED)
    stay.checked_out_at, stay.checkout_reason, stay.checkout_note = None, "", ""
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=stay,
        unit=stay.person.unit,
        before=before,
        after={"checked_out_at": None},
        reason="撤销离开（误操作）",
    )
    return stay


def recent_check_outs(site: Site, user: User, *, now: datetime.datetime | None = None):
    """The stays of `site` that ended within the undo window and that `user` may take back."""
    now = now or timezone.now()
    return (
        Stay.objects.restrict(user, Capability.UNDO)
        .filter(site=site, checked_out_at__gte=now - datetime.timedelta(hours=UNDO_WINDOW_HOURS))
        .select_related("person", "room")
        .order_by("-checked_out_at")
    )


def isolation_until(stay: Stay, today: datetime.date) -> datetime.date | None:
    """The last day of the centralised phase the stay's measure is in today; None when the plan does not hold the
    person in centralised isolation today (no measure, ended, or in a later phase)."""
    measure = stay.measure
    if measure is None or measure.status != MeasureStatus.ACTIVE:
        return None
    phase = measure.phase_on(today)
    if not phase or phase["kind"] != PhaseKind.CENTRALISED:
        return None
    return datetime.date.fromisoformat(phase["end"])


def room_cleaned(*, actor: User, room: Room) -> Room:
    require_actor(actor)
    _may_operate(actor, room.site)
    if room.status != RoomStatus.CLEANING:
        raise ValidationError("该房间不在待消杀状态")
    room.status = RoomStatus.AVAILABLE
    room.save(update_fields=["status"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=room,
        unit=room.site.unit,
        before={"status": RoomStatus.CLEANING},
        after={"status": RoomStatus.AVAILABLE},
        reason="终末消杀完成",
    )
    return room


@dataclass
class Occupancy:
    rooms: int = 0
    available: int = 0
    occupied: int = 0
    cleaning: int = 0
    out_of_service: int = 0
    reserve_rooms: int = 0


def occupancy(sites) -> Occupancy:
    """Rooms by status over active sites, and the capacity held in reserve sites."""
    result = Occupancy()
    rows = (
        Room.objects.filter(site__in=sites)
        .values("site__status")
        .annotate(
            total=Count("id"),
            available=Count("id", filter=Q(status=RoomStatus.AVAILABLE)),
            occupied=Count("id", filter=Q(status=RoomStatus.OCCUPIED)),
            cleaning=Count("id", filter=Q(status=RoomStatus.CLEANING)),
            out_of_service=Count("id", filter=Q(status=RoomStatus.OUT_OF_SERVICE)),
        )
    )
    for row in rows:
        if row["site__status"] == SiteStatus.RESERVE:
            result.reserve_rooms += row["total"]
        elif row["site__status"] == SiteStatus.ACTIVE:
            result.rooms += row["total"]
            result.available += row["available"]
            result.occupied += row["occupied"]
            result.cleaning += row["cleaning"]
            result.out_of_service += row["out_of_service"]
    return result


def transfer(*, actor: User, stay: Stay, to_site: Site, room: Room | None = None) -> Stay:
    """Site → site (转运): out of one room and into another in one step; if the new room cannot be had, the person
    stays where they are."""
    with transaction.atomic():
        check_out(actor=actor, stay=stay, reason=CheckOutReason.TRANSFERRED, note=f"转至{to_site.name}")
        return check_in(actor=actor, site=to_site, person=stay.person, measure=stay.measure, room=room)


def send_to_site(*, actor: User, site: Site, measure: Measure) -> Arrival:
    """转运安排: the person under `measure` is to be taken to `site`; its staff see them coming and check them
    in. The sender needs the measure (its township, or the district) and a site it can see."""
    require_actor(actor)
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    if not Site.objects.restrict(actor).filter(pk=site.pk).exists():
        raise PermissionDenied(f"您的角色无权安排转运至{site.name}")
    if site.status != SiteStatus.ACTIVE:
        raise ValidationError("该隔离点未启用（储备或已关闭）")
    if measure.status != MeasureStatus.ACTIVE:
        raise ValidationError("该管控措施已解除或终止")
    phase = measure.phase_on(timezone.localdate())
    if not phase or phase["kind"] != PhaseKind.CENTRALISED:
        now_in = PhaseKind(phase["kind"]).label if phase else "期满待解除"
        raise ValidationError(f"管控计划今日不在集中隔离阶段（当前：{now_in}），不需转运至隔离点")
    if Stay.objects.filter(person_id=measure.person_id, checked_out_at__isnull=True).exists():
        raise ValidationError(f"{measure.person.name}已在隔离点入住，请由隔离点办理转点")
    try:
        with transaction.atomic():
            arrival = Arrival.objects.create(site=site, person_id=measure.person_id, measure=measure, sent_by=actor)
    except IntegrityError:
        pending = Arrival.objects.filter(person_id=measure.person_id, stay__isnull=True, cancelled_at__isnull=True)
        where = pending.select_related("site").first()
        raise ValidationError(
            f"{measure.person.name}已安排转运至{where.site.name if where else '其他隔离点'}，请先撤回"
        ) from None
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=arrival,
        unit=measure.unit,
        after={"person_id": measure.person_id, "site": site.name},
        reason="安排转运至隔离点",
    )
    return arrival


def may_cancel_arrival(actor: User, arrival: Arrival) -> bool:
    """The sender's side may take a transfer back (who holds the measure and sees the site), never the site."""
    return (
        not arrival.site.staff.filter(pk=actor.pk).exists()
        and can_row(actor, Capability.MEASURES_CHANGE, arrival.measure)
        and Site.objects.restrict(actor).filter(pk=arrival.site_id).exists()
    )


def cancel_arrival(*, actor: User, arrival: Arrival) -> Arrival:
    """The sender takes a transfer back before the person arrives (a wrong site, a change of plan)."""
    require_actor(actor)
    if arrival.site.staff.filter(pk=actor.pk).exists():
        raise PermissionDenied("隔离点不能撤回转运安排：请联系安排转运的单位")
    if not may_cancel_arrival(actor, arrival):
        raise PermissionDenied(f"您的角色无权撤回转运至{arrival.site.name}的安排")
    now = timezone.now()
    # Conditional: an arrival checked in or taken back a moment ago is not taken back again.
    changed = Arrival.objects.filter(pk=arrival.pk, stay__isnull=True, cancelled_at__isnull=True).update(
        cancelled_at=now
    )
    if not changed:
        raise ValidationError("该转运安排已入住或已撤回")
    arrival.cancelled_at = now
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=arrival,
        unit=arrival.measure.unit,
        before={"cancelled_at": None},
        after={"cancelled_at": now.isoformat()},
        reason="撤回转运安排",
    )
    return arrival


def expected_at(site: Site, user: User):
    """The people sent to `site` and not yet in, as `user` may see them (its staff: all of them)."""
    return (
        Arrival.objects.restrict(user)
        .filter(Arrival.open_q(), site=site)
        .select_related("person", "measure", "sent_by")
        .order_by("sent_at")
    )


def pending_arrival(measure: Measure) -> Arrival | None:
    return (
        Arrival.objects.filter(person_id=measure.person_id, stay__isnull=True, cancelled_at__isnull=True)
        .select_related("site")
        .first()
    )
