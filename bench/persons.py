"""Person registry at district scale: bulk registration with audit, and the scoped person list.

    .venv/bin/python bench/persons.py --persons 200000                       # PostgreSQL (default)
    .venv/bin/python bench/persons.py --persons 200000 --db sqlite:////tmp/bench.sqlite3

Each figure is printed with its baseline, measured in the same run on the same rows:
- registration through people.services.bulk_register_persons (rows + one change record each)
  vs a bare bulk_create of the same rows with no audit;
- the scoped list (restrict() + page of 50 + count) vs the same query with the township's unit ids
  filtered by hand, and the whole rendered list page.
The database named in --db is dropped and recreated.
"""

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from setup_db import setup_django  # noqa: E402


def timed(function, repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench")
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()

    setup_django(args.db)
    from django.db import connection, transaction
    from django.test import Client

    from fangxian import demo
    from fangxian.core import services as core_services
    from fangxian.core.models import Unit, User
    from fangxian.people.models import Person
    from fangxian.people.services import bulk_register_persons, person_from_row

    demo.build(persons=0)
    grids = list(Unit.objects.filter(level="grid").select_related("parent__parent").order_by("code"))
    rows = demo._persons(random.Random(1), grids, args.persons)
    actor = core_services.service_account()
    print(f"database: {connection.vendor}, persons: {args.persons:,}, grids: {len(grids)}")

    def bare_insert():
        with transaction.atomic():
            Person.objects.bulk_create([person_from_row(row) for row in rows], batch_size=2000)

    baseline = timed(bare_insert, 1)[0] / 1000
    Person.objects.all().delete()

    def audited_insert():
        with transaction.atomic():
            bulk_register_persons(actor=actor, rows=rows, reason="bench")

    measured = timed(audited_insert, 1)[0] / 1000
    print(
        f"registration with audit: {args.persons / measured:,.0f} rows/s ({measured:.1f} s); "
        f"bare bulk_create baseline: {args.persons / baseline:,.0f} rows/s ({baseline:.1f} s); ratio {baseline / measured:.2f}"
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    officer = User.objects.get(username="xincheng")
    township = Unit.objects.get(code="410108001")
    unit_ids = list(Unit.objects.filter(path__startswith=township.path).values_list("id", flat=True))

    def scoped_page():
        queryset = Person.objects.restrict(officer).select_related("unit").order_by("unit__path", "name", "id")
        list(queryset[:50])
        queryset.count()

    def hand_filtered_page():
        queryset = (
            Person.objects.filter(unit_id__in=unit_ids).select_related("unit").order_by("unit__path", "name", "id")
        )
        list(queryset[:50])
        queryset.count()

    client = Client()
    client.force_login(officer)

    def list_page():
        assert client.get("/persons/").status_code == 200

    def search_page():
        assert client.get("/persons/", {"q": rows[0].document.number}).status_code == 200

    scope_rows = Person.objects.restrict(officer).count()
    for label, function in [
        ("scoped list query (restrict + page + count)", scoped_page),
        ("baseline: same query, unit ids by hand", hand_filtered_page),
        ("person list page, rendered", list_page),
        ("search by ID number, rendered", search_page),
    ]:
        function()
        samples = timed(function, args.repeat)
        print(f"{label}: p50 {statistics.median(samples):.1f} ms, p99 {percentile(samples, 0.99):.1f} ms")
    scoped = statistics.median(timed(scoped_page, args.repeat))
    hand = statistics.median(timed(hand_filtered_page, args.repeat))
    print(f"township scope holds {scope_rows:,} persons; scoped/hand-filtered ratio {hand / scoped:.2f}")


if __name__ == "__main__":
    main()
