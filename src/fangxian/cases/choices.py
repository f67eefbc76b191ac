from django.db import models
from django.utils.translation import gettext_lazy as _


class CaseClass(models.TextChoices):
    CONFIRMED = "confirmed", _("确诊病例")
    ASYMPTOMATIC = "asymptomatic", _("无症状感染者")


class FoundBy(models.TextChoices):
    POOL_RETEST = "pool_retest", _("混管阳性复核")
    SINGLE_TUBE = "single_tube", _("单采阳性")
    KEY_GROUP = "key_group", _("重点人群筛查")
    FEVER_CLINIC = "fever_clinic", _("发热门诊/哨点")
    SELF_REPORT = "self_report", _("主动报告")
    UNDER_MEASURE = "under_measure", _("管控期间检测")


class FoundIn(models.TextChoices):
    """Where the case was when found: the figure the command office is judged on (社会面清零)."""

    UNDER_CONTROL = "under_control", _("管控中发现")
    COMMUNITY = "community", _("社会面")


class CaseStatus(models.TextChoices):
    INVESTIGATING = "investigating", _("调查中")
    REPORTED = "reported", _("报告完成")
    CLOSED = "closed", _("结案")


class EntrySource(models.TextChoices):
    SCAN = "scan", _("场所扫码")
    SAMPLING = "sampling", _("核酸采样")
    ENTERED = "entered", _("流调录入")


class Transport(models.TextChoices):
    NONE = "", _("—")
    WALK = "walk", _("步行")
    CAR = "car", _("私家车")
    TAXI = "taxi", _("出租车/网约车")
    BUS = "bus", _("公交")
    METRO = "metro", _("地铁")
    TRAIN = "train", _("火车")
    FLIGHT = "flight", _("航班")
    OTHER = "other", _("其他")


class Relation(models.TextChoices):
    HOUSEHOLD = "household", _("同住")
    WORK = "work", _("同事/同学")
    TRANSPORT = "transport", _("同乘交通工具")
    COVISIT = "covisit", _("时空伴随")
    OTHER = "other", _("其他")


class ContactClass(models.TextChoices):
    CLOSE = "close", _("密切接触者")
    SECONDARY = "secondary", _("次密切接触者")
    GENERAL = "general", _("一般接触者")
