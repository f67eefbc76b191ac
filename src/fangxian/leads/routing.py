"""Routing a pushed address to the unit that must act: a community if it is named unambiguously, else its
township, else the district queue for manual routing."""

import re

from fangxian.core.choices import UnitLevel
from fangxian.core.models import Unit

_SUFFIXES = ("街道办事处", "街道", "镇", "乡", "社区居委会", "居委会", "村委会", "社区", "村")


def aliases(unit: Unit) -> set[str]:
    names = {unit.name}
    for suffix in _SUFFIXES:
        if unit.name.endswith(suffix) and len(unit.name) - len(suffix) >= 2:
            names.add(unit.name[: -len(suffix)])
            break
    return names


class Router:
    def __init__(self, district: Unit):
        self.district = district
        units = Unit.objects.filter(
            path__startswith=district.path, level__in=[UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY], is_active=True
        )
        self.by_alias: dict[str, list[Unit]] = {}
        for unit in units:
            for alias in aliases(unit):
                self.by_alias.setdefault(alias, []).append(unit)
        ordered = sorted(self.by_alias, key=len, reverse=True)
        self.pattern = re.compile("|".join(re.escape(alias) for alias in ordered)) if ordered else None
        self.cache: dict[str, Unit] = {}

    def route(self, address: str) -> Unit:
        if address not in self.cache:
            self.cache[address] = self._route(address)
        return self.cache[address]

    def _route(self, address: str) -> Unit:
        if not address or self.pattern is None:
            return self.district
        found = {unit for match in self.pattern.finditer(address) for unit in self.by_alias[match.group()]}
        townships = {unit for unit in found if unit.level == UnitLevel.TOWNSHIP}
        township_ids = {unit.pk for unit in townships}
        communities = [
            unit
            for unit in found
            if unit.level == UnitLevel.COMMUNITY and (not townships or unit.parent_id in township_ids)
        ]
        if len(communities) == 1:
            return communities[0]
        parents = {unit.parent_id for unit in communities}
        if len(parents) == 1:
            return communities[0].parent
        if len(townships) == 1:
            return next(iter(townships))
        return self.district
