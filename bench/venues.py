"""A city's fortnight of venue scans: 14 days × 7,000,000 scans ≈ 100,000,000 scans of 2,000,000 people at
50,000 venues of skewed popularity (a few venues draw most of the scans).

    .venv/bin/python bench/venues.py                               # PostgreSQL, the full fortnight
    .venv/bin/python bench/venues.py --scans 14000000              # a smaller fortnight
    .venv/bin/python bench/venues.py --db sqlite:////tmp/v.sqlite3 --scans 200000 --no-duckdb

Ingestion goes through venues.services.ingest_scans in batches of 10,000 (what a gateway sends: every row
checked as columns, the venue codes looked up, COPY into the day partition with its unique index). The
baseline, measured in the same run on the first --floor-days days: the same rows COPY'd as CSV, batch by batch,
into a day-partitioned table that carries the same indexes (the indexed floor). Then: co-visit tracing of one
case at a time (1,000 cases, each given 10–30 stays in the look-back window), all 1,000 at once, a township's
register for one day, and — as a reference line — DuckDB answering the same co-visit windows over the same
rows written as Parquet. The database in --db is dropped and recreated.

On this 2-core machine ingestion runs at ~39,000 scans/s, so the full fortnight takes about 45 minutes of
ingestion and ~25 GB; `--scans 14000000` (a tenth of the city) runs in about 9 minutes.
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
CATEGORIES = ["supermarket"] * 2 + ["restaurant"] * 3 + ["market", "pharmacy", "school", "hospital", "transport"]
# Hash seeds: each column of the synthetic scans draws from its own stream.
SEED_PERSON, SEED_VENUE, SEED_TIME, SEED_COLOUR, SEED_VACCINE, SEED_NEGATIVE, SEED_PROXY = range(11, 18)


def uniform(index, seed: int):
    """A uniform number in [0, 1) per row, reproducible from the row's index and a seed."""
    import polars as pl

    return (index.hash(seed) % (1 << 32)).cast(pl.Float64) / float(1 << 32)


def scan_batch(first: int, count: int, *, day: datetime.date, people, codes, zone: str):
    """Scans first … first + count − 1 of `day`: a person, a venue (skewed: u³ favours the first codes), a time
    between 07:00 and 22:00, a colour (0.5 % yellow, 0.1 % red), vaccinated and negative answers, 1 % scanned
    for by someone else. Returns the rows as the table holds them."""
    import polars as pl

    index = pl.int_range(first, first + count, eager=True).alias("i").to_frame()
    i = pl.col("i")
    start = datetime.datetime.combine(day, datetime.time(7))
    person = (uniform(i, SEED_PERSON) * len(people)).cast(pl.Int64)
    venue = ((uniform(i, SEED_VENUE) ** 3) * len(codes)).cast(pl.Int64)
    colour = uniform(i, SEED_COLOUR)
    proxy = uniform(i, SEED_PROXY)
    frame = index.with_columns(
        person.alias("_person"),
        venue.alias("_venue"),
        (pl.lit(start) + pl.duration(seconds=(uniform(i, SEED_TIME) * 15 * 3600).cast(pl.Int64)))
        .dt.replace_time_zone(zone)
        .dt.convert_time_zone("UTC")
        .alias("scanned_at"),
        pl.when(colour < 0.001)
        .then(pl.lit("red"))
        .when(colour < 0.006)
        .then(pl.lit("yellow"))
        .otherwise(pl.lit("green"))
        .alias("code_colour"),
        pl.when(uniform(i, SEED_VACCINE) < 0.07).then(pl.lit("no")).otherwise(pl.lit("yes")).alias("vaccinated"),
        pl.when(uniform(i, SEED_NEGATIVE) < 0.2).then(pl.lit("no")).otherwise(pl.lit("yes")).alias("negative"),
        ((proxy * 100 % 1 * len(people)).cast(pl.Int64)).alias("_proxy"),
        (proxy < 0.01).alias("_proxied"),
    )
    frame = frame.with_columns(
        people.gather(frame["_person"]).alias("doc_number"),
        codes.gather(frame["_venue"]).alias("venue_code"),
        pl.when(pl.col("_proxied"))
        .then(people.gather(frame["_proxy"]))
        .otherwise(pl.lit(""))
        .alias("proxy_doc_number"),
    )
    return frame.select(
        pl.lit(day).alias("day"),
        "scanned_at",
        "venue_code",
        pl.lit("").alias("area"),
        pl.lit("resident_id").alias("doc_type"),
        "doc_number",
        pl.lit("").alias("name"),
        pl.lit("").alias("phone"),
        "proxy_doc_number",
        "code_colour",
        "vaccinated",
        "negative",
        pl.lit("BENCH-GW").alias("device"),
        pl.lit("gateway").alias("source"),
    ).unique(["doc_number", "scanned_at", "venue_code"], keep="first", maintain_order=True)


def as_sent(rows):
    """The rows as a gateway sends them (the service's input columns)."""
    from fangxian.venues.services.scans import SCAN_COLUMNS

    return rows.select(list(SCAN_COLUMNS))


def make_floor(connection, days: list[datetime.date]) -> None:
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS venues_scan_floor")
        cursor.execute("CREATE TABLE venues_scan_floor (LIKE venues_scan INCLUDING DEFAULTS) PARTITION BY RANGE (day)")
        cursor.execute("CREATE UNIQUE INDEX ON venues_scan_floor (doc_number, scanned_at, venue_code, day)")
        cursor.execute("CREATE INDEX ON venues_scan_floor (venue_code, scanned_at)")
        cursor.execute("CREATE INDEX ON venues_scan_floor (proxy_doc_number) WHERE proxy_doc_number <> ''")
        for day in days:
            cursor.execute(
                f"CREATE TABLE venues_scan_floor_p{day:%Y%m%d} PARTITION OF venues_scan_floor "
                "FOR VALUES FROM (%s) TO (%s)",
                [day, day + datetime.timedelta(days=1)],
            )


def copy_floor(connection, rows) -> None:
    buffer = io.BytesIO()
    rows.write_csv(buffer, include_header=False)
    columns = ", ".join(rows.columns)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY venues_scan_floor ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())


def main() -> None:  # noqa: PLR0915 - one measured run, in the order it is reported
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", default="postgres://postgres@127.0.0.1:5432/fangxian_bench")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--scans", type=int, default=98_000_000, help="in all, spread evenly over the days")
    parser.add_argument("--people", type=int, default=2_000_000)
    parser.add_argument("--venues", type=int, default=50_000)
    parser.add_argument("--cases", type=int, default=1_000)
    parser.add_argument("--floor-days", type=int, default=1, help="days also COPY'd into the indexed floor")
    parser.add_argument("--parquet", default="/tmp/fangxian-bench-scans", help="where the DuckDB reference reads")
    parser.add_argument("--no-duckdb", action="store_true")
    args = parser.parse_args()

    setup_django(args.db)
    import logging

    logging.getLogger("fangxian.core.notify").setLevel(logging.WARNING)
    import polars as pl
    from django.conf import settings
    from django.db import connection, transaction
    from django.utils import timezone
    from testing import citizen_ids

    from fangxian import demo
    from fangxian.core.models import Unit, User
    from fangxian.venues.choices import CodeKind
    from fangxian.venues.models import Venue, VenueCategory, VenueCode, new_venue_code
    from fangxian.venues.services import covisit, figures, registers
    from fangxian.venues.services import scans as scan_service

    postgres = connection.vendor == "postgresql"
    started = time.perf_counter()
    demo.build(persons=0)
    officer = User.objects.get(username="district")
    township_officer = User.objects.get(username="xincheng")
    communities = list(Unit.objects.filter(level="community").order_by("code"))
    categories = {category.code: category for category in VenueCategory.objects.all()}
    missing = args.venues - Venue.objects.count()
    now = timezone.now()
    with transaction.atomic():
        made = Venue.objects.bulk_create(
            [
                Venue(
                    name=f"基准场所{n:05d}",
                    category=categories[CATEGORIES[n % len(CATEGORIES)]],
                    unit=communities[n % len(communities)],
                    address=f"基准地址{n}",
                    code=new_venue_code(),
                    code_issued_at=now,
                    created_by=officer,
                )
                for n in range(max(0, missing))
            ],
            batch_size=5_000,
        )
        VenueCode.objects.bulk_create(
            [VenueCode(code=venue.code, venue=venue, kind=CodeKind.OWN, issued_at=now) for venue in made],
            batch_size=5_000,
        )
    codes = pl.Series("code", list(Venue.objects.order_by("id").values_list("code", flat=True)))
    people = citizen_ids(args.people, seed=41)
    today = timezone.localdate()
    days = [today - datetime.timedelta(days=args.days - n) for n in range(args.days)]  # up to yesterday: whole days
    per_day = args.scans // args.days
    floor_days = days[: args.floor_days] if postgres else []
    if floor_days:
        make_floor(connection, floor_days)
    print(f"setup: {len(codes):,} venues, {len(people):,} people, {time.perf_counter() - started:.1f} s", flush=True)

    parquet = Path(args.parquet)
    if not args.no_duckdb:
        parquet.mkdir(parents=True, exist_ok=True)
        for old in parquet.glob("*.parquet"):
            old.unlink()
    zone = settings.TIME_ZONE
    service_seconds = floor_seconds = service_floor_days_seconds = fold_seconds = 0.0
    written = floor_rows = folds = 0
    last_fold = time.perf_counter()

    def fold() -> float:
        """What the worker does every minute: the batches' day figures folded into VenueDay."""
        tick = time.perf_counter()
        with transaction.atomic():
            figures.fold()
        return time.perf_counter() - tick

    for day_number, day in enumerate(days):
        kept = []
        for first in range(0, per_day, BATCH):
            rows = scan_batch(
                day_number * per_day + first,
                min(BATCH, per_day - first),
                day=day,
                people=people,
                codes=codes,
                zone=zone,
            )
            sent = as_sent(rows)
            tick = time.perf_counter()
            with transaction.atomic():
                outcome = scan_service.ingest_scans(actor=officer, scans=sent, source="gateway", now=timezone.now())
            spent = time.perf_counter() - tick
            service_seconds += spent
            written += outcome.written
            assert not outcome.problems, outcome.problems[:3]
            if day in floor_days:
                service_floor_days_seconds += spent
                tick = time.perf_counter()
                with transaction.atomic():
                    copy_floor(connection, rows)
                floor_seconds += time.perf_counter() - tick
                floor_rows += rows.height
            if time.perf_counter() - last_fold >= 60:
                fold_seconds += fold()
                folds += 1
                last_fold = time.perf_counter()
            if not args.no_duckdb:
                kept.append(rows.select("scanned_at", "venue_code", "area", "doc_number", "proxy_doc_number"))
        if kept:
            pl.concat(kept).write_parquet(parquet / f"{day:%Y%m%d}.parquet")
        print(f"  {day}: {written:,} scans written so far, service {written / service_seconds:,.0f}/s", flush=True)
    fold_seconds += fold()
    folds += 1
    if floor_days:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE venues_scan_floor")

    # The cases: each given 10–30 scans over the look-back window (4 days), at venues of every popularity.
    lookback = covisit.DEFAULT_LOOKBACK_DAYS
    until = timezone.now()
    since = until - datetime.timedelta(days=lookback)
    cases = citizen_ids(args.cases, seed=97).to_list()
    itinerary = []
    for number, case in enumerate(cases):
        stops = 10 + number % 21
        for stop in range(stops):
            moment = since + datetime.timedelta(minutes=(stop + 1) * (lookback * 24 * 60 - 60) // (stops + 1))
            moment = moment.replace(microsecond=0)
            itinerary.append(
                {
                    "venue_code": codes[(number * 37 + stop * 101) ** 2 % len(codes)],
                    "doc_number": case,
                    "scanned_at": moment,
                }
            )
    for first in range(0, len(itinerary), BATCH):
        with transaction.atomic():
            scan_service.ingest_scans(
                actor=officer, scans=scan_service.frame(itinerary[first : first + BATCH]), source="gateway"
            )
    if postgres:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE venues_scan")

    one = []
    found = []
    for case in cases:
        tick = time.perf_counter()
        tracing = covisit.trace(cases=[case], since=since, until=until)
        one.append(time.perf_counter() - tick)
        found.append(len(tracing.covisitors))
    tick = time.perf_counter()
    together = covisit.trace(cases=cases, since=since, until=until)
    all_at_once = time.perf_counter() - tick

    register_day = days[len(days) // 2]
    xincheng = Unit.objects.get(code="410108001")
    register_times = []
    for _ in range(5):
        tick = time.perf_counter()
        register = registers.day_register(user=township_officer, day=register_day, unit=xincheng, log=False)
        register_times.append(time.perf_counter() - tick)

    print()
    print(f"database: {connection.vendor}; {written:,} scans over {args.days} days at {len(codes):,} venues")
    if floor_rows:
        service_rate = floor_rows / service_floor_days_seconds
        floor_rate = floor_rows / floor_seconds
        print(f"ingestion, first {len(floor_days)} day(s) ({floor_rows:,} rows):")
        print(f"  through the service (batches of {BATCH:,}):   {service_rate:>12,.0f} scans/s")
        print(f"  COPY into the same indexed tables (floor): {floor_rate:>12,.0f} scans/s")
        print(f"  ratio service / floor:                      {service_rate / floor_rate:>12.2f}   (goal ≥ 0.70)")
    print(
        f"ingestion, all days through the service:      {written / service_seconds:>12,.0f} scans/s   (goal ≥ 200,000)"
    )
    print(
        f"  day figures folded by the worker (once a minute): {folds} folds, {fold_seconds:.1f} s in all "
        f"({fold_seconds / service_seconds:.1%} of the service's time); "
        f"with the folds {written / (service_seconds + fold_seconds):,.0f} scans/s"
    )
    print(f"co-visit, one case ({lookback}-day window, 10–30 stays), {len(cases):,} cases:")
    print(
        f"  p50 {percentile(one, 0.5) * 1000:.1f} ms  p99 {percentile(one, 0.99) * 1000:.1f} ms  (goal p50 ≤ 5, p99 ≤ 20)"
    )
    print(f"  co-visitors per case: median {statistics.median(found):.0f}, max {max(found):,}")
    print(
        f"co-visit, {len(cases):,} cases at once: {all_at_once:.2f} s, {len(together.covisitors):,} co-visitors  (goal ≤ 2 s)"
    )
    print(
        f"township register, one day ({len(register.rows):,} venues, {register.totals().scans:,} scans): "
        f"p50 {statistics.median(register_times) * 1000:.0f} ms  (goal ≤ 300 ms)"
    )
    if not args.no_duckdb:
        duckdb_reference(parquet, cases[:200], since, until)


def duckdb_reference(parquet: Path, cases: list[str], since, until) -> None:
    """The same windows over Parquet: each case's scans, then everyone at those codes from a usual stay (60
    minutes) plus the margin (30) before to the margin after — the data-access part of the co-visit query."""
    try:
        import duckdb
    except ImportError:
        print("duckdb reference: not run (pip install -e '.[bench]')")
        return
    database = duckdb.connect()
    database.execute(f"CREATE VIEW scans AS SELECT * FROM read_parquet('{parquet}/*.parquet')")
    query = """
        WITH own AS (
            SELECT venue_code, scanned_at FROM scans
            WHERE doc_number = ? AND scanned_at BETWEEN ? AND ?
        )
        SELECT count(DISTINCT s.doc_number) FROM own JOIN scans s
          ON s.venue_code = own.venue_code
         AND s.scanned_at BETWEEN own.scanned_at - INTERVAL 90 MINUTE AND own.scanned_at + INTERVAL 90 MINUTE
        WHERE s.doc_number <> ?
    """
    times = []
    for case in cases:
        tick = time.perf_counter()
        database.execute(query, [case, since, until, case]).fetchone()
        times.append(time.perf_counter() - tick)
    print(
        f"duckdb reference over Parquet ({len(cases)} cases, same windows, no index): "
        f"p50 {percentile(times, 0.5) * 1000:.1f} ms  p99 {percentile(times, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
