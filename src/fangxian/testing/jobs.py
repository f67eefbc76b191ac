"""Testing sweeps, run by the worker every minute: day partitions made ahead, old days dropped by the
retention policy, and leads raised for members of positive pools (in case a submission's own pass failed)."""

import datetime

from django.conf import settings
from django.utils import timezone

from fangxian.core import partitions
from fangxian.core import services as core_services
from fangxian.core.sweeps import sweep
from fangxian.testing import services
from fangxian.testing.models import ResultSubmission, Sample

DAYS_AHEAD = 3


@sweep
def make_partitions_ahead() -> int:
    today = timezone.localdate()
    made = 0
    for model in (Sample, ResultSubmission):
        made += len(partitions.ensure_partitions(model, today, today + datetime.timedelta(days=DAYS_AHEAD)))
    return made


@sweep
def drop_expired_partitions() -> int:
    """Samples and submissions older than FANGXIAN_TESTING_RETENTION_DAYS (0: keep everything)."""
    days = settings.TESTING_RETENTION_DAYS
    if days <= 0:
        return 0
    oldest = timezone.localdate() - datetime.timedelta(days=days)
    return sum(len(partitions.drop_before(model, oldest)) for model in (Sample, ResultSubmission))


@sweep
def raise_recall_leads() -> int:
    return services.raise_recall_leads(actor=core_services.service_account())
