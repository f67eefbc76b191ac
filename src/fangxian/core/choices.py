from django.db import models
from django.utils.translation import gettext_lazy as _


class UnitLevel(models.TextChoices):
    DISTRICT = "district", _("区/县")
    TOWNSHIP = "township", _("镇/街道")
    COMMUNITY = "community", _("村/社区")
    GRID = "grid", _("网格")
    # Beside the territory, under the district: its departments and the command's working groups. Their reach
    # is not a territory but a function over the district (core.scoping.grant_reach): a department sees its
    # sector's rows, a working group its domain's.
    DEPARTMENT = "department", _("区直部门")
    WORKING_GROUP = "working_group", _("指挥部专班")


TERRITORIAL_LEVELS = (UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY, UnitLevel.GRID)
BODY_LEVELS = (UnitLevel.DEPARTMENT, UnitLevel.WORKING_GROUP)


class Sector(models.TextChoices):
    """The sector a department regulates (行业监管): the places and groups that name it are its to watch."""

    HEALTH = "health", _("卫生健康")
    PUBLIC_SECURITY = "public_security", _("公安")
    EDUCATION = "education", _("教育")
    COMMERCE = "commerce", _("商务")
    MARKET = "market", _("市场监管")
    TRANSPORT = "transport", _("交通运输")
    CULTURE_TOURISM = "culture_tourism", _("文化旅游")
    CIVIL_AFFAIRS = "civil_affairs", _("民政")
    HOUSING = "housing", _("住房城乡建设")
    RELIGION = "religion", _("民族宗教")


class GroupDomain(models.TextChoices):
    """The domain of a working group of the command (指挥部“10+N”专班): what it may do over the whole district."""

    COORDINATION = "coordination", _("综合协调")
    TRACING = "tracing", _("流调溯源")
    TESTING = "testing", _("核酸检测")
    ISOLATION = "isolation", _("隔离管控")
    MEDICAL = "medical", _("医疗救治")
    SUPPLIES = "supplies", _("物资保障")
    PUBLICITY = "publicity", _("宣传引导")
    SUPERVISION = "supervision", _("督导检查")


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
    VENUE_STAFF = "venue_staff", _("场所工作人员")
    SAMPLING_LAB = "sampling_lab", _("采样点/检测机构")
    INSPECTOR = "inspector", _("督导组")
    CLERK = "clerk", _("只读查询员")
    DEPARTMENT_STAFF = "department_staff", _("区直部门工作人员")
    TASK_FORCE = "task_force", _("指挥部专班成员")


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
