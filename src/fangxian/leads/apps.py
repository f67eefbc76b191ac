from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "fangxian.leads"
    label = "leads"
    verbose_name = "协查"

    def ready(self) -> None:
        from fangxian.core.registry import register_person_file
        from fangxian.leads import (
            jobs,  # noqa: F401  (registers the job handlers)
            person_file,
        )

        register_person_file(10, person_file.section)
