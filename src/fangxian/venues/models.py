"""Venues (场所) and their codes (场所码): where people scan in, and so where co-visits are traced from."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.venues.choices import VenueStatus


class VenueCategory(models.Model):
    """A kind of venue, as data: how long a visit usually lasts (a stay without a later scan ends then) and which
    department regulates it (行业监管部门: the daily registers go to it)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    default_stay_minutes = models.PositiveSmallIntegerField(_("默认停留（分钟）"))
    regulator = models.CharField(_("行业监管部门"), max_length=50)
    # Schools, hospitals, care homes: a 48-hour negative at the door, beside the code colour.
    requires_negative = models.BooleanField(_("须查验 48 小时核酸"), default=False)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("场所类别")
        verbose_name_plural = _("场所类别")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name


def new_venue_code() -> str:
    """A venue code that cannot be guessed from another (a poster's QR code carries it)."""
    return "V" + secrets.token_hex(6).upper()


class Venue(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(_("场所名称"), max_length=100)
    category = models.ForeignKey(VenueCategory, verbose_name=_("类别"), on_delete=models.PROTECT)
    unit = models.ForeignKey(Unit, verbose_name=_("属地（村/社区）"), on_delete=models.PROTECT, related_name="venues")
    address = models.CharField(_("地址"), max_length=200)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    contact = models.CharField(_("负责人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=VenueStatus.choices, default=VenueStatus.ACTIVE)
    # Sub-areas a scan may name (a floor, a hall, a class), in the order the venue lists them.
    areas = models.JSONField(_("分区"), default=list, blank=True)
    # The code the provincial health-code platform gave the venue: its exported scans attach by it.
    external_code = models.CharField(_("外部场所码"), max_length=64, blank=True)
    code = models.CharField(_("场所码"), max_length=32, unique=True, default=new_venue_code)
    code_issued_at = models.DateTimeField(_("场所码生成时间"), default=timezone.now)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.VENUES_VIEW, "change": C.VENUES_MANAGE}

    class Meta:
        verbose_name = _("场所")
        verbose_name_plural = _("场所")
        ordering = ["unit__path", "name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["external_code"], condition=~Q(external_code=""), name="venue_external_code_unique"
            )
        ]

    def __str__(self) -> str:
        return self.name
