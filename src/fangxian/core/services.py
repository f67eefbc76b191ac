"""Business rules of the core: units, grid teams, users and grants. Services never commit: callers own atomic()."""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError

from fangxian.core import divisions
from fangxian.core.audit import record_change, require_actor, snapshot
from fangxian.core.capabilities import Capability, capabilities_of
from fangxian.core.choices import CHILD_LEVEL, LEVEL_CODE_LENGTH, TERRITORIAL_LEVELS, ChangeKind, Role, UnitLevel
from fangxian.core.models import Grant, GridTeam, TeamMember, TeamSlot, TeamTemplate, Unit, User
from fangxian.core.scoping import grant_reach, require, scope_unit_ids, user_can
from fangxian.core.tabular import RowError, match_headers

# ---------------------------------------------------------------- units


def load_county(*, code: str) -> tuple[Unit, int]:
    """Create (or refresh) a county and its real streets/towns from the shipped division codes."""
    county = divisions.counties().get(code)
    if county is None:
        raise ValidationError(f"未找到区县代码 {code}（应为 6 位统计用区划代码）")
    district, _ = Unit.objects.update_or_create(
        code=code, defaults={"name": county.name, "level": UnitLevel.DISTRICT, "parent": None}
    )
    created = 0
    for street in divisions.streets_of(code):
        _, was_created = Unit.objects.update_or_create(
            code=street.code, defaults={"name": street.name, "level": UnitLevel.TOWNSHIP, "parent": district}
        )
        created += was_created
    return district, created


# ---------------------------------------------------------------- departments and working groups

BODIES_FILE = Path(__file__).resolve().parent / "data" / "bodies" / "standard.csv"
_BODY_CODE_LETTER: dict[str, str] = {UnitLevel.DEPARTMENT: "B", UnitLevel.WORKING_GROUP: "Z"}


def body_code(district: Unit, level: str, number: int) -> str:
    """A department's or a working group's code: the district's, a letter for the kind, a number (410108B03)."""
    return f"{district.code}{_BODY_CODE_LETTER[level]}{number:02d}"


def save_body(*, actor: User, district: Unit, level: str, number: int, name: str, sector: str = "", domain: str = ""):
    """Create or rename a department (with its sector) or a working group (with its domain) of a district."""
    require_actor(actor)
    require(actor, Capability.UNITS_MANAGE, district)
    if district.level != UnitLevel.DISTRICT or level not in _BODY_CODE_LETTER:
        raise ValidationError("区直部门和指挥部专班直属区/县")
    if not 1 <= number <= 99:
        raise ValidationError("序号应为 1–99")
    code = body_code(district, level, number)
    unit = Unit.objects.filter(code=code).first()
    before = snapshot(unit, _BODY_FIELDS) if unit else None
    unit = unit or Unit(code=code)
    unit.name, unit.level, unit.parent = name.strip()[:100], level, district
    unit.sector = sector if level == UnitLevel.DEPARTMENT else ""
    unit.domain = domain if level == UnitLevel.WORKING_GROUP else ""
    unit.full_clean(exclude=["path"])
    unit.save()
    after = snapshot(unit, _BODY_FIELDS)
    if before != after:
        kind = ChangeKind.UPDATE if before else ChangeKind.CREATE
        record_change(actor=actor, kind=kind, instance=unit, unit=unit, before=before, after=after)
    return unit


_BODY_FIELDS = ["code", "name", "level", "parent_id", "sector", "domain", "is_active"]


def load_standard_bodies(*, actor: User, district: Unit) -> int:
    """The usual departments (区直部门) and the command's "10+N" working groups, from the shipped data file;
    run again, it changes nothing. Returns how many were created."""
    created = 0
    with open(BODIES_FILE, encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            level, number = row["层级"], int(row["序号"])
            exists = Unit.objects.filter(code=body_code(district, level, number)).exists()
            kind = {"sector": row["行业或职责"]} if level == UnitLevel.DEPARTMENT else {"domain": row["行业或职责"]}
            save_body(actor=actor, district=district, level=level, number=number, name=row["名称"], **kind)
            created += not exists
    return created


@dataclass
class UnitImportPlan:
    units: list[dict] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


_UNIT_HEADERS = {
    "code": {"代码", "编码", "区划代码", "统计用区划代码", "网格代码", "网格编码", "code"},
    "name": {"名称", "村/社区名称", "社区名称", "村名称", "网格名称", "name"},
    "parent": {"上级代码", "所属街道代码", "所属社区代码", "上级编码", "parent", "parent_code"},
}


def plan_unit_import(*, actor: User, rows: list[list[str]], district: Unit) -> UnitImportPlan:
    """Phase one of importing villages/communities and grids: validate every row, change nothing.

    A 12-digit code is a village/community under the street named by its first 9 digits; any other code is a
    grid and needs the code of its village/community in the parent column.
    """
    require(actor, Capability.UNITS_MANAGE, district)
    plan = UnitImportPlan()
    header_index = next((i for i, row in enumerate(rows) if _map_headers(row).keys() >= {"code", "name"}), None)
    if header_index is None:
        plan.errors.append(RowError(1, "", "", "未找到表头：需要“代码”和“名称”两列（网格另需“上级代码”）"))
        return plan
    columns = _map_headers(rows[header_index])
    known = {unit.code: unit for unit in Unit.objects.filter(path__startswith=district.path)}
    pending: dict[str, dict] = {}
    for offset, row in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cell = {key: (row[index].strip() if index < len(row) else "") for key, index in columns.items()}
        if not any(cell.values()):
            continue
        code, name, parent_code = cell.get("code", ""), cell.get("name", ""), cell.get("parent", "")
        if not code:
            plan.errors.append(RowError(offset, "代码", code, "代码为空"))
            continue
        if not name:
            plan.errors.append(RowError(offset, "名称", name, "名称为空"))
            continue
        if code in pending:
            plan.errors.append(RowError(offset, "代码", code, f"代码在文件中重复（第 {pending[code]['row']} 行）"))
            continue
        if len(code) == LEVEL_CODE_LENGTH[UnitLevel.COMMUNITY] and code.isdigit():
            level, parent_code = UnitLevel.COMMUNITY, parent_code or code[:9]
            if parent_code != code[:9]:
                plan.errors.append(RowError(offset, "上级代码", parent_code, "村/社区代码前 9 位应为所属街道代码"))
                continue
        else:
            level = UnitLevel.GRID
            if not parent_code:
                plan.errors.append(RowError(offset, "上级代码", "", "网格必须填写所属村/社区的 12 位代码"))
                continue
            code = code if code.startswith(parent_code) else f"{parent_code}{code}"
        parent = known.get(parent_code)
        parent_level = parent.level if parent else (pending[parent_code]["level"] if parent_code in pending else None)
        if parent_level is None:
            plan.errors.append(
                RowError(offset, "上级代码", parent_code, f"上级单位 {parent_code} 不在 {district.name} 内")
            )
            continue
        if CHILD_LEVEL.get(parent_level) != level:
            plan.errors.append(RowError(offset, "代码", code, "层级不符：村/社区应在街道之下，网格应在村/社区之下"))
            continue
        pending[code] = {"row": offset, "code": code, "name": name, "level": level, "parent_code": parent_code}
    plan.units = list(pending.values())
    return plan


def _map_headers(row: list[str]) -> dict[str, int]:
    return match_headers(row, _UNIT_HEADERS)


def commit_unit_import(*, actor: User, plan: UnitImportPlan, district: Unit) -> tuple[int, int]:
    """Phase two: write the planned units (parents first), each new or renamed one with a change record.
    Returns (created, updated)."""
    require(actor, Capability.UNITS_MANAGE, district)
    created = updated = 0
    order = {UnitLevel.COMMUNITY: 0, UnitLevel.GRID: 1}
    fields = ["code", "name", "level", "parent_id"]
    for item in sorted(plan.units, key=lambda unit: order[unit["level"]]):
        parent = Unit.objects.get(code=item["parent_code"])
        if not parent.path.startswith(district.path):
            raise PermissionDenied(f"上级单位 {parent.code} 不在 {district.name} 内")
        unit = Unit.objects.filter(code=item["code"]).first()
        before = snapshot(unit, fields) if unit else None
        if unit is None:
            unit = Unit.objects.create(code=item["code"], name=item["name"], level=item["level"], parent=parent)
        elif (unit.name, unit.level, unit.parent_id) != (item["name"], item["level"], parent.pk):
            unit.name, unit.level, unit.parent = item["name"], item["level"], parent
            unit.save()
        else:
            continue
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE if before else ChangeKind.CREATE,
            instance=unit,
            unit=unit,
            before=before,
            after=snapshot(unit, fields),
            reason="导入单位",
        )
        created += before is None
        updated += before is not None
    return created, updated


# ---------------------------------------------------------------- grid teams


def default_team_template() -> TeamTemplate:
    """三人小组: a community cadre, a police officer and a doctor, one each."""
    template, created = TeamTemplate.objects.get_or_create(name="三人小组", defaults={"is_default": True})
    if created:
        for order, duty in enumerate(["社区干部", "民警", "医生"]):
            TeamSlot.objects.create(template=template, duty=duty, order=order)
    return template


def _require_change(actor: User, unit: Unit) -> None:
    require_actor(actor)
    if not user_can(actor, Capability.TEAMS_MANAGE, unit):
        raise PermissionDenied("无权组建或调整该单位的包保小组")


def create_team(*, actor: User, unit: Unit, template: TeamTemplate, name: str) -> GridTeam:
    _require_change(actor, unit)
    if unit.level not in {UnitLevel.COMMUNITY, UnitLevel.GRID}:
        raise ValidationError({"unit": "包保小组应建在村/社区或网格"})
    team = GridTeam.objects.create(unit=unit, template=template, name=name.strip())
    record_change(actor=actor, kind=ChangeKind.CREATE, instance=team, unit=unit, after=snapshot(team))
    return team


def add_team_member(*, actor: User, team: GridTeam, slot: TeamSlot, name: str, phone: str = "") -> TeamMember:
    _require_change(actor, team.unit)
    if slot.template_id != team.template_id:
        raise ValidationError({"slot": "该职责不属于本小组的模板"})
    member = TeamMember.objects.create(team=team, slot=slot, name=name.strip(), phone=phone.strip())
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=member,
        unit=team.unit,
        after={"team": team.name, "duty": slot.duty, "name": member.name, "phone": member.phone},
    )
    return member


def remove_team_member(*, actor: User, member: TeamMember, reason: str = "") -> None:
    _require_change(actor, member.team.unit)
    record_change(
        actor=actor,
        kind=ChangeKind.DELETE,
        instance=member,
        unit=member.team.unit,
        before={"team": member.team.name, "duty": member.slot.duty, "name": member.name, "phone": member.phone},
        reason=reason,
    )
    member.delete()


def team_is_complete(team: GridTeam) -> bool:
    filled: dict[int, int] = {}
    for member in team.members.all():
        filled[member.slot_id] = filled.get(member.slot_id, 0) + 1
    return all(filled.get(slot.pk, 0) >= slot.required for slot in team.template.slots.all())


def team_coverage(*, units: Iterable[Unit]) -> list[dict]:
    """For each village/community: its teams and whether at least one of them is complete."""
    communities = [unit for unit in units if unit.level == UnitLevel.COMMUNITY]
    paths = [unit.path for unit in communities]
    teams = (
        GridTeam.objects.filter(unit__level__in=[UnitLevel.COMMUNITY, UnitLevel.GRID])
        .select_related("unit", "template")
        .prefetch_related("members", "template__slots")
    )
    by_community: dict[str, list[GridTeam]] = {path: [] for path in paths}
    for team in teams:
        segments = team.unit.path.strip("/").split("/")
        prefixes = ("/" + "/".join(segments[:depth]) + "/" for depth in range(1, len(segments) + 1))
        community_path = next((prefix for prefix in prefixes if prefix in by_community), None)
        if community_path is not None:
            by_community[community_path].append(team)
    return [
        {
            "unit": unit,
            "teams": len(by_community[unit.path]),
            "complete": sum(team_is_complete(team) for team in by_community[unit.path]),
        }
        for unit in communities
    ]


# ---------------------------------------------------------------- users and grants

# The level a role's unit must have: a district command grant sits on a district, and so on.
ROLE_UNIT_LEVELS: dict[str, set[str]] = {
    Role.DISTRICT_COMMAND: {UnitLevel.DISTRICT},
    Role.TOWNSHIP_OFFICE: {UnitLevel.TOWNSHIP},
    Role.GRID_MEMBER: {UnitLevel.COMMUNITY, UnitLevel.GRID},
    Role.SITE_STAFF: set(TERRITORIAL_LEVELS),
    Role.VENUE_STAFF: set(TERRITORIAL_LEVELS),
    Role.SAMPLING_LAB: set(TERRITORIAL_LEVELS),
    Role.INSPECTOR: set(TERRITORIAL_LEVELS),
    Role.CLERK: set(TERRITORIAL_LEVELS),
    # A department's staff and a working group's members belong to it; their reach comes from what it is.
    Role.DEPARTMENT_STAFF: {UnitLevel.DEPARTMENT},
    Role.TASK_FORCE: {UnitLevel.WORKING_GROUP},
}

_USER_AUDIT_FIELDS = ["username", "display_name", "phone", "unit_id", "is_active"]


def _require_manage(actor: User, unit: Unit | None) -> Unit:
    require_actor(actor)
    if unit is None:
        # Accounts outside the hierarchy (operators, the service account) are administered from the console.
        raise PermissionDenied("该账号不属于任何单位，只能由系统管理员在命令行管理")
    if not user_can(actor, Capability.USERS_MANAGE, unit):
        raise PermissionDenied("无权管理该单位的用户")
    return unit


def capabilities_over(actor: User, unit: Unit) -> frozenset[str]:
    """What the actor's own grants carry over `unit`: the most it may hand on there."""
    if actor.is_superuser:
        return frozenset(Capability.values)
    held: set[str] = set()
    for grant in actor.grants.select_related("unit"):
        path, carried = grant_reach(grant)
        if unit.path.startswith(path):
            held |= carried
    return frozenset(held)


def _require_role_within(actor: User, role: str, unit: Unit) -> None:
    """A role may be handed on only where the actor manages users and holds every capability of it itself."""
    _require_manage(actor, unit)
    if not capabilities_of(role) <= capabilities_over(actor, unit):
        raise PermissionDenied(f"无权授予“{Role(role).label}”：该角色的权限超出您在 {unit.name} 的权限")


def _require_account(actor: User, account: User) -> Unit:
    """An account is administered only by someone who could have granted each of its roles: a township office
    cannot reset the password of an account homed in its township that carries district rights."""
    home = _require_manage(actor, account.unit)
    for grant in account.grants.select_related("unit"):
        _require_role_within(actor, grant.role, grant.unit)
    return home


def manageable_users(actor: User):
    """The accounts `actor` may administer (user list and detail): homed in its scope, every grant within it
    and of a role no wider than the actor's own."""
    if actor.is_superuser:
        return User.objects.all()
    units = scope_unit_ids(actor, Capability.USERS_MANAGE)
    held = frozenset().union(*(grant_reach(grant)[1] for grant in actor.grants.select_related("unit")))
    roles = [role for role in Role.values if capabilities_of(role) <= held]
    outside = Grant.objects.exclude(unit_id__in=units) | Grant.objects.exclude(role__in=roles)
    return User.objects.filter(unit_id__in=units).exclude(pk__in=outside.values("user_id"))


def create_user(*, actor: User, username: str, display_name: str, unit: Unit, password: str, phone: str = "") -> User:
    _require_manage(actor, unit)
    if User.objects.filter(username=username).exists():
        raise ValidationError({"username": "用户名已存在"})
    user = User(username=username, display_name=display_name, unit=unit, phone=phone)
    validate_password(password, user)
    user.set_password(password)
    user.save()
    record_change(
        actor=actor, kind=ChangeKind.CREATE, instance=user, unit=unit, after=snapshot(user, _USER_AUDIT_FIELDS)
    )
    return user


def grant_role(*, actor: User, user: User, role: str, unit: Unit) -> Grant:
    _require_role_within(actor, role, unit)
    home = _require_account(actor, user)
    allowed_levels = ROLE_UNIT_LEVELS.get(role)
    if allowed_levels and unit.level not in allowed_levels:
        levels = "、".join(str(UnitLevel(level).label) for level in allowed_levels)
        raise ValidationError({"unit": f"{Role(role).label} 只能授予在 {levels} 一级"})
    grant, created = Grant.objects.get_or_create(user=user, role=role, unit=unit)
    if created:
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE,
            instance=user,
            unit=home,
            after={"grant": f"{Role(role).label} @ {unit.code} {unit.name}"},
            reason="授予角色",
        )
    return grant


def revoke_grant(*, actor: User, grant: Grant) -> None:
    _require_role_within(actor, grant.role, grant.unit)
    home = _require_account(actor, grant.user)
    description = f"{grant.get_role_display()} @ {grant.unit.code} {grant.unit.name}"
    grant.delete()
    record_change(
        actor=actor,
        kind=ChangeKind.DELETE,
        instance=grant.user,
        unit=home,
        before={"grant": description},
        reason="撤销角色",
    )


def reset_password(*, actor: User, user: User, new_password: str) -> None:
    home = _require_account(actor, user)
    validate_password(new_password, user)
    user.set_password(new_password)
    user.failed_logins = 0
    user.locked_until = None
    user.save(update_fields=["password", "failed_logins", "locked_until"])
    record_change(actor=actor, kind=ChangeKind.UPDATE, instance=user, unit=home, reason="重置密码")


def set_user_active(*, actor: User, user: User, active: bool) -> None:
    home = _require_account(actor, user)
    if user.pk == actor.pk and not active:
        raise ValidationError("不能停用自己的账号")
    before = snapshot(user, _USER_AUDIT_FIELDS)
    user.is_active = active
    user.save(update_fields=["is_active"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=user,
        unit=home,
        before=before,
        after=snapshot(user, _USER_AUDIT_FIELDS),
        reason="启用账号" if active else "停用账号",
    )


def service_account(name: str = "system") -> User:
    """The account that commands and jobs act as when no person is named. It cannot log in."""
    user, created = User.objects.get_or_create(
        username=name, defaults={"display_name": "系统任务", "is_service_account": True}
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
