"""The daily briefing (防控日报/通报): drafted from the day's situation figures and the report filings, edited,
issued (Word and Excel files kept), and drafted on schedule each evening. Services never commit: callers own
atomic()."""

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangxian.core.audit import record_change, require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind, UnitLevel
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.reports.choices import BRIEFING_TEXTS, BriefingStatus, Filing
from fangxian.reports.models import Briefing
from fangxian.reports.services import MAX_TEXT, completeness, forms_for_district
from fangxian.reports.situation import snapshot as situation

BRIEFING_DIR_NAME = "briefings"
BRIEFING_HOUR = 18  # the scheduled draft: the evening's briefing from the day's figures


def _briefing_figures(district: Unit, day: datetime.date, now: datetime.datetime) -> dict:
    data = situation(unit=district, now=now)
    t = data["totals"]
    reports = []
    for form in forms_for_district(district):
        if timezone.localdate(form.created_at) > day:
            continue  # set up after that day: nobody owed it then
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
    # Each line adds up: the units due = on time + late + missing + not yet due.
    reports_text = "；".join(
        f"{item['form']}应报 {item['on_time'] + item['late'] + item['missing'] + item['due']} 个单位，按时 "
        f"{item['on_time']} 个、迟报 {item['late']} 个、未报 {item['missing']} 个"
        + (f"、未到报送时间 {item['due']} 个" if item["due"] else "")
        + (f"（未报：{'、'.join(item['missing_units'])}）" if item["missing_units"] else "")
        for item in reports
    )
    return {
        "at": timezone.localtime(now).isoformat(),
        "totals": t,
        # The townships, and the district's own row when it holds anything itself: the table adds up.
        "children": data["children"] + ([data["own"]] if data["own"] else []),
        "risk_areas": data["risk_areas"],
        "reports": reports,
        "leads_text": f"{_leads_sentence(t)}各镇（街道）情况见下表。",
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
        "venues_text": _venues_sentence(data["venues"]),
        "cases_text": _cases_sentence(data.get("cases")),
        "vaccination_text": _vaccination_sentence(data.get("vaccination")),
        "reports_text": (reports_text + "。") if reports_text else "未设置日报。",
        "risk_text": f"在控风险区 {len(data['risk_areas'])} 个" + (f"：{areas}" if areas else ""),
    }


def _cases_sentence(cases: dict | None) -> str:
    if not cases:
        return ""
    from fangxian.cases.command import briefing_text

    return briefing_text(cases)


def _vaccination_sentence(vaccination: dict | None) -> str:
    if not vaccination or not vaccination["people"]:
        return ""
    from fangxian.vaccination.command import briefing_text

    return briefing_text(vaccination)


def _venues_sentence(venues: dict | None) -> str:
    if not venues:
        return ""
    return (
        f"在用场所 {venues['active']:,} 个，当日扫码 {venues['scans_today']:,} 人次，其中黄码、红码 "
        f"{venues['abnormal_today']:,} 人次；当日无人扫码的场所码（沉睡场所码）{venues['sleeping']:,} 个。"
    )


def _leads_sentence(t: dict) -> str:
    """The day's leads in words that add up: today's = closed + still open; the day's closures (of any day's
    leads) apart; what is open now, and how much of it is late."""
    return (
        f"当日接收协查任务 {t['leads_received_today']} 条，其中已核查办结 {t['leads_received_today_closed']} 条、"
        f"在办 {t['leads_received_today_open']} 条；当日核查办结 {t['leads_verified_today']} 条（含此前接收的任务）。"
        f"目前在办共 {t['leads_open']} 条，其中超过核查时限 {t['leads_overdue']} 条。"
    )


def _default_texts(district: Unit, figures: dict, now: datetime.datetime) -> dict:
    t = figures["totals"]
    local = timezone.localtime(now)
    overall = (
        f"截至{local.month}月{local.day}日{local.hour}时，全{district.name[-1]}登记在册人员 {t['persons']:,} 人。"
        f"{_leads_sentence(t)}{figures['risk_text']}。"
    )
    problems = []
    late = [row for row in figures["children"] if row["leads_overdue"] and row.get("code")]
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
            district=district,
            day=day,
            number=number,
            figures=figures,
            texts=_default_texts(district, figures, now),
            drafted_at=now,  # the figures' moment: the page's 数据截至 and the text's 截至 are one time
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
