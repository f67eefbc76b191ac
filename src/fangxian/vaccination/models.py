"""Vaccination (疫苗接种): the products and their schedules, each person's doses, why someone is or is not to be
vaccinated, the population figures coverage is measured against, the district's targets and their daily shares,
and the mobilisation work (逐人动员) done person by person."""

import uuid

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.capabilities import required_for
from fangxian.core.models import TeamMember, Unit, User
from fangxian.core.scoping import ScopedQuerySet, district_path_of, scope_paths
from fangxian.people.models import Person
from fangxian.vaccination.choices import (
    Channel,
    DoseKind,
    DoseSource,
    ImportStatus,
    Milestone,
    Outcome,
    Platform,
    PopulationSource,
    Standing,
)


class Product(models.Model):
    """A vaccine as the schedule knows it: how many doses make its full series, the shortest interval between
    them and before a booster, and the ages it is licensed for. Data, so a new product is a row, not a release."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("疫苗名称"), max_length=100)
    manufacturer = models.CharField(_("生产企业"), max_length=100)
    platform = models.CharField(_("技术路线"), max_length=24, choices=Platform.choices)
    series_doses = models.PositiveSmallIntegerField(_("基础免疫剂次"))
    series_interval_days = models.PositiveSmallIntegerField(_("基础免疫最短间隔（天）"), default=0)
    booster_interval_days = models.PositiveSmallIntegerField(_("加强免疫最短间隔（天）"), default=90)
    min_age = models.PositiveSmallIntegerField(_("最低接种年龄"), default=18)
    max_age = models.PositiveSmallIntegerField(_("最高接种年龄"), null=True, blank=True)
    # What immunisation-system exports call it (a manufacturer's short name, the product name as printed).
    aliases = models.JSONField(_("别名"), default=list, blank=True)

    capabilities = {"view": C.VACCINATION_VIEW}

    class Meta:
        verbose_name = _("疫苗产品")
        verbose_name_plural = _("疫苗产品")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.name}（{self.manufacturer}）"


class DoseImport(models.Model):
    """One file of dose records imported from the immunisation information system: kept by its hash, so the
    same file imported again is recognised."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    unit = models.ForeignKey(Unit, verbose_name=_("导入单位"), on_delete=models.PROTECT, related_name="+")
    # Where the people the registry does not hold yet are registered (their community verifies them later).
    person_unit = models.ForeignKey(
        Unit, verbose_name=_("新人员登记到"), on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.CHECKED)
    file_name = models.CharField(_("文件名"), max_length=200)
    file_hash = models.CharField(_("文件摘要"), max_length=64, db_index=True)
    stored_path = models.CharField(max_length=500, editable=False)
    rows = models.PositiveIntegerField(_("行数"), default=0)
    written = models.PositiveIntegerField(_("写入剂次"), default=0)
    unchanged = models.PositiveIntegerField(_("已有剂次"), default=0)
    new_persons = models.PositiveIntegerField(_("新登记人员"), default=0)
    conflicts = models.PositiveIntegerField(_("冲突"), default=0)
    errors = models.PositiveIntegerField(_("错误"), default=0)
    warnings = models.PositiveIntegerField(_("年龄提示"), default=0)
    imported_by = models.ForeignKey(User, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+")
    imported_at = models.DateTimeField(_("导入时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.DOSES_RECORD, "change": C.DOSES_RECORD}

    class Meta:
        verbose_name = _("接种记录导入")
        verbose_name_plural = _("接种记录导入")
        ordering = ["-imported_at"]

    def __str__(self) -> str:
        return self.file_name

    def get_absolute_url(self) -> str:
        return reverse("vaccination:import_detail", kwargs={"uuid": self.uuid})


class Dose(models.Model):
    """One dose given to one person. A person has at most one dose of each kind: the same kind again with another
    date is a conflict to resolve, never a silent second record."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="doses")
    kind = models.CharField(_("剂次"), max_length=24, choices=DoseKind.choices)
    product = models.ForeignKey(Product, verbose_name=_("疫苗"), on_delete=models.PROTECT, related_name="+")
    given_on = models.DateField(_("接种日期"))
    batch_number = models.CharField(_("批号"), max_length=40, blank=True)
    site_name = models.CharField(_("接种单位"), max_length=100, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=DoseSource.choices, default=DoseSource.ENTERED)
    import_batch = models.ForeignKey(
        DoseImport, null=True, blank=True, on_delete=models.PROTECT, related_name="doses", db_index=False
    )
    # Given outside the product's licensed ages, and confirmed as such by whoever recorded it (logged).
    outside_ages = models.BooleanField(_("超出说明书年龄范围（已确认）"), default=False)
    recorded_by = models.ForeignKey(User, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "person__unit"
    capabilities = {"view": C.VACCINATION_VIEW, "change": C.DOSES_RECORD}
    AUDIT_FIELDS = [
        "person_id",
        "kind",
        "product_id",
        "given_on",
        "batch_number",
        "site_name",
        "source",
        "outside_ages",
    ]

    class Meta:
        verbose_name = _("接种记录")
        verbose_name_plural = _("接种记录")
        ordering = ["person_id", "given_on", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "kind"], name="dose_person_kind_unique")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.given_on:%Y-%m-%d}"


class Status(models.Model):
    """Each person's doses summed up (the dates they started, completed the series and were boosted, and when the
    next dose falls due), rewritten whenever their doses change: coverage and rosters read this, not the doses.
    A person with no doses has no row."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="vaccination")
    doses = models.PositiveSmallIntegerField(_("剂次数"), default=0)
    product = models.ForeignKey(Product, null=True, on_delete=models.PROTECT, related_name="+")
    first_on = models.DateField(_("首剂日期"), null=True)
    full_on = models.DateField(_("全程日期"), null=True)
    boosted_on = models.DateField(_("加强日期"), null=True)
    last_on = models.DateField(_("末剂日期"), null=True)
    next_kind = models.CharField(_("下一剂"), max_length=24, choices=DoseKind.choices, blank=True)
    next_due_on = models.DateField(_("下一剂可接种日期"), null=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "person__unit"
    capabilities = {"view": C.VACCINATION_VIEW}

    class Meta:
        verbose_name = _("接种进度")
        verbose_name_plural = _("接种进度")
        # The day's progress on a target counts the people who reached a milestone that day.
        indexes = [
            models.Index(fields=["first_on"]),
            models.Index(fields=["full_on"]),
            models.Index(fields=["boosted_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.doses} 剂"


class Eligibility(models.Model):
    """Why a person is, or is not, to be vaccinated. No row: eligible. A deferral holds until its review date."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="eligibility")
    standing = models.CharField(_("接种对象状态"), max_length=24, choices=Standing.choices)
    reason = models.CharField(_("原因"), max_length=200, blank=True)
    review_on = models.DateField(_("暂缓至"), null=True, blank=True)
    set_by = models.ForeignKey(User, verbose_name=_("记录人"), on_delete=models.PROTECT, related_name="+")
    set_at = models.DateTimeField(_("记录时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "person__unit"
    capabilities = {"view": C.VACCINATION_VIEW, "change": C.MOBILISE}
    AUDIT_FIELDS = ["standing", "reason", "review_on"]

    class Meta:
        verbose_name = _("接种对象状态")
        verbose_name_plural = _("接种对象状态")

    def __str__(self) -> str:
        return self.get_standing_display()


class Population(models.Model):
    """A population figure (the denominator) of a unit and age band, with where it came from and its date. New
    figures are added, never written over: coverage uses the latest of each source, and the older ones explain why
    a rate moved."""

    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    band = models.CharField(_("年龄段"), max_length=8)
    source = models.CharField(_("口径"), max_length=16, choices=PopulationSource.choices)
    count = models.PositiveIntegerField(_("人数"))
    as_of = models.DateField(_("统计日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, verbose_name=_("录入人"), on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("录入时间"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.VACCINATION_VIEW, "change": C.VACCINATION_TARGETS}

    class Meta:
        verbose_name = _("人口基数")
        verbose_name_plural = _("人口基数")
        ordering = ["unit__path", "band", "source", "-as_of", "-id"]
        indexes = [models.Index(fields=["unit", "source", "band", "as_of"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.band} {self.get_source_display()} {self.count}"


class TargetQuerySet(ScopedQuerySet):
    def restrict(self, user, wanted: str = "view"):
        """A target is its district's; to look at, it is open to whoever may see vaccination anywhere in that
        district (a township follows its share, a community its own)."""
        own = super().restrict(user, wanted)
        if wanted != "view" or user is None or not user.is_authenticated:
            return own
        districts = {district_path_of(path) for path in scope_paths(user, required_for(self.model, wanted))}
        return self.filter(models.Q(pk__in=own.values("pk")) | models.Q(district__path__in=sorted(districts)))


class Target(models.Model):
    """A district's target: a share of an age group reaching a milestone by a date, measured against a population
    source. Its daily shares (Quota) are issued to the townships and communities each morning."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Unit, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("目标名称"), max_length=100)
    bands = models.JSONField(_("年龄段"))
    milestone = models.CharField(_("指标"), max_length=16, choices=Milestone.choices)
    rate = models.DecimalField(_("目标接种率（%）"), max_digits=5, decimal_places=2)
    source = models.CharField(
        _("人口口径"), max_length=16, choices=PopulationSource.choices, default=PopulationSource.REGISTERED
    )
    starts_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("完成时限"))
    created_by = models.ForeignKey(User, verbose_name=_("设定人"), on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("设定时间"), default=timezone.now)
    is_active = models.BooleanField(_("进行中"), default=True)

    objects = TargetQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.VACCINATION_VIEW, "change": C.VACCINATION_TARGETS}

    class Meta:
        verbose_name = _("接种目标")
        verbose_name_plural = _("接种目标")
        ordering = ["-is_active", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("vaccination:target", kwargs={"uuid": self.uuid})


class Quota(models.Model):
    """A unit's share of a target for one day (日下达): fixed when issued in the morning, so what the unit is asked
    for does not move while it works; what it has done is counted from the doses."""

    target = models.ForeignKey(Target, on_delete=models.CASCADE, related_name="quotas")
    unit = models.ForeignKey(Unit, verbose_name=_("单位"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    quota = models.PositiveIntegerField(_("当日任务"))
    # The people still to reach the milestone when the share was issued: what the split was weighed by.
    remaining = models.PositiveIntegerField(_("待接种人数"))
    issued_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.VACCINATION_VIEW}

    class Meta:
        verbose_name = _("每日任务")
        verbose_name_plural = _("每日任务")
        constraints = [models.UniqueConstraint(fields=["target", "unit", "day"], name="quota_target_unit_day_unique")]
        indexes = [models.Index(fields=["target", "day"])]

    def __str__(self) -> str:
        return f"{self.unit} {self.day:%m-%d} {self.quota}"


class Assignment(models.Model):
    """Who in the grid team goes to this person (逐人动员): one team member per person on the roster."""

    person = models.OneToOneField(Person, primary_key=True, on_delete=models.CASCADE, related_name="roster_assignment")
    member = models.ForeignKey(TeamMember, verbose_name=_("动员人"), on_delete=models.CASCADE, related_name="+")
    assigned_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    assigned_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "person__unit"
    capabilities = {"view": C.VACCINATION_VIEW, "change": C.MOBILISE}
    AUDIT_FIELDS = ["member_id"]

    class Meta:
        verbose_name = _("动员包保")
        verbose_name_plural = _("动员包保")

    def __str__(self) -> str:
        return str(self.member)


class Attempt(models.Model):
    """One mobilisation contact: when, how, and what it came to."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="vaccination_attempts"
    )
    at = models.DateTimeField(_("联系时间"), default=timezone.now)
    channel = models.CharField(_("方式"), max_length=16, choices=Channel.choices)
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices)
    reason = models.CharField(_("原因/说明"), max_length=200, blank=True)
    until = models.DateField(_("预约/暂缓日期"), null=True, blank=True)
    by = models.ForeignKey(User, verbose_name=_("联系人"), on_delete=models.PROTECT, related_name="+")

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "person__unit"
    capabilities = {"view": C.VACCINATION_VIEW, "change": C.MOBILISE}
    AUDIT_FIELDS = ["channel", "outcome", "reason", "until"]

    class Meta:
        verbose_name = _("动员记录")
        verbose_name_plural = _("动员记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "at"])]

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} {self.at:%Y-%m-%d}"


class CoverageCell(models.Model):
    """The coverage counts of one unit (the persons registered to it, not below) and band at a day, as the worker
    last counted them (CoverageSnapshot): the pages read these instead of counting a district's people each time."""

    day = models.DateField()
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    band = models.CharField(max_length=8)
    people = models.PositiveIntegerField(default=0)
    excluded = models.PositiveIntegerField(default=0)
    started = models.PositiveIntegerField(default=0)
    full = models.PositiveIntegerField(default=0)
    boosted = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.VACCINATION_VIEW}

    class Meta:
        verbose_name = _("接种率快照")
        verbose_name_plural = _("接种率快照")
        constraints = [models.UniqueConstraint(fields=["day", "unit", "band"], name="coverage_cell_unique")]

    def __str__(self) -> str:
        return f"{self.day} {self.unit_id} {self.band}"


class CoverageSnapshot(models.Model):
    """When the cells of a day were last counted: a reader takes them only while they are fresh."""

    day = models.DateField(unique=True)
    built_at = models.DateTimeField()

    capabilities = {"view": C.VACCINATION_VIEW}

    class Meta:
        verbose_name = _("接种率快照时间")
        verbose_name_plural = _("接种率快照时间")

    def __str__(self) -> str:
        return f"{self.day} {self.built_at:%H:%M:%S}"
