"""Vaccination sweeps, run by the worker every minute: each active target's shares for the day issued once, in
the morning's first minute (日下达)."""

from django.db import transaction
from django.utils import timezone

from fangxian.core.jobs import handler
from fangxian.core.sweeps import sweep
from fangxian.vaccination.models import DoseImport, Target
from fangxian.vaccination.services import coverage, imports, targets

IMPORT_JOB = "vaccination_import"


@sweep
def issue_daily_quotas() -> int:
    today = timezone.localdate()
    written = 0
    for target in Target.objects.filter(is_active=True, starts_on__lte=today, due_on__gte=today).select_related(
        "district"
    ):
        written += targets.issue(target=target, day=today)
    return written


@sweep
def count_coverage() -> int:
    """Today's coverage counted again for every unit: what the pages read (never more than a minute behind)."""
    return coverage.rebuild_snapshot()


@handler(IMPORT_JOB)
def run_import(job, report) -> dict:
    """Phase two of a large dose file, off the request: the kept file checked again and written in one
    transaction (a killed worker leaves nothing, and the import can be run again)."""
    batch = DoseImport.objects.get(uuid=job.arguments["batch"])
    report("核对并导入接种记录", done=0, total=batch.rows)
    with transaction.atomic():
        result = imports.commit(
            actor=job.created_by,
            batch=batch,
            valid_only=job.arguments.get("valid_only", False),
            confirm_ages=job.arguments.get("confirm_ages", False),
        )
    report("完成", done=batch.rows, total=batch.rows)
    return {"doses": len(result.doses), "new_persons": len(result.new_persons), "unchanged": result.unchanged}
