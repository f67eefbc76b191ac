import datetime

import pytest

from fangxian.core.choices import UnitLevel
from fangxian.reports import services
from fangxian.reports.choices import FieldKind
from fangxian.reports.services import FieldSpec


@pytest.fixture
def daily(world):
    """Every township files by 17:00: two figures from the live data (one locked), a count and a remark."""
    return services.create_form(
        actor=world["district"],
        district=world["huiji"],
        name="疫情防控日报",
        due_time=datetime.time(17, 0),
        levels=[UnitLevel.TOWNSHIP],
        fields=[
            FieldSpec("leads_received", "当日接收协查任务", FieldKind.INTEGER, figure="leads_received", locked=True),
            FieldSpec("leads_open", "在办协查任务", FieldKind.INTEGER, figure="leads_open"),
            FieldSpec("inspections", "开展检查次数", FieldKind.INTEGER),
            FieldSpec("remark", "需要说明的情况", FieldKind.TEXT, required=False),
        ],
    )
