"""Closed-loop control: the plan a protocol gives, placing a person under it, tests, release and early end.
Services never commit: callers own atomic()."""

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

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
from fangxian.control.models import (
    CaseTransfer,
    FollowUp,
    HealthCheck,
    Measure,
    Protocol,
    ProtocolChoice,
    ProtocolRule,
    ScheduledTest,
)
from fangxian.control.placement import places
from fangxian.core.audit import plain_values, record_change, require_actor, snapshot
from fangxian.core.capabilities import UNDO_WINDOW_HOURS, Capability
from fangxian.core.choices import ChangeKind, UnitLevel
from fangxian.core.models import GridTeam, Unit, User
from fangxian.core.notify import notify
from fangxian.core.scoping import require, require_row
from fangxian.leads.choices import LeadCategory
from fangxian.leads.models import Lead
from fangxian.people.models import Person

DEFAULT_PROTOCOL = "ed9"
MAX_PHASE_DAYS = 60

# The subject a lead's category points to, when a verified lead is placed under a measure.
SUBJECT_OF_CATEGORY: dict[str, str] = {
    LeadCategory.CLOSE_CONTACT: Subject.CLOSE_CONTACT,
    LeadCategory.SECONDARY_CONTACT: Subject.SECONDARY_CONTACT,
    LeadCategory.INBOUND: Subject.INBOUND,
    LeadCategory.HIGH_RISK_AREA: Subject.HIGH_RISK_AREA,
    LeadCategory.MEDIUM_RISK_AREA: Subject.MEDIUM_RISK_AREA,
    LeadCategory.LOW_RISK_AREA: Subject.LOW_RISK_AREA,
    LeadCategory.COMPANION: Subject.LOW_RISK_AREA,
}


# ---------------------------------------------------------------- protocols


def validate_phases(phases: list[dict]) -> None:
    """Phases follow each other; every test day lies inside its own phase (no overlap, no day outside)."""
    if not phases:
        raise ValidationError("至少需要一个管控阶段")
    for index, item in enumerate(phases, start=1):
        if item.get("kind") not in PhaseKind.values:
            raise ValidationError(f"第 {index} 阶段的管控方式无效")
        days = item.get("days")
        if not isinstance(days, int) or not 1 <= days <= MAX_PHASE_DAYS:
            raise ValidationError(f"第 {index} 阶段的天数应为 1–{MAX_PHASE_DAYS} 的整数")
        tests = item.get("tests", [])
        if any(not isinstance(day, int) or not 1 <= day <= days for day in tests) or len(set(tests)) != len(tests):
            raise ValidationError(f"第 {index} 阶段的检测日应为该阶段内（第 1–{days} 天）且不重复")
        if item.get("checks_per_day") not in (1, 2):
            raise ValidationError(f"第 {index} 阶段的每日健康监测次数应为 1 或 2")


def protocol_for(district: Unit) -> Protocol:
    choice = ProtocolChoice.objects.filter(district=district).select_related("protocol").first()
    return choice.protocol if choice else Protocol.objects.get(code=DEFAULT_PROTOCOL)


def available_protocols(district: Unit):
    return Protocol.objects.filter(district__isnull=True) | Protocol.objects.filter(district=district)


def choose_protocol(*, actor: User, district: Unit, protocol: Protocol) -> ProtocolChoice:
    """The version applied to NEW measures from now on; measures already placed keep theirs."""
    require_actor(actor)
    if district.level != UnitLevel.DISTRICT:
        raise PermissionDenied("只有区/县指挥部可以选择防控方案")
    require(actor, Capability.PROTOCOLS_MANAGE, district)
    if protocol.district_id not in (None, district.pk):
        raise ValidationError("不能使用其他区县的地方版本")
    before = protocol_for(district)
    choice, _ = ProtocolChoice.objects.update_or_create(
        district=district, defaults={"protocol": protocol, "chosen_by": actor, "chosen_at": timezone.now()}
    )
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=choice,
        unit=district,
        before={"protocol": before.code},
        after={"protocol": protocol.code},
        reason="选择防控方案",
    )
    return choice


def copy_protocol(
    *, actor: User, district: Unit, source: Protocol, code: str, name: str, changes: dict[str, list[dict]]
) -> Protocol:
    """A local variant (e.g. 14+7 → 7+7): the source's rules, with the phases of some subjects replaced."""
    require_actor(actor)
    if district.level != UnitLevel.DISTRICT:
        raise PermissionDenied("只有区/县指挥部可以制定地方版本")
    require(actor, Capability.PROTOCOLS_MANAGE, district)
    for subject, phases in changes.items():
        if subject not in Subject.values:
            raise ValidationError(f"无效的管控对象：{subject}")
        validate_phases(phases)
    if Protocol.objects.filter(code=code).exists():
        raise ValidationError(f"方案代码 {code} 已被使用")
    variant = Protocol.objects.create(
        code=code,
        name=name,
        issued_on=timezone.localdate(),
        district=district,
        based_on=source,
        floor_restart=source.floor_restart,
        lookback_days=source.lookback_days,
    )
    for rule in source.rules.all():
        ProtocolRule.objects.create(
            protocol=variant,
            subject=rule.subject,
            anchor=rule.anchor,
            phases=changes.get(rule.subject, rule.phases),
            double_sample=rule.double_sample,
        )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=variant,
        unit=district,
        after={"based_on": source.code, "changes": changes},
    )
    return variant


# ---------------------------------------------------------------- the plan


@dataclass
class Plan:
    anchor_date: datetime.date
    start_date: datetime.date
    end_date: datetime.date
    phases: list[dict]  # kind, start, end (ISO dates), checks_per_day
    tests: list[tuple[datetime.date, int, bool]] = field(default_factory=list)  # date, plan day, double sample


def compute_plan(rule: ProtocolRule, *, anchor_date: datetime.date, start_date: datetime.date) -> Plan:
    """Day N of a measure is anchor + N days (the anchor day is day 0). Days already passed elsewhere count
    (缺几天补几天): the measure ends when the protocol says, counted from the anchor; tests before the
    placement are not scheduled. A measure anchored on its placement starts on day 1."""
    if rule.anchor == Anchor.PLACEMENT:
        anchor_date = start_date - datetime.timedelta(days=1)
    if start_date <= anchor_date:
        raise ValidationError("落实管控日期不能早于或等于起算日（末次暴露/离开风险区/抵达）")
    phases, tests, offset = [], [], 0
    for item in rule.phases:
        first = anchor_date + datetime.timedelta(days=offset + 1)
        last = anchor_date + datetime.timedelta(days=offset + item["days"])
        phases.append(
            {
                "kind": item["kind"],
                "start": first.isoformat(),
                "end": last.isoformat(),
                "checks_per_day": item["checks_per_day"],
            }
        )
        for day in item.get("tests", []):
            tests.append((anchor_date + datetime.timedelta(days=offset + day), offset + day, False))
        offset += item["days"]
    end_date = anchor_date + datetime.timedelta(days=offset)
    if start_date > end_date:
        raise ValidationError(f"按方案自 {anchor_date:%Y-%m-%d} 起算已于 {end_date:%Y-%m-%d} 期满，无需再落实管控")
    tests = [test for test in tests if test[0] >= start_date]
    if rule.double_sample:
        if tests and tests[-1][0] == end_date:
            tests[-1] = (tests[-1][0], tests[-1][1], True)
        else:
            tests.append((end_date, offset, True))  # 双采双检 before release
    return Plan(anchor_date, start_date, end_date, phases, tests)


def rule_for(protocol: Protocol, subject: str) -> ProtocolRule:
    rule = protocol.rules.filter(subject=subject).first()
    if rule is None:
        raise ValidationError(f"{protocol.name}未规定“{Subject(subject).label}”的管控措施，请选择其他方案或管控对象")
    return rule


# ---------------------------------------------------------------- measures


def _audited(measure: Measure) -> dict:
    return plain_values(snapshot(measure, Measure.AUDIT_FIELDS))


def place_under_measure(
    *,
    actor: User,
    person: Person,
    subject: str,
    anchor_date: datetime.date,
    unit: Unit | None = None,
    lead: Lead | None = None,
    start_date: datetime.date | None = None,
    protocol: Protocol | None = None,
) -> Measure:
    """Place a person under the measure the protocol gives (from a verified lead, or directly for a walk-in)."""
    require_actor(actor)
    unit = unit or person.unit
    require(actor, Capability.MEASURES_CHANGE, unit)
    today = timezone.localdate()
    start_date = start_date or today
    if start_date > today or anchor_date > today:
        raise ValidationError("日期不能晚于今天")
    protocol = protocol or protocol_for(unit.district())
    plan = compute_plan(rule_for(protocol, subject), anchor_date=anchor_date, start_date=start_date)
    try:
        with transaction.atomic():
            measure = Measure.objects.create(
                team=team_for(person.unit),
                person=person,
                lead=lead,
                unit=unit,
                protocol=protocol,
                subject=subject,
                anchor_date=plan.anchor_date,
                start_date=plan.start_date,
                end_date=plan.end_date,
                plan=plan.phases,
                created_by=actor,
            )
    except IntegrityError:
        raise ValidationError(f"{person.name}已在管控中：请转运、延长或重新计划现有措施") from None
    _schedule(measure, plan.tests)
    record_change(
        actor=actor, kind=ChangeKind.CREATE, instance=measure, unit=unit, after=_audited(measure), reason="落实管控"
    )
    return measure


def team_for(unit: Unit) -> GridTeam | None:
    """The grid team answering for a person's area: of the person's own unit (a grid), else of its community."""
    path_units = [unit.pk] + ([unit.parent_id] if unit.parent_id else [])
    teams = {team.unit_id: team for team in GridTeam.objects.filter(unit_id__in=path_units).order_by("id")}
    return teams.get(unit.pk) or (teams.get(unit.parent_id) if unit.parent_id else None)


HOME_KINDS = frozenset({PhaseKind.HOME_ISOLATION, PhaseKind.HOME_MONITORING, PhaseKind.COMMUNITY_MONITORING})


def without_team(measures, *, today: datetime.date) -> list[Measure]:
    """People isolated or monitored at home with no responsible team: nobody goes to their door."""
    return [m for m in measures if m.team_id is None and (m.phase_on(today) or {}).get("kind") in HOME_KINDS]


def set_door_sensor(*, actor: User, measure: Measure, device: str) -> Measure:
    require_actor(actor)
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    _active(measure)
    device = device.strip()[:64]
    if (
        device
        and Measure.objects.filter(door_sensor=device, status=MeasureStatus.ACTIVE).exclude(pk=measure.pk).exists()
    ):
        raise ValidationError("该门磁设备已绑定其他管控人员")
    before = {"door_sensor": measure.door_sensor}
    measure.door_sensor = device
    measure.save(update_fields=["door_sensor"])
    _log(actor, measure, before, "绑定门磁", after={"door_sensor": device})
    return measure


def door_alert(*, actor: User, measures, device: str, at: datetime.datetime) -> Measure | None:
    """A door sensor (门磁) opened: alert the community of the person behind that door, once a minute at most.
    `measures` is what the reporting gateway (`actor`) may see (its scope)."""
    require_actor(actor)
    measure = measures.filter(door_sensor=device, status=MeasureStatus.ACTIVE).select_related("person", "unit").first()
    if measure is None:
        return None
    local = timezone.localtime(at)
    _raise_alert(
        measure,
        actor=actor,
        kind=FollowUpKind.DOOR,
        key=f"door:{device}:{local:%Y%m%d%H%M}",
        title=f"门磁报警：{measure.person.name} {local:%H:%M} 开门",
        detail=f"{local:%m月%d日 %H:%M} 居家隔离期间开门（门磁 {device}）",
        advice="请包保小组立即上门核实。",
        now=at,
    )
    return measure


# How long the community has to act on an alert before the task shows as overdue on the board.
FOLLOW_UP_WITHIN: dict[str, datetime.timedelta] = {
    FollowUpKind.FEVER: datetime.timedelta(hours=2),
    FollowUpKind.DOOR: datetime.timedelta(minutes=30),
}


def _raise_alert(
    measure: Measure,
    *,
    actor: User,
    kind: str,
    key: str,
    title: str,
    detail: str,
    advice: str,
    now: datetime.datetime,
) -> FollowUp:
    """Notify the responsible community and open the follow-up task it must close (recorded as the reporter's
    change). The same alert twice (a re-entered check, a sensor repeating itself within the minute) is one task
    and one notice."""
    unit = _alert_unit(measure.unit)
    follow_up, created = FollowUp.objects.get_or_create(
        key=key,
        defaults={
            "measure": measure,
            "kind": kind,
            "detail": detail[:300],
            "unit": unit,
            "raised_at": now,
            "due_at": now + FOLLOW_UP_WITHIN[kind],
        },
    )
    if created:
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE,
            instance=follow_up,
            unit=unit,
            after={"kind": kind, "detail": follow_up.detail, "due_at": follow_up.due_at.isoformat()},
            reason=title,
        )
        notify(
            unit=unit,
            key=key,
            title=title,
            body=f"{measure.person.name}（{measure.get_subject_display()}）{detail}。{advice}",
            url=f"/control/{measure.uuid}/",
        )
    return follow_up


def close_follow_up(*, actor: User, follow_up: FollowUp, outcome: str, note: str = "") -> FollowUp:
    """The community says what it found; the task leaves the board. Closing twice is refused (the first stands)."""
    require_actor(actor)
    if outcome not in FollowUpOutcome.values:
        raise ValidationError("请选择处置结果")
    require_row(actor, Capability.MEASURES_CHANGE, follow_up.measure)
    now = timezone.now()
    closed = FollowUp.objects.filter(pk=follow_up.pk, handled_at__isnull=True).update(
        outcome=outcome, note=note.strip()[:300], handled_by=actor, handled_at=now
    )
    if not closed:
        raise ValidationError("该报警已处置")
    follow_up.refresh_from_db()
    _log(
        actor,
        follow_up.measure,
        {},
        f"处置{follow_up.get_kind_display()}",
        after={"follow_up": follow_up.pk, "outcome": outcome, "note": follow_up.note},
    )
    return follow_up


def open_follow_ups(measures):
    return (
        FollowUp.objects.filter(measure_id__in=measures, handled_at__isnull=True)
        .select_related("measure__person", "unit__parent")
        .order_by("due_at")
    )


def place_from_lead(*, actor: User, lead: Lead, anchor_date: datetime.date, subject: str | None = None) -> Measure:
    subject = subject or SUBJECT_OF_CATEGORY.get(lead.category)
    if subject is None:
        raise ValidationError("该协查任务的人员类别没有对应的管控对象，请选择")
    return place_under_measure(
        actor=actor, person=lead.person, subject=subject, anchor_date=anchor_date, unit=lead.unit, lead=lead
    )


def _active(measure: Measure) -> None:
    if measure.status != MeasureStatus.ACTIVE:
        raise ValidationError("该管控措施已解除或终止")


def record_test(
    *, actor: User, test: ScheduledTest, result: str, reason: str = "", now: datetime.datetime | None = None
) -> ScheduledTest:
    """A scheduled test's result. A positive ends the measure ("positive"): the person leaves for the case path."""
    require_actor(actor)
    now = now or timezone.now()
    measure = test.measure
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    _active(measure)
    if result not in {SampleResult.NEGATIVE, SampleResult.POSITIVE, SampleResult.NOT_DONE}:
        raise ValidationError("请选择检测结果")
    if test.day > timezone.localdate(now):
        raise ValidationError("不能登记以后日期的检测结果")
    if result == SampleResult.NOT_DONE and not reason.strip():
        raise ValidationError("未检测须说明原因")
    before = {"result": test.result}
    test.result, test.reason = result, reason.strip()[:200]
    test.recorded_by, test.recorded_at = actor, now
    test.save(update_fields=["result", "reason", "recorded_by", "recorded_at"])
    _log(actor, measure, before, "核酸检测结果", after={"result": result, "day": test.day.isoformat()})
    if result == SampleResult.POSITIVE:
        _end(actor=actor, measure=measure, reason=EndReason.POSITIVE, now=now)
        restart_floor(actor=actor, positive=measure, day=timezone.localdate(now))
    return test


def floor_mates(measure: Measure) -> list:
    """Open stays on the positive person's floor and the floors above and below, in the same site."""
    return places().neighbours(measure)


def restart_floor(*, actor: User, positive: Measure, day: datetime.date) -> list[Measure]:
    """The older rule, a protocol option: a case in a site restarts the clock of everyone on its floor and the
    floors above and below — their anchor becomes the day the case was found. Returns the re-planned measures."""
    if not positive.protocol.floor_restart:
        return []
    replanned = []
    for stay in floor_mates(positive):
        measure = stay.measure
        if measure is None or measure.status != MeasureStatus.ACTIVE:
            continue
        restart_clock(actor=actor, measure=measure, anchor_date=day, reason=f"同层及上下层出现阳性（{stay.room}）")
        replanned.append(measure)
    return replanned


def restart_clock(*, actor: User, measure: Measure, anchor_date: datetime.date, reason: str) -> Measure:
    """A new exposure: the plan is counted again from `anchor_date`; recorded results stay."""
    require_actor(actor)
    _active(measure)
    rule = rule_for(measure.protocol, measure.subject)
    plan = compute_plan(rule, anchor_date=anchor_date, start_date=anchor_date + datetime.timedelta(days=1))
    return _apply_plan(actor=actor, measure=measure, plan=plan, reason=f"重新计时：{reason[:150]}")


def _apply_plan(*, actor: User, measure: Measure, plan: Plan, reason: str, protocol: Protocol | None = None) -> Measure:
    """Put a measure on a new plan: recorded test results stay, the tests still to come follow the new plan."""
    before = _audited(measure)
    measure.protocol = protocol or measure.protocol
    measure.anchor_date, measure.plan, measure.end_date = plan.anchor_date, plan.phases, plan.end_date
    measure.save(update_fields=["protocol", "anchor_date", "plan", "end_date"])
    recorded = set(measure.tests.exclude(result="").values_list("day", flat=True))
    measure.tests.filter(result="").delete()
    _schedule(measure, [test for test in plan.tests if test[0] not in recorded])
    _log(actor, measure, before, reason)
    return measure


def _schedule(measure: Measure, tests: list[tuple[datetime.date, int, bool]]) -> None:
    ScheduledTest.objects.bulk_create(
        ScheduledTest(measure=measure, day=day, plan_day=number, double_sample=double) for day, number, double in tests
    )


def _log(actor: User, measure: Measure, before: dict, reason: str, after: dict | None = None) -> None:
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=measure,
        unit=measure.unit,
        before=before,
        after=after if after is not None else _audited(measure),
        reason=reason,
    )


def release_blockers(measure: Measure, *, today: datetime.date | None = None) -> list[str]:
    """Why the measure cannot be released yet (empty: it can)."""
    today = today or timezone.localdate()
    blockers = []
    if today < measure.end_date:
        blockers.append(f"管控期至 {measure.end_date:%Y-%m-%d}")
    for test in measure.tests.all():
        if test.result != SampleResult.NEGATIVE:
            label = "双采双检" if test.double_sample else "核酸检测"
            state = SampleResult(test.result).label if test.result else "未登记结果"
            blockers.append(f"第 {test.plan_day} 天（{test.day:%m-%d}）{label}：{state}")
    return blockers


def release(*, actor: User, measure: Measure, now: datetime.datetime | None = None) -> Measure:
    """解除管控: only when the period is over and every scheduled test is done and negative."""
    require_actor(actor)
    require_row(actor, Capability.MEASURES_RELEASE, measure)
    now = now or timezone.now()
    _active(measure)
    blockers = release_blockers(measure, today=timezone.localdate(now))
    if blockers:
        raise ValidationError("暂不能解除：" + "；".join(blockers))
    before = _audited(measure)
    measure.status, measure.ended_at = MeasureStatus.RELEASED, now
    measure.save(update_fields=["status", "ended_at"])
    _log(actor, measure, before, "解除管控")
    return measure


def undo_end(*, actor: User, measure: Measure, now: datetime.datetime | None = None) -> Measure:
    """The district takes back a release or an early end made by mistake, within a day: the measure is active
    again as it was. A positive end is not taken back here (the case path has started from it)."""
    require_actor(actor)
    require_row(actor, Capability.UNDO, measure)
    now = now or timezone.now()
    if measure.status == MeasureStatus.ACTIVE or measure.ended_at is None:
        raise ValidationError("该管控措施未解除或终止，无需撤销")
    if measure.end_reason == EndReason.POSITIVE:
        raise ValidationError("核酸阳性的终止不能撤销：请按病例处置流程更正")
    if now - measure.ended_at > datetime.timedelta(hours=UNDO_WINDOW_HOURS):
        raise ValidationError(f"只能撤销 {UNDO_WINDOW_HOURS} 小时内的解除或终止")
    before = {**_audited(measure), "end_reason": measure.end_reason, "ended_at": measure.ended_at.isoformat()}
    # Conditional: two officers taking it back at once restore it once; a new measure since blocks it.
    try:
        with transaction.atomic():
            changed = Measure.objects.filter(pk=measure.pk, status=measure.status, ended_at=measure.ended_at).update(
                status=MeasureStatus.ACTIVE, end_reason="", ended_at=None
            )
    except IntegrityError:
        raise ValidationError(f"{measure.person.name}已有新的管控措施，不能撤销") from None
    if not changed:
        raise ValidationError("该管控措施刚被他人改动，请刷新后再试")
    measure.status, measure.end_reason, measure.ended_at = MeasureStatus.ACTIVE, "", None
    _log(actor, measure, before, "撤销解除/终止（误操作）", after={**_audited(measure), "end_reason": ""})
    return measure


def end_measure(*, actor: User, measure: Measure, reason: str, now: datetime.datetime | None = None) -> Measure:
    """End early: hospitalised, positive, left the area, wrongly identified (a decision like a release)."""
    require_actor(actor)
    require_row(actor, Capability.MEASURES_RELEASE, measure)
    return _end(actor=actor, measure=measure, reason=reason, now=now)


def _end(*, actor: User, measure: Measure, reason: str, now: datetime.datetime | None = None) -> Measure:
    _active(measure)
    if reason not in EndReason.values:
        raise ValidationError("请选择终止原因")
    before = _audited(measure)
    measure.status, measure.end_reason, measure.ended_at = MeasureStatus.ENDED, reason, now or timezone.now()
    measure.save(update_fields=["status", "end_reason", "ended_at"])
    _log(
        actor,
        measure,
        before,
        f"提前终止：{EndReason(reason).label}",
        after={**_audited(measure), "end_reason": reason},
    )
    return measure


def extend(*, actor: User, measure: Measure, days: int, reason: str) -> Measure:
    """Lengthen the last phase by `days`, with a test on the new last day."""
    require_actor(actor)
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    _active(measure)
    if not 1 <= days <= MAX_PHASE_DAYS:
        raise ValidationError(f"延长天数应为 1–{MAX_PHASE_DAYS}")
    if not reason.strip():
        raise ValidationError("延长管控须说明原因")
    before = _audited(measure)
    measure.end_date += datetime.timedelta(days=days)
    phases = [dict(item) for item in measure.plan]
    phases[-1]["end"] = measure.end_date.isoformat()
    measure.plan = phases
    measure.save(update_fields=["end_date", "plan"])
    offset = (measure.end_date - measure.anchor_date).days
    ScheduledTest.objects.create(measure=measure, day=measure.end_date, plan_day=offset)
    _log(actor, measure, before, f"延长 {days} 天：{reason.strip()[:150]}")
    return measure


def replan(*, actor: User, measure: Measure, protocol: Protocol, reason: str) -> Measure:
    """Put an existing measure under another protocol version (a deliberate, logged act): the plan is computed
    again from the same anchor; recorded test results stay, tests still to come follow the new plan."""
    require_actor(actor)
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    _active(measure)
    if not reason.strip():
        raise ValidationError("重新计划须说明原因")
    rule = rule_for(protocol, measure.subject)
    plan = compute_plan(rule, anchor_date=measure.anchor_date, start_date=measure.start_date)
    reason = f"改按{protocol.name}重新计划：{reason.strip()[:120]}"
    return _apply_plan(actor=actor, measure=measure, plan=plan, reason=reason, protocol=protocol)


# ---------------------------------------------------------------- health checks

FEVER = Decimal("37.3")
TEMPERATURE_RANGE = (Decimal("34.0"), Decimal("43.0"))
EVENING_FROM = datetime.time(12, 0)  # the morning check is missed once the day is half gone


@dataclass
class CheckEntry:
    measure: Measure
    temperature: str
    symptoms: str = ""


def record_checks(
    *, actor: User, day: datetime.date, slot: int, entries: list[CheckEntry], now: datetime.datetime | None = None
) -> tuple[list[HealthCheck], dict[int, str]]:
    """Record a round of checks (a floor, a list) at once. Good rows are saved, bad ones come back with their
    reason by measure id; a fever (≥ 37.3 °C) or a symptom alerts the responsible unit at once."""
    require_actor(actor)
    now = now or timezone.now()
    if day > timezone.localdate(now):
        raise ValidationError("不能登记以后日期的健康监测")
    if slot not in (1, 2):
        raise ValidationError("每日监测为第 1 次（上午）或第 2 次（下午）")
    saved, problems = [], {}
    allowed = set(
        Measure.objects.restrict(actor, Capability.MEASURES_CHANGE)
        .filter(pk__in=[entry.measure.pk for entry in entries])
        .values_list("pk", flat=True)
    )
    for entry in entries:
        measure = entry.measure
        try:
            temperature = Decimal(str(entry.temperature).strip())
        except InvalidOperation:
            temperature = None
        if temperature is None or not temperature.is_finite():  # "NaN" and "Infinity" parse, and NaN cannot compare
            problems[measure.pk] = "体温应为数字，如 36.5"
            continue
        # The range first: 1e30 is finite, and rounding it to tenths overflows the decimal context.
        if not TEMPERATURE_RANGE[0] - Decimal("0.05") <= temperature < TEMPERATURE_RANGE[1] + Decimal("0.05"):
            problems[measure.pk] = "体温超出 34.0–43.0 ℃，请核对"
            continue
        temperature = temperature.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)  # as the column keeps it
        phase = measure.phase_on(day)
        if measure.status != MeasureStatus.ACTIVE or phase is None:
            problems[measure.pk] = "该日不在管控期内"
            continue
        if slot > phase["checks_per_day"]:
            problems[measure.pk] = "该阶段每日只需监测一次"
            continue
        if measure.pk not in allowed:
            problems[measure.pk] = "不在您的管辖范围内"
            continue
        check, created = HealthCheck.objects.update_or_create(
            measure=measure,
            day=day,
            slot=slot,
            defaults={"temperature": temperature, "symptoms": entry.symptoms.strip()[:200], "recorded_by": actor},
        )
        saved.append(check)
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE if created else ChangeKind.UPDATE,
            instance=measure,
            unit=measure.unit,
            after={"day": day.isoformat(), "slot": slot, "temperature": str(temperature), "symptoms": check.symptoms},
            reason="健康监测",
        )
        if temperature >= FEVER or check.symptoms:
            _raise_alert(
                measure,
                actor=actor,
                kind=FollowUpKind.FEVER,
                key=f"fever:{measure.pk}:{day.isoformat()}:{slot}",
                title=f"体温异常：{measure.person.name} {temperature}℃",
                detail=f"{day:%m月%d日}第 {slot} 次监测体温 {temperature}℃"
                f"{('，症状：' + check.symptoms) if check.symptoms else ''}",
                advice="请立即复核并安排采样、就医。",
                now=now,
            )
    return saved, problems


def _alert_unit(unit: Unit) -> Unit:
    """Alerts go to the village/community: grid teams work under its grants, a grid has no office of its own."""
    parent = unit.parent if unit.level == UnitLevel.GRID else None
    return parent if parent is not None else unit


@dataclass(frozen=True)
class MeasureFacts:
    """What the closed loop reads of a measure: its plan and dates, no person, no unit, no model instance (a
    district in an outbreak has 10⁴ of them; building those objects was most of the board's time)."""

    pk: int
    plan: list
    start_date: datetime.date
    end_date: datetime.date
    team_id: int | None

    def phase_on(self, day: datetime.date) -> dict | None:
        for phase in self.plan:
            if phase["start"] <= day.isoformat() <= phase["end"]:
                return phase
        return None


def _facts(measures) -> tuple[list[MeasureFacts], Any]:
    """Facts of `measures` (a queryset, or Measure objects) and what selects their ids in a query."""
    if isinstance(measures, QuerySet):
        rows = measures.values_list("pk", "plan", "start_date", "end_date", "team_id")
        return [MeasureFacts(*row) for row in rows], measures.values("pk")
    measures = list(measures)
    facts = [MeasureFacts(m.pk, m.plan, m.start_date, m.end_date, m.team_id) for m in measures]
    return facts, [fact.pk for fact in facts]


def _missed(facts: list[MeasureFacts], ids, *, now: datetime.datetime) -> dict[int, int]:
    local = timezone.localtime(now)
    today = local.date()
    recorded: dict[int, set] = {}
    for measure_id, day, slot in HealthCheck.objects.filter(measure_id__in=ids).values_list(
        "measure_id", "day", "slot"
    ):
        recorded.setdefault(measure_id, set()).add((day, slot))
    today_slots = 1 if local.time() >= EVENING_FROM else 0  # the morning check counts as missed from noon
    missed = {}
    for fact in facts:
        done = recorded.get(fact.pk, set())
        count = 0
        for phase in fact.plan:
            first = max(datetime.date.fromisoformat(phase["start"]), fact.start_date)
            last = min(datetime.date.fromisoformat(phase["end"]), today)
            day = first
            while day <= last:
                slots = today_slots if day == today else phase["checks_per_day"]
                count += sum(1 for slot in range(1, slots + 1) if (day, slot) not in done)
                day += datetime.timedelta(days=1)
        if count:
            missed[fact.pk] = count
    return missed


def missed_checks(measures, *, now: datetime.datetime | None = None) -> dict[int, int]:
    """Checks the plan required and nobody recorded, per measure id, up to now (today's morning check counts
    as missed from noon)."""
    facts, ids = _facts(measures)
    return _missed(facts, ids, now=now or timezone.now())


def checks_due(measures, *, day: datetime.date, slot: int) -> int:
    """People whose plan asks for check `slot` on `day` and who have none recorded yet: what is left of a
    round (the checks page lists the same people, with those done)."""
    facts, ids = _facts(measures.filter(start_date__lte=day, end_date__gte=day))
    done = set(HealthCheck.objects.filter(measure_id__in=ids, day=day, slot=slot).values_list("measure_id", flat=True))
    return sum(
        1 for fact in facts if fact.pk not in done and slot <= (fact.phase_on(day) or {}).get("checks_per_day", 0)
    )


@dataclass
class ClosedLoop:
    """Where everyone under a measure stands today, and what is overdue, by measure id: the board lists it
    (control.board loads the people of the page it shows), the home page counts it."""

    missed_checks: list[tuple[int, int]]  # measure id, checks missed
    missed_tests: list[tuple[int, datetime.date]]  # measure id, the day of the test
    release_overdue: list[tuple[int, datetime.date]]  # measure id, its end date
    without_team: list[tuple[int, datetime.date]]  # measure id, its start date
    follow_ups: list[FollowUp]
    counts: dict[str, int]

    @property
    def overdue_items(self) -> int:
        late_follow_ups = sum(1 for item in self.follow_ups if item.due_at < timezone.now())
        return (
            len(self.missed_checks)
            + len(self.missed_tests)
            + len(self.release_overdue)
            + len(self.without_team)
            + late_follow_ups
        )


def closed_loop(measures, *, now: datetime.datetime | None = None) -> ClosedLoop:
    """`measures`: the active measures in the viewer's scope (already restricted), as a queryset: read as
    plain rows, with the checks and tests selected by a subquery of their ids."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    facts, ids = _facts(measures)
    missed = _missed(facts, ids, now=now)
    kinds = [(fact.phase_on(today) or {}).get("kind") for fact in facts]
    return ClosedLoop(
        missed_checks=[(fact.pk, missed[fact.pk]) for fact in facts if fact.pk in missed],
        missed_tests=list(
            ScheduledTest.objects.filter(measure_id__in=ids, day__lt=today, result="")
            .order_by("day", "measure_id")
            .values_list("measure_id", "day")
        ),
        release_overdue=[(fact.pk, fact.end_date) for fact in facts if fact.end_date < today],
        without_team=[
            (fact.pk, fact.start_date)
            for fact, kind in zip(facts, kinds, strict=True)
            if fact.team_id is None and kind in HOME_KINDS
        ],
        follow_ups=list(open_follow_ups(ids)),
        counts={
            "centralised": kinds.count(PhaseKind.CENTRALISED),
            "home": kinds.count(PhaseKind.HOME_ISOLATION),
            "monitoring": kinds.count(PhaseKind.HOME_MONITORING) + kinds.count(PhaseKind.COMMUNITY_MONITORING),
            "entering": sum(1 for fact in facts if fact.start_date == today),
            "leaving": sum(1 for fact in facts if fact.end_date == today),
        },
    )


# ---------------------------------------------------------------- the case path


def transfer_to_hospital(*, actor: User, measure: Measure, hospital: str) -> CaseTransfer:
    """Record the positive person's transfer to the designated hospital (the measure has ended as positive)."""
    require_actor(actor)
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    if measure.status != MeasureStatus.ENDED or measure.end_reason != EndReason.POSITIVE:
        raise ValidationError("只有核酸阳性终止管控的人员转运定点医院")
    if not hospital.strip():
        raise ValidationError("请填写定点医院")
    if CaseTransfer.objects.filter(measure=measure).exists():
        raise ValidationError("已登记转运")
    transfer = CaseTransfer.objects.create(measure=measure, hospital=hospital.strip()[:100], transferred_by=actor)
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=measure,
        unit=measure.unit,
        after={"hospital": transfer.hospital},
        reason="转运定点医院",
    )
    return transfer


def contact_leads(*, actor: User, measure: Measure) -> int:
    """Close-contact leads for the positive person's floor-mates in a site (the contacts the system already
    knows); the others come in as pushed lists or are added by hand."""
    from fangxian.leads.choices import LeadSource
    from fangxian.leads.services import NewLead, create_leads

    require_actor(actor)
    require_row(actor, Capability.MEASURES_CHANGE, measure)
    if measure.end_reason != EndReason.POSITIVE:
        raise ValidationError("只有阳性人员需要生成密接协查任务")
    open_pairs = set(
        Lead.objects.filter(status="open", category=LeadCategory.CLOSE_CONTACT).values_list("person_id", flat=True)
    )
    wanted = [
        NewLead(
            person_id=stay.person_id,
            person_name=stay.person.name,
            category=LeadCategory.CLOSE_CONTACT,
            unit_id=stay.measure.unit_id if stay.measure else stay.person.unit_id,
            pushed_data={"来源": f"{measure.person.name}阳性，同层及上下层（{stay.room}）"},
        )
        for stay in floor_mates(measure)
        if stay.person_id not in open_pairs
    ]
    return create_leads(
        actor=actor,
        leads=wanted,
        source=LeadSource.CASE_TRACING,
        received_at=timezone.now(),
        reason=f"{measure.person.name}核酸阳性：同层密接",
    )
