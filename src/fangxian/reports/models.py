import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.choices import UnitLevel
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.reports.choices import BriefingStatus, FieldKind


class ReportForm(models.Model):
    """A daily report the district requires (日报): its fields, its due time, and which levels of unit file it."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Unit, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("名称"), max_length=100)
    due_time = models.TimeField(_("每日截止时间"))
    levels = models.JSONField(_("报送单位层级"), default=list)  # UnitLevel values
    is_active = models.BooleanField(_("启用"), default=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.REPORTS_VIEW, "change": C.REPORT_FORMS_MANAGE}

    class Meta:
        verbose_name = _("报表")
        verbose_name_plural = _("报表")
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name

    def level_labels(self) -> list[str]:
        labels = dict(UnitLevel.choices)
        return [str(labels.get(level, level)) for level in self.levels]


class ReportField(models.Model):
    """One figure or remark of a form. A field bound to a live figure is pre-filled from the data the system holds,
    and, when locked, always takes that value."""

    form = models.ForeignKey(ReportForm, on_delete=models.CASCADE, related_name="fields")
    key = models.SlugField(max_length=40)
    label = models.CharField(_("名称"), max_length=100)
    kind = models.CharField(_("类型"), max_length=16, choices=FieldKind.choices)
    choices = models.JSONField(_("可选项"), default=list, blank=True)
    required = models.BooleanField(_("必填"), default=True)
    figure = models.CharField(_("取自系统数据"), max_length=40, blank=True)  # a key of reports.figures.FIGURES
    locked = models.BooleanField(_("锁定系统数据"), default=False)
    position = models.PositiveSmallIntegerField(default=0)

    capabilities = {"view": C.REPORTS_VIEW, "change": C.REPORT_FORMS_MANAGE}

    class Meta:
        ordering = ["position", "id"]
        constraints = [models.UniqueConstraint(fields=["form", "key"], name="report_field_key_unique")]

    def __str__(self) -> str:
        return self.label


class Report(models.Model):
    """One unit's report for one day (a zero report is a report too)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    form = models.ForeignKey(ReportForm, verbose_name=_("报表"), on_delete=models.PROTECT, related_name="reports")
    unit = models.ForeignKey(Unit, verbose_name=_("报送单位"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    values = models.JSONField(_("填报内容"), default=dict)
    is_zero = models.BooleanField(_("零报告"), default=False)
    late = models.BooleanField(_("迟报"), default=False)
    filed_by = models.ForeignKey(User, verbose_name=_("填报人"), on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("报送时间"))

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.REPORTS_VIEW, "change": C.REPORTS_FILE}

    class Meta:
        verbose_name = _("日报")
        verbose_name_plural = _("日报")
        ordering = ["-day", "unit__code"]
        constraints = [models.UniqueConstraint(fields=["form", "unit", "day"], name="report_once_per_unit_day")]

    def __str__(self) -> str:
        return f"{self.form} {self.day:%Y-%m-%d}"


class Briefing(models.Model):
    """The district's daily briefing (防控日报/通报): figures frozen when drafted, texts edited, then issued as .docx
    and .xlsx. An issued briefing is kept as it was sent."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Unit, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    day = models.DateField(_("日期"))
    number = models.PositiveIntegerField(_("期数"))
    status = models.CharField(_("状态"), max_length=16, choices=BriefingStatus.choices, default=BriefingStatus.DRAFT)
    texts = models.JSONField(_("正文"), default=dict)
    figures = models.JSONField(_("数据"), default=dict)
    drafted_at = models.DateTimeField(_("生成时间"), default=timezone.now)
    issued_by = models.ForeignKey(
        User, verbose_name=_("印发人"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    issued_at = models.DateTimeField(_("印发时间"), null=True, blank=True)
    docx_path = models.CharField(max_length=500, blank=True, editable=False)
    xlsx_path = models.CharField(max_length=500, blank=True, editable=False)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.BRIEFINGS_VIEW, "change": C.BRIEFINGS_WRITE}

    class Meta:
        verbose_name = _("防控日报")
        verbose_name_plural = _("防控日报")
        ordering = ["-day", "-id"]
        constraints = [models.UniqueConstraint(fields=["district", "day"], name="briefing_once_per_day")]

    def __str__(self) -> str:
        return f"{self.district.name}疫情防控日报（第{self.number}期）"
