"""Venues (场所) and their codes (场所码): where people scan in, and so where co-visits are traced from."""

import secrets
import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.choices import Sector
from fangxian.core.masking import mask_document, mask_phone
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.venues.choices import Answer, CodeColour, CodeKind, ScanSource, VenueStatus


class VenueCategory(models.Model):
    """A kind of venue, as data: how long a visit usually lasts (a stay without a later scan ends then) and which
    department regulates it (行业监管部门: the daily registers go to it)."""

    code = models.CharField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    default_stay_minutes = models.PositiveSmallIntegerField(_("默认停留（分钟）"))
    regulator = models.CharField(_("行业监管部门"), max_length=50)
    # The sector whose department staff see these venues' registers (blank: the township's alone).
    sector = models.CharField(_("监管行业"), max_length=32, choices=Sector.choices, blank=True)
    # Schools, hospitals, care homes: a 48-hour negative at the door, beside the code colour.
    requires_negative = models.BooleanField(_("须查验 48 小时核酸"), default=False)
    # Co-visit tracing: a visitor counts when their stay meets the case's stay widened by this margin, and is a
    # close contact when the overlap reaches close_contact_minutes (small, closed rooms only; blank: never).
    covisit_margin_minutes = models.PositiveSmallIntegerField(_("时空伴随前后延伸（分钟）"), default=30)
    close_contact_minutes = models.PositiveSmallIntegerField(_("判为密接的重叠时长（分钟）"), null=True, blank=True)
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
    # The venue's own staff (场所工作人员): the door check and the venue's register, nothing else.
    staff = models.ManyToManyField(User, verbose_name=_("场所工作人员"), blank=True, related_name="venues")

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    scope_sector_field = "category__sector"
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

    @classmethod
    def scope_member_q(cls, user, needed=frozenset()) -> Q:
        return Q(staff=user)


class VenueCode(models.Model):
    """Every code that has named a venue: its own codes (the current one and those revoked by a regeneration)
    and the provincial platform's. Scans keep the code as scanned and reach their venue through here, so scans
    at a code registered later attach the moment it is, and a revoked code's past scans stay the venue's."""

    code = models.CharField(_("场所码"), max_length=64, unique=True)
    venue = models.ForeignKey(Venue, on_delete=models.CASCADE, related_name="codes")
    kind = models.CharField(_("类型"), max_length=16, choices=CodeKind.choices)
    issued_at = models.DateTimeField(_("启用时间"), default=timezone.now)
    revoked_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    capabilities = {"view": C.VENUES_VIEW}

    class Meta:
        verbose_name = _("场所码")
        verbose_name_plural = _("场所码")

    def __str__(self) -> str:
        return self.code


class Scan(models.Model):
    """A person scanned in at a venue code (an arrival; the stay is derived). The city-scale table: on
    PostgreSQL partitioned by day (core.partitions), written by COPY, no per-row foreign keys. One scan is one
    person at one code at one second: a batch sent twice writes nothing the second time."""

    day = models.DateField(_("日期"))  # the partition key: the local day of scanned_at
    scanned_at = models.DateTimeField(_("扫码时间"))
    venue_code = models.CharField(_("场所码"), max_length=64)
    area = models.CharField(_("分区"), max_length=50, blank=True)
    doc_type = models.CharField(_("证件类型"), max_length=32)
    doc_number = models.CharField(_("证件号码"), max_length=32)
    name = models.CharField(_("姓名"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # 代扫: the document of whoever scanned for this person (a parent for a child): both were there.
    proxy_doc_number = models.CharField(_("代扫人证件号"), max_length=32, blank=True)
    code_colour = models.CharField(_("健康码"), max_length=8, choices=CodeColour.choices)
    vaccinated = models.CharField(_("已接种"), max_length=8, choices=Answer.choices)
    negative = models.CharField(_("48 小时核酸阴性"), max_length=8, choices=Answer.choices)
    device = models.CharField(_("设备"), max_length=64, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=ScanSource.choices)

    capabilities = {"view": C.VENUE_SCANS_VIEW}
    SENSITIVE_FIELDS = {"doc_number": mask_document, "phone": mask_phone, "proxy_doc_number": mask_document}

    class Meta:
        verbose_name = _("扫码记录")
        verbose_name_plural = _("扫码记录")
        # On PostgreSQL partitions.create_table makes these per day. The unique index serves the person's own
        # scans too (its first column), and the code + time index the co-visit window and the registers.
        indexes = [models.Index(fields=["venue_code", "scanned_at"], name="venues_scan_code_time")]
        constraints = [
            models.UniqueConstraint(fields=["doc_number", "scanned_at", "venue_code", "day"], name="venues_scan_once")
        ]

    def __str__(self) -> str:
        return f"{self.venue_code} {self.scanned_at:%Y-%m-%d %H:%M}"


class VenueDay(models.Model):
    """A venue code's day in figures, from the scans written (VenueDayDelta folded in): the registers, the
    dashboard and the workbench read these instead of counting a day's scans (10⁷ rows) again."""

    day = models.DateField()
    venue_code = models.CharField(max_length=64)
    scans = models.PositiveIntegerField(default=0)
    abnormal = models.PositiveIntegerField(default=0)  # yellow or red code
    unvaccinated = models.PositiveIntegerField(default=0)
    without_negative = models.PositiveIntegerField(default=0)
    notable = models.PositiveIntegerField(default=0)  # any of the three: a line of the register

    capabilities = {"view": C.VENUE_SCANS_VIEW}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["day", "venue_code"], name="venue_day_once")]

    def __str__(self) -> str:
        return f"{self.venue_code} {self.day}"


class VenueDayDelta(models.Model):
    """What one batch of scans adds to one day's figures, as one row: the codes it touched and, in the same order,
    the counts it adds (comma-separated). Appended in the batch's transaction — ten thousand scans touch
    thousands of codes, and adding to each code's VenueDay row cost more than writing the scans — then folded
    into VenueDay by the worker every minute; readers add the rows not folded yet (services.figures)."""

    day = models.DateField()
    codes = models.TextField()  # one per line
    scans = models.TextField()
    abnormal = models.TextField()
    unvaccinated = models.TextField()
    without_negative = models.TextField()
    notable = models.TextField()

    capabilities = {"view": C.VENUE_SCANS_VIEW}

    def __str__(self) -> str:
        return f"{self.day} +{self.codes.count(chr(10)) + 1} codes"


class VenuePolicy(models.Model):
    """A district's choices for its venues: whether red- and yellow-code visitors become leads by themselves
    (every minute, by the worker) or only when an officer makes them from the register."""

    district = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="+")
    abnormal_leads_auto = models.BooleanField(_("红黄码人员自动生成线索"), default=False)
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.VENUE_SCANS_VIEW, "change": C.LEADS_IMPORT}

    class Meta:
        verbose_name = _("场所设置")
        verbose_name_plural = _("场所设置")

    def __str__(self) -> str:
        return str(self.district)
