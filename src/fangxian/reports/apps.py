from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "fangxian.reports"
    label = "reports"
    verbose_name = "日报"

    def ready(self) -> None:
        from fangxian.reports import jobs  # noqa: F401  (registers the reminder sweep)
