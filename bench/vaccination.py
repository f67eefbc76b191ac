"""Vaccination at district scale: 1,000,000 people with 2,500,000 doses.

    .venv/bin/python bench/vaccination.py                                    # PostgreSQL
    .venv/bin/python bench/vaccination.py --people 100000 --import-rows 50000
    .venv/bin/python bench/vaccination.py --db sqlite:////tmp/v.sqlite3 --people 50000 --import-rows 20000

Printed, from one run:
- importing a file of dose records (the immunisation system's export, csv) through the service, both phases (the
  check, then the commit with its change records and the people's progress), against the same dose rows COPY'd
  into a copy of the dose table with the same indexes and constraints (the baseline, measured in the same run);
- the coverage table of the district by township and band (the coverage page's figures), warm, p50 and p95;
- a community's roster page through the web stack as its grid team, p50 and p95.
The database in --db is dropped and recreated.
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

CHUNK = 100_000


def main() -> None:  # noqa: PLR0915 - one measured run, in the order it is reported
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench_vaccination")
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--import-rows", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=20, help="coverage tables and roster pages measured")
    args = parser.parse_args()

    setup_django(args.db)
    from django.db import connection, transaction
    from django.test import Client
    from django.urls import get_resolver
    from django.utils import timezone
    from testing import citizen_ids

    from fangxian import demo
    from fangxian.core.bulk import RowWriter
    from fangxian.core.capabilities import Capability
    from fangxian.core.models import Grant, Unit, User
    from fangxian.core.scoping import scope_unit_ids
    from fangxian.people.documents import parse_resident_id
    from fangxian.people.models import Person
    from fangxian.people.services import PersonRow, bulk_register_persons
    from fangxian.vaccination.choices import DoseKind, DoseSource
    from fangxian.vaccination.models import Dose, Product
    from fangxian.vaccination.services import coverage, imports
    from fangxian.vaccination.services import status as status_service

    get_resolver().url_patterns  # noqa: B018  (every module loaded now: the run measures one version of the code)
    postgres = connection.vendor == "postgresql"
    rng = random.Random(16)
    started = time.perf_counter()
    demo.build(persons=0)
    officer = User.objects.get(username="district")
    grids = list(Unit.objects.filter(level="grid").order_by("code"))
    numbers = citizen_ids(args.people, seed=16)
    for start in range(0, args.people, CHUNK):
        with transaction.atomic():
            bulk_register_persons(
                actor=officer,
                rows=[
                    PersonRow(unit=grids[(start + n) % len(grids)], name="受种者", document=parse_resident_id(number))
                    for n, number in enumerate(numbers[start : start + CHUNK])
                ],
                reason="bench",
            )
    products = {product.code: product for product in Product.objects.all()}
    bibp = products["bibp"]
    people = list(Person.objects.order_by("id").values_list("id", "doc_number", "birth_date"))
    # The history: almost everyone started, most completed, a few boosted (≈ 2 doses a person); the file then
    # brings boosters to most of those with the series done (≈ 2.5 doses a person after it), and first doses to
    # some who had none.
    writer = RowWriter(Dose)
    now = timezone.now()
    rows, history, to_import = [], 0, []
    for person_id, number, _born in people:
        draw = rng.random()
        first = datetime.date(2021, 3, 1) + datetime.timedelta(days=rng.randrange(0, 200))
        given = []
        if draw < 0.97:
            given.append((DoseKind.FIRST, first))
        if draw < 0.93:
            given.append((DoseKind.SECOND, first + datetime.timedelta(days=28)))
        if draw < 0.13:
            given.append((DoseKind.BOOSTER, first + datetime.timedelta(days=240)))
        for kind, day in given:
            rows.append(
                writer.values(
                    uuid=uuid.uuid4(),
                    person_id=person_id,
                    kind=kind,
                    product_id=bibp.pk,
                    given_on=day,
                    source=DoseSource.IMPORTED,
                    recorded_by_id=officer.pk,
                    recorded_at=now,
                )
            )
        history += len(given)
        if 0.13 <= draw < 0.90:
            to_import.append((number, first + datetime.timedelta(days=300), "加强"))
        elif draw >= 0.97:
            to_import.append((number, datetime.date(2022, 5, 1), "第1剂"))
        if len(rows) >= CHUNK:
            with transaction.atomic():
                writer.insert(rows)
            rows = []
    with transaction.atomic():
        writer.insert(rows)
    tick = time.perf_counter()
    with transaction.atomic():
        status_service.refresh(person_id for person_id, _n, _b in people)
    refresh_seconds = time.perf_counter() - tick
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(
        f"setup: {len(people):,} people, {history:,} doses, statuses rewritten in {refresh_seconds:.1f} s; "
        f"{time.perf_counter() - started:.1f} s",
        flush=True,
    )

    # Import: the file, both phases through the service.
    rng.shuffle(to_import)
    to_import = to_import[: args.import_rows]
    path = Path("/tmp/fangxian_bench_doses.csv")
    path.write_text(
        "姓名,身份证号,接种日期,剂次,生产企业,疫苗批号,接种单位\n"
        + "".join(
            f"受种者,{number},{day:%Y-%m-%d},{kind},北京生物,202205001,社区卫生服务中心\n"
            for number, day, kind in to_import
        ),
        encoding="utf-8",
    )
    district = Unit.objects.get(level="district")
    tick = time.perf_counter()
    with transaction.atomic():
        batch, plan = imports.check_file(
            actor=officer, path=path, file_name=path.name, unit=district, person_unit=district
        )
    check_seconds = time.perf_counter() - tick
    tick = time.perf_counter()
    with transaction.atomic():
        result = imports.commit(actor=officer, batch=batch)
    commit_seconds = time.perf_counter() - tick
    service_seconds = check_seconds + commit_seconds
    print(f"import measured: check {check_seconds:.1f} s, commit {commit_seconds:.1f} s", flush=True)
    assert len(result.doses) == len(to_import), (len(result.doses), len(plan.errors), plan.conflicts[:3])

    # The baseline: the same dose rows COPY'd into a copy of the dose table with its indexes and constraints.
    baseline_seconds = None
    if postgres:
        copied = list(Dose.objects.filter(import_batch=batch).values_list(*[f.attname for f in writer.fields]))
        with connection.cursor() as cursor:
            cursor.execute("CREATE TABLE bench_dose_copy (LIKE vaccination_dose INCLUDING ALL)")
        tick = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            with cursor.cursor.copy(f"COPY bench_dose_copy ({', '.join(writer.columns)}) FROM STDIN") as copy:
                for row in copied:
                    copy.write_row(row)
        baseline_seconds = time.perf_counter() - tick

    # Coverage of the district by township and band, warm.
    townships = list(Unit.objects.filter(level="township").order_by("code"))
    ids = scope_unit_ids(officer, Capability.VACCINATION_VIEW)
    today = timezone.localdate()
    tick = time.perf_counter()
    coverage.table(units=[district, *townships], scope_unit_ids=ids, day=today)
    live_seconds = time.perf_counter() - tick  # no snapshot yet: counted over the people
    tick = time.perf_counter()
    with transaction.atomic():
        coverage.rebuild_snapshot()
    rebuild_seconds = time.perf_counter() - tick
    coverage.table(units=[district, *townships], scope_unit_ids=ids, day=today)  # warm
    tables = []
    for _ in range(args.runs):
        tick = time.perf_counter()
        coverage.table(units=[district, *townships], scope_unit_ids=ids, day=today)
        tables.append(time.perf_counter() - tick)

    # The day's board of a target at the district (the target page and the dashboard read it).
    from fangxian.vaccination.choices import Milestone
    from fangxian.vaccination.services import targets

    with transaction.atomic():
        goal = targets.set_target(
            actor=officer,
            district=district,
            title="bench",
            bands=["60-69", "70-79", "80+"],
            milestone=Milestone.BOOSTED,
            rate=90,
            due_on=today + datetime.timedelta(days=10),
        )
        tick = time.perf_counter()
        targets.issue(target=goal, day=today)
        issue_seconds = time.perf_counter() - tick
    boards = []
    for _ in range(5):
        tick = time.perf_counter()
        targets.board(target=goal, day=today, unit_ids=ids)
        boards.append(time.perf_counter() - tick)

    # A community's roster page, as its grid team.
    community = Unit.objects.filter(level="community").order_by("code").first()
    member, _ = User.objects.get_or_create(username="bench_grid", defaults={"unit": community})
    Grant.objects.get_or_create(user=member, role="grid_member", unit=community)
    client = Client()
    client.force_login(member)
    client.get("/vaccination/roster/")  # warm
    pages = []
    for page in range(args.runs):
        tick = time.perf_counter()
        response = client.get(f"/vaccination/roster/?page={page % 3 + 1}")
        pages.append(time.perf_counter() - tick)
        assert response.status_code == 200, response.status_code
    in_community = Person.objects.filter(unit__path__startswith=community.path).count()

    print()
    print(f"database: {connection.vendor}; {len(people):,} people, {history + len(result.doses):,} doses")
    rows_imported = len(result.doses)
    print(f"import of {rows_imported:,} dose records (csv):")
    print(f"  check (read, match, every rule):    {check_seconds:>8.1f} s")
    print(f"  commit (doses, change records, progress): {commit_seconds:>8.1f} s")
    print(f"  through the service, both phases:   {rows_imported / service_seconds:>12,.0f} rows/s")
    print(f"  the commit phase alone:             {rows_imported / commit_seconds:>12,.0f} rows/s")
    if baseline_seconds:
        print(f"  COPY into the same indexed table:   {rows_imported / baseline_seconds:>12,.0f} rows/s")
        print(f"  ratio service / COPY:               {baseline_seconds / service_seconds:>12.2f}   (goal ≥ 0.50)")
        print(f"  ratio commit phase / COPY:          {baseline_seconds / commit_seconds:>12.2f}")
    print(
        f"coverage counted over the people (no snapshot): {live_seconds * 1000:.0f} ms; the worker's count: {rebuild_seconds:.1f} s"
    )
    print(
        f"a target's day issued to {Unit.objects.filter(level__in=['township', 'community']).count()} units: {issue_seconds * 1000:.0f} ms; its board: p50 {statistics.median(boards) * 1000:.0f} ms"
    )
    print(
        f"coverage, district by {len(townships)} townships × band ({args.runs} runs, warm): "
        f"p50 {statistics.median(tables) * 1000:.0f} ms, p95 {percentile(tables, 0.95) * 1000:.0f} ms   (goal ≤ 200 ms)"
    )
    print(
        f"roster page of one community ({in_community:,} people), as its grid team ({args.runs} pages): "
        f"p50 {statistics.median(pages) * 1000:.0f} ms, p95 {percentile(pages, 0.95) * 1000:.0f} ms   (goal p95 ≤ 150 ms)"
    )


if __name__ == "__main__":
    main()
