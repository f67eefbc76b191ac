"""A change record's values as an officer reads them: labels for codes, names for ids, local times, plain text for
structures — never "open → closed", "placed_under_measure", a Python dict or an id. The record keeps the raw
values (the audit is exact); this is only how they are shown."""

import datetime
import re

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as gettext_now
from django.utils.translation import gettext_lazy as _

from fangxian.core.masking import mask_numbers_in_text

# Keys services write that are not model fields (a health check on a measure, a check-out's reason …).
KEY_LABELS = {
    "grant": _("角色授权"),
    "fields": _("填报项"),
    "day": _("日期"),
    "slot": _("第几次"),
    "temperature": _("体温"),
    "symptoms": _("症状"),
    "site": _("隔离点"),
    "room": _("房间"),
    "hospital": _("定点医院"),
    "override": _("越过管控计划"),
    "reason": _("原因"),
    "note": _("说明"),
    "person_id": _("人员"),
    "with_person_id": _("同住人员"),
    "days": _("天数"),
    "device": _("设备"),
    "outcome": _("结果"),
    "tubes": _("采样管"),
    "point": _("采样点"),
    "count": _("数量"),
    "person": _("人员"),
    "accepted": _("采用"),
    "repeated": _("重复"),
    "conflicts": _("冲突"),
    "unknown": _("管码未登记"),
    "recalled_tubes": _("混管阳性/无效管码"),
    "recalled_people": _("就地管控人数"),
    "released": _("单采复核解除"),
    "retest_positive": _("单采复核阳性"),
    "tube_count": _("管数"),
    "members": _("人数"),
    "codes": _("管码"),
    "box": _("转运箱"),
    "lab": _("检测机构"),
    "file": _("文件"),
    "rows": _("行数"),
}
_ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def model_label(label: str) -> str:
    """ "control.measure" → 管控措施."""
    try:
        return str(apps.get_model(label)._meta.verbose_name)
    except (LookupError, ValueError):
        return label


def field_of(meta, name: str):
    if meta is None:
        return None
    for candidate in (name, name.removesuffix("_id")):
        try:
            return meta.get_field(candidate)
        except FieldDoesNotExist:
            continue
    return None


def key_label(meta, name: str) -> str:
    field = field_of(meta, name)
    label = getattr(field, "verbose_name", None) if field is not None else None
    return str(label or KEY_LABELS.get(name, name))


def readable(meta, name: str, value, *, names: dict):
    """`names`: a cache of related objects' names for one page (a unit named in 50 records is read once)."""
    if value is None or value == "":
        return value
    field = field_of(meta, name)
    if field is not None and getattr(field, "choices", None):
        return str(dict(field.flatchoices).get(value, value))
    if isinstance(value, bool):
        return gettext_now("是") if value else gettext_now("否")
    # An id is a number, or a string under a key that says so ("unit_id"); a string under a relation's own name
    # is already a name ("site": "金河宾馆", "room": "301") and is shown as written.
    is_id = (isinstance(value, int) or name.endswith("_id")) and str(value).isdigit()
    if is_id and field is not None and field.is_relation and field.related_model is not None:
        return _name_of(field.related_model, value, names)
    if is_id and name.endswith("person_id"):
        return _name_of(apps.get_model("people", "Person"), value, names)
    if isinstance(value, str):
        if _ISO_TIME.match(value) or _ISO_DAY.match(value):
            return _time_text(value)
        # Free text (a note, an address) may carry an ID number or a phone: masked, as in every list.
        return mask_numbers_in_text(value)
    if isinstance(value, dict):
        return "；".join(
            f"{key_label(None, key)}：{readable(None, key, item, names=names)}" for key, item in value.items()
        )
    if isinstance(value, list):
        return "、".join(str(readable(None, name, item, names=names)) for item in value)
    return value


def _name_of(model, key, names: dict) -> str:
    cache_key = (model._meta.label, str(key))
    if cache_key not in names:
        found = model._default_manager.filter(pk=int(key)).first()
        names[cache_key] = (
            (getattr(found, "label", None) or str(found)) if found is not None else gettext_now("（已删除）")
        )
    return names[cache_key]


def _time_text(value: str) -> str:
    if _ISO_TIME.match(value):
        moment = parse_datetime(value)
        if moment is not None:
            if timezone.is_aware(moment):
                moment = timezone.localtime(moment)
            return moment.strftime("%Y-%m-%d %H:%M")
    if _ISO_DAY.match(value):
        day = parse_date(value)
        if isinstance(day, datetime.date):
            return day.strftime("%Y-%m-%d")
    return value
