from django.db import transaction

from fangxian.core import services as core_services
from fangxian.core.jobs import Report, handler
from fangxian.core.models import Job
from fangxian.core.sweeps import sweep
from fangxian.leads import services, staging
from fangxian.leads.models import ImportBatch

IMPORT_JOB = "lead_import"


@sweep
def escalate_overdue_leads() -> int:
    return services.escalate_overdue(actor=core_services.service_account())


@sweep
def purge_staged_rows() -> int:
    return staging.purge()


@handler(IMPORT_JOB)
def import_batch(job: Job, report: Report) -> dict:
    """Phase two of a pushed list, in one transaction: a killed worker leaves nothing half-written."""
    batch = ImportBatch.objects.get(pk=job.arguments["batch"])
    with transaction.atomic():
        return services.commit_batch(
            actor=job.created_by, batch=batch, valid_only=job.arguments.get("valid_only", False), report=report
        )
