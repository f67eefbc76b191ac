"""Scans in: batches from gateways and 数字哨兵 devices, the provincial platform's exports, the door check.

A batch is checked as columns (polars): each bad row comes back with its reason and the rest is written. A scan
is one person at one code at one second, so a batch sent again writes nothing: on PostgreSQL the batch is
COPY'd straight in (the fast path, nearly every batch) and, only when the unique index finds a row already
there, staged and inserted with ON CONFLICT DO NOTHING. Scans at a code nobody has registered are kept: they
attach to the venue the moment the code is registered (scans reach venues through VenueCode).
"""

import datetime
import io
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from fangxian.core import partitions
from fangxian.core.audit import ChangeRows, require_actor
from fangxian.core.capabilities import MEMBER_ROLES, Capability
from fangxian.core.choices import ChangeKind, Role
from fangxian.core.models import Unit, User
from fangxian.core.scoping import scope_paths
from fangxian.people.frames import check_documents
from fangxian.venues.choices import Answer, CodeColour, ScanSource
from fangxian.venues.models import Scan, Venue, VenueCode
from fangxian.venues.services import figures

MAX_BATCH = 10_000
# A device's clock may run a little ahead; a scan further in the future is a wrong clock or a typo.
CLOCK_SKEW = datetime.timedelta(minutes=5)
SCAN_COLUMNS: dict[str, pl.DataType | type[pl.DataType]] = {
    "venue_code": pl.String,
    "area": pl.String,
    "doc_type": pl.String,
    "doc_number": pl.String,
    "name": pl.String,
    "phone": pl.String,
    "proxy_doc_number": pl.String,
    "scanned_at": pl.Datetime("us", "UTC"),
    "code_colour": pl.String,
    "vaccinated": pl.String,
    "negative": pl.String,
    "device": pl.String,
}
_COLOURS = {
    "": CodeColour.UNKNOWN,
    "green": CodeColour.GREEN,
    "绿": CodeColour.GREEN,
    "绿码": CodeColour.GREEN,
    "yellow": CodeColour.YELLOW,
    "黄": CodeColour.YELLOW,
    "黄码": CodeColour.YELLOW,
    "red": CodeColour.RED,
    "红": CodeColour.RED,
    "红码": CodeColour.RED,
    "unknown": CodeColour.UNKNOWN,
    "未知": CodeColour.UNKNOWN,
}
_ANSWERS = {
    "": Answer.UNKNOWN,
    "unknown": Answer.UNKNOWN,
    "未知": Answer.UNKNOWN,
    "yes": Answer.YES,
    "true": Answer.YES,
    "1": Answer.YES,
    "是": Answer.YES,
    "有": Answer.YES,
    "已接种": Answer.YES,
    "阴性": Answer.YES,
    "no": Answer.NO,
    "false": Answer.NO,
    "0": Answer.NO,
    "否": Answer.NO,
    "无": Answer.NO,
    "未接种": Answer.NO,
}
WRITTEN_COLUMNS = [
    "day",
    "scanned_at",
    "venue_code",
    "area",
    "doc_type",
    "doc_number",
    "name",
    "phone",
    "proxy_doc_number",
    "code_colour",
    "vaccinated",
    "negative",
    "device",
    "source",
]


@dataclass(frozen=True)
class ScanProblem:
    row: int  # the position in the batch, from 1 (a file's caller adds its header rows)
    message: str


@dataclass
class ScanOutcome:
    received: int = 0
    written: int = 0
    unchanged: int = 0  # already stored (the batch, or part of it, was sent before)
    unregistered: int = 0  # written, at codes no venue has yet: they attach when one is registered
    problems: list[ScanProblem] = field(default_factory=list)


def frame(rows: list[dict] | None = None) -> pl.DataFrame:
    """Scans as a frame with the expected columns; a missing text column is empty. `scanned_at` may be given as
    datetimes (aware) or ISO text; text that does not parse becomes null and is refused by ingest_scans."""
    if rows and len({type(row.get("scanned_at")) for row in rows} - {type(None)}) > 1:
        # Moments and text mixed (a file's cells): all as text, parsed below alike.
        rows = [{**row, "scanned_at": _text(row.get("scanned_at"))} for row in rows]
    data = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame(schema=SCAN_COLUMNS)
    for column, dtype in SCAN_COLUMNS.items():
        if column not in data.columns:
            data = data.with_columns(pl.lit(None, dtype).alias(column))
        elif column == "scanned_at":
            data = data.with_columns(_as_moment(data[column]).alias(column))
        else:
            data = data.with_columns(pl.col(column).cast(pl.String).fill_null(""))
    text = [column for column, dtype in SCAN_COLUMNS.items() if dtype == pl.String]
    return data.with_columns(pl.col(text).fill_null("")).select(list(SCAN_COLUMNS))


def _text(value) -> str | None:
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ") if timezone.is_aware(value) else value.strftime("%Y-%m-%d %H:%M:%S")
    return None if value is None else str(value)


def _as_moment(values: pl.Series) -> pl.Series:
    """Moments as UTC: aware datetimes as they are, naive ones and text without an offset in local time."""
    zone = settings.TIME_ZONE
    if isinstance(values.dtype, pl.Datetime):
        if values.dtype.time_zone is None:
            return values.dt.replace_time_zone(zone, ambiguous="earliest").dt.convert_time_zone("UTC")
        return values.dt.convert_time_zone("UTC")
    text = values.cast(pl.String).str.strip_chars().str.replace("T", " ").str.replace(r"\.\d+", "")
    with_offset = text.str.to_datetime("%Y-%m-%d %H:%M:%S%z", strict=False, time_zone="UTC")
    with_offset = with_offset.fill_null(
        text.str.replace("Z$", "+0000").str.to_datetime("%Y-%m-%d %H:%M:%S%z", strict=False, time_zone="UTC")
    )
    local = pl.coalesce(
        text.str.to_datetime(pattern, strict=False)
        for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d %H:%M")
    )
    local = local.dt.replace_time_zone(zone, ambiguous="earliest", non_existent="null").dt.convert_time_zone("UTC")
    return with_offset.fill_null(local).cast(pl.Datetime("us", "UTC"))


def allowed_codes(actor: User) -> set[str] | None:
    """The codes a user may send scans for: any (None) for the district and its tracing group; a venue's
    staff only their own venues' current codes."""
    everyone = frozenset(set(Role.values) - MEMBER_ROLES)
    if actor.is_superuser or scope_paths(actor, Capability.SCANS_INGEST, roles=everyone):
        return None
    venues = Venue.objects.restrict(actor, Capability.SCANS_INGEST)
    return set(VenueCode.objects.filter(venue__in=venues, revoked_at__isnull=True).values_list("code", flat=True))


def ingest_scans(
    *,
    actor: User,
    scans: pl.DataFrame,
    source: str,
    now: datetime.datetime | None = None,
    limit: int | None = MAX_BATCH,
    record: bool = True,
) -> ScanOutcome:
    """Check and write a batch (`frame()` columns). Idempotent: a row already stored is counted unchanged."""
    require_actor(actor)
    if source not in ScanSource.values:
        raise ValueError(f"unknown scan source {source!r}")
    now = now or timezone.now()
    outcome = ScanOutcome(received=scans.height)
    if limit is not None and scans.height > limit:
        raise BatchTooLarge(f"一批最多 {limit:,} 条扫码记录，本批 {scans.height:,} 条，请分批发送")
    if scans.height == 0:
        return outcome
    checked, problems, known = _check(scans.with_row_index("_row", offset=1), actor=actor, now=now)
    outcome.problems = sorted(problems, key=lambda problem: problem.row)
    if checked.height == 0:
        return outcome
    outcome.unregistered = checked.filter(~pl.col("venue_code").is_in(list(known))).height
    rows = checked.with_columns(pl.lit(source).alias("source")).select(WRITTEN_COLUMNS)
    outcome.written = write(rows)
    outcome.unchanged = rows.height - outcome.written
    if record and outcome.written:
        changes = ChangeRows(actor=actor, kind=ChangeKind.CREATE, model_label="venues.scan", reason="扫码记录写入")
        changes.add(
            object_id=f"scans:{now:%Y%m%d%H%M%S%f}",
            object_repr=f"扫码记录 {outcome.written} 条（{ScanSource(source).label}）",
            # The command's service account has no unit: the record goes to the top of the tree it wrote into.
            unit_id=actor.unit_id or _top_unit_id(),
            after={"written": outcome.written, "unchanged": outcome.unchanged, "codes": len(known)},
        )
        changes.insert()
    return outcome


def _top_unit_id() -> int:
    top = Unit.objects.filter(parent__isnull=True).values_list("id", flat=True).first()
    if top is None:
        raise ValueError("no unit to record the write under: load the district first (fangxian units load)")
    return top


class BatchTooLarge(ValueError):
    pass


def _check(
    scans: pl.DataFrame, *, actor: User, now: datetime.datetime
) -> tuple[pl.DataFrame, list[ScanProblem], dict[str, datetime.datetime | None]]:
    """The valid rows, normalised; the problems of the others; the batch's registered codes (→ revoked at)."""
    oldest = now - datetime.timedelta(days=settings.SCAN_RETENTION_DAYS)
    scans = scans.with_columns(
        pl.col("venue_code").str.strip_chars(),
        pl.col("area").str.strip_chars().str.slice(0, 50),
        pl.col("name").str.strip_chars().str.slice(0, 50),
        pl.col("phone").str.strip_chars().str.slice(0, 20),
        pl.col("device").str.strip_chars().str.slice(0, 64),
        pl.col("proxy_doc_number").str.strip_chars().str.to_uppercase(),
        # One scan per second: a device's milliseconds must not make a resend a new scan.
        pl.col("scanned_at").dt.truncate("1s"),
        pl.col("code_colour").str.strip_chars().str.to_lowercase().replace_strict(_COLOURS, default=None),
        pl.col("vaccinated").str.strip_chars().str.to_lowercase().replace_strict(_ANSWERS, default=None),
        pl.col("negative").str.strip_chars().str.to_lowercase().replace_strict(_ANSWERS, default=None),
    )
    known = _codes(scans["venue_code"].unique().to_list())
    revoked = {code: at for code, at in known.items() if at is not None}
    rules = [
        (
            (pl.col("venue_code") == "")
            | (pl.col("venue_code").str.len_chars() > 64)
            | pl.col("venue_code").str.contains(r"[\x00-\x1f]"),
            "场所码为空、超过 64 位或含控制字符",
        ),
        (pl.col("scanned_at").is_null(), "扫码时间为空或无法识别（应为 2026-12-06 08:30:00）"),
        (pl.col("scanned_at") > now + CLOCK_SKEW, "扫码时间在未来，请核对设备时钟"),
        (pl.col("scanned_at") < oldest, f"扫码时间早于保留期限（{settings.SCAN_RETENTION_DAYS} 天），不再接收"),
        (pl.col("code_colour").is_null(), "健康码颜色无法识别（应为 绿码/黄码/红码/未知）"),
        (pl.col("vaccinated").is_null(), "是否接种无法识别（应为 是/否/未知）"),
        (pl.col("negative").is_null(), "48 小时核酸无法识别（应为 是/否/未知）"),
    ]
    allowed = allowed_codes(actor)
    if allowed is not None:
        rules.append((~pl.col("venue_code").is_in(list(allowed)), "不是您所在场所的场所码（或该码已作废）"))
    if revoked:
        # A code revoked by a regeneration names its venue for the scans made before, not after.
        cut = (
            pl.col("venue_code")
            .replace_strict(revoked, default=None, return_dtype=pl.Datetime("us", "UTC"))
            .dt.truncate("1s")
        )
        rules.append(
            (cut.is_not_null() & (pl.col("scanned_at") >= cut), "场所码已作废（场所已重新生成场所码），请扫描新码")
        )
    # One pass: each row's first broken rule, or none.
    verdict = pl.coalesce([pl.when(condition.fill_null(False)).then(pl.lit(message)) for condition, message in rules])
    scans = scans.with_columns(verdict.alias("_problem"))
    refused = scans.filter(pl.col("_problem").is_not_null())
    problems = [ScanProblem(row, message) for row, message in refused.select("_row", "_problem").iter_rows()]
    scans = scans.filter(pl.col("_problem").is_null()).drop("_problem")
    today = timezone.localdate(now)
    scans, invalid = check_documents(scans, today=today)
    problems.extend(ScanProblem(row, message) for row, message in invalid)
    proxied = scans.filter(pl.col("proxy_doc_number") != "")
    if proxied.height:
        proxies, invalid = check_documents(
            proxied.select("_row", pl.lit("").alias("doc_type"), pl.col("proxy_doc_number").alias("doc_number")),
            today=today,
        )
        problems.extend(ScanProblem(row, f"代扫人证件号：{message}") for row, message in invalid)
        bad = [row for row, _ in invalid]
        scans = scans.filter(~pl.col("_row").is_in(bad)).update(
            proxies.select("_row", proxy_doc_number="doc_number"), on="_row", how="left"
        )
    scans = scans.with_columns(
        pl.col("scanned_at").dt.convert_time_zone(settings.TIME_ZONE).dt.date().alias("day")
    ).unique(["doc_number", "scanned_at", "venue_code"], keep="first", maintain_order=True)
    return scans, problems, known


def _codes(codes: list[str]) -> dict[str, datetime.datetime | None]:
    """The registered codes among `codes` and when each was revoked (None: in use). On PostgreSQL the codes go as
    one line-separated text split by the server: ten thousand IN parameters, or an array adapted element by
    element, cost more than the lookup."""
    if not codes:
        return {}
    if connection.vendor != "postgresql" or any("\n" in code for code in codes):
        return dict(VenueCode.objects.filter(code__in=codes).values_list("code", "revoked_at"))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT code, revoked_at FROM venues_venuecode WHERE code = ANY(string_to_array(%s, E'\\n'))",
            ["\n".join(codes)],
        )
        return dict(cursor.fetchall())


def write(rows: pl.DataFrame) -> int:
    """Rows (WRITTEN_COLUMNS) into the scans table, each at most once, and the new ones added to their codes'
    day figures in the same transaction; returns how many were new."""
    if rows.height == 0:
        return 0
    days = rows["day"].unique().to_list()
    partitions.ensure_partitions(Scan, min(days), max(days))
    if connection.vendor != "postgresql":
        written = _insert_new_sqlite(rows)
        figures.add(rows)
        return written
    try:
        with transaction.atomic():
            _copy(rows, "venues_scan")
        new = rows
    except IntegrityError:  # some of it is stored already: a resend, or part of one
        new = _insert_new_postgresql(rows)
    figures.add(new)
    return new.height


_FIGURES = ["day", "venue_code", "code_colour", "vaccinated", "negative"]


def _csv(rows: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    rows.write_csv(buffer, include_header=False)
    return buffer.getvalue()


def _copy(rows: pl.DataFrame, table: str) -> None:
    columns = ", ".join(connection.ops.quote_name(column) for column in rows.columns)
    with (
        connection.wrap_database_errors,  # a duplicate is Django's IntegrityError, as from any other statement
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN (FORMAT csv)") as copy,
    ):
        copy.write(_csv(rows))


def _insert_new_postgresql(rows: pl.DataFrame) -> pl.DataFrame:
    """The rows not stored yet, inserted; returns them (their figures columns) as the database says."""
    columns = ", ".join(rows.columns)
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS venues_scan_incoming "
            "(LIKE venues_scan INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE venues_scan_incoming")
        _copy(rows, "venues_scan_incoming")
        cursor.execute(
            f"INSERT INTO venues_scan ({columns}) SELECT {columns} FROM venues_scan_incoming "
            f"ON CONFLICT (doc_number, scanned_at, venue_code, day) DO NOTHING RETURNING {', '.join(_FIGURES)}"
        )
        inserted = cursor.fetchall()
    return pl.DataFrame(inserted, schema={name: rows.schema[name] for name in _FIGURES}, orient="row")


def _insert_new_sqlite(rows: pl.DataFrame) -> int:
    adapt = connection.ops.adapt_datetimefield_value
    moment = rows.columns.index("scanned_at")
    values = [
        tuple(adapt(value) if i == moment else value for i, value in enumerate(row))
        for row in rows.with_columns(pl.col("day").cast(pl.String)).rows()
    ]
    placeholders = ", ".join(["%s"] * len(rows.columns))
    with connection.cursor() as cursor:
        cursor.execute("SELECT total_changes()")
        before = cursor.fetchone()[0]
        cursor.executemany(
            f"INSERT INTO venues_scan ({', '.join(rows.columns)}) VALUES ({placeholders}) ON CONFLICT DO NOTHING",
            values,
        )
        cursor.execute("SELECT total_changes()")
        return cursor.fetchone()[0] - before
