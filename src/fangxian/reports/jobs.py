from fangxian.core.sweeps import sweep
from fangxian.reports import services


@sweep
def remind_due_reports() -> int:
    return services.remind_due()
