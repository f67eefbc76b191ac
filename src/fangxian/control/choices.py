from django.db import models
from django.utils.translation import gettext_lazy as _


class Subject(models.TextChoices):
    """Who a protocol rule is for (管控对象)."""

    CLOSE_CONTACT = "close_contact", _("密切接触者")
    SECONDARY_CONTACT = "secondary_contact", _("次密切接触者")
    INBOUND = "inbound", _("入境人员")
    HIGH_RISK_AREA = "high_risk_area", _("高风险区来返")
    MEDIUM_RISK_AREA = "medium_risk_area", _("中风险区来返")
    LOW_RISK_AREA = "low_risk_area", _("低风险区来返/时空伴随")
    OTHER = "other", _("其他")


class Anchor(models.TextChoices):
    """The date the days of a measure are counted from (缺几天补几天: days already passed count)."""

    LAST_EXPOSURE = "last_exposure", _("末次暴露")
    LEFT_AREA = "left_area", _("离开风险区")
    ARRIVAL = "arrival", _("入境/抵达")
    PLACEMENT = "placement", _("落实管控当日")


class PhaseKind(models.TextChoices):
    CENTRALISED = "centralised", _("集中隔离")
    HOME_ISOLATION = "home_isolation", _("居家隔离")
    HOME_MONITORING = "home_monitoring", _("居家健康监测")
    COMMUNITY_MONITORING = "community_monitoring", _("社区健康监测")


ISOLATION_KINDS = frozenset({PhaseKind.CENTRALISED, PhaseKind.HOME_ISOLATION})


class MeasureStatus(models.TextChoices):
    ACTIVE = "active", _("管控中")
    RELEASED = "released", _("已解除")
    ENDED = "ended", _("提前终止")


class EndReason(models.TextChoices):
    HOSPITALISED = "hospitalised", _("转运就医")
    POSITIVE = "positive", _("核酸阳性")
    LEFT_AREA = "left_area", _("离开本地（已协查移交）")
    WRONGLY_IDENTIFIED = "wrongly_identified", _("误判（非管控对象）")


class SampleResult(models.TextChoices):
    PENDING = "", _("待检测")
    NEGATIVE = "negative", _("阴性")
    POSITIVE = "positive", _("阳性")
    NOT_DONE = "not_done", _("未检测")


class FollowUpKind(models.TextChoices):
    FEVER = "fever", _("体温异常/症状")
    DOOR = "door", _("门磁报警")


class FollowUpOutcome(models.TextChoices):
    CLEARED = "cleared", _("复核正常")
    SAMPLED = "sampled", _("已安排采样")
    TO_HOSPITAL = "to_hospital", _("已送医")
    STAYED = "stayed", _("人员在位（门磁误报或经允许）")
    VIOLATION = "violation", _("违规外出，已处置")


class BoardItemKind(models.TextChoices):
    """What the closed-loop board lists, in the order it is worked: an alarm past its time first."""

    ALARM_LATE = "alarm_late", _("报警超时未处置")
    ALARM = "alarm", _("报警待处置")
    WITHOUT_TEAM = "without_team", _("居家未落实包保小组")
    MISSED_TEST = "missed_test", _("漏检核酸")
    RELEASE_OVERDUE = "release_overdue", _("期满未解除")
    MISSED_CHECKS = "missed_checks", _("漏测健康监测")


BOARD_ITEM_COLOURS = {
    BoardItemKind.ALARM_LATE: "red",
    BoardItemKind.ALARM: "orange",
    BoardItemKind.WITHOUT_TEAM: "purple",
    BoardItemKind.MISSED_TEST: "yellow",
    BoardItemKind.RELEASE_OVERDUE: "azure",
    BoardItemKind.MISSED_CHECKS: "secondary",
}
