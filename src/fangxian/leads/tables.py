"""The spreadsheets an import gives back: the file with an error column, and the feedback (回传) to the pusher."""

from django.utils import timezone

from fangxian.core.exports import Column


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


def lead_columns() -> list[Column]:
    """The lead list as a spreadsheet: ID numbers masked, as on the page."""
    return [
        Column("姓名", lambda lead: lead.person.name, 10),
        Column("证件号码", lambda lead: lead.person.masked_doc_number, 22),
        Column("人员类别", lambda lead: lead.get_category_display(), 14),
        Column("来源", lambda lead: lead.get_source_display(), 10),
        Column("接收时间", lambda lead: _when(lead.received_at), 18),
        Column("核查时限", lambda lead: _when(lead.deadline), 18),
        Column("责任单位", lambda lead: lead.unit.name, 16),
        Column("状态", lambda lead: lead.get_status_display(), 8),
        Column("核查结果", lambda lead: lead.get_outcome_display(), 16),
        Column("已升级至", lambda lead: lead.escalated_to.name if lead.escalated_to_id else "", 14),
    ]


def batch_columns() -> list[Column]:
    return [
        Column("文件名", lambda batch: batch.file_name, 30),
        Column("推送单位", lambda batch: batch.pusher, 20),
        Column("上传时间", lambda batch: _when(batch.uploaded_at), 18),
        Column("状态", lambda batch: batch.get_status_display(), 10),
        *[
            Column(label, lambda batch, key=key: batch.summary.get(key, ""), 10)
            for key, label in [
                ("rows", "数据行"),
                ("valid", "有效"),
                ("invalid", "错误行"),
                ("duplicates_in_file", "文件内重复"),
                ("new_persons", "新增人员"),
                ("leads", "生成任务"),
            ]
        ],
    ]


def riskarea_columns() -> list[Column]:
    return [
        Column("名称", lambda area: area.name, 30),
        Column("风险等级", lambda area: area.get_level_display(), 10),
        Column("区划代码", lambda area: area.region_code, 14),
        Column("划定时间", lambda area: _when(area.declared_at), 18),
        Column("解除时间", lambda area: _when(area.lifted_at), 18),
    ]


def _when(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""
