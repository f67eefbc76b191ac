"""Intake of pushed lists and the verification loop. Services never commit: callers own atomic()."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import uuid4

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from fangxian.core.audit import ChangeRows, plain_values, record_change, require_actor, snapshot
from fangxian.core.bulk import RowWriter, allocate_ids, index_plans
from fangxian.core.capabilities import UNDO_WINDOW_HOURS, Capability
from fangxian.core.choices import ChangeKind
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require
from fangxian.core.tabular import cell_text, fingerprint, keep_copy, read_rows
from fangxian.leads import intake, staging
from fangxian.leads.choices import (
    DEFAULT_DEADLINE_HOURS,
    FALLBACK_DEADLINE_HOURS,
    RISK_AREA_LOOKBACK_DAYS,
    RISK_LEVEL_CATEGORY,
    BatchStatus,
    LeadCategory,
    LeadSource,
    LeadStatus,
    Outcome,
)
from fangxian.leads.models import Handover, ImportBatch, Lead, RiskArea, SourceMapping
from fangxian.leads.routing import Router

IMPORT_DIR_NAME = "imports"
STORED_ERRORS = 50_000
MATCH_CHUNK = 5_000


def deadline_for(category: str, received_at: datetime.datetime) -> datetime.datetime:
    return received_at + datetime.timedelta(hours=DEFAULT_DEADLINE_HOURS.get(category, FALLBACK_DEADLINE_HOURS))


def plan_rows(
    rows: list[list[str]], *, default_category: str, columns: intake.ColumnMap | None = None
) -> intake.IntakePlan:
    columns = columns or intake.detect_columns(rows)
    if columns is None:
        plan = intake.IntakePlan(columns=None)
        plan.errors.append(
            intake.RowError(
                0, "", "", "未找到表头：前 30 行中没有同时包含“姓名”和“身份证号/证件号码”的行，请检查文件或手工指定列"
            )
        )
        return plan
    return intake.validate(rows, columns, default_category=default_category, today=timezone.localdate())


def _stored_file(path: Path, digest: str) -> Path:
    return keep_copy(path, digest, settings.VAR_DIR / IMPORT_DIR_NAME)


def stage_batch(
    *,
    actor: User,
    district: Unit,
    path: Path,
    file_name: str,
    source: str = LeadSource.CITY_PUSH,
    pusher: str = "",
    default_category: str = LeadCategory.OTHER,
    columns: intake.ColumnMap | None = None,
) -> tuple[ImportBatch, intake.IntakePlan]:
    """Phase one: read and validate the whole file, keep a copy, record the batch. Writes no person or lead."""
    require_actor(actor)
    require(actor, Capability.LEADS_IMPORT, district)
    rows = read_rows(path)
    if columns is None and pusher:
        remembered = SourceMapping.objects.filter(district=district, pusher=pusher).first()
        if remembered is not None:
            candidate = intake.columns_from_json(remembered.mapping)
            if candidate.header_row < len(rows) and intake.map_header_row(rows[candidate.header_row]):
                columns = candidate
    plan = plan_rows(rows, default_category=default_category, columns=columns)
    digest = fingerprint(path)
    batch = ImportBatch.objects.create(
        district=district,
        source=source,
        pusher=pusher,
        default_category=default_category,
        file_name=file_name[:255],
        file_hash=digest,
        stored_path=str(_stored_file(path, digest)),
        uploaded_by=actor,
        header_row=plan.columns.header_row if plan.columns else 0,
        mapping=plan.columns.as_json() if plan.columns else {},
        errors=[error.__dict__ for error in plan.errors[:STORED_ERRORS]],
    )
    _stage(batch, plan)
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=batch,
        unit=district,
        after={"file_name": batch.file_name, "pusher": pusher, "source": source, "rows": len(rows)},
        reason="上传推送名单（待导入）",
    )
    return batch, plan


def _stage(batch: ImportBatch, plan: intake.IntakePlan) -> None:
    """Keep the valid rows for the commit and count who is already registered."""
    staging.stage(batch, plan, Router(batch.district))
    matched = staging.count_registered(batch)
    batch.summary = {**plan.summary(), "matched_persons": matched, "new_persons": len(plan.rows) - matched}
    batch.save(update_fields=["summary"])


def remap_batch(*, actor: User, batch: ImportBatch, header_row: int, columns: dict[str, int]) -> intake.IntakePlan:
    """Validate the stored file again under a mapping the user corrected; the batch takes the new results."""
    require_actor(actor)
    require(actor, Capability.LEADS_IMPORT, batch.district)
    if batch.status != BatchStatus.VALIDATED:
        raise ValidationError("已导入的名单不能再修改列对应")
    missing = [intake.FIELD_LABELS[name] for name in intake.REQUIRED_FIELDS if name not in columns]
    if missing:
        raise ValidationError(f"必须指定：{'、'.join(missing)}")
    if len(set(columns.values())) != len(columns):
        raise ValidationError("同一列不能对应两个字段")
    rows = read_rows(batch.stored_path)
    if not 0 <= header_row < len(rows):
        raise ValidationError("表头行超出文件范围")
    mapped = intake.ColumnMap(header_row, columns, [cell_text(cell) for cell in rows[header_row]])
    plan = plan_rows(rows, default_category=batch.default_category, columns=mapped)
    before = {"header_row": batch.header_row, "mapping": batch.mapping}
    batch.header_row, batch.mapping = header_row, mapped.as_json()
    batch.errors = [error.__dict__ for error in plan.errors[:STORED_ERRORS]]
    batch.save(update_fields=["header_row", "mapping", "errors"])
    _stage(batch, plan)
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=batch,
        unit=batch.district,
        before=before,
        after={"header_row": batch.header_row, "mapping": batch.mapping},
        reason="修改列对应",
    )
    return plan


def previous_import(batch: ImportBatch) -> ImportBatch | None:
    return (
        ImportBatch.objects.filter(district=batch.district, file_hash=batch.file_hash, status=BatchStatus.COMMITTED)
        .exclude(pk=batch.pk)
        .first()
    )


def _silent(message: str, **counts) -> None:
    pass


def commit_batch(
    *,
    actor: User,
    batch: ImportBatch,
    valid_only: bool = False,
    report=_silent,
    received_at: datetime.datetime | None = None,
) -> dict:
    """Phase two: from the staged rows, create the missing persons, one lead per person and category not already
    open, and a change record for each, in the caller's transaction. Re-running a committed file changes nothing."""
    require_actor(actor)
    require(actor, Capability.LEADS_IMPORT, batch.district)
    batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.status == BatchStatus.COMMITTED:
        return batch.summary
    earlier = previous_import(batch)
    if earlier is not None:
        return _finish(batch, {**batch.summary, "leads": 0, "new_persons": 0, "already_imported": str(earlier.uuid)})
    if not batch.mapping:
        raise ValidationError("该文件未找到表头，不能导入")
    if batch.errors and not valid_only:
        invalid = batch.summary.get("invalid", 0)
        raise ValidationError(f"文件有 {invalid} 行错误：请修正后重新上传，或选择“仅导入有效行”")
    valid = batch.summary.get("valid", 0)
    if valid and not staging.is_staged(batch):
        # Staged rows are purged some days after staging; the kept file is read and checked again.
        report("读取并校验文件", done=0, total=valid)
        rows = read_rows(batch.stored_path)
        columns = intake.columns_from_json(batch.mapping)
        staging.stage(
            batch, plan_rows(rows, default_category=batch.default_category, columns=columns), Router(batch.district)
        )
    received_at = received_at or timezone.now()
    reason = f"推送名单导入：{batch.file_name}"
    with index_plans():
        report("登记新增人员", done=0, total=valid)
        new_persons = staging.create_persons(actor=actor, batch=batch, reason=reason)
        report("生成协查任务", done=0, total=valid)
        leads = staging.create_leads(
            actor=actor, batch=batch, district=batch.district, received_at=received_at, reason=reason
        )
    report("保存导入结果", done=valid, total=valid)
    if batch.pusher:
        SourceMapping.objects.update_or_create(
            district=batch.district, pusher=batch.pusher, defaults={"mapping": batch.mapping}
        )
    summary = {key: batch.summary.get(key, 0) for key in ("rows", "valid", "invalid", "duplicates_in_file")}
    summary |= {
        "matched_persons": valid - new_persons,
        "new_persons": new_persons,
        "leads": leads,
        "already_open": valid - leads,
    }
    return _finish(batch, summary, valid_only=valid_only)


@dataclass(frozen=True)
class NewLead:
    person_id: int
    person_name: str
    category: str
    unit_id: int
    pushed_data: dict = field(default_factory=dict)
    row_number: int | None = None
    risk_area: str = ""
    left_risk_area_at: datetime.datetime | None = None
    exposed_at: datetime.datetime | None = None
    deadline: datetime.datetime | None = None  # the district's own deadline (case contacts); else by category


def create_leads(
    *,
    actor: User,
    leads: list[NewLead],
    source: str,
    received_at: datetime.datetime,
    reason: str,
    batch_id: int | None = None,
) -> int:
    """Leads with their change record, written as plain rows. The initial assignment is the lead's own unit and
    received time (and its change record says who): only later hand-overs get Handover rows. Callers have
    already left out persons with an open lead of the same category (the database refuses a second one)."""
    require_actor(actor)
    ids = allocate_ids(Lead, len(leads))
    lead_writer = RowWriter(Lead, with_pk=True)
    changes = ChangeRows(actor=actor, kind=ChangeKind.CREATE, model_label="leads.lead", reason=reason)
    labels = dict(LeadCategory.choices)
    lead_rows = []
    for pk, lead in zip(ids, leads, strict=True):
        lead_uuid = uuid4()
        deadline = lead.deadline or deadline_for(lead.category, received_at)
        lead_rows.append(
            lead_writer.values(
                id=pk,
                uuid=lead_uuid,
                person_id=lead.person_id,
                batch_id=batch_id,
                category=lead.category,
                source=source,
                pushed_data=lead.pushed_data,
                row_number=lead.row_number,
                received_at=received_at,
                deadline=deadline,
                unit_id=lead.unit_id,
                risk_area=lead.risk_area,
                left_risk_area_at=lead.left_risk_area_at,
                exposed_at=lead.exposed_at,
            )
        )
        changes.add(
            object_id=str(lead_uuid),
            object_repr=f"{labels[lead.category]} {lead.person_name}",
            unit_id=lead.unit_id,
            after=plain_values(
                {
                    "person_id": lead.person_id,
                    "batch_id": batch_id,
                    "category": lead.category,
                    "source": source,
                    "deadline": deadline,
                    "unit_id": lead.unit_id,
                    "status": LeadStatus.OPEN,
                    "outcome": "",
                }
            ),
        )
    lead_writer.insert(lead_rows)
    changes.insert()
    return len(lead_rows)


def _finish(batch: ImportBatch, summary: dict, *, valid_only: bool = False) -> dict:
    batch.summary = summary
    batch.status = BatchStatus.COMMITTED
    batch.committed_at = timezone.now()
    batch.valid_only = valid_only
    batch.save(update_fields=["summary", "status", "committed_at", "valid_only"])
    return summary


def import_file(*, actor: User, district: Unit, path: Path, commit: bool, **options) -> tuple[ImportBatch, dict]:
    """Both phases for the command line: stage, then (when asked and possible) commit in one transaction."""
    with transaction.atomic():
        batch, plan = stage_batch(actor=actor, district=district, path=path, file_name=path.name, **options)
    summary = dict(batch.summary)
    if commit and batch.mapping and not plan.errors:
        with transaction.atomic():
            summary = commit_batch(actor=actor, batch=batch)
        batch.refresh_from_db()
    return batch, summary


# ---------------------------------------------------------------- the verification loop

_OUTCOMES_NEEDING_NOTE = {Outcome.NOT_IN_AREA, Outcome.UNREACHABLE, Outcome.INCOMPLETE}


def verify_lead(*, actor: User, lead: Lead, outcome: str, note: str = "", current_address: str = "") -> Lead:
    """Record the grid team's outcome and close the lead (四清: who, identity, where, status).

    The lead is read again under a row lock and its status checked on that copy: of two people verifying it at
    once, the second is told it is done instead of silently replacing the first outcome."""
    require_actor(actor)
    require(actor, Capability.LEADS_VERIFY, lead.unit)
    current = Lead.objects.select_for_update().only("status").get(pk=lead.pk)
    if current.status != LeadStatus.OPEN or lead.status != LeadStatus.OPEN:
        raise ValidationError("该任务已办结，不能重复核查")
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": "请选择核查结果"})
    if outcome in _OUTCOMES_NEEDING_NOTE and not note.strip():
        raise ValidationError({"outcome_note": "该核查结果须填写说明（如去向、联系情况、缺少的信息）"})
    before = snapshot(lead, Lead.AUDIT_FIELDS + ["outcome_note", "current_address"])
    lead.outcome, lead.outcome_note = outcome, note.strip()[:500]
    lead.current_address = current_address.strip()[:200]
    lead.status, lead.verified_at, lead.verified_by = LeadStatus.CLOSED, timezone.now(), actor
    lead.save(update_fields=["outcome", "outcome_note", "current_address", "status", "verified_at", "verified_by"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=lead,
        unit=lead.unit,
        before=before,
        after=snapshot(lead, Lead.AUDIT_FIELDS + ["outcome_note", "current_address"]),
        reason="核查反馈",
    )
    return lead


def hand_over(*, actor: User, leads: Iterable[Lead], to_unit: Unit, note: str = "") -> int:
    """Pass open leads down (or across) to another unit; each hand-over is kept with who and when."""
    require_actor(actor)
    require(actor, Capability.LEADS_ASSIGN, to_unit)
    count = 0
    for lead in leads:
        require(actor, Capability.LEADS_ASSIGN, lead.unit)
        if lead.status != LeadStatus.OPEN:
            raise ValidationError(f"任务 {lead} 已办结，不能再分派")
        if lead.unit_id == to_unit.pk:
            continue
        Handover.objects.create(lead=lead, from_unit_id=lead.unit_id, to_unit=to_unit, by=actor, note=note[:200])
        before = {"unit_id": lead.unit_id}
        lead.unit = to_unit
        lead.save(update_fields=["unit"])
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE,
            instance=lead,
            unit=to_unit,
            before=before,
            after={"unit_id": to_unit.pk},
            reason=note or "分派",
        )
        count += 1
    return count


def undo_handover(*, actor: User, handover: Handover, now: datetime.datetime | None = None) -> Handover:
    """The district takes back a hand-over made by mistake, within a day: the lead goes back to the unit it came
    from, itself a hand-over on the record (nothing is erased)."""
    require_actor(actor)
    require(actor, Capability.UNDO, handover.to_unit)
    now = now or timezone.now()
    lead = Lead.objects.select_for_update().get(pk=handover.lead_id)
    if handover.from_unit_id is None:
        raise ValidationError("这是任务的初始分派，不能撤销")
    if now - handover.at > datetime.timedelta(hours=UNDO_WINDOW_HOURS):
        raise ValidationError(f"只能撤销 {UNDO_WINDOW_HOURS} 小时内的转办")
    if lead.status != LeadStatus.OPEN:
        raise ValidationError("任务已办结，不能撤销转办")
    latest = lead.handovers.order_by("-at", "-id").first()
    if latest is None or latest.pk != handover.pk or lead.unit_id != handover.to_unit_id:
        raise ValidationError("该任务此后已再次转办，只能撤销最近一次")
    back = Handover.objects.create(
        lead=lead, from_unit_id=handover.to_unit_id, to_unit_id=handover.from_unit_id, by=actor, note="撤销转办"
    )
    before = {"unit_id": lead.unit_id}
    lead.unit_id = handover.from_unit_id
    lead.save(update_fields=["unit"])
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=lead,
        unit=back.to_unit,
        before=before,
        after={"unit_id": lead.unit_id},
        reason="撤销转办（误操作）",
    )
    return back


def overdue(queryset, *, now: datetime.datetime | None = None):
    """Leads neither closed nor under a measure past their deadline: 失管/漏管 (Lead.overdue_q)."""
    return queryset.filter(Lead.overdue_q(now or timezone.now()))


ESCALATION_STEP = datetime.timedelta(hours=12)


def escalate_overdue(*, actor: User, now: datetime.datetime | None = None) -> int:
    """Raise overdue leads one level per step past their deadline (at the deadline: the level above the
    responsible unit; 12 hours later: the next; up to the district). The responsible unit keeps the lead:
    the person must still be found there; the levels above see it flagged on their boards."""
    require_actor(actor)
    now = now or timezone.now()
    late = overdue(Lead.objects.all(), now=now).select_related("unit", "escalated_to")
    codes_needed: dict[Lead, list[str]] = {}
    for lead in late.iterator(2000):
        codes_needed[lead] = lead.unit.path.strip("/").split("/")[:-1]
    units = {
        unit.code: unit for unit in Unit.objects.filter(code__in={c for codes in codes_needed.values() for c in codes})
    }
    changed = 0
    for lead, ancestor_codes in codes_needed.items():
        if not ancestor_codes:
            continue
        steps = 1 + int((now - lead.deadline) / ESCALATION_STEP)
        target = units.get(ancestor_codes[max(0, len(ancestor_codes) - steps)])
        if target is None or target == lead.escalated_to:
            continue
        before = {"escalated_to_id": lead.escalated_to_id}
        lead.escalated_to, lead.escalated_at = target, now
        lead.save(update_fields=["escalated_to", "escalated_at"])
        record_change(
            actor=actor,
            kind=ChangeKind.UPDATE,
            instance=lead,
            unit=lead.unit,
            before=before,
            after={"escalated_to_id": target.pk},
            reason=f"超时未办结，自动升级至{target.name}",
        )
        changed += 1
    return changed


# ---------------------------------------------------------------- risk areas


def create_risk_area(
    *,
    actor: User,
    district: Unit,
    name: str,
    level: str,
    declared_at: datetime.datetime,
    region_code: str = "",
    lifted_at: datetime.datetime | None = None,
) -> RiskArea:
    """Declare a risk area (风险区) for the district: the people whose travel touches its window are then listed."""
    require_actor(actor)
    require(actor, Capability.RISK_AREAS_MANAGE, district)
    if lifted_at is not None and lifted_at < declared_at:
        raise ValidationError({"lifted_at": "解除时间不能早于划定时间"})
    area = RiskArea.objects.create(
        district=district,
        name=name.strip()[:200],
        level=level,
        region_code=region_code,
        declared_at=declared_at,
        lifted_at=lifted_at,
        created_by=actor,
    )
    record_change(
        actor=actor,
        kind=ChangeKind.CREATE,
        instance=area,
        unit=district,
        after=snapshot(area, ["name", "level", "region_code", "declared_at", "lifted_at"]),
        reason="登记风险区",
    )
    return area


def risk_window(area) -> tuple[datetime.datetime, datetime.datetime]:
    """Being in the area from the look-back before its declaration until it was lifted (or now) counts."""
    start = area.declared_at - datetime.timedelta(days=RISK_AREA_LOOKBACK_DAYS)
    return start, area.lifted_at or timezone.now()


def exposed_leads(area):
    """Leads whose travel history touches the area during its window (the latest such lead per person)."""
    start, end = risk_window(area)
    matches = Lead.objects.filter(risk_area__contains=area.name.strip(), left_risk_area_at__range=(start, end))
    if area.region_code:
        matches = matches | Lead.objects.filter(
            pushed_data__icontains=area.region_code, left_risk_area_at__range=(start, end)
        )
    return matches.filter(unit__path__startswith=area.district.path)


def exposed_persons(area) -> list[dict]:
    """One row per person: who, their unit, when they left the area, and whether they already have a lead of
    the area's category open."""
    category = RISK_LEVEL_CATEGORY[area.level]
    rows: dict[int, dict] = {}
    for lead in exposed_leads(area).select_related("person", "unit").order_by("person_id", "-left_risk_area_at"):
        rows.setdefault(
            lead.person_id,
            {"person": lead.person, "unit": lead.unit, "left_at": lead.left_risk_area_at, "risk_area": lead.risk_area},
        )
    open_ids = set(
        Lead.objects.filter(person_id__in=rows, category=category, status=LeadStatus.OPEN).values_list(
            "person_id", flat=True
        )
    )
    for person_id, row in rows.items():
        row["has_open_lead"] = person_id in open_ids
    return list(rows.values())


def create_leads_for_area(*, actor: User, area) -> int:
    """Leads of the area's category for everyone exposed who has none open; one action, one transaction."""
    require(actor, Capability.RISK_AREAS_MANAGE, area.district)
    category = RISK_LEVEL_CATEGORY[area.level]
    wanted = [
        NewLead(
            person_id=row["person"].pk,
            person_name=row["person"].name,
            category=category,
            unit_id=row["unit"].pk,
            pushed_data={"风险区": area.name, "离开风险地区时间": row["left_at"].isoformat() if row["left_at"] else ""},
            risk_area=row["risk_area"],
            left_risk_area_at=row["left_at"],
        )
        for row in exposed_persons(area)
        if not row["has_open_lead"]
    ]
    return create_leads(
        actor=actor,
        leads=wanted,
        source=LeadSource.RISK_AREA_SCREENING,
        received_at=timezone.now(),
        reason=f"风险区排查：{area}",
    )
