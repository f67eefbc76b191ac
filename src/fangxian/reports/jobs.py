from fangxian.core import services as core_services
from fangxian.core.sweeps import sweep
from fangxian.reports import briefings, services


@sweep
def remind_due_reports() -> int:
    return services.remind_due()


@sweep
def draft_evening_briefings() -> int:
    return briefings.draft_due_briefings(actor=core_services.service_account())
