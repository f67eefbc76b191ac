"""Lab results: checked, staged and applied in set statements; a positive pool starts its recall."""

import contextlib
import datetime
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.utils import timezone

from fangxian.core import partitions
from fangxian.core.audit import require_actor
from fangxian.core.bulk import (
    in_list_sql,
    index_plans,
    stage_frame,
)
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import User
from fangxian.core.scoping import scope_unit_ids
from fangxian.testing.choices import (
    RECALLING_RESULTS,
    RecallStatus,
    SubmissionOutcome,
    TubeResult,
    TubeStatus,
)
from fangxian.testing.models import (
    Recall,
    ResultSubmission,
    Tube,
)
from fangxian.testing.services.recall import recall, settle_retests
from fangxian.testing.services.registration import TUBE_CODE, record_batch

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

# The change record a result file leaves (its counts are the uploader's history on the results page).
RESULTS_REASON = "检测结果"


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
    problems_not_kept: int = 0  # beyond settings.PROBLEM_ROWS_KEPT: counted, not listed
    recalled_tubes: int = 0
    recalled_people: int = 0
    released: int = 0
    retest_positive: int = 0

    @property
    def problem_count(self) -> int:
        return len(self.problems) + self.problems_not_kept

    def prepend_problems(self, problems: list[ResultProblem], not_kept: int = 0) -> None:
        """Rows found bad before the ingest (unreadable lines) go first; what is kept stays within the cap."""
        merged = problems + self.problems
        kept = settings.PROBLEM_ROWS_KEPT
        self.problems, self.problems_not_kept = merged[:kept], self.problems_not_kept + not_kept + len(merged[kept:])


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


def _check_results(rows: pl.DataFrame) -> tuple[pl.DataFrame, list[ResultProblem], int]:
    """The good rows, the bad ones kept as problems (up to settings.PROBLEM_ROWS_KEPT) and how many more."""
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
    bad = data.filter(bad_code | bad_result | bad_ct)
    for row in bad.head(settings.PROBLEM_ROWS_KEPT).iter_rows(named=True):
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
    return good, problems, bad.height - len(problems)


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
    good, problems, not_kept = _check_results(result_frame(rows))
    summary = Ingest(problems=problems, problems_not_kept=not_kept)
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
        staged = good.select("seq", "tube_code", "result", pl.col("ct_orf").round(1), pl.col("ct_n").round(1))
        stage_frame(
            cursor,
            "staged_result",
            "seq bigint, tube_code varchar(32), result varchar(16), ct_orf numeric(4, 1), ct_n numeric(4, 1)",
            staged,
            index="tube_code, seq",
        )
        unit_filter, unit_params = in_list_sql("t.unit_id", units)
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
        # Every unknown code is a problem with its row (the sender's row number), up to what is kept.
        room = max(settings.PROBLEM_ROWS_KEPT - len(summary.problems), 0)
        cursor.execute(
            "SELECT seq, tube_code FROM judged_result WHERE outcome = %s ORDER BY seq LIMIT %s",
            [SubmissionOutcome.UNKNOWN_TUBE, room],
        )
        listed = 0
        for seq, code in cursor.fetchall():
            summary.problems.append(ResultProblem(seq, code, "管码未登记（结果已保存，登记后可补查）"))
            listed += 1
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
    summary.problems_not_kept += summary.unknown - listed
    singles = [(pk, on, result) for pk, on, size, result in standing if size == 1]
    summary.released, summary.retest_positive = settle_retests(singles, now=now)
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
    record_batch(
        actor=actor,
        kind=ChangeKind.UPDATE,
        reason=RESULTS_REASON,
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
