"""Venue lists imported from xlsx/csv in two phases: every row is checked and every error shown before anything
is written; the commit writes the valid rows. Idempotent: a row names its venue by the provincial code when it
has one, else by name within its community, and a venue already registered is left as it is."""

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError

from fangxian.core.audit import require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.models import Unit, User
from fangxian.core.scoping import scope_unit_ids
from fangxian.core.tabular import RowError, TableReadError, find_header
from fangxian.venues.models import Venue, VenueCategory, VenueCode
from fangxian.venues.services.registry import VENUE_LEVELS, register_venue

HEADERS = {
    "name": ["场所名称", "名称", "单位名称"],
    "category": ["类别", "场所类别", "场所类型", "行业类别"],
    "unit": ["所属社区", "属地", "村/社区", "所在社区", "社区代码", "社区"],
    "address": ["地址", "详细地址", "场所地址"],
    "contact": ["负责人", "联系人"],
    "phone": ["联系电话", "电话", "手机号"],
    "external_code": ["外部场所码", "场所码", "省平台场所码", "场所编码"],
    "areas": ["分区", "区域", "楼层/班级"],
    "latitude": ["纬度"],
    "longitude": ["经度"],
}
REQUIRED = ("name", "category", "unit", "address")
PHONE = re.compile(r"^(?:(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}|0\d{2,3}[-\s]?\d{7,8}(?:-\d{1,6})?)$")
MAX_ROWS = 10_000


@dataclass
class VenueRow:
    row: int
    name: str
    category: VenueCategory
    unit: Unit
    address: str
    contact: str = ""
    phone: str = ""
    external_code: str = ""
    areas: list[str] = field(default_factory=list)
    latitude: Decimal | None = None
    longitude: Decimal | None = None


@dataclass
class VenuePlan:
    rows: int = 0
    new: list[VenueRow] = field(default_factory=list)
    existing: int = 0
    errors: list[RowError] = field(default_factory=list)


def plan_venues(*, actor: User, rows: list[list[str]]) -> VenuePlan:
    """Check every row against the categories, the actor's communities and the venues already registered."""
    require_actor(actor)
    header_at, columns = find_header(
        rows, HEADERS, REQUIRED, missing_header="未找到表头：需要“场所名称”“类别”“所属社区”“地址”四列"
    )
    body = rows[header_at + 1 :]
    if len(body) > MAX_ROWS:
        raise TableReadError(f"一次最多导入 {MAX_ROWS:,} 个场所，请拆分文件")
    categories: dict[str, VenueCategory] = {}
    for kind in VenueCategory.objects.all():
        categories[kind.name] = categories[kind.code] = kind
    units: dict[str, Unit] = {}
    for place in Unit.objects.filter(
        id__in=scope_unit_ids(actor, Capability.VENUES_MANAGE), level__in=list(VENUE_LEVELS), is_active=True
    ).select_related("parent"):
        units[place.code] = place
        units.setdefault(place.label, place)
        units.setdefault(place.name, place)  # a bare name, when it is the only one of that name in scope
    ambiguous = _ambiguous_names(units.values())
    registered_external = set(VenueCode.objects.values_list("code", flat=True))
    registered_names = set(Venue.objects.values_list("unit_id", "name"))
    plan = VenuePlan()
    seen: set = set()
    for offset, raw in enumerate(body):
        line = header_at + 2 + offset
        value = {name: (raw[index].strip() if index < len(raw) else "") for name, index in columns.items()}
        if not any(value.values()):
            continue
        plan.rows += 1
        problems: list[RowError] = []

        def problem(column: str, message: str, value=value, line=line, problems=problems) -> None:
            problems.append(RowError(line, HEADERS[column][0], value.get(column, ""), message))

        for name in REQUIRED:
            if not value.get(name):
                problem(name, f"{HEADERS[name][0]}为空")
        category: VenueCategory | None = categories.get(value.get("category", ""))
        if value.get("category") and category is None:
            problem("category", "类别不在场所类别表中（如 商场超市、餐饮、中小学校）")
        unit: Unit | None = units.get(value.get("unit", ""))
        if value.get("unit") and (unit is None or value["unit"] in ambiguous):
            problem("unit", "不是您可登记场所的村/社区（请填社区代码，或“街道·社区”）")
        phone = value.get("phone", "")
        if phone and not PHONE.match(phone):
            problem("phone", "电话号码格式不正确：手机号 11 位，固话请带区号")
        coordinates = []
        for name, limit in (("latitude", 90), ("longitude", 180)):
            text = value.get(name, "")
            try:
                number = Decimal(text) if text else None
            except InvalidOperation:
                number = Decimal(999)
            if number is not None and (not number.is_finite() or abs(number) > limit):
                problem(name, "坐标无效")
                number = None
            coordinates.append(number.quantize(Decimal("0.000001")) if number is not None else None)
        if len(value.get("name", "")) > 100 or len(value.get("address", "")) > 200:
            problem("name", "名称超过 100 字或地址超过 200 字")
        external = value.get("external_code", "")[:64]
        key = ("external", external) if external else ("name", unit.pk if unit else None, value.get("name"))
        if key in seen:
            problem("external_code" if external else "name", "与本文件前面的行重复")
        seen.add(key)
        if problems:
            plan.errors.extend(problems)
            continue
        assert category is not None and unit is not None
        if (external and external in registered_external) or (unit.pk, value["name"]) in registered_names:
            plan.existing += 1
            continue
        plan.new.append(
            VenueRow(
                row=line,
                name=value["name"],
                category=category,
                unit=unit,
                address=value["address"],
                contact=value.get("contact", "")[:50],
                phone=phone,
                external_code=external,
                areas=[area for area in re.split(r"[、;；,，\n]", value.get("areas", "")) if area.strip()],
                latitude=coordinates[0],
                longitude=coordinates[1],
            )
        )
    return plan


def _ambiguous_names(units) -> set[str]:
    counts: dict[str, set[int]] = {}
    for unit in units:
        counts.setdefault(unit.name, set()).add(unit.pk)
    return {name for name, ids in counts.items() if len(ids) > 1}


def import_venues(*, actor: User, plan: VenuePlan) -> int:
    """Register the plan's new venues (each checked again by register_venue); returns how many."""
    made = 0
    for row in plan.new:
        try:
            venue = register_venue(
                actor=actor,
                name=row.name,
                category=row.category,
                unit=row.unit,
                address=row.address,
                contact=row.contact,
                phone=row.phone,
                areas=row.areas,
                external_code=row.external_code,
            )
        except ValidationError as error:
            raise ValidationError(f"第 {row.row} 行：{'；'.join(error.messages)}") from None
        if row.latitude is not None or row.longitude is not None:
            Venue.objects.filter(pk=venue.pk).update(latitude=row.latitude, longitude=row.longitude)
        made += 1
    return made
