"""The venue list, the register and the co-visitors: page and spreadsheet columns."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from fangxian.core.exports import Column
from fangxian.core.masking import mask_document, mask_phone


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


def register_columns() -> list[Column]:
    """The day's notable scans, as the register goes to the regulator and the township (numbers masked)."""
    return [
        Column("场所", lambda row: row[0].name, 22),
        Column("行业监管部门", lambda row: row[0].category.regulator, 14),
        Column("扫码时间", lambda row: timezone.localtime(row[1].scanned_at).strftime("%Y-%m-%d %H:%M"), 16),
        Column("姓名", lambda row: row[1].name, 10),
        Column("证件号码", lambda row: mask_document(row[1].doc_number), 20),
        Column("健康码", lambda row: row[1].get_code_colour_display(), 8),
        Column("已接种", lambda row: row[1].get_vaccinated_display(), 8),
        Column("48 小时核酸阴性", lambda row: row[1].get_negative_display(), 10),
        Column("分区", lambda row: row[1].area, 10),
    ]


def covisit_columns(*, whole: bool) -> list[Column]:
    """The co-visitors for the tracing team: whole numbers only for a role that may see them (and it is logged)."""

    def number(person):
        return person.doc_number if whole else mask_document(person.doc_number)

    def places(person):
        return "；".join(
            f"{item.place.name}{(' ' + item.area) if item.area else ''} "
            f"{timezone.localtime(item.start):%m-%d %H:%M}–{timezone.localtime(item.end):%H:%M}"
            for item in person.encounters
        )

    return [
        Column("证件号码", number, 20),
        Column("姓名", lambda person: person.name, 10),
        Column("联系电话", lambda person: person.phone if whole else mask_phone(person.phone), 14),
        Column("重叠（分钟）", lambda person: person.overlap_minutes, 10),
        Column("判定", lambda person: "密切接触者" if person.close_contact else "时空伴随", 10),
        Column(
            "代扫", lambda person: ("为 " + mask_document(person.proxy_for) + " 代扫") if person.proxy_for else "", 16
        ),
        Column("伴随场所与时段", places, 60),
    ]
