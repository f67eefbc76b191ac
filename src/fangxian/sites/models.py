import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.control.choices import MeasureStatus
from fangxian.control.models import Measure
from fangxian.core.capabilities import Capability as C
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.people.models import Person
from fangxian.sites.choices import CheckOutReason, RoomKind, RoomStatus, SiteKind, SiteStatus


class Site(models.Model):
    """A centralised quarantine site (集中隔离点), active or held in reserve (储备)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200)
    unit = models.ForeignKey(Unit, verbose_name=_("所属单位"), on_delete=models.PROTECT, related_name="sites")
    kind = models.CharField(_("类型"), max_length=16, choices=SiteKind.choices, default=SiteKind.HOTEL)
    status = models.CharField(_("状态"), max_length=16, choices=SiteStatus.choices, default=SiteStatus.ACTIVE)
    contact = models.CharField(_("负责人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    zones = models.JSONField(_("三区两通道"), default=dict)  # ZONE_CHECKLIST key -> bool
    staff = models.ManyToManyField(User, verbose_name=_("隔离点工作人员"), blank=True, related_name="staffed_sites")

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.SITES_VIEW, "change": C.SITES_MANAGE}

    class Meta:
        verbose_name = _("集中隔离点")
        verbose_name_plural = _("集中隔离点")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def scope_member_q(cls, user, needed=frozenset()) -> Q:
        return Q(staff=user)


class Room(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="rooms")
    floor = models.SmallIntegerField(_("楼层"))
    number = models.CharField(_("房号"), max_length=16)
    kind = models.CharField(_("房型"), max_length=16, choices=RoomKind.choices, default=RoomKind.SINGLE)
    beds = models.PositiveSmallIntegerField(_("床位"), default=1)
    status = models.CharField(_("状态"), max_length=16, choices=RoomStatus.choices, default=RoomStatus.AVAILABLE)

    capabilities = {"view": C.SITES_VIEW, "change": C.SITES_MANAGE}

    class Meta:
        verbose_name = _("隔离房间")
        verbose_name_plural = _("隔离房间")
        ordering = ["site", "floor", "number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="room_number_unique")]
        indexes = [models.Index(fields=["site", "status"])]

    def __str__(self) -> str:
        return f"{self.site} {self.number}"


class Stay(models.Model):
    """A person in a room from check-in to check-out."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="stays")
    measure = models.ForeignKey(
        Measure, verbose_name=_("管控措施"), null=True, blank=True, on_delete=models.PROTECT, related_name="stays"
    )
    site = models.ForeignKey(Site, verbose_name=_("隔离点"), on_delete=models.PROTECT, related_name="stays")
    room = models.ForeignKey(Room, verbose_name=_("房间"), on_delete=models.PROTECT, related_name="stays")
    checked_in_at = models.DateTimeField(_("入住时间"), default=timezone.now)
    checked_out_at = models.DateTimeField(_("离开时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(User, verbose_name=_("办理人"), on_delete=models.PROTECT, related_name="+")
    checkout_reason = models.CharField(_("离开原因"), max_length=16, choices=CheckOutReason.choices, blank=True)
    checkout_note = models.CharField(_("离开说明"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()
    # Residents belong to their own unit: a township sees its people in any site, not another township's people
    # in a hotel it hosts. Site staff see their site's residents (scope_member_q).
    scope_unit_field = "person__unit"
    capabilities = {"view": C.SITES_VIEW, "change": C.SITES_OPERATE}

    class Meta:
        verbose_name = _("入住记录")
        verbose_name_plural = _("入住记录")
        ordering = ["-checked_in_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["person"], condition=Q(checked_out_at__isnull=True), name="stay_one_open")
        ]

    def __str__(self) -> str:
        return f"{self.person} @ {self.room}"

    @classmethod
    def scope_member_q(cls, user, needed=frozenset()) -> Q:
        return Q(site__staff=user)


class Arrival(models.Model):
    """A person sent to a site (转运安排): the township or the district names the site, the site's staff see
    the person coming and check them in. Open until the stay begins or the sender takes it back."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(Site, verbose_name=_("隔离点"), on_delete=models.PROTECT, related_name="arrivals")
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="arrivals")
    measure = models.ForeignKey(Measure, verbose_name=_("管控措施"), on_delete=models.PROTECT, related_name="+")
    sent_by = models.ForeignKey(User, verbose_name=_("安排人"), on_delete=models.PROTECT, related_name="+")
    sent_at = models.DateTimeField(_("安排时间"), default=timezone.now)
    stay = models.ForeignKey(
        Stay, verbose_name=_("入住"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    # As a stay: the sender's township sees its people, the site's staff the people sent to their site.
    scope_unit_field = "person__unit"
    capabilities = {"view": C.SITES_VIEW, "change": C.SITES_OPERATE}

    class Meta:
        verbose_name = _("转运安排")
        verbose_name_plural = _("转运安排")
        ordering = ["sent_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(stay__isnull=True, cancelled_at__isnull=True),
                name="arrival_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.person} → {self.site}"

    @classmethod
    def scope_member_q(cls, user, needed=frozenset()) -> Q:
        return Q(site__staff=user)

    @classmethod
    def open_q(cls) -> Q:
        return Q(stay__isnull=True, cancelled_at__isnull=True, measure__status=MeasureStatus.ACTIVE)
