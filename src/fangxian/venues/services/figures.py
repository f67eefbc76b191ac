"""The day figures of each venue code (scans, yellow/red codes, unvaccinated, without a 48-hour negative): what
the registers, the dashboard and the workbench count, kept as the scans are written so that nobody counts a
day's scans (10⁷ rows) again.

On PostgreSQL a batch appends its additions (VenueDayDelta) and the worker folds them into VenueDay every
minute: batches sent at once never wait on each other's rows, and a minute of batches folds into one addition
per code. Readers add what is not folded yet, so a figure is never behind the scans. On SQLite (the embedded
default, one writer, small) the batch's codes are counted again from their scans.
"""

import datetime
import io
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl
from django.db import connection
from django.db.models import QuerySet

from fangxian.venues.choices import Answer, CodeColour
from fangxian.venues.models import VenueDay, VenueDayDelta

FIGURES = ["scans", "abnormal", "unvaccinated", "without_negative", "notable"]


@dataclass(frozen=True)
class Figures:
    scans: int = 0
    abnormal: int = 0
    unvaccinated: int = 0
    without_negative: int = 0
    notable: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(*(getattr(self, name) + getattr(other, name) for name in FIGURES))


def add(new: pl.DataFrame) -> None:
    """The new scans (day, venue_code, code_colour, vaccinated, negative) added to their codes' figures, in the
    caller's transaction."""
    if new.height == 0:
        return
    if connection.vendor != "postgresql":
        _recount_sqlite(new)
        return
    abnormal = pl.col("code_colour").is_in([CodeColour.YELLOW, CodeColour.RED])
    unvaccinated = pl.col("vaccinated") == Answer.NO
    without_negative = pl.col("negative") == Answer.NO
    per_code = new.group_by("day", "venue_code").agg(
        pl.len().alias("scans"),
        abnormal.sum().alias("abnormal"),
        unvaccinated.sum().alias("unvaccinated"),
        without_negative.sum().alias("without_negative"),
        (abnormal | unvaccinated | without_negative).sum().alias("notable"),
    )
    # One row per day of the batch: the codes one per line (a code never holds one: the ingestion refuses
    # it), each count list in the same order.
    per_day = per_code.group_by("day").agg(
        pl.col("venue_code").str.join("\n").alias("codes"),
        *(pl.col(name).cast(pl.String).str.join(",") for name in FIGURES),
    )
    buffer = io.BytesIO()
    per_day.write_csv(buffer, include_header=False)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {DELTAS} ({', '.join(per_day.columns)}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(buffer.getvalue())


DELTAS = VenueDayDelta._meta.db_table
# The rows of `source` (day, codes, counts…) spread to one row per code.
_SPREAD = f"""
    SELECT d.day, u.*
    FROM {{source}} d,
         unnest(string_to_array(d.codes, E'\\n'),
                {", ".join(f"string_to_array(d.{name}, ',')::int[]" for name in FIGURES)}) AS u(code, {", ".join(FIGURES)})
"""


def fold() -> int:
    """The additions not folded yet moved into VenueDay; returns how many codes' days changed. Each batch's row is
    taken by exactly one fold (the DELETE claims it), and the codes are updated in key order, so two folds at
    once neither count twice nor deadlock."""
    if connection.vendor != "postgresql":
        return 0
    sums = ", ".join(f"sum({name})" for name in FIGURES)
    added = ", ".join(f"{name} = venues_venueday.{name} + excluded.{name}" for name in FIGURES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH taken AS (DELETE FROM {DELTAS} RETURNING *), spread AS ({_SPREAD.format(source="taken")})
            INSERT INTO {VenueDay._meta.db_table} (day, venue_code, {", ".join(FIGURES)})
            SELECT day, code, {sums} FROM spread GROUP BY day, code ORDER BY day, code
            ON CONFLICT (day, venue_code) DO UPDATE SET {added}
            """
        )
        return cursor.rowcount


def for_day(day: datetime.date, codes: QuerySet | Iterable[str], *, abnormal_only: bool = False) -> dict[str, Figures]:
    """code → its figures of `day`, for the codes given (a list, or a query of codes run inside the statement):
    VenueDay plus the batches not folded yet. Codes without a scan are absent."""
    if not isinstance(codes, QuerySet):
        codes = list(codes)
    folded = VenueDay.objects.filter(day=day, venue_code__in=codes)
    if abnormal_only:
        folded = folded.filter(abnormal__gt=0)
    found = {code: Figures(*values) for code, *values in folded.values_list("venue_code", *FIGURES)}
    if connection.vendor == "postgresql":
        for code, *values in _not_folded(day, codes):
            figures = Figures(*values)
            if abnormal_only and not figures.abnormal:
                continue
            found[code] = found[code] + figures if code in found else figures
    return found


def _not_folded(day: datetime.date, codes: QuerySet | list[str]) -> list[tuple]:
    if isinstance(codes, QuerySet):
        inner, params = codes.query.sql_with_params()
        wanted = f"u.code IN ({inner})"
    else:
        wanted, params = "u.code = ANY(%s)", (codes,)
    sums = ", ".join(f"sum(u.{name})" for name in FIGURES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT u.code, {sums} FROM ({_SPREAD.format(source=f'(SELECT * FROM {DELTAS} WHERE day = %s)')}) u "
            f"WHERE {wanted} GROUP BY u.code",
            [day, *params],
        )
        return cursor.fetchall()


def drop_before(day: datetime.date) -> None:
    """Figures of days past the retention, with their scans."""
    VenueDay.objects.filter(day__lt=day).delete()
    VenueDayDelta.objects.filter(day__lt=day).delete()


def _recount_sqlite(rows: pl.DataFrame) -> None:
    keys = rows.select("day", "venue_code").unique().with_columns(pl.col("day").cast(pl.String)).rows()
    with connection.cursor() as cursor:
        cursor.executemany(
            """
            INSERT INTO venues_venueday (day, venue_code, scans, abnormal, unvaccinated, without_negative, notable)
            SELECT day, venue_code, COUNT(*),
                   SUM(code_colour IN ('yellow', 'red')), SUM(vaccinated = 'no'), SUM(negative = 'no'),
                   SUM(code_colour IN ('yellow', 'red') OR vaccinated = 'no' OR negative = 'no')
            FROM venues_scan WHERE day = %s AND venue_code = %s GROUP BY day, venue_code
            ON CONFLICT (day, venue_code) DO UPDATE SET scans = excluded.scans, abnormal = excluded.abnormal,
                unvaccinated = excluded.unvaccinated, without_negative = excluded.without_negative,
                notable = excluded.notable
            """,
            keys,
        )
