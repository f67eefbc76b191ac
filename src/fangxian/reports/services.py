"""Daily reports and zero reports (日报、零报告制度): forms as data, filing, completeness, reminders.
Services never commit: callers own atomic()."""

import calendar
import datetime
from dataclasses import dataclass

from django.conf import settings
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
from fangxian.reports.choices import BRIEFING_TEXTS, FILING_COLOURS, REMINDER_MINUTES, BriefingStatus, FieldKind, Filing
from fangxian.reports.models import Briefing, Report, ReportField, ReportForm

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
    *, form: ReportForm, year: int, month: int, units=None, today: datetime.date | None = None
) -> list[dict]:
    """Per unit over a month (up to today): days on time, late and missing, best first (亮绩、赛进度)."""
    today = today or timezone.localdate()
    last = calendar.monthrange(year, month)[1]
    days = [datetime.date(year, month, day) for day in range(1, last + 1)]
    days = [day for day in days if day < today and day >= timezone.localdate(form.created_at)]
    units = list(units if units is not None else reporting_units(form))
    filed = Report.objects.filter(form=form, day__in=days, unit__in=units).values_list("unit_id", "late")
    tally = {unit.pk: {"unit": unit, "on_time": 0, "late": 0, "missing": 0} for unit in units}
    for unit_id, late in filed:
        tally[unit_id]["late" if late else "on_time"] += 1
    for row in tally.values():
        row["missing"] = len(days) - row["on_time"] - row["late"]
        row["rate"] = round(100 * row["on_time"] / len(days)) if days else 100
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


# ---------------------------------------------------------------- the daily briefing (防控日报/通报)

BRIEFING_DIR_NAME = "briefings"
BRIEFING_HOUR = 18  # the scheduled draft: the evening's briefing from the day's figures


def _briefing_figures(district: Unit, day: datetime.date, now: datetime.datetime) -> dict:
    from fangxian.dashboard import services as dashboard

    data = dashboard.snapshot(unit=district, now=now)
    t = data["totals"]
    reports = []
    for form in forms_for_district(district):
        rows = completeness(form=form, day=day, now=now)
        tally = {value: 0 for value in Filing.values}
        for row in rows:
            tally[row.filing] += 1
        reports.append(
            {
                "form": form.name,
                **tally,
                "missing_units": [row.unit.name for row in rows if row.filing == Filing.MISSING],
                "late_units": [row.unit.name for row in rows if row.filing == Filing.LATE],
            }
        )
    areas = "、".join(f"{area['level_label']}{area['name']}" for area in data["risk_areas"])
    reports_text = "；".join(
        f"{item['form']}应报 {item['on_time'] + item['late'] + item['missing'] + item['due']} 个单位，按时 "
        f"{item['on_time']} 个、迟报 {item['late']} 个、未报 {item['missing']} 个"
        + (f"（未报：{'、'.join(item['missing_units'])}）" if item["missing_units"] else "")
        for item in reports
    )
    return {
        "at": timezone.localtime(now).isoformat(),
        "totals": t,
        "children": data["children"],
        "risk_areas": data["risk_areas"],
        "reports": reports,
        "leads_text": (
            f"当日接收协查任务 {t['leads_received_today']} 条，核查办结 {t['leads_verified_today']} 条；"
            f"在办 {t['leads_open']} 条，其中超过核查时限 {t['leads_overdue']} 条。各镇（街道）情况见下表。"
        ),
        "control_text": (
            f"在管控 {t['under_centralised'] + t['under_home_isolation'] + t['under_monitoring']} 人：集中隔离 "
            f"{t['under_centralised']} 人，居家隔离 {t['under_home_isolation']} 人，健康监测 {t['under_monitoring']} 人；"
            f"期满未解除 {t['release_overdue']} 人。集中隔离点房间已用 {data['rooms']['used']} 间、空闲 "
            f"{data['rooms']['free']} 间、待消杀 {data['rooms']['cleaning']} 间，储备 {data['rooms']['reserve']} 间。"
        ),
        "testing_text": (
            f"当日采样 {data['testing']['sampled_today']:,} 人（{data['testing']['tubes_today']:,} 管），待出结果 "
            f"{data['testing']['tubes_pending']:,} 管；混管阳性（含无效）{data['testing']['positive_pools_today']} 管，"
            f"就地管控待单采复核 {data['testing']['held']} 人。"
        ),
        "reports_text": (reports_text + "。") if reports_text else "未设置日报。",
        "risk_text": f"在控风险区 {len(data['risk_areas'])} 个" + (f"：{areas}" if areas else ""),
    }


def _default_texts(district: Unit, figures: dict, now: datetime.datetime) -> dict:
    t = figures["totals"]
    local = timezone.localtime(now)
    overall = (
        f"截至{local.month}月{local.day}日{local.hour}时，全{district.name[-1]}登记在册人员 {t['persons']:,} 人。"
        f"当日接收协查任务 {t['leads_received_today']} 条，核查办结 {t['leads_verified_today']} 条，"
        f"在办 {t['leads_open']} 条。{figures['risk_text']}。"
    )
    problems = []
    late = [row for row in figures["children"] if row["leads_overdue"]]
    if late:
        names = "、".join(f"{row['name']}（{row['leads_overdue']} 条）" for row in late)
        problems.append(f"{len(late)} 个镇（街道）有超过核查时限的协查任务：{names}。")
    for item in figures["reports"]:
        if item["missing_units"]:
            problems.append(f"{'、'.join(item['missing_units'])}未按时报送{item['form']}。")
    ordinals = "一二三四五六七八九十"
    problem_text = (
        "\n".join(f"{ordinals[i]}是{text}" for i, text in enumerate(problems)) if problems else "当日未发现突出问题。"
    )
    next_steps = (
        "一是对超时未核查的协查任务逐条督办、限时销号，确保失管漏管为零。\n"
        "二是严格落实日报、零报告制度，各单位按时报送，无情况报零。\n"
        "三是持续做好风险区来返人员排查，做到应查尽查、不漏一人。"
    )
    return {"overall": overall, "problems": problem_text, "next_steps": next_steps}


def draft_briefing(
    *, actor: User, district: Unit, day: datetime.date | None = None, now: datetime.datetime | None = None
) -> Briefing:
    """Today's (or `day`'s) briefing with fresh figures. Texts already edited are kept; new drafts get texts
    written from the figures. An issued briefing is never changed."""
    require_actor(actor)
    require(actor, Capability.BRIEFINGS_WRITE, district)
    now = now or timezone.now()
    day = day or timezone.localdate(now)
    if district.level != UnitLevel.DISTRICT:
        raise ValidationError("防控日报由区/县指挥部生成")
    briefing = Briefing.objects.select_for_update().filter(district=district, day=day).first()
    if briefing is not None and briefing.status == BriefingStatus.ISSUED:
        raise ValidationError("该日日报已印发，不能再修改")
    figures = _briefing_figures(district, day, now)
    if briefing is None:
        number = Briefing.objects.filter(district=district).count() + 1
        briefing = Briefing.objects.create(
            district=district, day=day, number=number, figures=figures, texts=_default_texts(district, figures, now)
        )
        record_change(
            actor=actor, kind=ChangeKind.CREATE, instance=briefing, unit=district, after={"day": day.isoformat()}
        )
        return briefing
    briefing.figures, briefing.drafted_at = figures, now
    briefing.save(update_fields=["figures", "drafted_at"])
    return briefing


def edit_briefing(*, actor: User, briefing: Briefing, texts: dict) -> Briefing:
    require_actor(actor)
    require(actor, Capability.BRIEFINGS_WRITE, briefing.district)
    if briefing.status == BriefingStatus.ISSUED:
        raise ValidationError("已印发的日报不能修改")
    cleaned = {key: str(texts.get(key, "")).strip()[: MAX_TEXT * 2] for key in BRIEFING_TEXTS}
    if not cleaned["overall"]:
        raise ValidationError({"overall": "总体情况不能为空"})
    before = dict(briefing.texts)
    briefing.texts = cleaned
    briefing.save(update_fields=["texts"])
    record_change(
        actor=actor, kind=ChangeKind.UPDATE, instance=briefing, unit=briefing.district, before=before, after=cleaned
    )
    return briefing


def issue_briefing(*, actor: User, briefing: Briefing) -> Briefing:
    """Write the .docx and .xlsx and mark the briefing issued: what was sent is kept as it was."""
    from fangxian.reports import documents

    require_actor(actor)
    require(actor, Capability.BRIEFINGS_WRITE, briefing.district)
    if briefing.status == BriefingStatus.ISSUED:
        raise ValidationError("该日报已印发")
    folder = settings.VAR_DIR / BRIEFING_DIR_NAME
    folder.mkdir(parents=True, exist_ok=True)
    docx = folder / f"{briefing.uuid}.docx"
    xlsx = folder / f"{briefing.uuid}.xlsx"
    docx.write_bytes(documents.build_docx(briefing))
    xlsx.write_bytes(documents.build_xlsx(briefing))
    briefing.status, briefing.issued_by, briefing.issued_at = BriefingStatus.ISSUED, actor, timezone.now()
    briefing.docx_path, briefing.xlsx_path = str(docx), str(xlsx)
    briefing.save(update_fields=["status", "issued_by", "issued_at", "docx_path", "xlsx_path"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=briefing,
        unit=briefing.district,
        before={"status": BriefingStatus.DRAFT},
        after={"status": BriefingStatus.ISSUED},
    )
    return briefing


def draft_due_briefings(*, actor: User, now: datetime.datetime | None = None) -> int:
    """The scheduled run: from BRIEFING_HOUR, a draft for every district that has none for today yet."""
    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < BRIEFING_HOUR:
        return 0
    drafted = 0
    for district in Unit.objects.filter(level=UnitLevel.DISTRICT, is_active=True):
        if not Briefing.objects.filter(district=district, day=local.date()).exists():
            draft_briefing(actor=actor, district=district, now=now)
            drafted += 1
    return drafted
