from django.db import models
from django.utils.translation import gettext_lazy as _


class VenueStatus(models.TextChoices):
    ACTIVE = "active", _("在用")
    SUSPENDED = "suspended", _("暂停营业")
    CLOSED = "closed", _("已关闭")


class CodeColour(models.TextChoices):
    """The health code's colour as shown at the door (or as the provincial platform exported it)."""

    GREEN = "green", _("绿码")
    YELLOW = "yellow", _("黄码")
    RED = "red", _("红码")
    UNKNOWN = "unknown", _("未知")


class Answer(models.TextChoices):
    """Yes, no, or not known: unknown is never taken for no (an unvaccinated count counts only the noes)."""

    YES = "yes", _("是")
    NO = "no", _("否")
    UNKNOWN = "unknown", _("未知")


class ScanSource(models.TextChoices):
    APP = "app", _("扫码小程序")
    GATEWAY = "gateway", _("数字哨兵/网关")
    FILE = "file", _("平台导出文件")
    DOOR = "door", _("电子卡口查验")


class DoorDecision(models.TextChoices):
    PASS = "pass", _("通行")
    LIMIT = "limit", _("限制：登记并引导核酸")
    DENY = "deny", _("禁止进入")


class CodeKind(models.TextChoices):
    OWN = "own", _("本平台场所码")
    EXTERNAL = "external", _("外部场所码")
