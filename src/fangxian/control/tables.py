"""Columns of the measure list, shared by the page and the xlsx export."""

from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from fangxian.control.choices import PhaseKind
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
