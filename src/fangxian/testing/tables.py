"""Columns of the testing lists, shared by the pages and the xlsx exports (numbers masked)."""

from django.urls import reverse
from django.utils.html import format_html

from fangxian.core.exports import Column


def recall_columns(*, openable: frozenset[int] = frozenset()) -> list[Column]:
    """`openable`: the registered people among them the reader may open (their name links to their file)."""

    def tube(recall):
        return format_html('{}<div class="small text-secondary">{}</div>', recall.tube.code, recall.tube.point.name)

    def name(recall):
        if recall.person_id in openable:
            return format_html(
                '<a href="{}">{}</a>', reverse("people:detail", kwargs={"uuid": recall.person.uuid}), recall.name
            )
        return recall.name

    return [
        Column("姓名", lambda r: r.name, 10, cell=name, heading=True),
        Column("证件号码", lambda r: r.masked_doc_number, 22, css="masked"),
        Column("责任单位", lambda r: r.unit.label, 18),
        Column("现住址", lambda r: r.person.address if r.person else "", 36),
        Column("管码", lambda r: r.tube.code, 14, cell=tube),
        Column("采样点", lambda r: r.tube.point.name, 18, page=False),
        Column("状态", lambda r: r.get_status_display(), 16, page=False),
        Column("管控时间", lambda r: _at(r.raised_at), 12, css="text-nowrap"),
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


_STATUS_BADGE = {"done": "bg-green-lt", "shipped": "bg-blue-lt", "closed": "bg-yellow-lt"}


def tube_columns() -> list[Column]:
    def status(tube):
        badge = _STATUS_BADGE.get(tube.status, "bg-secondary-lt")
        return format_html('<span class="badge {}">{}</span>', badge, tube.get_status_display())

    def shipped(tube):
        if not tube.shipped_at:
            return "—"
        return format_html('{}<div class="small text-secondary">{}</div>', _at(tube.shipped_at), tube.box)

    def result(tube):
        if not tube.result:
            return "—"
        colour = "text-green" if tube.result == "negative" else "text-red fw-bold"
        return format_html(
            '<span class="{}">{}</span> <span class="small text-secondary">{}</span>',
            colour,
            tube.get_result_display(),
            _at(tube.result_at),
        )

    return [
        Column("管码", lambda t: t.code, 14, css="text-nowrap", heading=True),
        Column("采样点", lambda t: t.point.name, 18),
        Column("采样方式", lambda t: t.get_mode_display(), 10),
        Column("人数", lambda t: t.member_count, 6, cell=lambda t: f"{t.member_count} / {t.pool_size}"),
        Column("状态", lambda t: t.get_status_display(), 8, cell=status),
        Column("采样时间", lambda t: _at(t.sampled_at), 12, css="text-nowrap"),
        Column("封管时间", lambda t: _at(t.closed_at), 12, css="text-nowrap", cell=lambda t: _at(t.closed_at) or "—"),
        Column("转运箱", lambda t: t.box, 12, page=False),
        Column("送检时间", lambda t: _at(t.shipped_at), 12, css="text-nowrap", cell=shipped),
        Column("结果", lambda t: t.get_result_display(), 8, cell=result, css="text-nowrap"),
        Column("出结果时间", lambda t: _at(t.result_at), 12, page=False),
        Column("检测机构", lambda t: t.lab, 18, page=False),
    ]


def result_problem_columns() -> list[Column]:
    return [
        Column("行", lambda p: p.row or "", 6),
        Column("管码", lambda p: p.tube_code, 16),
        Column("问题", lambda p: p.message, 60),
    ]
