"""Nucleic-acid testing: registering tubes and their members, shipping, lab results, the recall of positive
pools, the 48-hour lookup and key-group schedules. Services never commit: callers own atomic().

The write paths take columns (polars frames), not one object per person: a city day is 10⁷ members."""

import contextlib
import datetime
import io
import re
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone

from fangxian.core.audit import ChangeRows, record_change, require_actor
from fangxian.core.bulk import allocate_ids, copy_rows, index_plans, uuid7_sql
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind, Sector
from fangxian.core.models import Unit, User
from fangxian.core.notify import notify
from fangxian.core.scoping import require, scope_unit_ids
from fangxian.testing import members as member_checks
from fangxian.testing import partitions
from fangxian.testing.choices import (
    POOL_SIZE,
    RECALLING_RESULTS,
    RecallStatus,
    SamplingMode,
    SubmissionOutcome,
    TubeResult,
    TubeStatus,
)
from fangxian.testing.models import (
    Campaign,
    CampaignZone,
    KeyGroup,
    KeyGroupMember,
    Recall,
    ResultSubmission,
    Sample,
    SamplingPoint,
    Tube,
)

TUBE_CODE = re.compile(r"^[A-Za-z0-9-]{4,32}$")
MODE_OF_SIZE = {1: SamplingMode.SINGLE, 5: SamplingMode.POOL_5, 10: SamplingMode.POOL_10, 20: SamplingMode.POOL_20}
# A sampling app's clock may run a little fast; a tube from further ahead, or over a week old, is a typing error.
CLOCK_SLACK = datetime.timedelta(minutes=10)
OLDEST_SAMPLE = datetime.timedelta(days=7)


@dataclass
class TubeProblem:
    tube_code: str
    message: str
    doc_number: str = ""


@dataclass
class Registration:
    created: int = 0
    members: int = 0
    unchanged: int = 0
    added_members: int = 0
    problems: list[TubeProblem] = field(default_factory=list)


@dataclass
class NewTube:
    code: str
    pool_size: int
    sampled_at: datetime.datetime | None = None
    mode: str | None = None


def _may_register(actor: User, point: SamplingPoint) -> None:
    require(actor, Capability.TUBES_REGISTER, point.unit)
    if not point.is_active:
        raise ValidationError("该采样点未启用")


def _check_tubes(tubes: list[NewTube], now: datetime.datetime) -> tuple[dict[str, NewTube], list[TubeProblem]]:
    valid: dict[str, NewTube] = {}
    problems = []
    for tube in tubes:
        code = (tube.code or "").strip()
        if not TUBE_CODE.match(code):
            problems.append(TubeProblem(code, "管码应为 4–32 位字母、数字或连字符"))
        elif code in valid:
            problems.append(TubeProblem(code, "同一批次中管码重复"))
        elif tube.pool_size not in MODE_OF_SIZE and tube.mode != SamplingMode.HOUSEHOLD:
            problems.append(TubeProblem(code, "混采人数应为 1、5、10 或 20"))
        elif tube.sampled_at and not (now - OLDEST_SAMPLE <= tube.sampled_at <= now + CLOCK_SLACK):
            problems.append(TubeProblem(code, "采样时间不在合理范围内（晚于现在或早于 7 天前）"))
        else:
            tube.code = code
            valid[code] = tube
    return valid, problems


def _existing(codes: list[str]) -> dict[str, Tube]:
    """The tubes already registered under these codes. On PostgreSQL one array parameter: a list of 10⁴
    placeholders costs more to parse and plan than the lookup itself."""
    fields = ["id", "code", "status", "point_id", "pool_size", "member_count", "sampled_on"]
    if connection.vendor == "postgresql":
        tubes = Tube.objects.raw(f"SELECT {', '.join(fields)} FROM testing_tube WHERE code = ANY(%s)", [codes])
        return {tube.code: tube for tube in tubes}
    found: dict[str, Tube] = {}
    for start in range(0, len(codes), 5000):
        chunk = codes[start : start + 5000]
        found.update((tube.code, tube) for tube in Tube.objects.filter(code__in=chunk).only(*fields))
    return found


def register_tubes(
    *,
    actor: User,
    point: SamplingPoint,
    tubes: list[NewTube],
    members: pl.DataFrame,
    close: bool = True,
    now: datetime.datetime | None = None,
) -> Registration:
    """Register tubes with their members (columns tube_code, doc_type, doc_number, name, phone). Idempotent on
    the tube code: a tube sent again with the same members changes nothing; an open tube takes new members up
    to its pool size; a closed or shipped one takes none. A bad tube is left out with its reason, whole (none
    of its members is written); the others are written. `close`: the app has finished the tubes (待送检)."""
    require_actor(actor)
    _may_register(actor, point)
    now = now or timezone.now()
    result = Registration()
    valid, problems = _check_tubes(tubes, now)
    result.problems.extend(problems)
    checked, member_problems = member_checks.check(members, today=timezone.localtime(now).date())
    bad_tubes = {problem.tube_code for problem in member_problems}
    result.problems.extend(
        TubeProblem(p.tube_code, f"成员证件有误：{p.message}", p.doc_number) for p in member_problems
    )
    checked = checked.filter(pl.col("tube_code").is_in(list(valid)))
    counts = dict(checked.group_by("tube_code").len().iter_rows())
    repeated = checked.filter(pl.struct("tube_code", "doc_number").is_duplicated())
    for code in repeated["tube_code"].unique().to_list():
        result.problems.append(TubeProblem(code, "同一管内证件号重复"))
        bad_tubes.add(code)
    existing = _existing(list(valid))
    fresh: list[NewTube] = []
    additions: dict[str, Tube] = {}
    for code, tube in valid.items():
        if code in bad_tubes:
            continue
        count = counts.get(code, 0)
        known = existing.get(code)
        if known is None:
            size = POOL_SIZE[SamplingMode.HOUSEHOLD] if tube.mode == SamplingMode.HOUSEHOLD else tube.pool_size
            if count == 0 and close:
                result.problems.append(TubeProblem(code, "该管没有采样人员"))
            elif count > size:
                result.problems.append(TubeProblem(code, f"超过混采上限：{count} 人，上限 {size} 人"))
            else:
                fresh.append(tube)
            continue
        if known.point_id != point.pk:
            result.problems.append(TubeProblem(code, "该管码已在其他采样点登记"))
            continue
        additions[code] = known
    new_members, added = _new_members(checked, additions, result)
    if fresh or added:
        written = _write(
            actor=actor, point=point, tubes=fresh, members=checked, additions=new_members, close=close, now=now
        )
        result.created, result.members = written
        result.added_members = added
    if close:
        open_codes = [code for code, tube in additions.items() if tube.status == TubeStatus.OPEN]
        if open_codes:
            Tube.objects.filter(code__in=open_codes, status=TubeStatus.OPEN).update(
                status=TubeStatus.CLOSED, closed_at=now
            )
    return result


def _new_members(checked: pl.DataFrame, additions: dict[str, Tube], result: Registration) -> tuple[pl.DataFrame, int]:
    """Of the members sent for tubes already registered: those not in the tube yet, if it may take them."""
    if not additions:
        return checked.clear(), 0
    sent = checked.filter(pl.col("tube_code").is_in(list(additions)))
    ids = {tube.pk: code for code, tube in additions.items()}
    present = set(
        Sample.objects.filter(tube_id__in=list(ids), day__in={t.sampled_on for t in additions.values()}).values_list(
            "tube_id", "doc_number"
        )
    )
    have = pl.DataFrame(
        [(ids[tube_id], doc) for tube_id, doc in present],
        schema={"tube_code": pl.String, "doc_number": pl.String},
        orient="row",
    )
    new = sent.join(have, on=["tube_code", "doc_number"], how="anti")
    counts = dict(new.group_by("tube_code").len().iter_rows())
    keep = []
    for code, tube in additions.items():
        extra = counts.get(code, 0)
        if extra == 0:
            result.unchanged += 1
        elif tube.status != TubeStatus.OPEN:
            result.problems.append(TubeProblem(code, f"该管已{tube.get_status_display()}，不能再加人"))
        elif tube.member_count + extra > tube.pool_size:
            result.problems.append(
                TubeProblem(
                    code, f"超过混采上限：已有 {tube.member_count} 人，再加 {extra} 人，上限 {tube.pool_size} 人"
                )
            )
        else:
            keep.append(code)
    new = new.filter(pl.col("tube_code").is_in(keep))
    return new, new.height


def _tube_frame(
    *,
    actor: User,
    point: SamplingPoint,
    tubes: list[NewTube],
    members: pl.DataFrame,
    close: bool,
    now: datetime.datetime,
) -> pl.DataFrame:
    """The new tubes as rows of the tube table, with their reserved ids and member counts."""
    counts = members.group_by("tube_code").len("member_count")
    household = POOL_SIZE[SamplingMode.HOUSEHOLD]
    sampled_at = pl.Series("sampled_at", [t.sampled_at or now for t in tubes], dtype=pl.Datetime("us", "UTC"))
    frame = pl.DataFrame(
        {
            "id": pl.Series(allocate_ids(Tube, len(tubes)), dtype=pl.Int64),
            "code": [t.code for t in tubes],
            "mode": [t.mode or MODE_OF_SIZE[t.pool_size] for t in tubes],
            "pool_size": [household if t.mode == SamplingMode.HOUSEHOLD else t.pool_size for t in tubes],
            "sampled_at": sampled_at,
        },
        schema={
            "id": pl.Int64,
            "code": pl.String,
            "mode": pl.String,
            "pool_size": pl.Int16,
            "sampled_at": pl.Datetime("us", "UTC"),
        },
    )
    return frame.join(counts, left_on="code", right_on="tube_code", how="left").select(
        "id",
        "code",
        campaign_id=pl.lit(point.campaign_id, pl.Int64),
        point_id=pl.lit(point.pk, pl.Int64),
        unit_id=pl.lit(point.unit_id, pl.Int64),
        mode="mode",
        pool_size="pool_size",
        member_count=pl.col("member_count").fill_null(0).cast(pl.Int16),
        sampled_on=pl.col("sampled_at").dt.convert_time_zone(settings.TIME_ZONE).dt.date(),
        sampled_at="sampled_at",
        status=pl.lit(TubeStatus.CLOSED.value if close else TubeStatus.OPEN.value),
        closed_at=pl.lit(now if close else None, pl.Datetime("us", "UTC")),
        box=pl.lit(""),
        result=pl.lit(""),
        lab=pl.lit(""),
        registered_by_id=pl.lit(actor.pk, pl.Int64),
    )


def _write(
    *,
    actor: User,
    point: SamplingPoint,
    tubes: list[NewTube],
    members: pl.DataFrame,
    additions: pl.DataFrame,
    close: bool,
    now: datetime.datetime,
) -> tuple[int, int]:
    """COPY the new tubes, then their members (and members added to open tubes), each as CSV straight from a
    frame: no Python object per tube or per member."""
    new_tubes = _tube_frame(actor=actor, point=point, tubes=tubes, members=members, close=close, now=now)
    if new_tubes.height:
        _copy_frame(Tube, new_tubes)
    keys = new_tubes.select(
        pl.col("code").alias("tube_code"), pl.col("id").alias("tube_id"), pl.col("sampled_on").alias("day")
    )
    if additions.height:
        known = Tube.objects.filter(code__in=additions["tube_code"].unique().to_list()).values_list(
            "code", "id", "sampled_on"
        )
        keys = pl.concat([keys, pl.DataFrame(list(known), schema=keys.schema, orient="row")])
    rows = pl.concat([members.join(new_tubes.select(tube_code="code"), on="tube_code", how="semi"), additions])
    if rows.height == 0:
        return len(tubes), 0
    rows = rows.join(keys, on="tube_code", how="inner").with_columns(pl.lit(point.unit_id, pl.Int64).alias("unit_id"))
    sampled_days = rows["day"].unique().to_list()
    partitions.ensure_partitions(Sample, min(sampled_days), max(sampled_days))
    # In tube order: the tube index then grows at its right edge, and a tube's members share a page.
    ordered = rows.sort("tube_id", maintain_order=True)
    _copy_frame(Sample, ordered.select("tube_id", "day", "doc_type", "doc_number", "name", "phone", "unit_id"))
    if additions.height:
        for code, extra in additions.group_by("tube_code").len().iter_rows():
            Tube.objects.filter(code=code).update(member_count=F("member_count") + extra)
    _record_batch(
        actor=actor,
        kind=ChangeKind.CREATE,
        reason="采样登记",
        object_id=f"point:{point.uuid}",
        object_repr=f"{point.name} 采样登记",
        unit_id=point.unit_id,
        after={"tubes": [t.code for t in tubes][:50], "tube_count": len(tubes), "members": rows.height},
    )
    return len(tubes), rows.height


def _record_batch(
    *,
    actor: User,
    kind: str,
    reason: str,
    object_id: str,
    object_repr: str,
    unit_id: int,
    after: dict,
    model_label: str = "testing.tube",
) -> None:
    """One change record for a whole write of 10³–10⁶ rows (a registration, a lab's file): what was written,
    by whom, under which request or job; the rows themselves keep their writer."""
    changes = ChangeRows(actor=actor, kind=ChangeKind(kind), model_label=model_label, reason=reason)
    changes.add(object_id=object_id, object_repr=object_repr, unit_id=unit_id, after=after)
    changes.insert()


def _copy_frame(model, data: pl.DataFrame) -> None:
    """Rows of a frame into the model's table: COPY of the frame written as CSV on PostgreSQL (no Python per
    row), one executemany on SQLite."""
    table = model._meta.db_table
    columns = [_column_of(model, name) for name in data.columns]
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        data.write_csv(buffer, include_header=False)
        quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {connection.ops.quote_name(table)} ({quoted}) FROM STDIN (FORMAT csv)") as copy,
        ):
            view = buffer.getbuffer()
            for start in range(0, len(view), 1 << 20):
                copy.write(view[start : start + (1 << 20)])
        return
    adapt = connection.ops.adapt_datetimefield_value
    moments = [i for i, dtype in enumerate(data.dtypes) if isinstance(dtype, pl.Datetime)]
    rows = data.with_columns(pl.col(pl.Date).cast(pl.String)).rows()
    if moments:  # as Django writes them on SQLite (UTC, no offset): compared as text there
        rows = [tuple(adapt(v) if i in moments else v for i, v in enumerate(row)) for row in rows]
    copy_rows(table, columns, rows)


def _column_of(model, name: str) -> str:
    for item in model._meta.concrete_fields:
        if name in (item.attname, item.name):
            return item.column
    raise KeyError(name)


# ---------------------------------------------------------------- shipping


def ship(*, actor: User, tubes, box: str, now: datetime.datetime | None = None) -> int:
    """Closed tubes into a transport box and off to the lab (待送检 → 已送检); `tubes` is already restricted."""
    require_actor(actor)
    box = box.strip()[:32]
    if not box:
        raise ValidationError("请填写转运箱号")
    closed = tubes.filter(status=TubeStatus.CLOSED)
    first = closed.order_by("id").values("unit_id", "point__uuid", "point__name").first()
    codes = list(closed.order_by("id").values_list("code", flat=True)[:50])
    count = closed.update(status=TubeStatus.SHIPPED, box=box, shipped_at=now or timezone.now())
    if count:
        _record_batch(
            actor=actor,
            kind=ChangeKind.UPDATE,
            reason="装箱送检",
            object_id=f"point:{first['point__uuid']}",
            object_repr=f"{first['point__name']} 装箱送检",
            unit_id=first["unit_id"],
            after={"box": box, "tube_count": count, "tubes": codes},
        )
    return count


def close_tube(*, actor: User, tube: Tube) -> Tube:
    require_actor(actor)
    if tube.status != TubeStatus.OPEN:
        raise ValidationError(f"该管已{tube.get_status_display()}")
    if tube.member_count == 0:
        raise ValidationError("该管没有采样人员，不能封管")
    tube.status, tube.closed_at = TubeStatus.CLOSED, timezone.now()
    tube.save(update_fields=["status", "closed_at"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=tube,
        unit=tube.unit,
        before={"status": TubeStatus.OPEN},
        after={"status": TubeStatus.CLOSED},
        reason="封管",
    )
    return tube


# ---------------------------------------------------------------- results

RESULT_WORDS = {
    "阴性": TubeResult.NEGATIVE,
    "negative": TubeResult.NEGATIVE,
    "neg": TubeResult.NEGATIVE,
    "-": TubeResult.NEGATIVE,
    "阳性": TubeResult.POSITIVE,
    "positive": TubeResult.POSITIVE,
    "pos": TubeResult.POSITIVE,
    "+": TubeResult.POSITIVE,
    "无效": TubeResult.INVALID,
    "invalid": TubeResult.INVALID,
    "待复核": TubeResult.INVALID,
}
RESULT_COLUMNS = {"tube_code": pl.String, "result": pl.String, "ct_orf": pl.String, "ct_n": pl.String}


@dataclass
class ResultProblem:
    row: int
    tube_code: str
    message: str


@dataclass
class Ingest:
    accepted: int = 0
    repeated: int = 0
    conflicts: int = 0
    unknown: int = 0
    problems: list[ResultProblem] = field(default_factory=list)
    recalled_tubes: int = 0
    recalled_people: int = 0
    released: int = 0
    retest_positive: int = 0


def result_frame(rows: list[dict] | pl.DataFrame) -> pl.DataFrame:
    """Result rows with the expected text columns, whatever the source typed them as."""
    if isinstance(rows, pl.DataFrame):
        data = rows
    else:
        data = pl.DataFrame(rows) if rows else pl.DataFrame(schema=RESULT_COLUMNS)
    for column, dtype in RESULT_COLUMNS.items():
        if column not in data.columns:
            data = data.with_columns(pl.lit(None, dtype).alias(column))
        data = data.with_columns(pl.col(column).cast(pl.String))
    if "row" not in data.columns:  # the row as the user counts them (a file's reader gives its own)
        data = data.with_row_index("row", offset=1)
    return data.select("row", *RESULT_COLUMNS).with_columns(pl.col("row").cast(pl.Int64))


def _check_results(rows: pl.DataFrame) -> tuple[pl.DataFrame, list[ResultProblem]]:
    words = pl.col("result").str.strip_chars().str.to_lowercase()
    ct = {
        name: pl.col(name).str.strip_chars().replace("", None).cast(pl.Float64, strict=False)
        for name in ("ct_orf", "ct_n")
    }
    data = rows.with_columns(
        pl.col("tube_code").str.strip_chars().fill_null(""),
        words.replace_strict(RESULT_WORDS, default=None).alias("result"),
        ct["ct_orf"].alias("ct_orf"),
        ct["ct_n"].alias("ct_n"),
        pl.col("ct_orf").str.strip_chars().replace("", None).alias("_ct_orf_raw"),
        pl.col("ct_n").str.strip_chars().replace("", None).alias("_ct_n_raw"),
    )
    bad_code = ~pl.col("tube_code").str.contains(r"^[A-Za-z0-9-]{4,32}$")
    bad_result = pl.col("result").is_null()
    bad_ct = pl.any_horizontal(
        (pl.col(f"_{name}_raw").is_not_null() & (pl.col(name).is_null() | ~pl.col(name).is_between(0, 50)))
        for name in ("ct_orf", "ct_n")
    )
    problems = []
    for row in data.filter(bad_code | bad_result | bad_ct).iter_rows(named=True):
        code = row["tube_code"] or ""
        if not TUBE_CODE.match(code):
            message = "管码应为 4–32 位字母、数字或连字符"
        elif row["result"] is None:
            message = "检测结果应为 阴性 / 阳性 / 无效"
        else:
            message = "Ct 值应为 0–50 之间的数字"
        problems.append(ResultProblem(row["row"], code, message))
    good = data.filter(~(bad_code | bad_result | bad_ct)).select(
        pl.col("row").cast(pl.Int64).alias("seq"), "tube_code", "result", "ct_orf", "ct_n"
    )
    return good, problems


def ingest_results(
    *, actor: User, lab: str, rows: pl.DataFrame, now: datetime.datetime | None = None, valid_only: bool = True
) -> Ingest:
    """A lab's results (columns tube_code, result, ct_orf, ct_n), in any number. The first final result of a
    tube stands; a repeat is noted, a different one is kept as a conflict and never written over it; a code not
    registered in the lab's units is kept as unknown. Every row sent is kept as a submission. A positive or
    invalid pool recalls its members at once; a single-tube re-test releases or confirms them.
    Bad rows (no code, an unknown word, a Ct value out of range) are returned; with `valid_only=False` any bad
    row refuses the whole submission."""
    require_actor(actor)
    # Labs report results; the district office may upload a lab's file for it (audited). Nobody else.
    units = scope_unit_ids(actor, Capability.RESULTS_REPORT)
    if not units and not actor.is_superuser:
        raise PermissionDenied("无权上报核酸检测结果（限检测机构与区防控指挥部）")
    now = now or timezone.now()
    lab = (lab or "").strip()[:100] or str(actor)
    good, problems = _check_results(result_frame(rows))
    summary = Ingest(problems=problems)
    if problems and not valid_only:
        return summary
    if good.height == 0:
        return summary
    day = timezone.localtime(now).date()
    stamp = connection.ops.adapt_datetimefield_value(now)  # raw SQL: stored as the ORM stores it
    partitions.ensure_partitions(ResultSubmission, day, day)
    # A lab's small submission (the positives of the hour, an app's batch) is answered by index probes; the
    # tube table's statistics may be an hour behind 10⁶ new tubes and would plan a scan of all of them.
    plans = index_plans() if good.height < 20_000 else contextlib.nullcontext()
    with plans, connection.cursor() as cursor:
        _stage_results(cursor, good)
        unit_filter, unit_params = _in_list("t.unit_id", units)
        # The standing result: the first row of this submission for a tube that has none yet.
        cursor.execute(
            "UPDATE testing_tube SET result = f.result, result_at = %s, status = %s, lab = %s "
            "FROM (SELECT s.tube_code, s.result FROM staged_result s JOIN "
            "(SELECT tube_code, MIN(seq) AS seq FROM staged_result GROUP BY tube_code) m "
            "ON m.tube_code = s.tube_code AND m.seq = s.seq) f "
            f"WHERE testing_tube.code = f.tube_code AND testing_tube.result = '' AND "
            f"{unit_filter.replace('t.unit_id', 'testing_tube.unit_id')}",
            [stamp, TubeStatus.DONE, lab, *unit_params],
        )
        cursor.execute(
            "CREATE TEMPORARY TABLE judged_result AS SELECT s.seq, s.tube_code, t.id AS tube_id, s.result, s.ct_orf, "
            "s.ct_n, t.sampled_on, t.pool_size, CASE WHEN t.id IS NULL THEN %s WHEN t.result <> s.result THEN %s "
            "WHEN t.result_at = %s AND s.seq = MIN(s.seq) OVER (PARTITION BY s.tube_code) THEN %s ELSE %s END "
            "AS outcome FROM staged_result s LEFT JOIN testing_tube t ON t.code = s.tube_code AND "
            f"{unit_filter}",
            [
                SubmissionOutcome.UNKNOWN_TUBE,
                SubmissionOutcome.CONFLICT,
                stamp,
                SubmissionOutcome.ACCEPTED,
                SubmissionOutcome.REPEATED,
                *unit_params,
            ],
        )
        cursor.execute(
            "INSERT INTO testing_resultsubmission (day, tube_code, tube_id, result, ct_orf, ct_n, lab, received_at, "
            "outcome, submitted_by_id) SELECT %s, tube_code, tube_id, result, ct_orf, ct_n, %s, %s, outcome, %s "
            "FROM judged_result",
            [day, lab, stamp, actor.pk],
        )
        cursor.execute("SELECT outcome, COUNT(*) FROM judged_result GROUP BY outcome")
        counts = dict(cursor.fetchall())
        cursor.execute(
            "SELECT tube_code FROM judged_result WHERE outcome = %s ORDER BY seq LIMIT 100", ["unknown_tube"]
        )
        for (code,) in cursor.fetchall():
            summary.problems.append(ResultProblem(0, code, "管码未登记（结果已保存，登记后可补查）"))
        # An accepted row's result is the one now standing on its tube: no second visit to the tube table.
        cursor.execute(
            "SELECT tube_id, sampled_on, pool_size, result FROM judged_result "
            "WHERE outcome = %s AND (result IN (%s, %s) OR pool_size = 1)",
            [SubmissionOutcome.ACCEPTED, *RECALLING_RESULTS],
        )
        standing = cursor.fetchall()
        cursor.execute("DROP TABLE judged_result")
        cursor.execute("DROP TABLE staged_result")
    summary.accepted = counts.get(SubmissionOutcome.ACCEPTED, 0)
    summary.repeated = counts.get(SubmissionOutcome.REPEATED, 0)
    summary.conflicts = counts.get(SubmissionOutcome.CONFLICT, 0)
    summary.unknown = counts.get(SubmissionOutcome.UNKNOWN_TUBE, 0)
    singles = [(pk, on, result) for pk, on, size, result in standing if size == 1]
    summary.released, summary.retest_positive = _settle_retests(singles, now=now)
    pools = [(pk, on) for pk, on, size, result in standing if size > 1 and result in RECALLING_RESULTS]
    summary.recalled_tubes = len(pools)
    summary.recalled_people = recall(tubes=pools, now=now)
    # A single tube positive for someone nobody held (a key-group test): on the list at once, as a case.
    retested = set(
        Recall.objects.filter(retest_tube_id__in=[pk for pk, _, _ in singles]).values_list("retest_tube_id", flat=True)
    )
    cases = [(pk, on) for pk, on, result in singles if result == TubeResult.POSITIVE and pk not in retested]
    recall(tubes=cases, now=now, status=RecallStatus.POSITIVE)
    recalled_codes = list(Tube.objects.filter(pk__in=[pk for pk, _ in pools + cases]).values_list("code", flat=True))
    _record_batch(
        actor=actor,
        kind=ChangeKind.UPDATE,
        reason="检测结果",
        object_id=f"lab:{lab}"[:64],
        object_repr=f"{lab} 检测结果",
        unit_id=actor.unit_id or units[0],
        after={
            "accepted": summary.accepted,
            "repeated": summary.repeated,
            "conflicts": summary.conflicts,
            "unknown": summary.unknown,
            "recalled_tubes": recalled_codes[:50],
            "recalled_people": summary.recalled_people,
            "released": summary.released,
            "retest_positive": summary.retest_positive,
        },
    )
    return summary


def _in_list(column: str, values: list[int]) -> tuple[str, list]:
    if not values:
        return "1 = 0", []
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _stage_results(cursor, good: pl.DataFrame) -> None:
    cursor.execute(
        "CREATE TEMPORARY TABLE staged_result (seq bigint, tube_code varchar(32), result varchar(16), "
        "ct_orf numeric(4, 1), ct_n numeric(4, 1))"
    )
    data = good.select("seq", "tube_code", "result", pl.col("ct_orf").round(1), pl.col("ct_n").round(1))
    if connection.vendor == "postgresql":
        buffer = io.BytesIO()
        data.write_csv(buffer, include_header=False)
        with cursor.cursor.copy("COPY staged_result FROM STDIN (FORMAT csv)") as copy:
            copy.write(buffer.getvalue())
        cursor.execute("CREATE INDEX ON staged_result (tube_code, seq)")
        cursor.execute("ANALYZE staged_result")
    else:
        rows = [
            (seq, code, result, None if orf is None else str(orf), None if n is None else str(n))
            for seq, code, result, orf, n in data.rows()
        ]
        cursor.executemany("INSERT INTO staged_result VALUES (%s, %s, %s, %s, %s)", rows)
        cursor.execute("CREATE INDEX staged_result_code ON staged_result (tube_code, seq)")


# ---------------------------------------------------------------- recall of positive pools


def recall(*, tubes: list[tuple[int, datetime.date]], now: datetime.datetime, status: str = RecallStatus.HELD) -> int:
    """Every member of these positive or invalid pools, held where they are: a recall row each (the list on
    screen), written inside the database from the samples; then the units are told. Returns the number of
    people recalled. Leads for the members' units follow in raise_recall_leads (a job)."""
    if not tubes:
        return 0
    days = sorted({day for _, day in tubes})
    tube_filter, tube_params = _in_list("s.tube_id", [pk for pk, _ in tubes])
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


def _settle_retests(singles: list[tuple[int, datetime.date, str]], *, now: datetime.datetime) -> tuple[int, int]:
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


# ---------------------------------------------------------------- lookups


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


# ---------------------------------------------------------------- campaigns


@dataclass
class ZoneProgress:
    unit: Unit
    mode: str
    target: int
    sampled: int
    zone_id: int = 0
    head_count: int | None = None  # entered on the ground; None: the target comes from the registry

    @property
    def mode_label(self) -> str:
        return str(SamplingMode(self.mode).label)

    @property
    def share(self) -> float:
        return self.sampled / self.target if self.target else 0.0


def expected_people(campaign, people):
    """Of `people` (persons), those this round expects to sample: less the exclusions it was set up with —
    children under 2, people under an active isolation or monitoring measure, members of the district's key
    groups (tested on their own schedule). One definition for the target and the not-sampled list."""
    from fangxian.control.choices import MeasureStatus
    from fangxian.control.models import Measure

    if campaign.exclude_under_2:
        # Under 2 on the round's first day: born after the same date two years earlier (29 Feb → 28 Feb).
        first = timezone.localtime(campaign.starts_at).date()
        two_years_earlier = first.replace(
            year=first.year - 2, day=28 if (first.month, first.day) == (2, 29) else first.day
        )
        people = people.exclude(birth_date__gt=two_years_earlier)
    if campaign.exclude_isolated:
        people = people.exclude(Exists(Measure.objects.filter(person_id=OuterRef("pk"), status=MeasureStatus.ACTIVE)))
    if campaign.exclude_key_groups:
        people = people.exclude(
            Exists(KeyGroupMember.objects.filter(person_id=OuterRef("pk"), group__district_id=campaign.district_id))
        )
    return people


def _expected(campaign, unit: Unit) -> int:
    """The people a zone should sample: its registered population, less the exclusions of the round."""
    from fangxian.people.models import Person

    return expected_people(campaign, Person.objects.filter(unit__path__startswith=unit.path)).count()


def campaign_progress(campaign, *, zones=None) -> list[ZoneProgress]:
    """Sampled over target per zone of the round (`zones`: those the viewer may see)."""
    zones = list((zones if zones is not None else campaign.zones.all()).select_related("unit"))
    sampled = dict(
        Tube.objects.filter(campaign=campaign)
        .values_list("unit__path")
        .annotate(people=Sum("member_count"))
        .values_list("unit__path", "people")
    )
    rows = []
    for zone in zones:
        done = sum(people for path, people in sampled.items() if path.startswith(zone.unit.path))
        target = zone.head_count if zone.head_count is not None else _expected(campaign, zone.unit)
        rows.append(ZoneProgress(zone.unit, zone.mode, target, done, zone.pk, zone.head_count))
    return rows


def progress_by_point(campaign, points) -> list[dict]:
    rows = (
        Tube.objects.filter(campaign=campaign, point__in=points)
        .values("point__name", "point__unit__name")
        .annotate(tubes=Count("id"), people=Sum("member_count"))
        .order_by("-people")
    )
    return [dict(row) for row in rows]


def progress_by_hour(campaign, tubes) -> list[tuple[datetime.datetime, int]]:
    rows = (
        tubes.filter(campaign=campaign)
        .annotate(hour=TruncHour("sampled_at"))
        .values("hour")
        .annotate(people=Sum("member_count"))
        .order_by("hour")
    )
    return [(row["hour"], row["people"]) for row in rows]


def not_sampled(campaign, persons):
    """应检尽检: the people of `persons` (already restricted and narrowed to a unit) this round expects
    (expected_people) with no sample in it, matched by document number."""
    first = timezone.localtime(campaign.starts_at).date()
    last = timezone.localtime(campaign.ends_at).date()
    sampled = Sample.objects.filter(
        doc_number=OuterRef("doc_number"), day__range=(first, last), tube__campaign=campaign
    )
    return expected_people(campaign, persons).filter(~Exists(sampled))


def create_campaign(
    *,
    actor: User,
    district: Unit,
    name: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime,
    zones: list[tuple[Unit, str, int | None]],
    exclude_under_2: bool = True,
    exclude_isolated: bool = True,
    exclude_key_groups: bool = True,
) -> Campaign:
    """A round over some units of the district, each with its sampling mode and, if known, its head count;
    the exclusions say who is not expected (expected_people)."""
    require_actor(actor)
    require(actor, Capability.CAMPAIGNS_MANAGE, district)
    if not name.strip():
        raise ValidationError("请填写轮次名称")
    if ends_at <= starts_at:
        raise ValidationError("结束时间应晚于开始时间")
    if not zones:
        raise ValidationError("请至少选择一个检测单位")
    outside = [unit.name for unit, _, _ in zones if not unit.path.startswith(district.path)]
    if outside:
        raise ValidationError(f"不在本区/县的单位：{'、'.join(outside)}")
    campaign = Campaign.objects.create(
        district=district,
        name=name.strip(),
        starts_at=starts_at,
        ends_at=ends_at,
        created_by=actor,
        status="running" if starts_at <= timezone.now() else "planned",
        exclude_under_2=exclude_under_2,
        exclude_isolated=exclude_isolated,
        exclude_key_groups=exclude_key_groups,
    )
    CampaignZone.objects.bulk_create(
        CampaignZone(campaign=campaign, unit=unit, mode=mode, head_count=head_count) for unit, mode, head_count in zones
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=campaign,
        unit=district,
        after={
            "name": campaign.name,
            "zones": [unit.code for unit, _, _ in zones],
            "exclude": {
                "under_2": exclude_under_2,
                "isolated": exclude_isolated,
                "key_groups": exclude_key_groups,
            },
        },
        reason="组织全员核酸",
    )
    return campaign


def zone_of(point: SamplingPoint) -> CampaignZone | None:
    """The zone of its round a point samples in: the nearest zone at or above the point's unit."""
    if point.campaign is None:
        return None
    zones = [zone for zone in point.campaign.zones.select_related("unit") if point.unit.path.startswith(zone.unit.path)]
    return max(zones, key=lambda zone: len(zone.unit.path), default=None)


def update_zone(*, actor: User, zone: CampaignZone, mode: str, head_count: int | None) -> CampaignZone:
    """A zone's sampling mode (sealed areas single, households one tube each…) and its head count (none: the
    registry's people less the round's exclusions). Set by the office that organised the round."""
    require_actor(actor)
    require(actor, Capability.CAMPAIGNS_MANAGE, zone.campaign.district)
    if mode not in SamplingMode.values:
        raise ValidationError("未知的采样方式")
    if head_count is not None and head_count < 0:
        raise ValidationError("应检人数不能为负数")
    before = {"mode": zone.mode, "head_count": zone.head_count}
    zone.mode, zone.head_count = mode, head_count
    zone.save(update_fields=["mode", "head_count"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=zone.campaign,
        unit=zone.campaign.district,
        before=before,
        after={"mode": mode, "head_count": head_count},
        reason=f"调整检测单位：{zone.unit.name}（{zone.unit.code}）",
    )
    return zone


def create_point(*, actor: User, campaign, unit: Unit, name: str, address: str = "", hours: str = "") -> SamplingPoint:
    require_actor(actor)
    require(actor, Capability.POINTS_MANAGE, unit)
    if not campaign.zones.filter(unit__path__in=[unit.path[:end] for end in range(1, len(unit.path) + 1)]).exists():
        raise ValidationError("采样点应设在本轮检测单位之内")
    if not name.strip():
        raise ValidationError("请填写采样点名称")
    point = SamplingPoint.objects.create(
        campaign=campaign, unit=unit, name=name.strip()[:100], address=address.strip()[:200], hours=hours.strip()[:100]
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=point,
        unit=unit,
        after={"name": point.name, "address": point.address, "hours": point.hours},
        reason="设置采样点",
    )
    return point


def create_key_group(
    *, actor: User, district: Unit, name: str, interval_days: int, sector: str = ""
) -> tuple[KeyGroup, bool]:
    """A key group of the district (medical staff, cold-chain workers …) tested on its own schedule; `sector`
    names the department that follows it (teachers: education)."""
    require_actor(actor)
    require(actor, Capability.KEY_GROUPS_MANAGE, district)
    if sector and sector not in Sector.values:
        raise ValidationError({"sector": "未知的行业"})
    group, created = KeyGroup.objects.get_or_create(
        district=district, name=name.strip()[:100], defaults={"interval_days": interval_days, "sector": sector}
    )
    if created:
        record_change(
            actor=actor,
            kind=ChangeKind.CREATE,
            instance=group,
            unit=district,
            after={"name": group.name, "interval_days": group.interval_days, "sector": group.sector},
            reason="设置重点人群",
        )
    return group, created


def add_key_group_members(*, actor: User, group, unit: Unit, doc_numbers: list[str], persons) -> tuple[int, list[str]]:
    """Put the registered people with these document numbers (looked up in `persons`, already restricted) in
    the group, answering to `unit`; returns how many were added and the numbers nobody in scope holds."""
    require_actor(actor)
    require(actor, Capability.KEY_GROUPS_MANAGE, unit)
    wanted = [number.strip().upper() for number in doc_numbers if number.strip()]
    found = {person.doc_number: person for person in persons.filter(doc_number__in=wanted)}
    already = set(
        KeyGroupMember.objects.filter(group=group, person__in=found.values()).values_list("person_id", flat=True)
    )
    new = [
        KeyGroupMember(group=group, person=person, unit=unit) for person in found.values() if person.pk not in already
    ]
    KeyGroupMember.objects.bulk_create(new)
    if new:
        _record_batch(
            actor=actor,
            kind=ChangeKind.CREATE,
            reason="加入重点人群",
            object_id=f"key_group:{group.pk}",
            object_repr=f"{group.name} 加入成员",
            unit_id=unit.pk,
            after={"person_ids": [member.person_id for member in new]},
            model_label="testing.keygroupmember",
        )
    return len(new), [number for number in wanted if number not in found]
