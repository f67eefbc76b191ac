"""A city's day of nucleic-acid testing on one machine: 1,200,000 tubes of 10 members (12,000,000 sample rows)
and 1,200,000 tube results with 0.05 % positive pools.

    .venv/bin/python bench/testing.py                                  # PostgreSQL, the full day
    .venv/bin/python bench/testing.py --tubes 100000                   # a smaller day
    .venv/bin/python bench/testing.py --db sqlite:////tmp/testing.sqlite3 --tubes 50000

Registration goes through testing.services.register_tubes in submissions of 10,000 tubes (what sampling apps
send: checks of every tube and ID number, idempotence lookups, COPY into the day partition with its indexes);
results through ingest_results in lab files of 100,000 rows. The positive pools arrive in one last lab file:
its wall time is the time from their arrival to the recall list. The 48-hour lookup is timed over 1,000
people. The baseline, measured in the same run: the same tube and sample rows, and the same result rows,
COPY'd as CSV into bare tables (no index, no partition, no checks); and, to show what the indexes alone cost,
the same COPY into tables that carry the same indexes. The database in --db is dropped and recreated.
"""

import argparse
import datetime
import io
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from setup_db import setup_django  # noqa: E402

NAMES = ["张伟", "王芳", "李娜", "刘洋", "陈静", "杨磊", "赵敏", "黄勇", "周婷", "吴刚"]


def percentile(samples: list[float], share: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def citizen_ids(count: int, seed: int, start: int = 0):
    """`count` distinct valid citizen ID numbers (polars Series), the `start`-th onwards of the seed's list."""
    import polars as pl

    from fangxian.people.frames import _check_char

    rng = random.Random(seed)
    offset = rng.randrange(10_000) + start
    serial = pl.int_range(offset, offset + count, eager=True)
    days = pl.col("serial") // 1_000
    born = pl.lit(datetime.date(1940, 1, 1)) + pl.duration(days=days % 25_000)
    frame = pl.DataFrame({"serial": serial}).with_columns(
        (
            (410_100 + days // 25_000).cast(pl.String)
            + born.dt.strftime("%Y%m%d")
            + (pl.col("serial") % 1_000).cast(pl.String).str.zfill(3)
            + pl.lit("0")
        ).alias("doc_number")
    )
    frame = frame.with_columns(pl.col("doc_number").str.slice(0, 17) + _check_char())
    assert frame["doc_number"].n_unique() == count, "generated ID numbers must be distinct"
    return frame["doc_number"]


def member_frame(first: int, last: int, pool: int):
    """Members `first` to `last` (exclusive) of the day: tube ZZ…n holds members n·pool … n·pool + pool − 1."""
    import polars as pl

    index = pl.int_range(first, last, eager=True)
    members = pl.DataFrame({"index": index, "doc_number": citizen_ids(last - first, seed=12, start=first)}).select(
        (pl.lit("ZZ") + (pl.col("index") // pool).cast(pl.String).str.zfill(9)).alias("tube_code"),
        pl.lit("resident_id").alias("doc_type"),
        "doc_number",
        pl.lit("").alias("name"),
        pl.lit("").alias("phone"),
    )
    return members.with_columns(pl.Series("name", NAMES).gather(index % len(NAMES)))


def register_share(args, worker: int, workers: int, point_ids: list[int], now, barrier, results) -> None:
    """One sampling app's share of the day (every `workers`-th submission), in its own process and connection."""
    import os

    os.environ["DATABASE_URL"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangxian.settings")
    import django

    django.setup()
    from django.db import transaction

    from fangxian.core.models import User
    from fangxian.testing import services
    from fangxian.testing.models import SamplingPoint

    officer = User.objects.get(username="district")
    points = list(SamplingPoint.objects.filter(pk__in=point_ids).order_by("pk"))
    batch_tubes = 10_000
    submissions = []
    for index, start in enumerate(range(0, args.tubes, batch_tubes)):
        if index % workers == worker:
            count = min(batch_tubes, args.tubes - start)
            frame = member_frame(start * args.pool, (start + count) * args.pool, args.pool)
            codes = frame["tube_code"].unique(maintain_order=True).to_list()
            submissions.append((points[index % len(points)], codes, frame))
    barrier.wait()
    started = time.perf_counter()
    for point, codes, frame in submissions:
        with transaction.atomic():
            outcome = services.register_tubes(
                actor=officer,
                point=point,
                tubes=[services.NewTube(code, args.pool, sampled_at=now) for code in codes],
                members=frame,
                now=now,
            )
        assert not outcome.problems, outcome.problems[:3]
    results.put(time.perf_counter() - started)


def register_in_workers(args, point_ids: list[int], now) -> float:
    """The day's submissions from `args.workers` processes at once; the time from their common start to the
    last one's end (each builds its share of the data before the start)."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")  # polars' thread pools do not survive a fork
    barrier, results = context.Barrier(args.workers + 1), context.Queue()
    workers = [
        context.Process(target=register_share, args=(args, n, args.workers, point_ids, now, barrier, results))
        for n in range(args.workers)
    ]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for _ in workers:
        results.get()
    elapsed = time.perf_counter() - started
    for worker in workers:
        worker.join()
        assert worker.exitcode == 0, "a registration worker failed"
    return elapsed


def copy_csv(cursor, table: str, data) -> None:
    buffer = io.BytesIO()
    data.write_csv(buffer, include_header=False)
    view = buffer.getbuffer()
    with cursor.copy(f"COPY {table} FROM STDIN (FORMAT csv)") as copy:
        for start in range(0, len(view), 1 << 20):
            copy.write(view[start : start + (1 << 20)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench")
    parser.add_argument("--tubes", type=int, default=1_200_000)
    parser.add_argument("--pool", type=int, default=10)
    parser.add_argument("--positive-share", type=float, default=0.0005)
    parser.add_argument("--lookups", type=int, default=1_000)
    parser.add_argument("--workers", type=int, default=1, help="sampling apps submitting at once (processes)")
    args = parser.parse_args()

    setup_django(args.db)
    import logging

    logging.getLogger("fangxian.core.notify").setLevel(logging.WARNING)  # a line per notified unit otherwise
    import polars as pl
    from django.db import connection, transaction
    from django.utils import timezone

    from fangxian import demo
    from fangxian.core.models import Unit, User
    from fangxian.testing import services
    from fangxian.testing.models import Recall, SamplingPoint

    demo.build(persons=0)
    officer = User.objects.get(username="district")
    communities = list(Unit.objects.filter(level="community").order_by("code"))
    points = [SamplingPoint.objects.create(unit=unit, name=f"{unit.name}采样点") for unit in communities]
    members_total = args.tubes * args.pool
    now = timezone.now().replace(microsecond=0)
    started = time.perf_counter()
    members = member_frame(0, members_total, args.pool)
    docs = members["doc_number"]
    codes = members["tube_code"].unique(maintain_order=True).to_list()
    print(
        f"data: {members_total:,} members in {len(codes):,} tubes, generated in {time.perf_counter() - started:.1f} s"
    )

    # -------------------------------------------------------------- registration
    if args.workers > 1:
        registration = register_in_workers(args, [point.pk for point in points], now)
    else:
        batch_tubes = 10_000
        started = time.perf_counter()
        for index, start in enumerate(range(0, len(codes), batch_tubes)):
            point = points[index % len(points)]
            chunk = codes[start : start + batch_tubes]
            with transaction.atomic():
                outcome = services.register_tubes(
                    actor=officer,
                    point=point,
                    tubes=[services.NewTube(code, args.pool, sampled_at=now) for code in chunk],
                    members=members.slice(start * args.pool, len(chunk) * args.pool),
                    now=now,
                )
            assert not outcome.problems, outcome.problems[:3]
        registration = time.perf_counter() - started
    print(
        f"registration ({args.workers} sampling app{'s' if args.workers > 1 else ''} at once): {members_total:,} "
        f"sample rows in {registration:.1f} s = {members_total / registration:,.0f} rows/s"
    )

    # -------------------------------------------------------------- results
    rng = random.Random(7)
    positives = set(rng.sample(range(len(codes)), max(1, round(len(codes) * args.positive_share))))
    negative_codes = [code for i, code in enumerate(codes) if i not in positives]
    positive_codes = [codes[i] for i in sorted(positives)]
    files = [negative_codes[start : start + 100_000] for start in range(0, len(negative_codes), 100_000)]
    started = time.perf_counter()
    for chunk in files:
        with transaction.atomic():
            summary = services.ingest_results(
                actor=officer,
                lab="郑州金域医学检验所",
                rows=pl.DataFrame({"tube_code": chunk, "result": ["阴性"] * len(chunk), "ct_orf": None, "ct_n": None}),
            )
        assert summary.accepted == len(chunk) and not summary.problems
    ingest = time.perf_counter() - started
    print(
        f"results: {len(negative_codes):,} tube results in {ingest:.1f} s = {len(negative_codes) / ingest:,.0f} rows/s"
    )
    started = time.perf_counter()
    with transaction.atomic():
        summary = services.ingest_results(
            actor=officer,
            lab="郑州金域医学检验所",
            rows=pl.DataFrame(
                {
                    "tube_code": positive_codes,
                    "result": ["阳性"] * len(positive_codes),
                    "ct_orf": "28.5",
                    "ct_n": "30.1",
                }
            ),
        )
    arrival = time.perf_counter() - started
    started = time.perf_counter()
    listed = list(
        Recall.objects.filter(status="held")
        .select_related("unit", "tube__point")
        .order_by("unit__code", "name")
        .values_list("name", "doc_number", "unit__name", "tube__point__address")[:200]
    )
    listing = time.perf_counter() - started
    print(
        f"recall: {summary.recalled_tubes} positive pools, {summary.recalled_people:,} people held in "
        f"{arrival * 1000:.0f} ms from the results' arrival (the list's first page read in {listing * 1000:.0f} ms, "
        f"{len(listed)} rows)"
    )
    started = time.perf_counter()
    with transaction.atomic():
        leads = services.raise_recall_leads(actor=officer)
    print(
        f"leads for the recalled: {leads:,} (persons registered first where new) in {time.perf_counter() - started:.2f} s"
    )

    # -------------------------------------------------------------- 48-hour lookup
    sample_docs = docs.gather(sorted(rng.sample(range(members_total), args.lookups))).to_list()
    timings = []
    for doc in sample_docs:
        started = time.perf_counter()
        answer = services.latest_negative(doc_number=doc, hours=48)
        timings.append((time.perf_counter() - started) * 1000)
        assert answer.negative_within or answer.pending_since is None
    print(
        f"48-hour lookup over {args.lookups:,} people: p50 {statistics.median(timings):.2f} ms, "
        f"p99 {percentile(timings, 0.99):.2f} ms"
    )

    # -------------------------------------------------------------- baseline: bare COPY of the same rows
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if connection.vendor != "postgresql":
            print("baseline: COPY is PostgreSQL's; on SQLite no baseline is printed")
            return
        cursor.execute("CREATE TABLE bare_tube AS SELECT * FROM testing_tube WITH NO DATA")
        cursor.execute(
            "CREATE TABLE bare_sample (tube_id bigint, day date, doc_type varchar(32), "
            "doc_number varchar(32), name varchar(50), phone varchar(20), unit_id bigint)"
        )
        cursor.execute("CREATE TABLE bare_result (tube_code varchar(32), result varchar(16), lab varchar(100))")
        cursor.execute("SELECT * FROM testing_tube LIMIT 0")
        tube_columns = [column.name for column in cursor.description]
    cursor_tubes = pl.read_database("SELECT * FROM testing_tube ORDER BY id", connection=connection.connection)
    tube_ids = dict(zip(cursor_tubes["code"].to_list(), cursor_tubes["id"].to_list(), strict=True))
    sample_rows = members.with_columns(
        pl.col("tube_code").replace_strict(tube_ids, return_dtype=pl.Int64).alias("tube_id"),
        pl.lit(timezone.localtime(now).date()).alias("day"),
        pl.lit(points[0].unit_id).alias("unit_id"),
    ).select("tube_id", "day", "doc_type", "doc_number", "name", "phone", "unit_id")
    result_rows = pl.DataFrame({"tube_code": codes, "result": "negative", "lab": "郑州金域医学检验所"})
    with transaction.atomic(), connection.cursor() as cursor:
        raw = cursor.cursor
        started = time.perf_counter()
        copy_csv(raw, "bare_tube", cursor_tubes.select(tube_columns))
        copy_csv(raw, "bare_sample", sample_rows)
        baseline_registration = time.perf_counter() - started
        started = time.perf_counter()
        copy_csv(raw, "bare_result", result_rows)
        baseline_results = time.perf_counter() - started
    print(
        f"baseline (bare COPY, same run): tubes + samples {baseline_registration:.1f} s = "
        f"{members_total / baseline_registration:,.0f} rows/s; results {baseline_results:.1f} s = "
        f"{len(codes) / baseline_results:,.0f} rows/s"
    )
    print(
        f"ratio baseline/registration: {baseline_registration / registration:.2f}; "
        f"baseline/results: {baseline_results / ingest:.2f}"
    )
    # What the indexes alone cost: the same COPY into tables that carry the indexes the 48-hour lookup and the
    # recall need (and the tube table's own), with nothing else — the floor any registration path here has.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE indexed_tube (LIKE testing_tube INCLUDING INDEXES INCLUDING CONSTRAINTS)")
        cursor.execute("CREATE TABLE indexed_sample (LIKE bare_sample)")
        cursor.execute("CREATE INDEX ON indexed_sample USING hash (doc_number)")
        cursor.execute("CREATE INDEX ON indexed_sample (tube_id)")
        started = time.perf_counter()
        copy_csv(cursor.cursor, "indexed_tube", cursor_tubes.select(tube_columns))
        copy_csv(cursor.cursor, "indexed_sample", sample_rows)
        indexed = time.perf_counter() - started
    print(
        f"indexed floor (the same COPY into tables with the same indexes, same run): {indexed:.1f} s = "
        f"{members_total / indexed:,.0f} rows/s; ratio indexed floor/registration: {indexed / registration:.2f}"
    )


if __name__ == "__main__":
    main()
