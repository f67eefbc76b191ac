"""Nucleic-acid testing: campaigns, sampling points, tubes and their members, lab results, recalls of the
members of positive pools, key groups tested on a schedule.

Samples and result submissions are the city-scale tables (10⁷ rows a day): on PostgreSQL they are partitioned by
day (partitions.py), written by COPY, and carry no per-row foreign-key checks: their writers are the services of
this app, which write a tube and its members in one transaction."""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.capabilities import required_for
from fangxian.core.choices import Sector
from fangxian.core.masking import mask_document, mask_phone
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet, scope_paths
from fangxian.people.models import Person
from fangxian.testing.choices import (
    CampaignStatus,
    RecallStatus,
    SamplingMode,
    SubmissionOutcome,
    TubeResult,
    TubeStatus,
)


class CampaignQuerySet(ScopedQuerySet):
    def restrict(self, user, wanted: str = "view"):
        """A round is its district's; to look at, it is also open to whoever may see testing in or above one of
        its zones (a township office, a community team). The zones table is small: a few rows a round."""
        own = super().restrict(user, wanted)
        if wanted != "view":
            return own
        paths = scope_paths(user, required_for(self.model, wanted))
        zoned = {
            zone.campaign_id
            for zone in CampaignZone.objects.select_related("unit")
            if any(path.startswith(zone.unit.path) or zone.unit.path.startswith(path) for path in paths)
        }
        return self.filter(models.Q(pk__in=own.values("pk")) | models.Q(pk__in=zoned))


class Campaign(models.Model):
    """A round of mass testing (全员核酸) over some units of a district."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Unit, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    status = models.CharField(_("状态"), max_length=16, choices=CampaignStatus.choices, default=CampaignStatus.PLANNED)
    # Who is not expected to be sampled in this round (应检尽检 lists leave them out).
    exclude_under_2 = models.BooleanField(_("不含 2 岁以下儿童"), default=True)
    exclude_isolated = models.BooleanField(_("不含集中/居家隔离人员"), default=True)
    exclude_key_groups = models.BooleanField(_("不含按计划常态化检测的重点人群"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = CampaignQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.TESTING_VIEW, "change": C.CAMPAIGNS_MANAGE}

    class Meta:
        verbose_name = _("核酸检测轮次")
        verbose_name_plural = _("核酸检测轮次")
        ordering = ["-starts_at", "-id"]

    def __str__(self) -> str:
        return self.name


class CampaignZone(models.Model):
    """A unit in a campaign: how it is sampled and how many people are expected (from the registry when no head
    count was entered)."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="zones")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    mode = models.CharField(_("采样方式"), max_length=16, choices=SamplingMode.choices, default=SamplingMode.POOL_10)
    head_count = models.PositiveIntegerField(_("应检人数"), null=True, blank=True)

    capabilities = {"view": C.TESTING_VIEW, "change": C.CAMPAIGNS_MANAGE}

    class Meta:
        ordering = ["unit__code"]
        constraints = [models.UniqueConstraint(fields=["campaign", "unit"], name="campaign_zone_unique")]

    def __str__(self) -> str:
        return f"{self.campaign} {self.unit}"


class SamplingPoint(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="points", verbose_name=_("轮次")
    )
    unit = models.ForeignKey(Unit, verbose_name=_("所在单位"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    hours = models.CharField(_("采样时段"), max_length=100, blank=True)
    teams = models.PositiveSmallIntegerField(_("采样组数"), default=1)
    is_active = models.BooleanField(_("启用"), default=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.TESTING_VIEW, "change": C.POINTS_MANAGE}

    class Meta:
        verbose_name = _("采样点")
        verbose_name_plural = _("采样点")
        ordering = ["unit__code", "name"]

    def __str__(self) -> str:
        return self.name


class Tube(models.Model):
    """One sampling tube (采样管): a single person, a household, or a pool of 5, 10 or 20."""

    # Unique by a constraint, not unique=True: that would add a second (pattern-matching) index on PostgreSQL,
    # kept up for 10⁶ tubes a day and never used, codes being looked up whole.
    code = models.CharField(_("管码"), max_length=32)
    # Indexed only through the composite indexes below (one index less to keep up per tube).
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    point = models.ForeignKey(
        SamplingPoint, on_delete=models.PROTECT, related_name="tubes", verbose_name=_("采样点"), db_index=False
    )
    # The point's unit, copied so that scope needs no join on 10⁶ rows a day.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+", db_index=False)
    mode = models.CharField(_("采样方式"), max_length=16, choices=SamplingMode.choices)
    pool_size = models.PositiveSmallIntegerField(_("混采人数上限"))
    member_count = models.PositiveSmallIntegerField(_("已采人数"), default=0)
    sampled_on = models.DateField(_("采样日期"))
    sampled_at = models.DateTimeField(_("采样时间"))
    status = models.CharField(_("状态"), max_length=16, choices=TubeStatus.choices, default=TubeStatus.OPEN)
    box = models.CharField(_("转运箱"), max_length=32, blank=True)
    closed_at = models.DateTimeField(_("封管时间"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("送检时间"), null=True, blank=True)
    # The first final result a lab reported; later ones are kept as submissions, never written over it.
    result = models.CharField(_("结果"), max_length=16, choices=TubeResult.choices, blank=True)
    result_at = models.DateTimeField(_("出结果时间"), null=True, blank=True)
    lab = models.CharField(_("检测机构"), max_length=100, blank=True)
    registered_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.TESTING_VIEW, "change": C.TUBES_REGISTER}

    class Meta:
        verbose_name = _("采样管")
        verbose_name_plural = _("采样管")
        ordering = ["-sampled_at", "-id"]
        indexes = [
            models.Index(fields=["unit", "sampled_on"]),
            models.Index(fields=["campaign", "point"]),
            models.Index(fields=["point", "sampled_on"]),
        ]
        constraints = [models.UniqueConstraint(fields=["code"], name="testing_tube_code_unique")]

    def __str__(self) -> str:
        return self.code


class Sample(models.Model):
    """A person sampled into a tube (a member of the pool), identified by document as registered at the point.
    Matched to the registry by the normalised document number, the one matching key."""

    tube = models.ForeignKey(
        Tube, on_delete=models.DO_NOTHING, related_name="samples", db_constraint=False, db_index=False
    )
    day = models.DateField(_("采样日期"))  # the partition key (the tube's sampling day)
    doc_type = models.CharField(_("证件类型"), max_length=32)
    doc_number = models.CharField(_("证件号码"), max_length=32)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.SAMPLES_VIEW}
    SENSITIVE_FIELDS = {"doc_number": mask_document, "phone": mask_phone}

    class Meta:
        verbose_name = _("采样人员")
        verbose_name_plural = _("采样人员")
        # On PostgreSQL partitions.py creates the table and these indexes itself (a hash index for the document).
        indexes = [models.Index(fields=["doc_number"]), models.Index(fields=["tube"])]

    def __str__(self) -> str:
        return f"{self.name} @ {self.tube_id}"


class ResultSubmission(models.Model):
    """Every result a lab sent, as sent: the first final one per tube stands on the tube; a repeat is noted, a
    different one is a conflict for a person to look at; a code nobody registered is kept for when it is."""

    day = models.DateField()  # the partition key (the day it was received)
    tube_code = models.CharField(_("管码"), max_length=32)
    tube = models.ForeignKey(
        Tube, null=True, blank=True, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )
    result = models.CharField(_("结果"), max_length=16, choices=TubeResult.choices)
    ct_orf = models.DecimalField(_("ORF1ab Ct 值"), max_digits=4, decimal_places=1, null=True, blank=True)
    ct_n = models.DecimalField(_("N 基因 Ct 值"), max_digits=4, decimal_places=1, null=True, blank=True)
    lab = models.CharField(_("检测机构"), max_length=100)
    received_at = models.DateTimeField(_("接收时间"))
    outcome = models.CharField(_("处理结果"), max_length=16, choices=SubmissionOutcome.choices)
    submitted_by = models.ForeignKey(
        User, on_delete=models.DO_NOTHING, related_name="+", db_constraint=False, db_index=False
    )

    capabilities = {"view": C.TESTING_VIEW, "change": C.RESULTS_REPORT}

    class Meta:
        indexes = [models.Index(fields=["tube_code"]), models.Index(fields=["outcome", "day"])]

    def __str__(self) -> str:
        return f"{self.tube_code} {self.result}"


class Recall(models.Model):
    """A member of a positive or invalid pool: held where they are (就地管控) until a single-tube re-test."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    tube = models.ForeignKey(Tube, on_delete=models.PROTECT, related_name="recalls")
    doc_type = models.CharField(_("证件类型"), max_length=32)
    doc_number = models.CharField(_("证件号码"), max_length=32)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="recalls")
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("状态"), max_length=16, choices=RecallStatus.choices, default=RecallStatus.HELD)
    raised_at = models.DateTimeField(_("管控时间"))
    retest_tube = models.ForeignKey(
        Tube, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("复核管")
    )
    closed_at = models.DateTimeField(_("解除/转出时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.RECALLS_VIEW}
    SENSITIVE_FIELDS = {"doc_number": mask_document, "phone": mask_phone}

    class Meta:
        verbose_name = _("混管阳性人员")
        verbose_name_plural = _("混管阳性人员")
        ordering = ["-raised_at", "unit__code", "name"]
        constraints = [models.UniqueConstraint(fields=["tube", "doc_number"], name="recall_once_per_tube")]
        indexes = [models.Index(fields=["doc_number", "status"]), models.Index(fields=["unit", "status"])]

    def __str__(self) -> str:
        return self.name

    @property
    def masked_doc_number(self) -> str:
        return mask_document(self.doc_number)


class KeyGroup(models.Model):
    """A group tested on a schedule (重点人群): medical staff every 3 days, cold-chain workers weekly…"""

    district = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    interval_days = models.PositiveSmallIntegerField(_("检测间隔（天）"))
    # The sector that regulates the group (medical staff: health; teachers: education; cold chain: market): that
    # department follows its members' testing (core.scoping: scope_sector_field).
    sector = models.CharField(_("行业主管"), max_length=32, choices=Sector.choices, blank=True)
    members = models.ManyToManyField(Person, through="KeyGroupMember", related_name="key_groups")

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    scope_sector_field = "sector"
    capabilities = {"view": C.KEY_GROUPS_VIEW, "change": C.KEY_GROUPS_MANAGE}

    class Meta:
        verbose_name = _("重点人群")
        verbose_name_plural = _("重点人群")
        ordering = ["interval_days", "name"]
        constraints = [models.UniqueConstraint(fields=["district", "name"], name="key_group_name_unique")]

    def __str__(self) -> str:
        return self.name


class KeyGroupMember(models.Model):
    group = models.ForeignKey(KeyGroup, on_delete=models.CASCADE, related_name="memberships")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    # The member's workplace unit: who chases them when they are overdue.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    scope_sector_field = "group__sector"
    capabilities = {"view": C.KEY_GROUPS_VIEW, "change": C.KEY_GROUPS_MANAGE}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "person"], name="key_group_member_once")]

    def __str__(self) -> str:
        return f"{self.person} ∈ {self.group}"
