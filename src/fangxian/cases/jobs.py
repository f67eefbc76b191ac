"""Case sweeps, run by the worker every minute: positives found by testing and control open their cases."""

from fangxian.core import services as core_services
from fangxian.core.sweeps import sweep


@sweep
def open_cases_from_positives() -> int:
    from fangxian.cases.services import open_cases_from_positives as open_cases

    return open_cases(actor=core_services.service_account())
