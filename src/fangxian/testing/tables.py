"""Columns of the testing lists, shared by the pages and the xlsx exports (numbers masked)."""

from fangxian.core.exports import Column


def recall_columns() -> list[Column]:
    return [
        Column("姓名", lambda r: r.name, 10),
        Column("证件号码", lambda r: r.masked_doc_number, 22),
        Column("责任单位", lambda r: r.unit.name, 16),
        Column("现住址", lambda r: r.person.address if r.person else "", 36),
        Column("管码", lambda r: r.tube.code, 14),
        Column("采样点", lambda r: r.tube.point.name, 18),
        Column("状态", lambda r: r.get_status_display(), 16),
        Column("管控时间", lambda r: r.raised_at.strftime("%m-%d %H:%M"), 12),
    ]


def overdue_columns() -> list[Column]:
    return [
        Column("重点人群", lambda row: row[0].group.name, 14),
        Column("姓名", lambda row: row[0].person.name, 10),
        Column("证件号码", lambda row: row[0].person.masked_doc_number, 22),
        Column("单位", lambda row: row[0].unit.name, 16),
        Column("最近采样", lambda row: row[1].isoformat() if row[1] else "无记录", 12),
    ]


def _at(moment) -> str:
    from django.utils import timezone

    return timezone.localtime(moment).strftime("%m-%d %H:%M") if moment else ""


def tube_columns() -> list[Column]:
    return [
        Column("管码", lambda t: t.code, 14),
        Column("采样点", lambda t: t.point.name, 18),
        Column("采样方式", lambda t: t.get_mode_display(), 10),
        Column("人数", lambda t: t.member_count, 6),
        Column("状态", lambda t: t.get_status_display(), 8),
        Column("采样时间", lambda t: _at(t.sampled_at), 12),
        Column("封管时间", lambda t: _at(t.closed_at), 12),
        Column("转运箱", lambda t: t.box, 12),
        Column("送检时间", lambda t: _at(t.shipped_at), 12),
        Column("结果", lambda t: t.get_result_display(), 8),
        Column("出结果时间", lambda t: _at(t.result_at), 12),
        Column("检测机构", lambda t: t.lab, 18),
    ]


def result_problem_columns() -> list[Column]:
    return [
        Column("行", lambda p: p.row or "", 6),
        Column("管码", lambda p: p.tube_code, 16),
        Column("问题", lambda p: p.message, 60),
    ]
