from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "fangxian.cases"
    label = "cases"
    verbose_name = "流调溯源"

    def ready(self) -> None:
        from fangxian.cases import (
            jobs,  # noqa: F401  (registers the sweep that opens cases from positives)
            person_file,
        )
        from fangxian.core.registry import register_person_file

        register_person_file(15, person_file.cases)
