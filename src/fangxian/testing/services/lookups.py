"""Read-only lookups: the latest negative within N hours (the 48-hour check), key groups past their interval."""

import datetime
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from fangxian.testing.choices import (
    TubeResult,
)
from fangxian.testing.models import (
    Sample,
    Tube,
)


@dataclass
class LatestTest:
    negative_within: bool
    sampled_at: datetime.datetime | None = None
    result_at: datetime.datetime | None = None
    pending_since: datetime.datetime | None = None


def latest_negative(
    *, doc_number: str, doc_type: str = "", hours: int = 48, now: datetime.datetime | None = None
) -> LatestTest:
    """ "48 小时核酸": the person's latest negative sampled within `hours`, counted from the sampling time (a
    pool's negative counts for each member); also the latest sample still without a result."""
    now = now or timezone.now()
    since = now - datetime.timedelta(hours=hours)
    first_day = timezone.localtime(since).date()
    days = [
        first_day + datetime.timedelta(days=n) for n in range((timezone.localtime(now).date() - first_day).days + 1)
    ]
    samples = Sample.objects.filter(doc_number=doc_number.strip().upper(), day__in=days)
    if doc_type:
        samples = samples.filter(doc_type=doc_type)
    tubes = (
        Tube.objects.filter(id__in=samples.values("tube_id"), sampled_at__gte=since, sampled_at__lte=now)
        .order_by("-sampled_at")
        .values_list("sampled_at", "result", "result_at")
    )
    answer = LatestTest(negative_within=False)
    for sampled_at, result, result_at in tubes:
        if result == TubeResult.NEGATIVE:
            answer.negative_within, answer.sampled_at, answer.result_at = True, sampled_at, result_at
            break
        if result == "" and answer.pending_since is None:
            answer.pending_since = sampled_at
    return answer


def key_group_overdue(*, memberships, today: datetime.date | None = None) -> list[tuple]:
    """(membership, last sampled day or None) for the members of key groups not sampled within their group's
    interval (a group every 3 days: sampled on or after today − 2). `memberships` is already restricted."""
    today = today or timezone.localdate()
    memberships = list(memberships.select_related("group", "person", "unit"))
    if not memberships:
        return []
    longest = max(m.group.interval_days for m in memberships)
    first = today - datetime.timedelta(days=longest - 1)
    days = [first + datetime.timedelta(days=n) for n in range(longest)]
    docs = {m.person.doc_number for m in memberships}
    last: dict[str, datetime.date] = {}
    docs_list = list(docs)
    for start in range(0, len(docs_list), 2000):
        rows = (
            Sample.objects.filter(doc_number__in=docs_list[start : start + 2000], day__in=days)
            .values("doc_number")
            .annotate(last=Max("day"))
        )
        last.update({row["doc_number"]: row["last"] for row in rows})
    overdue = []
    for membership in memberships:
        due_from = today - datetime.timedelta(days=membership.group.interval_days - 1)
        seen = last.get(membership.person.doc_number)
        if seen is None or seen < due_from:
            overdue.append((membership, seen))
    return overdue
