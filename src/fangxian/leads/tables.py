"""The spreadsheets an import gives back: the file with an error column, and the feedback (回传) to the pusher."""

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
