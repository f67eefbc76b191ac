"""Vaccination sweeps, run by the worker every minute: each active target's shares for the day issued once, in
the morning's first minute (日下达)."""

from django.utils import timezone

from fangxian.core.sweeps import sweep
from fangxian.vaccination.models import Target
from fangxian.vaccination.services import targets


@sweep
def issue_daily_quotas() -> int:
    today = timezone.localdate()
    written = 0
    for target in Target.objects.filter(is_active=True, starts_on__lte=today, due_on__gte=today).select_related(
        "district"
    ):
        written += targets.issue(target=target, day=today)
    return written
