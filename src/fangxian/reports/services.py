"""Daily reports and zero reports (日报、零报告制度): forms as data, filing, completeness, reminders.
Services never commit: callers own atomic()."""

import calendar
import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor, snapshot
from fangxian.core.capabilities import Capability, required_for
from fangxian.core.choices import ChangeKind, UnitLevel
from fangxian.core.models import Notification, Unit, User, district_path_of
from fangxian.core.notify import notify
from fangxian.core.scoping import require, scope_paths
from fangxian.reports import figures
from fangxian.reports.choices import FILING_COLOURS, REMINDER_MINUTES, FieldKind, Filing
from fangxian.reports.models import Report, ReportField, ReportForm

REPORTING_LEVELS = (UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY, UnitLevel.GRID)
MAX_TEXT = 2000
MAX_INTEGER = 10**9


@dataclass(frozen=True)
class FieldSpec:
    key: str
    label: str
    kind: str
    required: bool = True
    choices: tuple[str, ...] = ()
    figure: str = ""
    locked: bool = False


def create_form(
    *,
    actor: User,
    district: Unit,
    name: str,
    due_time: datetime.time,
    levels: list[str],
    fields: list[FieldSpec],
) -> ReportForm:
    require_actor(actor)
    require(actor, Capability.REPORT_FORMS_MANAGE, district)
    if district.level != UnitLevel.DISTRICT:
        raise ValidationError("报表由区/县指挥部设置")
    if not name.strip():
        raise ValidationError({"name": "请填写报表名称"})
    if not levels or any(level not in REPORTING_LEVELS for level in levels):
        raise ValidationError({"levels": "请选择报送单位层级（镇/街道、村/社区或网格）"})
    if not fields:
        raise ValidationError("报表至少需要一个填报项")
    keys = [spec.key for spec in fields]
    if len(set(keys)) != len(keys):
        raise ValidationError("填报项代码重复")
    for spec in fields:
        if spec.kind not in FieldKind.values:
            raise ValidationError(f"填报项“{spec.label}”类型无效")
        if spec.kind == FieldKind.CHOICE and len(spec.choices) < 2:
            raise ValidationError(f"选项类填报项“{spec.label}”至少需要两个选项")
        if spec.figure and (spec.figure not in figures.FIGURES or spec.kind != FieldKind.INTEGER):
            raise ValidationError(f"填报项“{spec.label}”：只有整数项可以取自系统数据")
    form = ReportForm.objects.create(
        district=district, name=name.strip(), due_time=due_time, levels=list(levels), created_by=actor
    )
    ReportField.objects.bulk_create(
        ReportField(
            form=form,
            key=spec.key,
            label=spec.label,
            kind=spec.kind,
            required=spec.required,
            choices=list(spec.choices),
            figure=spec.figure,
            locked=spec.locked and bool(spec.figure),
            position=position,
        )
        for position, spec in enumerate(fields)
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=form,
        unit=district,
        after={**snapshot(form, ["name", "due_time", "levels"]), "fields": keys},
    )
    return form


def forms_for(user, wanted: str = "view"):
    """The active forms of the districts the user works in: a township officer files the district's forms."""
    if user.is_superuser:
        return ReportForm.objects.filter(is_active=True)
    districts = {district_path_of(path) for path in scope_paths(user, required_for(ReportForm, wanted))}
    return ReportForm.objects.filter(is_active=True, district__path__in=districts)


def forms_for_district(district: Unit):
    return ReportForm.objects.filter(is_active=True, district=district).order_by("name", "id")


def reporting_units(form: ReportForm):
    """Every active unit of the form's levels in its district, in code order."""
    return Unit.objects.filter(path__startswith=form.district.path, level__in=form.levels, is_active=True).order_by(
        "code"
    )


def due_at(form: ReportForm, day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, form.due_time))


def prefill(*, form: ReportForm, unit: Unit, day: datetime.date) -> dict:
    """The values the system already knows for this unit and day."""
    fields = list(form.fields.all())
    live = figures.live_values(unit, day, [field.figure for field in fields if field.figure])
    return {field.key: live[field.figure] for field in fields if field.figure in live}


def _clean(field: ReportField, raw) -> object:
    text = "" if raw is None else str(raw).strip()
    if not text:
        if field.required:
            raise ValidationError({field.key: f"“{field.label}”必填"})
        return 0 if field.kind == FieldKind.INTEGER else ""
    if field.kind == FieldKind.INTEGER:
        if not text.isdigit() or int(text) > MAX_INTEGER:
            raise ValidationError({field.key: f"“{field.label}”应为不小于 0 的整数"})
        return int(text)
    if field.kind == FieldKind.CHOICE:
        if text not in field.choices:
            raise ValidationError({field.key: f"“{field.label}”请从选项中选择"})
        return text
    if len(text) > MAX_TEXT:
        raise ValidationError({field.key: f"“{field.label}”不超过 {MAX_TEXT} 字"})
    return text


def file_report(
    *,
    actor: User,
    form: ReportForm,
    unit: Unit,
    day: datetime.date,
    values: dict | None = None,
    zero: bool = False,
    now: datetime.datetime | None = None,
) -> Report:
    """File (or amend) a unit's report for a day. Locked figures always take the live value. A zero report
    needs no input: it is refused when the system holds a non-zero figure for the unit."""
    require_actor(actor)
    require(actor, Capability.REPORTS_FILE, unit)
    now = now or timezone.now()
    if unit.level not in form.levels or not unit.path.startswith(form.district.path):
        raise ValidationError("该单位不需要报送此报表")
    if day > timezone.localdate(now):
        raise ValidationError("不能提前报送以后日期的报表")
    fields = list(form.fields.all())
    live = prefill(form=form, unit=unit, day=day)
    given = values or {}
    cleaned: dict[str, object] = {}
    errors: dict[str, list[str]] = {}
    for field in fields:
        if zero:
            cleaned[field.key] = live.get(field.key, 0) if field.kind == FieldKind.INTEGER else ""
            continue
        if field.locked:
            cleaned[field.key] = live.get(field.key, 0)
            continue
        try:
            cleaned[field.key] = _clean(field, given.get(field.key))
        except ValidationError as error:
            for key, messages in error.message_dict.items():
                errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if zero:
        nonzero = [field.label for field in fields if cleaned.get(field.key)]
        if nonzero:
            raise ValidationError(f"系统中有数据（{'、'.join(nonzero)}），不能零报告，请逐项填报")
    late = now > due_at(form, day)
    existing = Report.objects.filter(form=form, unit=unit, day=day).first()
    if existing is None:
        try:
            with transaction.atomic():
                report = Report.objects.create(
                    form=form,
                    unit=unit,
                    day=day,
                    values=cleaned,
                    is_zero=zero,
                    late=late,
                    filed_by=actor,
                    filed_at=now,
                )
        except IntegrityError:
            raise ValidationError("该单位当日已报送（刚刚由他人提交），请刷新后查看") from None
        record_change(actor=actor, kind=ChangeKind.CREATE, instance=report, unit=unit, after=_audited(report))
        return report
    # An amendment keeps the first filing time: lateness is judged on when the unit first reported.
    before = _audited(existing)
    existing.values, existing.is_zero = cleaned, zero
    existing.save(update_fields=["values", "is_zero"])
    record_change(
        actor=actor, kind=ChangeKind.UPDATE, instance=existing, unit=unit, before=before, after=_audited(existing)
    )
    return existing


def _audited(report: Report) -> dict:
    return {"values": report.values, "is_zero": report.is_zero, "day": report.day.isoformat()}


@dataclass
class Standing:
    unit: Unit
    filing: str
    report: Report | None

    @property
    def label(self) -> str:
        return str(Filing(self.filing).label)

    @property
    def colour(self) -> str:
        return FILING_COLOURS[self.filing]


def completeness(
    *, form: ReportForm, day: datetime.date, units=None, now: datetime.datetime | None = None
) -> list[Standing]:
    """Each reporting unit's standing for the day: on time, late, missing (past the due time), or still due."""
    now = now or timezone.now()
    units = list(units if units is not None else reporting_units(form))
    reports = {
        report.unit_id: report for report in Report.objects.filter(form=form, day=day).select_related("filed_by")
    }
    past_due = now > due_at(form, day)
    rows = []
    for unit in units:
        report = reports.get(unit.pk)
        if report is not None:
            filing = Filing.LATE if report.late else Filing.ON_TIME
        else:
            filing = Filing.MISSING if past_due else Filing.DUE
        rows.append(Standing(unit, filing, report))
    return rows


def monthly_record(
    *, form: ReportForm, year: int, month: int, units=None, now: datetime.datetime | None = None
) -> list[dict]:
    """Per unit over a month: days on time, late and missing, best first (亮绩、赛进度). A day counts once its
    due time has passed (today's too); a month with no such day has no rate (None), not 100 %."""
    now = now or timezone.now()
    last = calendar.monthrange(year, month)[1]
    days = [datetime.date(year, month, day) for day in range(1, last + 1)]
    days = [day for day in days if due_at(form, day) <= now and day >= timezone.localdate(form.created_at)]
    units = list(units if units is not None else reporting_units(form))
    filed = Report.objects.filter(form=form, day__in=days, unit__in=units).values_list("unit_id", "late")
    tally = {unit.pk: {"unit": unit, "on_time": 0, "late": 0, "missing": 0} for unit in units}
    for unit_id, late in filed:
        tally[unit_id]["late" if late else "on_time"] += 1
    for row in tally.values():
        row["missing"] = len(days) - row["on_time"] - row["late"]
        row["rate"] = round(100 * row["on_time"] / len(days)) if days else None
    return sorted(tally.values(), key=lambda row: (-row["on_time"], row["missing"], row["unit"].code))


def remind_due(*, now: datetime.datetime | None = None) -> int:
    """Remind every unit that has not filed today's reports in the hour before the due time, once per day."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = 0
    for form in ReportForm.objects.filter(is_active=True).select_related("district"):
        deadline = due_at(form, today)
        if not deadline - datetime.timedelta(minutes=REMINDER_MINUTES) <= now < deadline:
            continue
        for standing in completeness(form=form, day=today, now=now):
            if standing.filing != Filing.DUE:
                continue
            key = f"report-due:{form.pk}:{standing.unit.pk}:{today.isoformat()}"
            if Notification.objects.filter(key=key).exists():
                continue
            notify(
                unit=standing.unit,
                key=key,
                title=f"{form.name}：今日 {form.due_time:%H:%M} 前报送",
                body=f"{standing.unit.name}尚未报送 {today:%m月%d日} 的{form.name}；无情况请点“零报告”。",
                url=f"/reports/file/?form={form.uuid}&unit={standing.unit.code}",
            )
            sent += 1
    return sent
