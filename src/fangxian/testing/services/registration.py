"""Registering tubes and their members (columns, not objects: a city day is 10⁷ members), closing and
shipping them. Services never commit: callers own atomic()."""

import datetime
import re
from dataclasses import dataclass, field

import polars as pl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.utils import timezone

from fangxian.core import partitions
from fangxian.core.audit import ChangeRows, record_change, require_actor
from fangxian.core.bulk import (
    allocate_ids,
    copy_frame,
    rows_with_values,
)
from fangxian.core.capabilities import Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import User
from fangxian.core.scoping import require
from fangxian.testing import members as member_checks
from fangxian.testing.choices import (
    POOL_SIZE,
    SamplingMode,
    TubeStatus,
)
from fangxian.testing.models import (
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
    existing = {
        tube.code: tube
        for tube in rows_with_values(
            Tube, "code", list(valid), ["id", "code", "status", "point_id", "pool_size", "member_count", "sampled_on"]
        )
    }
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
        copy_frame(Tube, new_tubes)
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
    copy_frame(Sample, ordered.select("tube_id", "day", "doc_type", "doc_number", "name", "phone", "unit_id"))
    if additions.height:
        for code, extra in additions.group_by("tube_code").len().iter_rows():
            Tube.objects.filter(code=code).update(member_count=F("member_count") + extra)
    record_batch(
        actor=actor,
        kind=ChangeKind.CREATE,
        reason="采样登记",
        object_id=f"point:{point.uuid}",
        object_repr=f"{point.name} 采样登记",
        unit_id=point.unit_id,
        after={"tubes": [t.code for t in tubes][:50], "tube_count": len(tubes), "members": rows.height},
    )
    return len(tubes), rows.height


def record_batch(
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
        record_batch(
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
