"""What core asks of the domain apps without importing them (core is the layer they all stand on).

Each app registers, in its AppConfig.ready(), what it contributes to core's pages: the unit tree's counts per unit
(registry of row sources, each a function of the user returning the rows that user may see)."""

from collections.abc import Callable

from django.db.models import QuerySet

_UNIT_COUNTS: dict[str, Callable[[object], QuerySet]] = {}


def register_unit_count(name: str, rows: Callable[[object], QuerySet]) -> None:
    """`rows(user)` are rows with a unit (scope_unit_field) that the unit tree counts per unit as `name`."""
    _UNIT_COUNTS[name] = rows


def unit_counts() -> dict[str, Callable[[object], QuerySet]]:
    return dict(_UNIT_COUNTS)
