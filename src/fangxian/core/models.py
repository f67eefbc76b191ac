import uuid
from typing import ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from fangxian.core.capabilities import Capability as C
from fangxian.core.choices import (
    BODY_LEVELS,
    LEVEL_CODE_LENGTH,
    AccessKind,
    ChangeKind,
    GroupDomain,
    JobStatus,
    Role,
    Sector,
    UnitLevel,
)
from fangxian.core.scoping import AuditQuerySet, CreatorQuerySet, ScopedQuerySet, district_path_of  # noqa: F401  (re-exported)


class Unit(models.Model):
    """A division of the district: 区/县 → 镇/街道 → 村/社区 → 网格.

    `path` is the chain of codes from the root ("/410108/410108001/"), so a scope is one prefix match.
    """

    code = models.CharField("代码", max_length=32, unique=True)
    name = models.CharField("名称", max_length=100)
    level = models.CharField("层级", max_length=16, choices=UnitLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name="上级", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(max_length=255, unique=True, editable=False)
    is_active = models.BooleanField("启用", default=True)
    # A department's sector, a working group's domain (empty for the territory).
    sector = models.CharField("行业", max_length=32, choices=Sector.choices, blank=True)
    domain = models.CharField("专班职责", max_length=32, choices=GroupDomain.choices, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = ""
    # Units are the map everyone works on; changing them is the district's (units.manage, checked in services).
    capabilities = {"view": C.UNITS_VIEW}

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        ordering = ["path"]
        indexes = [models.Index(fields=["level", "parent"])]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.path = f"{self.parent.path if self.parent else '/'}{self.code}/"
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.level in BODY_LEVELS:
            if self.parent is None or self.parent.level != UnitLevel.DISTRICT:
                raise ValidationError({"parent": "区直部门和指挥部专班直属区/县"})
            if self.level == UnitLevel.DEPARTMENT and not self.sector:
                raise ValidationError({"sector": "请选择部门监管的行业"})
            if self.level == UnitLevel.WORKING_GROUP and not self.domain:
                raise ValidationError({"domain": "请选择专班职责"})
        expected = LEVEL_CODE_LENGTH.get(self.level)
        if expected and (len(self.code) != expected or not self.code.isdigit()):
            raise ValidationError({"code": f"{self.get_level_display()}代码应为 {expected} 位数字"})
        if self.parent and expected and not self.code.startswith(self.parent.code):
            raise ValidationError({"code": f"代码 {self.code} 不在上级 {self.parent.code} 之下"})

    @property
    def is_body(self) -> bool:
        """A department or a working group: beside the territory, not part of it."""
        return self.level in BODY_LEVELS

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2

    @property
    def district_path(self) -> str:
        """The path of the district (the top of the tree) this unit belongs to."""
        return district_path_of(self.path)

    def district(self) -> "Unit":
        return self if self.path == self.district_path else Unit.objects.get(path=self.district_path)

    def ancestors(self) -> list["Unit"]:
        codes = [code for code in self.path.strip("/").split("/")][:-1]
        by_code = {unit.code: unit for unit in Unit.objects.filter(code__in=codes)}
        return [by_code[code] for code in codes if code in by_code]

    def full_name(self) -> str:
        return "".join(unit.name for unit in [*self.ancestors(), self])

    @property
    def label(self) -> str:
        """The name a list shows: a community with its township, a grid with its community (names such as
        天河社区 or 第1网格 repeat across the district). Lists load `parent` with the unit."""
        if self.level in (UnitLevel.COMMUNITY, UnitLevel.GRID) and (parent := self.parent) is not None:
            return f"{parent.name}·{self.name}"
        return self.name


class TeamTemplate(models.Model):
    """The composition of a grid team, e.g. 三人小组 (cadre + police + doctor) or 五包一."""

    name = models.CharField("名称", max_length=50, unique=True)
    is_default = models.BooleanField("默认", default=False)

    capabilities = {"view": C.TEAMS_VIEW, "change": C.TEAMS_MANAGE}

    class Meta:
        verbose_name = "包保小组模板"
        verbose_name_plural = "包保小组模板"

    def __str__(self) -> str:
        return self.name


class TeamSlot(models.Model):
    template = models.ForeignKey(TeamTemplate, on_delete=models.CASCADE, related_name="slots")
    duty = models.CharField("职责", max_length=30)
    required = models.PositiveSmallIntegerField("所需人数", default=1)
    order = models.PositiveSmallIntegerField(default=0)

    capabilities = {"view": C.TEAMS_VIEW, "change": C.TEAMS_MANAGE}

    class Meta:
        ordering = ["order", "id"]
        constraints = [models.UniqueConstraint(fields=["template", "duty"], name="team_slot_duty_unique")]

    def __str__(self) -> str:
        return self.duty


class GridTeam(models.Model):
    unit = models.ForeignKey(Unit, verbose_name="所属单位", on_delete=models.PROTECT, related_name="teams")
    template = models.ForeignKey(TeamTemplate, verbose_name="模板", on_delete=models.PROTECT)
    name = models.CharField("名称", max_length=100)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.TEAMS_VIEW, "change": C.TEAMS_MANAGE}

    class Meta:
        verbose_name = "包保小组"
        verbose_name_plural = "包保小组"
        ordering = ["unit__path", "name"]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(GridTeam, on_delete=models.CASCADE, related_name="members")
    slot = models.ForeignKey(TeamSlot, verbose_name="职责", on_delete=models.PROTECT)
    name = models.CharField("姓名", max_length=50)
    phone = models.CharField("电话", max_length=20, blank=True)
    user = models.ForeignKey("User", null=True, blank=True, on_delete=models.SET_NULL, related_name="team_seats")

    capabilities = {"view": C.TEAMS_VIEW, "change": C.TEAMS_MANAGE}

    class Meta:
        ordering = ["slot__order", "id"]

    def __str__(self) -> str:
        return f"{self.slot.duty} {self.name}"


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser):
    """An account. `unit` is where the account belongs (who may administer it); grants say what it may do."""

    unit = models.ForeignKey(
        Unit, verbose_name="所属单位", null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    display_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=20, blank=True)
    failed_logins = models.PositiveSmallIntegerField(default=0, editable=False)
    locked_until = models.DateTimeField(null=True, blank=True, editable=False)
    is_service_account = models.BooleanField(
        "系统账号", default=False, help_text="命令行与后台任务使用的账号，不能登录"
    )

    objects: ClassVar[ScopedUserManager] = ScopedUserManager()
    scope_unit_field = "unit"
    capabilities = {"view": C.USERS_MANAGE, "change": C.USERS_MANAGE}

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        ordering = ["username"]

    def __str__(self) -> str:
        return self.display_name or self.username

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class Grant(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField("角色", max_length=32, choices=Role.choices)
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="grants")

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.USERS_MANAGE, "change": C.USERS_MANAGE}

    class Meta:
        verbose_name = "授权"
        verbose_name_plural = "授权"
        constraints = [models.UniqueConstraint(fields=["user", "role", "unit"], name="grant_unique")]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.unit}"


class ChangeRecord(models.Model):
    """One create/update/delete of personal data. Append-only: the database refuses UPDATE and DELETE."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    # Imports write a change record per row. A constraint check per row on actor and unit would cost as much as
    # the record itself; users and units are never deleted (everything else protects them), and services only
    # record real, saved actors (require_actor).
    actor = models.ForeignKey(
        User, verbose_name="操作人", on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    request_id = models.CharField("请求", max_length=64, blank=True)
    job_id = models.CharField("任务", max_length=64, blank=True)
    kind = models.CharField("操作", max_length=16, choices=ChangeKind.choices)
    model = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象", max_length=64)
    object_repr = models.CharField("对象名称", max_length=200)
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+", db_constraint=False)
    before = models.JSONField("修改前", null=True, blank=True)
    after = models.JSONField("修改后", null=True, blank=True)
    reason = models.CharField("原因", max_length=200, blank=True)

    objects = AuditQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.AUDIT_VIEW}

    class Meta:
        verbose_name = "变更记录"
        verbose_name_plural = "变更记录"
        ordering = ["-at", "-id"]
        # A plain index: object ids are looked up by equality, never by prefix (no second "LIKE" index to keep up).
        indexes = [models.Index(fields=["object_id"], name="changerecord_object_id")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_repr}"

    def changes_for_display(self, names: dict | None = None) -> list[tuple]:
        """(label, before, after) per changed field, as an officer reads them (core.history: labels for codes,
        names for ids, local times); numbers a model marks sensitive are masked. `names`: a page's cache of
        the related objects' names."""
        from fangxian.core.history import readable

        meta = self._meta_of_model()
        sensitive = getattr(meta.model, "SENSITIVE_FIELDS", {}) if meta is not None else {}
        names = {} if names is None else names
        before, after = self.before or {}, self.after or {}
        rows = []
        for label, name in zip(self.changed_field_labels(), self._changed_names(), strict=True):
            mask = sensitive.get(name)
            shown = [
                (mask(value) if mask and isinstance(value, str) and value else readable(meta, name, value, names=names))
                for value in (before.get(name), after.get(name))
            ]
            rows.append((label, *shown))
        return rows

    def _changed_names(self) -> list[str]:
        return list(dict.fromkeys([*(self.before or {}), *(self.after or {})]))

    def _meta_of_model(self):
        from django.apps import apps

        try:
            return apps.get_model(self.model)._meta
        except (LookupError, ValueError):
            return None

    def changed_field_labels(self) -> list[str]:
        """The changed fields by their Chinese labels, for history lists (values stay on the record)."""
        from fangxian.core.history import key_label

        meta = self._meta_of_model()
        return [key_label(meta, name) for name in self._changed_names()]

    @property
    def model_label(self) -> str:
        from fangxian.core.history import model_label

        return model_label(self.model)


class AccessRecord(models.Model):
    """One read of personal data (detail, reveal, export, API read, search). Append-only like ChangeRecord."""

    at = models.DateTimeField("时间", default=timezone.now, db_index=True)
    actor = models.ForeignKey(User, verbose_name="访问人", on_delete=models.PROTECT, related_name="+")
    request_id = models.CharField("请求", max_length=64, blank=True)
    job_id = models.CharField("任务", max_length=64, blank=True)
    kind = models.CharField("方式", max_length=16, choices=AccessKind.choices)
    model = models.CharField("对象类型", max_length=64)
    object_id = models.CharField("对象", max_length=64, blank=True, db_index=True)
    object_repr = models.CharField("对象名称", max_length=200, blank=True)
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    detail = models.JSONField("详情", default=dict, blank=True)

    objects = AuditQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.AUDIT_VIEW}

    class Meta:
        verbose_name = "访问记录"
        verbose_name_plural = "访问记录"
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.object_repr or self.model}"

    @property
    def model_label(self) -> str:
        from fangxian.core.history import model_label

        return model_label(self.model)

    def detail_for_display(self) -> dict:
        """The detail without id lists, and with any number typed into a search masked."""
        from fangxian.core.masking import mask_numbers_in_text

        def shown(value):
            if isinstance(value, str):
                return mask_numbers_in_text(value)
            if isinstance(value, dict):
                return {key: shown(item) for key, item in value.items()}
            return value

        return {key: shown(value) for key, value in self.detail.items() if key != "ids"}


class Job(models.Model):
    """A long piece of work run by the worker: who asked, for which unit, how far it got, and what it produced."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField("类型", max_length=32)
    title = models.CharField("名称", max_length=200)
    status = models.CharField("状态", max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey(User, verbose_name="发起人", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    started_at = models.DateTimeField("开始时间", null=True, blank=True)
    finished_at = models.DateTimeField("结束时间", null=True, blank=True)
    arguments = models.JSONField(default=dict)
    result = models.JSONField(default=dict, blank=True)
    log = models.TextField("日志", blank=True)
    result_url = models.CharField(max_length=300, blank=True)

    objects = CreatorQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.JOBS_VIEW}

    class Meta:
        verbose_name = "后台任务"
        verbose_name_plural = "后台任务"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


def new_request_id() -> str:
    return uuid.uuid4().hex


class Notification(models.Model):
    """An in-app message to the people of one unit (a report due, an alert); sent on by the configured notifier."""

    unit = models.ForeignKey(Unit, verbose_name="单位", on_delete=models.PROTECT, related_name="+")
    key = models.CharField(max_length=200, unique=True)  # one message per event, however often a sweep runs
    title = models.CharField("标题", max_length=200)
    body = models.CharField("内容", max_length=1000, blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField("时间", default=timezone.now)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_unit_field = "unit"
    capabilities = {"view": C.NOTIFICATIONS_VIEW}

    class Meta:
        verbose_name = "通知"
        verbose_name_plural = "通知"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title


def scope_root_units(user, wanted: str = "view") -> list[Unit]:
    """The top units of a user's scope (for headings, default filters and access records)."""
    roots = list(Unit.objects.restrict(user, wanted))
    paths = {unit.path for unit in roots}

    def ancestors(path: str):  # "/a/b/c/" → "/a/", "/a/b/"
        codes = path.strip("/").split("/")
        return (f"/{'/'.join(codes[:depth])}/" for depth in range(1, len(codes)))

    # A root has no ancestor in scope: each unit's own ancestors are looked up (not every pair of units).
    return [unit for unit in roots if not any(path in paths for path in ancestors(unit.path))]


def access_unit(user) -> Unit | None:
    """The unit an access record of a multi-record read (list, export, search) is filed under."""
    roots = scope_root_units(user)
    return roots[0] if roots else user.unit
