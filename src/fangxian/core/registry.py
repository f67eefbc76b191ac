"""What core asks of the domain apps without importing them (core is the layer they all stand on).

Each app registers, in its AppConfig.ready(), what it contributes to core's pages: the unit tree's counts per unit
(registry of row sources, each a function of the user returning the rows that user may see), and the sections of a
person's file (一人一档: their leads, measures, checks, tests, stays), each as the reading user may see it."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import QuerySet

_UNIT_COUNTS: dict[str, Callable[[object], QuerySet]] = {}


def register_unit_count(name: str, rows: Callable[[object], QuerySet]) -> None:
    """`rows(user)` are rows with a unit (scope_unit_field) that the unit tree counts per unit as `name`."""
    _UNIT_COUNTS[name] = rows


def unit_counts() -> dict[str, Callable[[object], QuerySet]]:
    return dict(_UNIT_COUNTS)


@dataclass(frozen=True)
class FileEntry:
    """One line of a person's file (一人一档): when, what, and where it is handled (a page the reader may open)."""

    when: datetime.date | datetime.datetime | None
    title: str
    detail: str = ""
    url: str = ""
    colour: str = "secondary"


@dataclass(frozen=True)
class FileSection:
    title: str
    entries: list[FileEntry]
    testid: str


# Each source gives a section of a person's file as one user may see it, or None when the user may not see that
# kind of row at all (the section is then left out, not shown empty).
_PERSON_FILE: list[tuple[int, Callable[[object, object], FileSection | None]]] = []


def register_person_file(order: int, section: Callable[[object, object], FileSection | None]) -> None:
    _PERSON_FILE.append((order, section))
    _PERSON_FILE.sort(key=lambda item: item[0])


def person_file(person, user) -> list[FileSection]:
    sections = (section(person, user) for _order, section in _PERSON_FILE)
    return [section for section in sections if section is not None]
