from django.db import models
from django.utils.translation import gettext_lazy as _


class LeadCategory(models.TextChoices):
    CLOSE_CONTACT = "close_contact", _("密切接触者")
    SECONDARY_CONTACT = "secondary_contact", _("次密切接触者")
    INBOUND = "inbound", _("入境人员")
    HIGH_RISK_AREA = "high_risk_area", _("高风险区来返")
    MEDIUM_RISK_AREA = "medium_risk_area", _("中风险区来返")
    LOW_RISK_AREA = "low_risk_area", _("低风险区来返")
    COMPANION = "companion", _("时空伴随")
    POSITIVE_POOL = "positive_pool", _("混管阳性")
    ABNORMAL_SCAN = "abnormal_scan", _("异常扫码")
    OTHER = "other", _("其他")


# Hours from receipt within which a lead must be verified, or (for contacts) the person placed under a measure.
DEFAULT_DEADLINE_HOURS: dict[str, int] = {
    LeadCategory.CLOSE_CONTACT: 8,
    LeadCategory.SECONDARY_CONTACT: 12,
}
FALLBACK_DEADLINE_HOURS = 24

# Words in a pushed list's "reason" column, most specific first (次密接 before 密接).
CATEGORY_WORDS: list[tuple[str, str]] = [
    ("次密", LeadCategory.SECONDARY_CONTACT),
    ("密接", LeadCategory.CLOSE_CONTACT),
    ("密切接触", LeadCategory.CLOSE_CONTACT),
    ("入境", LeadCategory.INBOUND),
    ("高风险", LeadCategory.HIGH_RISK_AREA),
    ("中风险", LeadCategory.MEDIUM_RISK_AREA),
    ("低风险", LeadCategory.LOW_RISK_AREA),
    ("时空伴随", LeadCategory.COMPANION),
    ("混管", LeadCategory.POSITIVE_POOL),
    ("阳性", LeadCategory.POSITIVE_POOL),
    ("异常", LeadCategory.ABNORMAL_SCAN),
    ("黄码", LeadCategory.ABNORMAL_SCAN),
    ("红码", LeadCategory.ABNORMAL_SCAN),
]


class LeadSource(models.TextChoices):
    PROVINCE_PUSH = "province_push", _("省级推送")
    CITY_PUSH = "city_push", _("市级推送")
    SELF_REPORT = "self_report", _("主动报告")
    GRID_SCREENING = "grid_screening", _("网格排查")
    VENUE_SCAN = "venue_scan", _("场所扫码")
    COMPANION = "companion", _("时空伴随")
    POSITIVE_POOL = "positive_pool", _("阳性混管")
    RISK_AREA_SCREENING = "risk_area_screening", _("风险区排查")
    CASE_TRACING = "case_tracing", _("病例流调")


class LeadStatus(models.TextChoices):
    OPEN = "open", _("待核查")
    CLOSED = "closed", _("已办结")


class Outcome(models.TextChoices):
    PLACED_UNDER_MEASURE = "placed_under_measure", _("已找到，落实管控")
    NO_MEASURE_NEEDED = "no_measure_needed", _("已找到，无需管控")
    NOT_IN_AREA = "not_in_area", _("不在本辖区")
    DUPLICATE = "duplicate", _("重复推送")
    UNREACHABLE = "unreachable", _("无法联系")
    INCOMPLETE = "incomplete", _("信息不全")


class BatchStatus(models.TextChoices):
    VALIDATED = "validated", _("已校验，待导入")
    COMMITTING = "committing", _("导入中")
    COMMITTED = "committed", _("已导入")
    FAILED = "failed", _("失败")


class RiskLevel(models.TextChoices):
    HIGH = "high", _("高风险区")
    MEDIUM = "medium", _("中风险区")
    LOW = "low", _("低风险区")


RISK_LEVEL_CATEGORY: dict[str, str] = {
    RiskLevel.HIGH: LeadCategory.HIGH_RISK_AREA,
    RiskLevel.MEDIUM: LeadCategory.MEDIUM_RISK_AREA,
    RiskLevel.LOW: LeadCategory.LOW_RISK_AREA,
}
# 9th edition: people who were in a high/medium-risk area during the 7 days before it was declared.
RISK_AREA_LOOKBACK_DAYS = 7
