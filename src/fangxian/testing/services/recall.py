"""The recall of positive pools: members held, re-tests settled, leads raised for the held people."""

import datetime

from django.db import connection
from django.db.models import Count
from django.utils import timezone

from fangxian.core.audit import require_actor
from fangxian.core.bulk import (
    in_list_sql,
    index_plans,
    uuid7_sql,
)
from fangxian.core.models import Unit, User
from fangxian.core.notify import notify
from fangxian.testing.choices import (
    RecallStatus,
    TubeResult,
)
from fangxian.testing.models import (
    Recall,
    Sample,
)


def recall(*, tubes: list[tuple[int, datetime.date]], now: datetime.datetime, status: str = RecallStatus.HELD) -> int:
    """Every member of these positive or invalid pools, held where they are: a recall row each (the list on
    screen), written inside the database from the samples; then the units are told. Returns the number of
    people recalled. Leads for the members' units follow in raise_recall_leads (a job)."""
    if not tubes:
        return 0
    days = sorted({day for _, day in tubes})
    tube_filter, tube_params = in_list_sql("s.tube_id", [pk for pk, _ in tubes])
    day_filter, day_params = _in_list_dates("s.day", days)
    source = (
        "testing_sample s LEFT JOIN people_person p ON p.doc_type = s.doc_type AND p.doc_number = s.doc_number "
        f"WHERE {tube_filter} AND {day_filter}"
    )
    columns = "uuid, tube_id, doc_type, doc_number, name, phone, person_id, unit_id, status, raised_at"
    expressions = (
        f"{uuid7_sql('s.id')}, s.tube_id, s.doc_type, s.doc_number, s.name, s.phone, p.id, "
        "COALESCE(p.unit_id, s.unit_id), %s, %s"
    )
    with index_plans(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO testing_recall ({columns}) SELECT {expressions} FROM {source} "
            "ON CONFLICT (tube_id, doc_number) DO NOTHING",
            [status, connection.ops.adapt_datetimefield_value(now), *tube_params, *day_params],
        )
        recalled = cursor.rowcount
    per_unit = (
        Recall.objects.filter(tube_id__in=[pk for pk, _ in tubes], raised_at=now)
        .values("unit_id", "unit__name")
        .annotate(people=Count("id"))
    )
    for row in per_unit:
        if status == RecallStatus.HELD:
            title = f"混管阳性：{row['people']} 人需就地管控"
            body = f"{row['unit__name']}有 {row['people']} 名混管阳性（或无效）人员，请立即就地管控并安排单采复核。"
        else:
            title = f"单管阳性：{row['people']} 人"
            body = f"{row['unit__name']}有 {row['people']} 名单管检测阳性人员，请立即转运定点医院并开展流调。"
        notify(
            unit=_unit(row["unit_id"]),
            key=f"recall:{status}:{row['unit_id']}:{now.isoformat()}",
            title=title,
            body=body,
            url="/testing/recalls/",
        )
    return recalled


def _unit(pk: int) -> Unit:
    return Unit.objects.get(pk=pk)


def _in_list_dates(column: str, days: list[datetime.date]) -> tuple[str, list]:
    # Literal dates (not a bound array) let PostgreSQL prune the partitions at planning time.
    return f"{column} IN ({', '.join(['%s'] * len(days))})", list(days)


def settle_retests(singles: list[tuple[int, datetime.date, str]], *, now: datetime.datetime) -> tuple[int, int]:
    """Single-tube results for people held by a recall: a negative releases them, a positive confirms the case
    (the unit is told at once); an invalid one leaves them held for another sample."""
    decided = [(pk, day, result) for pk, day, result in singles if result != TubeResult.INVALID]
    if not decided or not Recall.objects.filter(status=RecallStatus.HELD).exists():
        return 0, 0
    released = confirmed = 0
    held_docs = set(Recall.objects.filter(status=RecallStatus.HELD).values_list("doc_number", flat=True))
    by_tube = {pk: result for pk, _, result in decided}
    days = sorted({day for _, day, _ in decided})
    samples = Sample.objects.filter(tube_id__in=list(by_tube), day__in=days, doc_number__in=held_docs).values_list(
        "tube_id", "doc_number"
    )
    for tube_id, doc_number in samples:
        status = RecallStatus.RELEASED if by_tube[tube_id] == TubeResult.NEGATIVE else RecallStatus.POSITIVE
        held = Recall.objects.filter(doc_number=doc_number, status=RecallStatus.HELD, raised_at__lte=now)
        count = held.update(status=status, retest_tube_id=tube_id, closed_at=now)
        if status == RecallStatus.RELEASED:
            released += count
            continue
        confirmed += count
        for item in Recall.objects.filter(doc_number=doc_number, retest_tube_id=tube_id).select_related("unit"):
            notify(
                unit=item.unit,
                key=f"retest-positive:{item.pk}",
                title=f"单采复核阳性：{item.name}",
                body=f"{item.name}单采复核阳性，请立即转运定点医院并开展流调。",
                url="/testing/recalls/?status=positive",
            )
    return released, confirmed


def raise_recall_leads(*, actor: User, now: datetime.datetime | None = None) -> int:
    """A lead (混管阳性) for every recalled member who has none open: registered as a person first when the
    registry does not know them (name, document and phone as sampled, in the unit that sampled them)."""
    from fangxian.leads.choices import LeadCategory, LeadSource, LeadStatus
    from fangxian.leads.models import Lead
    from fangxian.leads.services import NewLead, create_leads
    from fangxian.people.documents import DocumentError, parse_document
    from fangxian.people.models import Person
    from fangxian.people.services import PersonRow, bulk_register_persons

    require_actor(actor)
    now = now or timezone.now()
    unknown = list(Recall.objects.filter(status=RecallStatus.HELD, person__isnull=True).select_related("unit"))
    rows, recalls = [], []
    seen = set()
    for item in unknown:
        key = (item.doc_type, item.doc_number)
        if key in seen:
            continue
        try:
            document = parse_document(item.doc_type, item.doc_number)
        except DocumentError:
            continue  # checked when sampled; a rule changed since is left for a person to look at
        registered = Person.objects.filter(doc_type=document.doc_type, doc_number=document.number).first()
        if registered:
            Recall.objects.filter(doc_type=item.doc_type, doc_number=item.doc_number).update(person=registered)
            continue
        seen.add(key)
        rows.append(PersonRow(unit=item.unit, name=item.name, document=document, phone=item.phone))
        recalls.append(item)
    ids = bulk_register_persons(actor=actor, rows=rows, reason="混管阳性人员登记") if rows else []
    for item, person_id in zip(recalls, ids, strict=True):
        Recall.objects.filter(doc_type=item.doc_type, doc_number=item.doc_number).update(person_id=person_id)
    held = Recall.objects.filter(status=RecallStatus.HELD, person__isnull=False).select_related("person", "tube")
    open_leads = set(
        Lead.objects.filter(status=LeadStatus.OPEN, category=LeadCategory.POSITIVE_POOL).values_list(
            "person_id", flat=True
        )
    )
    wanted, seen_persons = [], set()
    for item in held:
        if item.person_id is None or item.person_id in open_leads or item.person_id in seen_persons:
            continue
        seen_persons.add(item.person_id)
        wanted.append(
            NewLead(
                person_id=item.person_id,
                person_name=item.name,
                category=LeadCategory.POSITIVE_POOL,
                unit_id=item.unit_id,
                pushed_data={"管码": item.tube.code, "采样日期": item.tube.sampled_on.isoformat()},
            )
        )
    if not wanted:
        return 0
    return create_leads(
        actor=actor, leads=wanted, source=LeadSource.POSITIVE_POOL, received_at=now, reason="混管阳性：就地管控"
    )
