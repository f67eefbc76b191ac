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


@dataclass(frozen=True)
class BoardItem:
    kind: str
    measure: Measure
    unit: Unit
    detail: str
    due: datetime.datetime | None  # when it had to be done (None: a count, not a deadline)
    count: int = 1

    @property
    def kind_label(self) -> str:
        return str(BoardItemKind(self.kind).label)

    def sort_key(self) -> tuple:
        # Within a kind: the longest overdue first; missed checks by how many were missed.
        due = self.due.timestamp() if self.due else 0.0
        return (_RANK[self.kind], -self.count, due, self.measure.pk)


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def board_items(loop: ClosedLoop, *, now: datetime.datetime) -> list[BoardItem]:
    items: list[BoardItem] = []
    for follow_up in loop.follow_ups:
        late = follow_up.due_at < now
        items.append(
            BoardItem(
                kind=BoardItemKind.ALARM_LATE if late else BoardItemKind.ALARM,
                measure=follow_up.measure,
                unit=follow_up.unit,
                detail=f"{follow_up.get_kind_display()}：{follow_up.detail}",
                due=follow_up.due_at,
            )
        )
    for measure in loop.without_team:
        items.append(
            BoardItem(
                kind=BoardItemKind.WITHOUT_TEAM,
                measure=measure,
                unit=measure.unit,
                detail=_("居家管控，无人上门：请指定包保小组"),
                due=_start_of(measure.start_date),
            )
        )
    for test in loop.missed_tests:
        items.append(
            BoardItem(
                kind=BoardItemKind.MISSED_TEST,
                measure=test.measure,
                unit=test.measure.unit,
                detail=_("%(day)s 应检核酸，未录结果") % {"day": test.day.strftime("%m-%d")},
                due=_start_of(test.day),
            )
        )
    for measure in loop.release_overdue:
        items.append(
            BoardItem(
                kind=BoardItemKind.RELEASE_OVERDUE,
                measure=measure,
                unit=measure.unit,
                detail=_("%(day)s 期满，尚未解除") % {"day": measure.end_date.strftime("%m-%d")},
                due=_start_of(measure.end_date + datetime.timedelta(days=1)),
            )
        )
    for measure, count in loop.missed_checks:
        items.append(
            BoardItem(
                kind=BoardItemKind.MISSED_CHECKS,
                measure=measure,
                unit=measure.unit,
                detail=_("漏测 %(count)s 次") % {"count": count},
                due=None,
                count=count,
            )
        )
    return sorted(items, key=BoardItem.sort_key)


def kind_counts(items: list[BoardItem]) -> dict[str, int]:
    counts = dict.fromkeys(BoardItemKind.values, 0)
    for item in items:
        counts[item.kind] += 1
    return counts
