"""The closed-loop board as one worklist: every overdue or open item of the people under measures, most urgent
first (an alarm past its time before anything else), each naming its person, its unit and when it was due.
The page, its export and the home page's counts read the same items."""

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from fangxian.control.choices import BoardItemKind
from fangxian.control.models import Measure
from fangxian.control.services import ClosedLoop
from fangxian.core.models import Unit

_RANK = {kind: index for index, kind in enumerate(BoardItemKind.values)}


@dataclass
class BoardItem:
    kind: str
    measure_id: int
    detail: str
    due: datetime.datetime | None  # when it had to be done (None: a count, not a deadline)
    count: int = 1
    alert_unit: Unit | None = None  # an alarm's own unit (the community it went to)
    measure: Measure | None = None  # loaded for the items shown (with_people), not for all of them

    @property
    def kind_label(self) -> str:
        return str(BoardItemKind(self.kind).label)

    @property
    def unit(self) -> Unit:
        return self.alert_unit if self.alert_unit is not None else self.measure.unit

    def sort_key(self) -> tuple:
        # Within a kind: the longest overdue first; missed checks by how many were missed.
        due = self.due.timestamp() if self.due else 0.0
        return (_RANK[self.kind], -self.count, due, self.measure_id)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def board_items(loop: ClosedLoop, *, now: datetime.datetime) -> list[BoardItem]:
    """Every item of the loop, most urgent first, by measure id: who they are is read for the page shown."""
    items: list[BoardItem] = []
    # Each wording translated once, not once per item (10⁴ items: a third of the board's time).
    no_team = _("居家管控，无人上门：请指定包保小组")
    test_missed, release_due, checks_missed = (
        _("%(day)s 应检核酸，未录结果"),
        _("%(day)s 期满，尚未解除"),
        _("漏测 %(count)s 次"),
    )
    for follow_up in loop.follow_ups:
        late = follow_up.due_at < now
        items.append(
            BoardItem(
                kind=BoardItemKind.ALARM_LATE if late else BoardItemKind.ALARM,
                measure_id=follow_up.measure_id,
                detail=f"{follow_up.get_kind_display()}：{follow_up.detail}",
                due=follow_up.due_at,
                alert_unit=follow_up.unit,
            )
        )
    for measure_id, start_date in loop.without_team:
        items.append(
            BoardItem(
                kind=BoardItemKind.WITHOUT_TEAM,
                measure_id=measure_id,
                detail=no_team,
                due=_start_of(start_date),
            )
        )
    for measure_id, day in loop.missed_tests:
        items.append(
            BoardItem(
                kind=BoardItemKind.MISSED_TEST,
                measure_id=measure_id,
                detail=test_missed % {"day": day.strftime("%m-%d")},
                due=_start_of(day),
            )
        )
    for measure_id, end_date in loop.release_overdue:
        items.append(
            BoardItem(
                kind=BoardItemKind.RELEASE_OVERDUE,
                measure_id=measure_id,
                detail=release_due % {"day": end_date.strftime("%m-%d")},
                due=_start_of(end_date + datetime.timedelta(days=1)),
            )
        )
    for measure_id, count in loop.missed_checks:
        items.append(
            BoardItem(
                kind=BoardItemKind.MISSED_CHECKS,
                measure_id=measure_id,
                detail=checks_missed % {"count": count},
                due=None,
                count=count,
            )
        )
    return sorted(items, key=BoardItem.sort_key)


def with_people(items, *, chunk: int = 2000):
    """The items with their measure, person and unit loaded, a chunk at a time (a page, or an export)."""
    items = list(items) if not isinstance(items, list) else items
    for start in range(0, len(items), chunk):
        part = items[start : start + chunk]
        loaded = Measure.objects.select_related("person", "unit__parent").in_bulk([item.measure_id for item in part])
        for item in part:
            # A measure deleted since the loop was read (a person removed from the registry) is left out, not a 500.
            if item.measure_id in loaded:
                item.measure = loaded[item.measure_id]
                yield item


def kind_counts(items: list[BoardItem]) -> dict[str, int]:
    counts = dict.fromkeys(BoardItemKind.values, 0)
    for item in items:
        counts[item.kind] += 1
    return counts
