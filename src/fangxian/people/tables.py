"""Columns of the person list, shared by the page and the xlsx export."""

from django.utils.html import format_html

from fangxian.core.exports import Column


def person_columns(*, full: bool = False) -> list[Column]:
    """Masked ID and phone, an age band instead of the birth date, unless the export was explicitly requested
    in full (a separately logged act; never on the page)."""
    return [
        Column("姓名", lambda p: p.name, 10, cell=_name_link, heading=True),
        Column("证件类型", lambda p: p.get_doc_type_display(), 14, page=False),
        Column(
            "证件号码",
            (lambda p: p.doc_number) if full else (lambda p: p.masked_doc_number),
            22,
            css="masked",
            testid="doc-masked",
        ),
        Column("性别", lambda p: p.get_sex_display(), 6),
        Column(
            "出生日期" if full else "年龄段",
            (lambda p: p.birth_date.isoformat() if p.birth_date else "") if full else (lambda p: p.age_band),
            12,
        ),
        Column("联系电话", (lambda p: p.phone) if full else (lambda p: p.masked_phone), 14, css="masked"),
        Column("现住址", lambda p: p.address, 40, page=False),
        Column("所属单位", lambda p: p.unit.label, 18, cell=_unit, testid="person-unit"),
        Column("单位代码", lambda p: p.unit.code, 16, page=False),
        Column("人口类别", lambda p: p.get_category_display(), 12),
    ]


def _name_link(person):
    return format_html('<a href="{}">{}</a>', person.get_absolute_url(), person.name)


def _unit(person):
    # The code is kept for a hover and for tools, not shown: officers read names.
    return format_html(
        '<span title="{}" data-code="{}">{}</span>', person.unit.code, person.unit.code, person.unit.label
    )
