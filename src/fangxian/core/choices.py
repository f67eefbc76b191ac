from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.TextChoices):
    DISTRICT = "district", _("区/县")
    TOWNSHIP = "township", _("镇/街道")
    COMMUNITY = "community", _("村/社区")
    GRID = "grid", _("网格")


# Official code length per level (GB/T 2260 and the statistical division codes); grids carry a local code.
LEVEL_CODE_LENGTH: dict[str, int] = {UnitLevel.DISTRICT: 6, UnitLevel.TOWNSHIP: 9, UnitLevel.COMMUNITY: 12}
CHILD_LEVEL: dict[str, str] = {
    UnitLevel.DISTRICT: UnitLevel.TOWNSHIP,
    UnitLevel.TOWNSHIP: UnitLevel.COMMUNITY,
    UnitLevel.COMMUNITY: UnitLevel.GRID,
}


class Role(models.TextChoices):
    DISTRICT_COMMAND = "district_command", _("区防控指挥部")
    TOWNSHIP_OFFICE = "township_office", _("镇(街道)防控办")
    GRID_MEMBER = "grid_member", _("村(社区)三人小组成员")
    SITE_STAFF = "site_staff", _("隔离点工作人员")
    SAMPLING_LAB = "sampling_lab", _("采样点/检测机构")
    INSPECTOR = "inspector", _("督导组")
    CLERK = "clerk", _("只读查询员")


class Action(models.TextChoices):
    """The verbs a model may name a capability for (core/capabilities.py says which roles carry it)."""

    VIEW = "view", _("查看")
    CHANGE = "change", _("新增/修改")
    DELETE = "delete", _("删除")
    REVEAL = "reveal", _("查看完整证件号/电话")
    EXPORT = "export", _("导出")


class ChangeKind(models.TextChoices):
    CREATE = "create", _("新增")
    UPDATE = "update", _("修改")
    DELETE = "delete", _("删除")


class AccessKind(models.TextChoices):
    DETAIL = "detail", _("查看详情")
    REVEAL = "reveal", _("查看完整信息")
    EXPORT = "export", _("导出")
    API_READ = "api_read", _("接口读取")
    SEARCH = "search", _("检索")
    LIST = "list", _("列表浏览")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("进行中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    INTERRUPTED = "interrupted", _("已中断")
