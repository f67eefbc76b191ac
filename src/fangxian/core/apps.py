from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "fangxian.core"
    label = "core"
    verbose_name = "基础"

    def ready(self) -> None:
        from fangxian.core import exporting, jobs  # noqa: F401  (register the export job and the stale-job sweep)
