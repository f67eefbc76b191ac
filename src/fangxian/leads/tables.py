"""The spreadsheets an import gives back: the file with an error column, and the feedback (回传) to the pusher."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _

from fangxian.core.exports import Column
from fangxian.core.models import Unit
from fangxian.leads.choices import LeadStatus


def feedback_columns(headers: list[str]) -> list[Column]:
    """The pusher's own columns, then what the verification found."""
    pushed = [Column(header, (lambda lead, h=header: lead.pushed_data.get(h, "")), 16) for header in headers if header]
    return [
        *pushed,
        Column("核查状态", lambda lead: lead.get_status_display(), 10),
        Column("核查结果", lambda lead: lead.get_outcome_display(), 16),
        Column("核查说明", lambda lead: lead.outcome_note, 30),
        Column("现住址（核实）", lambda lead: lead.current_address, 30),
        Column("责任单位", lambda lead: lead.unit.name, 16),
        Column("核查时间", lambda lead: lead.verified_at.strftime("%Y-%m-%d %H:%M") if lead.verified_at else "", 18),
    ]


def lead_columns(now=None, *, choosable: bool = False) -> list[Column]:
    """The lead list, page and spreadsheet: ID numbers masked in both. `now` dates the deadline badges;
    `choosable` adds the hand-over checkbox (only for who may hand leads over)."""
    return [
        Column("", lambda lead: "", 4, cell=_choice, export=False, page=choosable),
        Column("姓名", lambda lead: lead.person.name, 10, cell=_name_link, heading=True),
        Column("证件号码", lambda lead: lead.person.masked_doc_number, 22, css="masked"),
        Column("人员类别", lambda lead: lead.get_category_display(), 14),
        Column("来源", lambda lead: lead.get_source_display(), 10, page=False),
        Column("责任单位", lambda lead: lead.unit.label, 18),
        Column("接收时间", lambda lead: _when(lead.received_at), 18, cell=lambda lead: _short(lead.received_at)),
        Column("核查时限", lambda lead: _when(lead.deadline), 18, cell=lambda lead: _deadline(lead, now)),
        Column("状态", lambda lead: lead.get_status_display(), 8, page=False),
        Column("核查结果", lambda lead: lead.get_outcome_display(), 16, page=False),
        Column("已升级至", lambda lead: lead.escalated_to.name if lead.escalated_to_id else "", 14, page=False),
    ]


def overdue_columns(now=None) -> list[Column]:
    """The 失管漏管 list as a worksheet to go and find people with: who, how to reach them (the phone masked as
    in every list), where they live, which township and unit answer for them, how late."""
    now = now or timezone.now()
    townships: dict[str, str] = {}

    def township(lead) -> str:
        codes = [code for code in lead.unit.path.split("/") if code]
        if len(codes) < 2:
            return ""
        if codes[1] not in townships:
            townships[codes[1]] = Unit.objects.filter(code=codes[1]).values_list("name", flat=True).first() or ""
        return townships[codes[1]]

    return [
        Column("姓名", lambda lead: lead.person.name, 10),
        Column("证件号码", lambda lead: lead.person.masked_doc_number, 22),
        Column("联系电话", lambda lead: lead.person.masked_phone, 14),
        Column("现住址", lambda lead: lead.current_address or lead.person.address, 30),
        Column("人员类别", lambda lead: lead.get_category_display(), 14),
        Column("镇/街道", township, 12),
        Column("责任单位", lambda lead: lead.unit.label, 18),
        Column("接收时间", lambda lead: _when(lead.received_at), 18),
        Column("核查时限", lambda lead: _when(lead.deadline), 18),
        Column("已超时", lambda lead: timesince(lead.deadline, now), 12),
        Column("已升级至", lambda lead: lead.escalated_to.name if lead.escalated_to_id else "", 14),
    ]


def _choice(lead):
    if lead.status != LeadStatus.OPEN:
        return ""
    return format_html(
        '<input class="form-check-input" type="checkbox" name="lead" value="{}" aria-label="{}">',
        lead.uuid,
        _("选择 %(name)s") % {"name": lead.person.name},
    )


def _name_link(lead):
    return format_html('<a href="{}">{}</a>', reverse("leads:detail", kwargs={"uuid": lead.uuid}), lead.person.name)


def _short(moment) -> str:
    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def _deadline(lead, now):
    """Open: time left (yellow) or overdue by how long (red); closed: the outcome (green)."""
    if lead.status != LeadStatus.OPEN:
        return format_html('<span class="badge bg-green-lt">{}</span>', lead.get_outcome_display())
    now = now or timezone.now()
    if lead.deadline < now:
        return format_html(
            '<span class="badge bg-red text-white">{} {}</span>', _("已超时"), timesince(lead.deadline, now)
        )
    return format_html('<span class="badge bg-yellow-lt">{} {}</span>', _("剩余"), timeuntil(lead.deadline, now))


def batch_columns() -> list[Column]:
    def count(key):
        return lambda batch: batch.summary.get(key, "")

    def invalid(batch):
        value = batch.summary.get("invalid", "")
        return format_html('<span class="text-danger">{}</span>', value) if value else value

    return [
        Column("文件名", lambda batch: batch.file_name, 30, cell=_link("leads:batch", "file_name"), heading=True),
        Column("推送单位", lambda batch: batch.pusher or "—", 20),
        Column("导入人", lambda batch: str(batch.uploaded_by), 14),
        Column("上传时间", lambda batch: _when(batch.uploaded_at), 18, css="text-nowrap"),
        Column("状态", lambda batch: batch.get_status_display(), 10),
        Column("数据行", count("rows"), 10),
        Column("有效", count("valid"), 10, page=False),
        Column("错误行", count("invalid"), 10, cell=invalid),
        Column("文件内重复", count("duplicates_in_file"), 10, page=False),
        Column("新增人员", count("new_persons"), 10, page=False),
        Column("生成任务", count("leads"), 10),
    ]


_LEVEL_BADGE = {"high": "bg-red-lt", "medium": "bg-orange-lt"}


def riskarea_columns() -> list[Column]:
    def level(area):
        badge = _LEVEL_BADGE.get(area.level, "bg-green-lt")
        return format_html('<span class="badge {}">{}</span>', badge, area.get_level_display())

    return [
        Column("名称", lambda area: area.name, 30, cell=_link("leads:riskarea", "name"), heading=True),
        Column("风险等级", lambda area: area.get_level_display(), 10, cell=level),
        Column("区划代码", lambda area: area.region_code, 14, page=False),
        Column("划定时间", lambda area: _when(area.declared_at), 18),
        Column(
            "解除时间", lambda area: _when(area.lifted_at), 18, cell=lambda area: _when(area.lifted_at) or _("未解除")
        ),
    ]


def _link(route: str, text: str):
    return lambda row: format_html('<a href="{}">{}</a>', reverse(route, kwargs={"uuid": row.uuid}), getattr(row, text))


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
