import uuid

from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.control.choices import (
    Anchor,
    EndReason,
    FollowUpKind,
    FollowUpOutcome,
    MeasureStatus,
    PhaseKind,
    SampleResult,
    Subject,
)
from fangxian.core.capabilities import Capability as C
from fangxian.core.models import GridTeam, Unit, User
from fangxian.core.scoping import ScopedQuerySet
from fangxian.leads.models import Lead
from fangxian.people.models import Person


class Protocol(models.Model):
    """A version of the prevention and control protocol (防控方案): the national editions ship as data; a district
    may copy one into a local variant. Rules per subject say what a measure is."""

    code = models.SlugField(_("代码"), max_length=40, unique=True)
    name = models.CharField(_("名称"), max_length=100)
    issued_on = models.DateField(_("发布日期"), null=True, blank=True)
    district = models.ForeignKey(
        Unit, verbose_name=_("地方版本所属"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="variants")
    # The older rule: a case found in a site restarts the clock of everyone on its floor and the floors next to it.
    floor_restart = models.BooleanField(_("同层及上下层重新计时"), default=False)
    lookback_days = models.PositiveSmallIntegerField(_("密接追溯天数"), default=2)

    capabilities = {"view": C.MEASURES_VIEW, "change": C.PROTOCOLS_MANAGE}

    class Meta:
        verbose_name = _("防控方案")
        verbose_name_plural = _("防控方案")
        ordering = ["-issued_on", "code"]

    def __str__(self) -> str:
        return self.name


class ProtocolRule(models.Model):
    """One subject's measure under a protocol: the anchor date, the phases and their test days."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="rules")
    subject = models.CharField(_("管控对象"), max_length=32, choices=Subject.choices)
    anchor = models.CharField(_("起算日"), max_length=32, choices=Anchor.choices)
    # [{"kind": PhaseKind, "days": n, "tests": [day numbers within the phase], "checks_per_day": 1 or 2}]
    phases = models.JSONField(_("阶段"))
    double_sample = models.BooleanField(_("解除前双采双检"), default=False)

    capabilities = {"view": C.MEASURES_VIEW, "change": C.PROTOCOLS_MANAGE}

    class Meta:
        verbose_name = _("方案规则")
        verbose_name_plural = _("方案规则")
        constraints = [models.UniqueConstraint(fields=["protocol", "subject"], name="protocol_rule_once_per_subject")]

    def __str__(self) -> str:
        return f"{self.protocol} · {self.get_subject_display()}"

    def describe(self) -> str:
        labels = dict(PhaseKind.choices)
        return " + ".join(f"{labels[phase['kind']]} {phase['days']} 天" for phase in self.phases)


class ProtocolChoice(models.Model):
    """The version a district applies to new measures."""

    district = models.OneToOneField(Unit, on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="+")
    chosen_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    chosen_at = models.DateTimeField(default=timezone.now)

    capabilities = {"view": C.MEASURES_VIEW, "change": C.PROTOCOLS_MANAGE}

    def __str__(self) -> str:
        return f"{self.district}: {self.protocol}"


class Measure(models.Model):
    """A person placed under control (管控措施): the plan computed from the protocol, its phase and test dates."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    person = models.ForeignKey(Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="measures")
    lead = models.ForeignKey(
        Lead, verbose_name=_("协查任务"), null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    protocol = models.ForeignKey(Protocol, verbose_name=_("方案"), on_delete=models.PROTECT, related_name="+")
    subject = models.CharField(_("管控对象"), max_length=32, choices=Subject.choices)
    anchor_date = models.DateField(_("起算日"))
    start_date = models.DateField(_("落实管控日"))
    end_date = models.DateField(_("期满日"))
    plan = models.JSONField(_("管控计划"))  # [{"kind", "start", "end", "checks_per_day"}]
    status = models.CharField(_("状态"), max_length=16, choices=MeasureStatus.choices, default=MeasureStatus.ACTIVE)
    end_reason = models.CharField(_("终止原因"), max_length=32, choices=EndReason.choices, blank=True)
    ended_at = models.DateTimeField(_("解除/终止时间"), null=True, blank=True)
    # The team (五包一 / 三人小组) answering for a person at home: set at placement from the person's area.
    team = models.ForeignKey(
        GridTeam, verbose_name=_("包保小组"), null=True, blank=True, on_delete=models.PROTECT, related_name="measures"
    )
    door_sensor = models.CharField(_("门磁设备号"), max_length=64, blank=True, db_index=True)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.MEASURES_VIEW, "change": C.MEASURES_CHANGE}

    AUDIT_FIELDS = ["person_id", "unit_id", "protocol_id", "subject", "anchor_date", "start_date", "end_date", "status"]

    class Meta:
        verbose_name = _("管控措施")
        verbose_name_plural = _("管控措施")
        ordering = ["end_date", "id"]
        constraints = [
            # One measure at a time: a new one for the same person is a transfer or a re-plan of this one.
            models.UniqueConstraint(fields=["person"], condition=Q(status="active"), name="measure_one_active")
        ]
        indexes = [models.Index(fields=["unit", "status", "end_date"])]

    def __str__(self) -> str:
        # "至", not a dash: a dash between the dates would read as one long number and be masked in the logs.
        return f"{self.get_subject_display()} {self.start_date:%m-%d}至{self.end_date:%m-%d}"

    @classmethod
    def scope_member_q(cls, user, needed=frozenset()) -> Q:
        # One filter on one stay: open, and in a site the user staffs.
        staying = Q(person__stays__site__staff=user, person__stays__checked_out_at__isnull=True)
        if not needed <= {C.MEASURES_VIEW, C.MEASURES_CHANGE}:
            return staying
        # Sent to that site and not yet in: seen, and taken in (a check-in), not released or ended from there.
        coming = Q(
            person__arrivals__site__staff=user,
            person__arrivals__stay__isnull=True,
            person__arrivals__cancelled_at__isnull=True,
            person__arrivals__measure=F("pk"),
        )
        return staying | coming

    def phase_on(self, day) -> dict | None:
        for phase in self.plan:
            if phase["start"] <= day.isoformat() <= phase["end"]:
                return phase
        return None


class ScheduledTest(models.Model):
    """A nucleic-acid test the plan requires on a given day, and its result."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="tests")
    day = models.DateField(_("检测日期"))
    plan_day = models.PositiveSmallIntegerField(_("管控第几天"))
    double_sample = models.BooleanField(_("双采双检"), default=False)
    result = models.CharField(_("结果"), max_length=16, choices=SampleResult.choices, blank=True)
    reason = models.CharField(_("未检测原因"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(null=True, blank=True)

    capabilities = {"view": C.MEASURES_VIEW, "change": C.MEASURES_CHANGE}

    class Meta:
        ordering = ["day", "id"]
        indexes = [models.Index(fields=["day", "result"])]

    def __str__(self) -> str:
        return f"{self.measure} {self.day:%m-%d}"


class HealthCheck(models.Model):
    """A temperature and symptom check (健康监测): twice a day under isolation, once under monitoring."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="checks")
    day = models.DateField(_("日期"))
    slot = models.PositiveSmallIntegerField(_("第几次"))  # 1 morning, 2 evening
    temperature = models.DecimalField(_("体温"), max_digits=3, decimal_places=1)
    symptoms = models.CharField(_("症状"), max_length=200, blank=True)
    recorded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(default=timezone.now)

    capabilities = {"view": C.MEASURES_VIEW, "change": C.MEASURES_CHANGE}

    class Meta:
        ordering = ["-day", "slot"]
        constraints = [models.UniqueConstraint(fields=["measure", "day", "slot"], name="check_once_per_slot")]

    def __str__(self) -> str:
        return f"{self.measure} {self.day:%m-%d}#{self.slot} {self.temperature}"


class CaseTransfer(models.Model):
    """A positive person moved to the designated hospital (定点医院): the case path starts here."""

    measure = models.OneToOneField(Measure, on_delete=models.PROTECT, related_name="case_transfer")
    hospital = models.CharField(_("定点医院"), max_length=100)
    transferred_at = models.DateTimeField(_("转运时间"), default=timezone.now)
    transferred_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+")

    capabilities = {"view": C.MEASURES_VIEW, "change": C.MEASURES_CHANGE}

    def __str__(self) -> str:
        return f"{self.measure.person} → {self.hospital}"


class FollowUp(models.Model):
    """A task raised by an alert (a fever, a door opened): the responsible community must check the person and
    say what it found before the deadline; open ones are on the closed-loop board until then."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="follow_ups")
    kind = models.CharField(_("类型"), max_length=16, choices=FollowUpKind.choices)
    # The alert it answers (fever:<measure>:<day>:<slot>, door:<device>:<minute>): one task per alert.
    key = models.CharField(max_length=120, unique=True)
    detail = models.CharField(_("情况"), max_length=300)
    unit = models.ForeignKey(Unit, verbose_name=_("责任单位"), on_delete=models.PROTECT, related_name="+")
    raised_at = models.DateTimeField(_("报警时间"), default=timezone.now)
    due_at = models.DateTimeField(_("处置时限"))
    outcome = models.CharField(_("处置结果"), max_length=16, choices=FollowUpOutcome.choices, blank=True)
    note = models.CharField(_("处置说明"), max_length=300, blank=True)
    handled_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)

    capabilities = {"view": C.MEASURES_VIEW, "change": C.MEASURES_CHANGE}

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [models.Index(fields=["unit", "handled_at", "due_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.detail}"
