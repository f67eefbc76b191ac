"""Columns of the measure list, for its xlsx export."""

from fangxian.control.choices import PhaseKind
from fangxian.core.exports import Column


def measure_columns(today) -> list[Column]:
    labels = dict(PhaseKind.choices)

    def phase(measure) -> str:
        current = measure.phase_on(today)
        return str(labels[current["kind"]]) if current else ""

    return [
        Column("姓名", lambda m: m.person.name, 10),
        Column("证件号码", lambda m: m.person.masked_doc_number, 22),
        Column("管控对象", lambda m: m.get_subject_display(), 14),
        Column("当前阶段", phase, 14),
        Column("方案", lambda m: m.protocol.name, 24),
        Column("起算日", lambda m: m.anchor_date.isoformat(), 12),
        Column("落实日", lambda m: m.start_date.isoformat(), 12),
        Column("期满日", lambda m: m.end_date.isoformat(), 12),
        Column("责任单位", lambda m: m.unit.name, 16),
        Column("状态", lambda m: m.get_status_display(), 8),
    ]
