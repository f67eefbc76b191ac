"""Case investigation (流调溯源): a case, where it went (活动轨迹), whom it met (密接/次密接) and who infected whom."""

import datetime
import uuid

from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.cases.choices import (
    CaseClass,
    CaseStatus,
    ContactClass,
    EntrySource,
    FoundBy,
    FoundIn,
    Relation,
    Transport,
)
from fangxian.core.capabilities import Capability as C
from fangxian.core.masking import mask_document, mask_phone
from fangxian.core.models import Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.people.models import Person
from fangxian.venues.models import Venue

# The timeliness targets and the contacts' deadlines, when a district has set none (CasePolicy).
DEFAULT_CORE_HOURS = 4
DEFAULT_REPORT_HOURS = 24
DEFAULT_CLOSE_CONTACT_HOURS = 8
DEFAULT_SECONDARY_CONTACT_HOURS = 12


class CasePolicy(models.Model):
    """A district's timeliness targets for investigations and its deadlines for the contacts they find."""

    district = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="+")
    core_hours = models.PositiveSmallIntegerField(_("核心信息时限（小时）"), default=DEFAULT_CORE_HOURS)
    report_hours = models.PositiveSmallIntegerField(_("流调报告时限（小时）"), default=DEFAULT_REPORT_HOURS)
    close_contact_hours = models.PositiveSmallIntegerField(
        _("密接管控时限（小时）"), default=DEFAULT_CLOSE_CONTACT_HOURS
    )
    secondary_contact_hours = models.PositiveSmallIntegerField(
        _("次密接管控时限（小时）"), default=DEFAULT_SECONDARY_CONTACT_HOURS
    )
    changed_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    changed_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "district"
    capabilities = {"view": C.CASES_VIEW, "change": C.PROTOCOLS_MANAGE}

    class Meta:
        verbose_name = _("流调时限设置")
        verbose_name_plural = _("流调时限设置")

    def __str__(self) -> str:
        return str(self.district)


class Case(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # 病例1, 病例2 … in the district: how a public notice names the case.
    number = models.PositiveIntegerField(_("病例编号"))
    district = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="cases")
    unit = models.ForeignKey(Unit, verbose_name=_("属地"), on_delete=models.PROTECT, related_name="+")
    classification = models.CharField(_("分类"), max_length=16, choices=CaseClass.choices)
    found_by = models.CharField(_("发现方式"), max_length=32, choices=FoundBy.choices)
    found_in = models.CharField(_("发现场景"), max_length=16, choices=FoundIn.choices)
    onset_date = models.DateField(_("发病日期"), null=True, blank=True)
    first_positive_at = models.DateTimeField(_("首次阳性采样时间"))
    confirmed_at = models.DateTimeField(_("确诊/判定时间"), null=True, blank=True)
    reported_at = models.DateTimeField(_("报告时间"), default=timezone.now)
    status = models.CharField(_("状态"), max_length=16, choices=CaseStatus.choices, default=CaseStatus.INVESTIGATING)
    core_done_at = models.DateTimeField(_("核心信息完成时间"), null=True, blank=True)
    report_done_at = models.DateTimeField(_("流调报告完成时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    source_case = models.ForeignKey(
        "self", verbose_name=_("传染来源"), null=True, blank=True, on_delete=models.PROTECT, related_name="infected"
    )
    # What opened it by itself ("recall:12", "measure:34"): the sweep never opens a second case for one positive.
    opened_from = models.CharField(max_length=40, blank=True)
    investigators = models.ManyToManyField(User, verbose_name=_("流调人员"), blank=True, related_name="+")
    opened_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.CASES_VIEW, "add": C.CASES_INVESTIGATE, "change": C.CASES_INVESTIGATE}

    AUDIT_FIELDS = [
        "classification",
        "found_by",
        "found_in",
        "onset_date",
        "first_positive_at",
        "confirmed_at",
        "reported_at",
        "status",
        "core_done_at",
        "report_done_at",
        "closed_at",
        "source_case_id",
    ]

    class Meta:
        verbose_name = _("病例")
        verbose_name_plural = _("病例")
        ordering = ["-reported_at", "-id"]
        constraints = [
            # One person, one case at a time: a second positive of the same episode is the same case.
            models.UniqueConstraint(
                fields=["person"], condition=~Q(status=CaseStatus.CLOSED), name="case_one_open_per_person"
            ),
            models.UniqueConstraint(fields=["district", "number"], name="case_number_in_district"),
            models.UniqueConstraint(
                fields=["opened_from"], condition=~Q(opened_from=""), name="case_opened_once_from_a_positive"
            ),
            models.CheckConstraint(
                condition=~Q(source_case=F("id")),
                name="case_not_its_own_source",
                violation_error_message="病例不能是自己的传染来源",
            ),
        ]

    def __str__(self) -> str:
        return f"病例{self.number}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", kwargs={"uuid": self.uuid})

    def lookback_from(self) -> datetime.date:
        """The day the look-back window counts back from: onset, or the first positive sampling when there is no
        onset (an asymptomatic case)."""
        return self.onset_date or timezone.localdate(self.first_positive_at)


class Reclassification(models.Model):
    """A case's class changed (无症状 → 确诊 …): the earlier class is kept, with who changed it and when."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="reclassifications")
    from_class = models.CharField(max_length=16, choices=CaseClass.choices)
    to_class = models.CharField(max_length=16, choices=CaseClass.choices)
    at = models.DateTimeField(default=timezone.now)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    note = models.CharField(max_length=200, blank=True)

    scope_unit_field = "case__unit"
    objects = ScopedQuerySet.as_manager()
    capabilities = {"view": C.CASES_VIEW}

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.from_class}→{self.to_class}"


class ItineraryEntry(models.Model):
    """Where the case was, from when to when, how they went there and with whom."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="itinerary")
    start = models.DateTimeField(_("开始时间"))
    end = models.DateTimeField(_("结束时间"))
    venue = models.ForeignKey(
        Venue, verbose_name=_("场所"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    place = models.CharField(_("地点"), max_length=100)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    transport = models.CharField(_("交通方式"), max_length=16, choices=Transport.choices, blank=True)
    transport_detail = models.CharField(_("车次/航班/线路/车牌"), max_length=50, blank=True)
    companions = models.CharField(_("同行人员"), max_length=200, blank=True)
    source = models.CharField(_("来源"), max_length=16, choices=EntrySource.choices, default=EntrySource.ENTERED)
    # What a prefilled entry came from ("scan:V1A2:2026-12-01T08:00"): prefilling again adds only what is new.
    source_key = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "case__unit"
    capabilities = {"view": C.CASES_VIEW, "add": C.CASES_INVESTIGATE, "change": C.CASES_INVESTIGATE}
    AUDIT_FIELDS = ["start", "end", "venue_id", "place", "address", "transport", "transport_detail", "companions"]

    class Meta:
        verbose_name = _("活动轨迹")
        verbose_name_plural = _("活动轨迹")
        ordering = ["start", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(end__gte=F("start")),
                name="itinerary_ends_after_it_starts",
                violation_error_message="结束时间早于开始时间",
            ),
            models.UniqueConstraint(
                fields=["case", "source_key"], condition=~Q(source_key=""), name="itinerary_prefilled_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.place} {timezone.localtime(self.start):%m-%d %H:%M}"


class Contact(models.Model):
    """A person the case met: how (relation), how close (classification) and when last (the anchor of their
    measure). A secondary contact names the close contact they live or work with (via)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="contacts")
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    doc_type = models.CharField(_("证件类型"), max_length=32)
    doc_number = models.CharField(_("证件号码"), max_length=32)
    name = models.CharField(_("姓名"), max_length=50)
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    address = models.CharField(_("现住址"), max_length=200, blank=True)
    relation = models.CharField(_("接触方式"), max_length=16, choices=Relation.choices)
    classification = models.CharField(_("判定"), max_length=16, choices=ContactClass.choices)
    exposed_at = models.DateTimeField(_("末次暴露时间"))
    via = models.ForeignKey(
        "self", verbose_name=_("经由密接"), null=True, blank=True, on_delete=models.CASCADE, related_name="secondaries"
    )
    # Lives outside the district: goes out in a 协查函 to that district instead of becoming a lead here.
    home_region = models.CharField(_("外区县（区划代码或名称）"), max_length=60, blank=True)
    outbound_sent_at = models.DateTimeField(_("协查函发出时间"), null=True, blank=True)
    outbound_answered_at = models.DateTimeField(_("外区县反馈时间"), null=True, blank=True)
    lead = models.ForeignKey(
        "leads.Lead", verbose_name=_("协查线索"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("备注"), max_length=200, blank=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "case__unit"
    capabilities = {"view": C.CASES_VIEW, "add": C.CASES_INVESTIGATE, "change": C.CASES_INVESTIGATE}
    AUDIT_FIELDS = [
        "classification",
        "relation",
        "exposed_at",
        "home_region",
        "outbound_sent_at",
        "outbound_answered_at",
    ]
    SENSITIVE_FIELDS = {"doc_number": mask_document, "phone": mask_phone}

    class Meta:
        verbose_name = _("密接人员")
        verbose_name_plural = _("密接人员")
        ordering = ["classification", "-exposed_at", "id"]
        constraints = [models.UniqueConstraint(fields=["case", "doc_number"], name="contact_once_per_case")]

    def __str__(self) -> str:
        return f"{self.name}（{self.get_classification_display()}）"

    @property
    def masked_doc_number(self) -> str:
        return mask_document(self.doc_number)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)
