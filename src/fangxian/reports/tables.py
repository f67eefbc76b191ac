"""Columns of the report pages' xlsx exports."""

from django.utils import timezone

from fangxian.core.exports import Column


def form_columns() -> list[Column]:
    return [
        Column("名称", lambda form: form.name, 20),
        Column("截止时间", lambda form: form.due_time.strftime("%H:%M"), 10),
        Column("报送单位", lambda form: "、".join(form.level_labels()), 20),
        Column("填报项", lambda form: "、".join(field.label for field in form.fields.all()), 60),
    ]


def monthly_columns() -> list[Column]:
    return [
        Column("单位", lambda row: row["unit"].label, 20),
        Column("代码", lambda row: row["unit"].code, 16),
        Column("按时", lambda row: row["on_time"], 8),
        Column("迟报", lambda row: row["late"], 8),
        Column("未报", lambda row: row["missing"], 8),
        Column("按时率%", lambda row: "—" if row["rate"] is None else row["rate"], 8),
    ]


def briefing_columns() -> list[Column]:
    return [
        Column("日期", lambda item: item.day.isoformat(), 12),
        Column("期数", lambda item: item.number, 8),
        Column("状态", lambda item: item.get_status_display(), 8),
        Column("印发人", lambda item: str(item.issued_by) if item.issued_by_id else "", 14),
        Column(
            "印发时间",
            lambda item: timezone.localtime(item.issued_at).strftime("%Y-%m-%d %H:%M") if item.issued_at else "",
            18,
        ),
    ]
