"""The command dashboard at district scale: 1,000,000 persons, 200,000 leads.

    .venv/bin/python bench/dashboard.py                                    # PostgreSQL
    .venv/bin/python bench/dashboard.py --db sqlite:////tmp/dash.sqlite3 --persons 200000

Times GET /api/dashboard/<code>/ as the district officer (the whole district) and as a township officer, through
the real stack (Django test client: middleware, scope, serialisation), cold (person-count cache empty) and warm.
The baseline, measured in the same run: a bare SELECT count(*) over the person table — one pass over the
registry, what any figure over 10⁶ people costs at least. The database in --db is dropped and recreated.
"""

import argparse
import datetime
import random
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from setup_db import percentile, setup_django  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench")
    parser.add_argument("--persons", type=int, default=1_000_000)
    parser.add_argument("--leads", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    setup_django(args.db)
    from django.core.cache import cache
    from django.db import connection, transaction
    from django.test import Client
    from django.utils import timezone

    from fangxian import demo
    from fangxian.core.bulk import RowWriter, bulk_insert
    from fangxian.core.models import Unit, User
    from fangxian.leads.choices import LeadCategory, LeadSource, LeadStatus
    from fangxian.leads.models import Lead
    from fangxian.people.models import Person
    from fangxian.people.services import person_from_row

    started = time.perf_counter()
    demo.build(persons=0)
    grids = list(Unit.objects.filter(level="grid").select_related("parent__parent").order_by("code"))
    rows = demo._persons(random.Random(5), grids, args.persons)
    for start in range(0, len(rows), 100_000):
        with transaction.atomic():
            bulk_insert(Person, [person_from_row(row) for row in rows[start : start + 100_000]])
    person_ids = list(Person.objects.values_list("id", "unit_id"))
    rng = random.Random(6)
    now = timezone.now()
    writer = RowWriter(Lead)
    lead_rows = []
    for person_id, unit_id in rng.sample(person_ids, min(args.leads, len(person_ids))):
        received = now - datetime.timedelta(hours=rng.randrange(0, 24 * 14))
        closed = rng.random() < 0.7
        lead_rows.append(
            writer.values(
                uuid=uuid.uuid4(),
                pushed_data={},
                person_id=person_id,
                category=LeadCategory.CLOSE_CONTACT,
                source=LeadSource.CITY_PUSH,
                received_at=received,
                deadline=received + datetime.timedelta(hours=24),
                unit_id=unit_id,
                status=LeadStatus.CLOSED if closed else LeadStatus.OPEN,
                verified_at=received + datetime.timedelta(hours=rng.randrange(1, 20)) if closed else None,
            )
        )
    with transaction.atomic():
        writer.insert(lead_rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    print(
        f"database: {connection.vendor}; {Person.objects.count():,} persons, {Lead.objects.count():,} leads, "
        f"{Unit.objects.count():,} units, built in {time.perf_counter() - started:.0f} s (set-up, not measured)"
    )

    def baseline() -> float:
        begin = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM people_person")
            cursor.fetchone()
        return time.perf_counter() - begin

    bases = [baseline() for _ in range(5)]
    base = statistics.median(bases)

    for username, code in [("district", "410108"), ("xincheng", "410108001")]:
        client = Client()
        client.force_login(User.objects.get(username=username))
        url = f"/api/dashboard/{code}/"
        client.get("/api/units/")  # the first request of a process and a session pays for imports, not figures
        cache.clear()
        begin = time.perf_counter()
        response = client.get(url)
        cold = time.perf_counter() - begin
        assert response.status_code == 200, response.status_code
        samples = []
        for _ in range(args.repeat):
            begin = time.perf_counter()
            client.get(url)
            samples.append(time.perf_counter() - begin)
        totals = response.json()["totals"]
        p50, p99 = statistics.median(samples), percentile(samples, 0.99)
        print(
            f"{username:9} {url}: cold {cold * 1000:.0f} ms; warm p50 {p50 * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
            f"(persons {totals['persons']:,}, open leads {totals['leads_open']:,}, overdue {totals['leads_overdue']:,})"
        )
        print(f"          ratio baseline/cold {base / cold:.2f}, baseline/warm p50 {base / p50:.2f}")
    print(f"baseline (bare SELECT count(*) over the person table): median {base * 1000:.1f} ms")


if __name__ == "__main__":
    main()
