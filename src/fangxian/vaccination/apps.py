from django.apps import AppConfig


class VaccinationConfig(AppConfig):
    name = "fangxian.vaccination"
    label = "vaccination"
    verbose_name = "疫苗接种"

    def ready(self) -> None:
        from fangxian.core.registry import register_person_file
        from fangxian.vaccination import (
            jobs,  # noqa: F401  (registers the morning sweep that issues the day's shares)
            person_file,
        )

        register_person_file(30, person_file.vaccination)
