"""Venue sweeps, run by the worker every minute: scan day partitions made ahead, days past the retention
dropped whole (minimum necessary: FANGXIAN_SCAN_RETENTION_DAYS), the batches' day figures folded, and
red/yellow codes made leads where the district chose it."""

import datetime

from django.conf import settings
from django.utils import timezone

from fangxian.core import partitions
from fangxian.core import services as core_services
from fangxian.core.sweeps import sweep
from fangxian.venues.models import Scan
from fangxian.venues.services import figures

DAYS_AHEAD = 3


@sweep
def make_scan_partitions_ahead() -> int:
    today = timezone.localdate()
    return len(partitions.ensure_partitions(Scan, today, today + datetime.timedelta(days=DAYS_AHEAD)))


@sweep
def drop_expired_scans() -> int:
    oldest = timezone.localdate() - datetime.timedelta(days=settings.SCAN_RETENTION_DAYS)
    figures.drop_before(oldest)
    return len(partitions.drop_before(Scan, oldest))


@sweep
def fold_day_figures() -> int:
    return figures.fold()


@sweep
def abnormal_code_leads() -> int:
    """Red- and yellow-code visitors made leads in the districts that chose it (VenuePolicy)."""
    from fangxian.venues.services.registers import automatic_abnormal_leads

    return automatic_abnormal_leads(actor=core_services.service_account())
