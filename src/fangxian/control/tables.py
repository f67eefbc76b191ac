"""Columns of the measure list, shared by the page and the xlsx export."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

from fangxian.control.choices import BOARD_ITEM_COLOURS, PhaseKind
from fangxian.core.exports import Column


def measure_columns(today) -> list[Column]:
    labels = dict(PhaseKind.choices)

    def phase(measure) -> str:
        current = measure.phase_on(today)
        return str(labels[current["kind"]]) if current else _("期满待解除")

    return [
        Column("姓名", lambda m: m.person.name, 10, cell=_name_link, heading=True),
        Column("证件号码", lambda m: m.person.masked_doc_number, 22, css="masked"),
        Column("管控对象", lambda m: m.get_subject_display(), 14),
        Column("当前阶段", phase, 14),
        Column("方案", lambda m: m.protocol.name, 24, css="small"),
        Column("起算日", lambda m: m.anchor_date.isoformat(), 12, page=False),
        Column("落实日", lambda m: m.start_date.isoformat(), 12, page=False),
        Column("期满日", lambda m: m.end_date.isoformat(), 12, css="text-nowrap"),
        Column("责任单位", lambda m: m.unit.label, 18),
        Column("状态", lambda m: m.get_status_display(), 8, page=False),
    ]


def _name_link(measure):
    return format_html(
        '<a href="{}">{}</a>', reverse("control:measure", kwargs={"uuid": measure.uuid}), measure.person.name
    )


def board_columns(now) -> list[Column]:
    """The closed-loop board's worklist (control.board.BoardItem)."""

    def due(item) -> str:
        if item.due is None:
            return ""
        text = timezone.localtime(item.due).strftime("%m-%d %H:%M")
        if item.due < now:
            return _("%(due)s · 已超时 %(late)s") % {"due": text, "late": _late(now - item.due)}
        return text

    def kind_badge(item):
        return format_html('<span class="badge bg-{}-lt">{}</span>', BOARD_ITEM_COLOURS[item.kind], item.kind_label)

    return [
        Column("姓名", lambda i: i.measure.person.name, 10, cell=lambda i: _name_link(i.measure), heading=True),
        Column("证件号码", lambda i: i.measure.person.masked_doc_number, 22, page=False),
        Column("事项", lambda i: i.kind_label, 16, cell=kind_badge, testid="board-kind"),
        Column("情况", lambda i: i.detail, 36),
        Column("时限", due, 22, css="text-nowrap", testid="board-due"),
        Column("责任单位", lambda i: i.unit.label, 20),
    ]


def _late(delta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 60:
        return _("%(n)s 分钟") % {"n": minutes}
    if minutes < 48 * 60:
        return _("%(n)s 小时") % {"n": minutes // 60}
    return _("%(n)s 天") % {"n": minutes // (24 * 60)}
