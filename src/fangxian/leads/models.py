import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability as C
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.leads.choices import BatchStatus, LeadCategory, LeadSource, LeadStatus, Outcome, RiskLevel
from fangxian.people.models import Person


class ImportBatch(models.Model):
    """One pushed list as received: the file (by hash), who brought it, how it was read, and what it produced."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Unit, verbose_name=_("区/县"), on_delete=models.PROTECT, related_name="+")
    source = models.CharField(_("来源"), max_length=32, choices=LeadSource.choices, default=LeadSource.CITY_PUSH)
    pusher = models.CharField(_("推送单位"), max_length=100, blank=True)
    default_category = models.CharField(
        _("默认人员类别"), max_length=32, choices=LeadCategory.choices, default=LeadCategory.OTHER
    )
    file_name = models.CharField(_("文件名"), max_length=255)
    file_hash = models.CharField(_("文件指纹"), max_length=64, db_index=True)
    stored_path = models.CharField(max_length=500, editable=False)
    uploaded_by = models.ForeignKey(User, verbose_name=_("导入人"), on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(_("上传时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=16, choices=BatchStatus.choices, default=BatchStatus.VALIDATED)
    header_row = models.PositiveIntegerField(_("表头行"), default=0)
    mapping = models.JSONField(_("列对应"), default=dict)
    summary = models.JSONField(_("统计"), default=dict)
    errors = models.JSONField(_("错误"), default=list)
    committed_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    valid_only = models.BooleanField(_("仅导入有效行"), default=False)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.LEADS_VIEW, "change": C.LEADS_IMPORT, "reveal": C.REVEAL}

    class Meta:
        verbose_name = _("推送名单")
        verbose_name_plural = _("推送名单")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class SourceMapping(models.Model):
    """The column mapping last confirmed for a pusher, offered again for its next list."""

    district = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="+")
    pusher = models.CharField(max_length=100)
    mapping = models.JSONField(default=dict)
    updated_at = models.DateTimeField(auto_now=True)

    capabilities = {"view": C.LEADS_IMPORT, "change": C.LEADS_IMPORT}

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "pusher"], name="source_mapping_unique")]

    def __str__(self) -> str:
        return self.pusher


class StagedRow(models.Model):
    """A valid row of a checked list, normalised and routed, waiting for the commit.

    Phase one writes these; phase two is then a few set-based statements over them, so a file is read and
    validated once however long the user takes between the two. Never shown: the batch pages show the batch.
    Rows of committed batches are purged by a sweep."""

    # No foreign-key constraint: staged rows are a work table written at the database's bulk speed, deleted
    # with their batch by the purge sweep; a per-row constraint check would cost as much as the write.
    batch = models.ForeignKey(
        ImportBatch, on_delete=models.DO_NOTHING, db_constraint=False, db_index=False, related_name="+"
    )
    row = models.PositiveIntegerField()
    name = models.CharField(max_length=50)
    doc_type = models.CharField(max_length=16)
    doc_number = models.CharField(max_length=32)
    sex = models.CharField(max_length=8)
    birth_date = models.DateField(null=True)
    phone = models.CharField(max_length=20)
    address = models.CharField(max_length=200)
    category = models.CharField(max_length=32)
    risk_area = models.CharField(max_length=200)
    left_at = models.DateTimeField(null=True)
    pushed = models.JSONField()
    unit_id = models.BigIntegerField()  # where the address routes: a community, a township or the district

    capabilities = {"view": C.LEADS_IMPORT, "change": C.LEADS_IMPORT}

    class Meta:
        indexes = [models.Index(fields=["batch", "row"])]

    def __str__(self) -> str:
        return f"#{self.row}"


class Lead(models.Model):
    """One person to find and verify (协查任务), from one push, routed down to the unit that must act."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="leads")
    # No constraint check per lead on the batch: an import writes 10⁵ leads of one batch, locked and written in
    # the same transaction, and batches are never deleted.
    batch = models.ForeignKey(
        ImportBatch,
        verbose_name=_("推送名单"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="leads",
        db_constraint=False,
    )
    category = models.CharField(_("人员类别"), max_length=32, choices=LeadCategory.choices)
    source = models.CharField(_("来源"), max_length=32, choices=LeadSource.choices)
    pushed_data = models.JSONField(_("推送信息"), default=dict)
    row_number = models.PositiveIntegerField(_("原表行号"), null=True, blank=True)
    received_at = models.DateTimeField(_("接收时间"), default=timezone.now)
    deadline = models.DateTimeField(_("核查时限"), db_index=True)
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="leads")
    status = models.CharField(_("状态"), max_length=16, choices=LeadStatus.choices, default=LeadStatus.OPEN)
    outcome = models.CharField(_("核查结果"), max_length=32, choices=Outcome.choices, blank=True)
    outcome_note = models.CharField(_("核查说明"), max_length=500, blank=True)
    current_address = models.CharField(_("现住址（核实）"), max_length=200, blank=True)
    risk_area = models.CharField(_("风险地区"), max_length=200, blank=True)
    left_risk_area_at = models.DateTimeField(_("离开风险地区时间"), null=True, blank=True)
    # A contact found by an investigation: the last exposure, from which the measure's days are counted.
    exposed_at = models.DateTimeField(_("末次暴露时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    # Never looked up by these two: no index to keep up on every insert.
    verified_by = models.ForeignKey(
        User,
        verbose_name=_("核查人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    escalated_to = models.ForeignKey(
        Unit,
        verbose_name=_("已升级至"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    escalated_at = models.DateTimeField(_("升级时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.LEADS_VIEW, "change": C.LEADS_VERIFY, "reveal": C.REVEAL}

    AUDIT_FIELDS = ["person_id", "batch_id", "category", "source", "deadline", "unit_id", "status", "outcome"]

    class Meta:
        verbose_name = _("协查任务")
        verbose_name_plural = _("协查任务")
        ordering = ["deadline", "id"]
        constraints = [
            # Nobody gets a second open lead of the same kind: a re-push of a person already being handled
            # joins the open lead instead.
            models.UniqueConstraint(
                fields=["person", "category"], condition=Q(status="open"), name="lead_one_open_per_person_category"
            )
        ]
        indexes = [
            models.Index(fields=["unit", "status", "deadline"]),
            # Only verified leads are in it: imports (all unverified) never touch it; the dashboard counts a day's.
            models.Index(fields=["verified_at"], condition=Q(verified_at__isnull=False), name="lead_verified_at"),
        ]

    def __str__(self) -> str:
        # No person lookup here: audit records of an import describe 10⁵ leads at once.
        return f"{self.get_category_display()} #{self.pk}"

    @staticmethod
    def overdue_q(now) -> Q:
        """The one definition of an overdue lead (失管/漏管): still open past its deadline. Lists, figures, the
        escalation sweep and the dashboard all ask this."""
        return Q(status=LeadStatus.OPEN, deadline__lt=now)

    def is_overdue(self, now) -> bool:
        return self.status == LeadStatus.OPEN and self.deadline < now

    @staticmethod
    def awaiting_placement(queryset):
        """Found and to be placed under a measure (the verification said so), with no measure yet: the loop is
        not closed until one exists. The one definition the list filter and the workbench use."""
        return queryset.filter(outcome=Outcome.PLACED_UNDER_MEASURE, measures__isnull=True)


class Handover(models.Model):
    """A lead passed from one unit to another (district → township → community/grid), with who and when."""

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="handovers")
    from_unit = models.ForeignKey(Unit, null=True, on_delete=models.PROTECT, related_name="+")
    to_unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(default=timezone.now)
    note = models.CharField(max_length=200, blank=True)

    capabilities = {"view": C.LEADS_VIEW, "change": C.LEADS_ASSIGN}

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_unit} → {self.to_unit}"


class RiskArea(models.Model):
    """A declared high/medium/low-risk area (风险区) and the window in which being there puts a person at risk."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    district = models.ForeignKey(Unit, verbose_name=_("登记区县"), on_delete=models.PROTECT, related_name="+")
    name = models.CharField(
        _("名称"), max_length=200, help_text=_("如：上海市浦东新区某街道，须与推送名单中的写法一致或为其一部分")
    )
    level = models.CharField(_("风险等级"), max_length=16, choices=RiskLevel.choices)
    region_code = models.CharField(_("区划代码"), max_length=12, blank=True)
    declared_at = models.DateTimeField(_("划定时间"))
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.LEADS_VIEW, "change": C.RISK_AREAS_MANAGE}

    class Meta:
        verbose_name = _("风险区")
        verbose_name_plural = _("风险区")
        ordering = ["-declared_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.name}"
