"""The case list and the outbound 协查函: page and spreadsheet columns."""

from django.utils import timezone
from django.utils.html import format_html

from fangxian.cases.models import Case
from fangxian.core.exports import Column
from fangxian.people.choices import DocumentType


def _local(moment, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(moment).strftime(pattern) if moment else ""


def case_columns() -> list[Column]:
    def number(case: Case):
        return format_html('<a href="{}">{}</a>', case.get_absolute_url(), str(case))

    return [
        Column("病例", lambda c: str(c), 8, cell=number, heading=True),
        Column("姓名", lambda c: c.person.name, 10),
        Column("证件号码", lambda c: c.person.masked_doc_number, 20, css="masked"),
        Column("分类", lambda c: str(c.get_classification_display()), 10),
        Column("发现方式", lambda c: str(c.get_found_by_display()), 12),
        Column("发现场景", lambda c: str(c.get_found_in_display()), 10),
        Column("属地", lambda c: c.unit.label, 20),
        Column("首次阳性采样", lambda c: _local(c.first_positive_at), 16),
        Column("报告时间", lambda c: _local(c.reported_at), 16),
        Column("状态", lambda c: str(c.get_status_display()), 8),
    ]


def outbound_columns(case: Case) -> list[Column]:
    """The layout of a pushed list (姓名, 证件类型, 证件号码, 联系电话, 现住址, 人员类别, 末次接触时间 …): the receiving
    district's import reads it like any list pushed to it."""
    labels = dict(DocumentType.choices)
    return [
        Column("协查区县", lambda c: c.home_region, 16),
        Column("姓名", lambda c: c.name, 10),
        Column("证件类型", lambda c: str(labels.get(c.doc_type, c.doc_type)), 10),
        Column("证件号码", lambda c: c.doc_number, 20),
        Column("联系电话", lambda c: c.phone, 14),
        Column("现住址", lambda c: c.address, 30),
        Column("人员类别", lambda c: str(c.get_classification_display()), 12),
        Column("末次接触时间", lambda c: _local(c.exposed_at), 16),
        Column("接触方式", lambda c: str(c.get_relation_display()), 10),
        Column("备注", lambda c: f"{case}（{case.district.name}）{c.note}", 30),
    ]
