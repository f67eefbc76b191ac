"""Columns of the person list, shared by the page and the xlsx export."""

from fangxian.core.exports import Column


def person_columns(*, full: bool) -> list[Column]:
    """Masked ID and phone unless the export was explicitly requested in full (a separately logged act)."""
    return [
        Column("姓名", lambda p: p.name, 10),
        Column("证件类型", lambda p: p.get_doc_type_display(), 14),
        Column("证件号码", (lambda p: p.doc_number) if full else (lambda p: p.masked_doc_number), 22),
        Column("性别", lambda p: p.get_sex_display(), 6),
        Column(
            "出生日期" if full else "年龄段",
            (lambda p: p.birth_date.isoformat() if p.birth_date else "") if full else (lambda p: p.age_band),
            12,
        ),
        Column("联系电话", (lambda p: p.phone) if full else (lambda p: p.masked_phone), 14),
        Column("现住址", lambda p: p.address, 40),
        Column("所属单位", lambda p: p.unit.name, 18),
        Column("单位代码", lambda p: p.unit.code, 16),
        Column("人口类别", lambda p: p.get_category_display(), 12),
    ]
