"""The venue list, page and spreadsheet."""

from django.urls import reverse
from django.utils.html import format_html

from fangxian.core.exports import Column


def venue_columns() -> list[Column]:
    def name(venue):
        return format_html('<a href="{}">{}</a>', reverse("venues:detail", kwargs={"uuid": venue.uuid}), venue.name)

    return [
        Column("场所名称", lambda v: v.name, 24, cell=name, heading=True),
        Column("类别", lambda v: v.category.name, 12),
        Column("属地", lambda v: v.unit.label, 20),
        Column("地址", lambda v: v.address, 30),
        Column("场所码", lambda v: v.code, 16, css="masked"),
        Column("外部场所码", lambda v: v.external_code, 20, page=False),
        Column("行业监管部门", lambda v: v.category.regulator, 14, page=False),
        Column("负责人", lambda v: v.contact, 10, page=False),
        Column("状态", lambda v: v.get_status_display(), 8),
    ]
