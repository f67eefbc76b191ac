"""Case investigation at outbreak scale: 1,000 open cases with 50,000 contacts, over a district's scans.

    .venv/bin/python bench/cases.py                                  # PostgreSQL
    .venv/bin/python bench/cases.py --scans 20000000                 # a larger city of scans
    .venv/bin/python bench/cases.py --db sqlite:////tmp/c.sqlite3 --cases 100 --contacts 50 --scans 200000

Printed, from one run: a case's page (its file with itinerary and contacts) through the web stack, p50 and p95;
co-visit contacts for one case end to end through the service (the venues query, the contacts written; each in
a savepoint rolled back); the chain graph and the clusters of all the cases; and pushing every contact to leads
through the service (case by case, as the investigators do) against the same lead rows COPY'd into a copy of the
lead table with the same indexes and constraints (the baseline, measured in the same run). The database in --db is
dropped and recreated. The scans are the venues bench's synthetic city (skewed venue popularity), fewer of them by
default: `--scans` sets how many.
"""

import argparse
import datetime
import io
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from setup_db import percentile, setup_django  # noqa: E402

BATCH = 10_000


def main() -> None:  # noqa: PLR0915 - one measured run, in the order it is reported
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench_cases")
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--contacts", type=int, default=50, help="per case")
    parser.add_argument("--scans", type=int, default=4_000_000, help="over the 4-day look-back")
    parser.add_argument("--venues", type=int, default=20_000)
    parser.add_argument("--people", type=int, default=400_000)
    parser.add_argument("--pages", type=int, default=200, help="case pages fetched")
    args = parser.parse_args()

    setup_django(args.db)
    import logging

    logging.getLogger("fangxian.core.notify").setLevel(logging.WARNING)
    import polars as pl
    from django.conf import settings
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone
    from testing import citizen_ids
    from venues import scan_batch

    from fangxian import demo
    from fangxian.cases import chains
    from fangxian.cases import services as cases
    from fangxian.cases.choices import CaseClass, ContactClass, FoundBy, Relation
    from fangxian.cases.models import Case, Contact
    from fangxian.core.models import Unit, User
    from fangxian.leads.models import Lead
    from fangxian.people.documents import parse_resident_id
    from fangxian.people.models import Person
    from fangxian.people.services import PersonRow, bulk_register_persons
    from fangxian.venues.choices import CodeKind
    from fangxian.venues.models import Venue, VenueCategory, VenueCode, new_venue_code
    from fangxian.venues.services import scans as scan_service

    postgres = connection.vendor == "postgresql"
    started = time.perf_counter()
    demo.build(persons=0)
    officer = User.objects.get(username="district")
    grids = list(Unit.objects.filter(level="grid").order_by("code"))
    communities = list(Unit.objects.filter(level="community").order_by("code"))
    people = citizen_ids(args.people, seed=41)
    with transaction.atomic():
        bulk_register_persons(
            actor=officer,
            rows=[
                PersonRow(
                    unit=grids[n % len(grids)],
                    name=f"基准{n}",
                    document=parse_resident_id(doc),
                    address=f"基准小区{n // 3}号",  # three people a flat: households for the secondary contacts
                )
                for n, doc in enumerate(people.to_list())
            ],
            reason="基准数据",
        )
    categories = list(VenueCategory.objects.all())
    now = timezone.now()
    with transaction.atomic():
        made = Venue.objects.bulk_create(
            [
                Venue(
                    name=f"基准场所{n:05d}",
                    category=categories[n % len(categories)],
                    unit=communities[n % len(communities)],
                    address=f"基准地址{n}",
                    code=new_venue_code(),
                    code_issued_at=now,
                    created_by=officer,
                )
                for n in range(args.venues)
            ],
            batch_size=5_000,
        )
        VenueCode.objects.bulk_create(
            [VenueCode(code=venue.code, venue=venue, kind=CodeKind.OWN, issued_at=now) for venue in made],
            batch_size=5_000,
        )
    codes = pl.Series("code", [venue.code for venue in made])
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=4 - n) for n in range(4)]
    per_day = args.scans // len(days)
    for number, day in enumerate(days):
        for first in range(0, per_day, BATCH):
            rows = scan_batch(
                number * per_day + first,
                min(BATCH, per_day - first),
                day=day,
                people=people,
                codes=codes,
                zone=settings.TIME_ZONE,
            )
            with transaction.atomic():
                scan_service.write(rows)
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"setup: {args.people:,} people, {args.venues:,} venues, {args.scans:,} scans, "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )

    # The cases: people of the city sampled positive yesterday, each with its contacts (the next people in the
    # registry: workmates, the household …), not pushed yet.
    persons = list(Person.objects.order_by("id"))
    step = max(1, len(persons) // args.cases)
    opened = []
    tick = time.perf_counter()
    for number in range(args.cases):
        with transaction.atomic():
            opened.append(
                cases.open_case(
                    actor=officer,
                    person=persons[number * step],
                    classification=CaseClass.ASYMPTOMATIC,
                    found_by=FoundBy.FEVER_CLINIC,
                    first_positive_at=now - datetime.timedelta(hours=20),
                )
            )
    opening = time.perf_counter() - tick
    exposure = now - datetime.timedelta(hours=30)
    kinds = [ContactClass.CLOSE, ContactClass.CLOSE, ContactClass.SECONDARY, ContactClass.GENERAL]
    with transaction.atomic():
        Contact.objects.bulk_create(
            [
                Contact(
                    case=case,
                    person=contact,
                    doc_type=contact.doc_type,
                    doc_number=contact.doc_number,
                    name=contact.name,
                    relation=Relation.WORK,
                    classification=kinds[k % len(kinds)],
                    exposed_at=exposure,
                    created_by=officer,
                )
                for n, case in enumerate(opened)
                for k, contact in enumerate(persons[n * step + 1 : n * step + 1 + args.contacts])
            ],
            batch_size=5_000,
        )
    contacts_total = Contact.objects.count()
    if postgres:  # what autovacuum does to a table that has just grown: the planner needs its statistics
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE cases_contact")
            cursor.execute("ANALYZE cases_case")
    print(
        f"{len(opened):,} cases opened through the service in {opening:.1f} s; {contacts_total:,} contacts", flush=True
    )

    client = Client()
    client.force_login(officer)
    pages = []
    for case in opened[: args.pages]:
        tick = time.perf_counter()
        response = client.get(case.get_absolute_url())
        pages.append(time.perf_counter() - tick)
        assert response.status_code == 200, response.status_code

    covisit = []
    found = []
    for case in opened[: min(200, len(opened))]:
        tick = time.perf_counter()
        with transaction.atomic():
            found.append(cases.contacts_from_covisit(actor=officer, case=case))
            covisit.append(time.perf_counter() - tick)
            transaction.set_rollback(True)

    graph_times = []
    for _ in range(5):
        tick = time.perf_counter()
        data = chains.chains(Case.objects.all())
        chains.graph(data)
        graph_times.append(time.perf_counter() - tick)

    if postgres:  # the co-visit runs above were rolled back: their dead rows vacuumed as autovacuum would
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE cases_contact")
    pushable = Contact.objects.exclude(classification=ContactClass.GENERAL).count()
    # Case by case (the investigators' button) for the first tenth, then the rest at once (the district's 一键推送).
    tick = time.perf_counter()
    by_case = 0
    for case in opened[: len(opened) // 10]:
        with transaction.atomic():
            by_case += cases.push_contacts(actor=officer, case=case, now=now).leads
    by_case_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    with transaction.atomic():
        at_once = cases.push_all_contacts(actor=officer, district=officer.unit.district(), now=now).leads
    at_once_seconds = time.perf_counter() - tick
    pushed = by_case + at_once
    floor_seconds = copy_floor(connection, Lead) if postgres else None

    print()
    print(
        f"database: {connection.vendor}; {len(opened):,} open cases, {contacts_total:,} contacts, {args.scans:,} scans"
    )
    print(
        f"case page (web stack, {len(pages)} cases): p50 {percentile(pages, 0.5) * 1000:.0f} ms  "
        f"p95 {percentile(pages, 0.95) * 1000:.0f} ms  (goal p95 ≤ 150 ms)"
    )
    print(
        f"co-visit contacts for one case, through the service ({len(covisit)} cases, median "
        f"{statistics.median(found):.0f} added): p50 {percentile(covisit, 0.5) * 1000:.1f} ms  "
        f"p95 {percentile(covisit, 0.95) * 1000:.1f} ms  (goal ≤ 50 ms)"
    )
    print(
        f"chain graph and clusters of {len(opened):,} cases: p50 {statistics.median(graph_times) * 1000:.0f} ms  "
        f"(goal ≤ 300 ms; {len(data.clusters)} clusters)"
    )
    print(f"push to leads ({pushed:,} leads of {pushable:,} close/secondary contacts):")
    print(
        f"  case by case, {len(opened) // 10} cases: {by_case:,} leads in {by_case_seconds:.1f} s = "
        f"{by_case / by_case_seconds:,.0f} leads/s"
    )
    rate = at_once / at_once_seconds
    print(f"  the rest at once (一键推送): {at_once:,} leads in {at_once_seconds:.1f} s = {rate:,.0f} leads/s")
    if floor_seconds:
        floor_rate = pushed / floor_seconds
        print(f"  the same lead rows COPY'd into a copy of the lead table (same indexes): {floor_rate:,.0f} rows/s")
        print(
            f"  ratio at once / COPY: {rate / floor_rate:.2f}   case by case / COPY: "
            f"{by_case / by_case_seconds / floor_rate:.3f}   (goal ≥ 0.5)"
        )


def copy_floor(connection, lead_model) -> float:
    """The leads just written, COPY'd again into a table with the lead table's indexes and constraints."""
    table = lead_model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {table}_floor")
        cursor.execute(f"CREATE TABLE {table}_floor (LIKE {table} INCLUDING ALL)")
        buffer = io.BytesIO()
        with cursor.cursor.copy(f"COPY (SELECT * FROM {table} WHERE source = 'case_tracing') TO STDOUT") as copy:
            for block in copy:
                buffer.write(block)
    tick = time.perf_counter()
    with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table}_floor FROM STDIN") as copy:
        copy.write(buffer.getvalue())
    spent = time.perf_counter() - tick
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {table}_floor")
    return spent


if __name__ == "__main__":
    main()
