from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "fangxian.venues"
    label = "venues"
    verbose_name = "场所码"

    def ready(self) -> None:
        from fangxian.core.registry import register_person_file
        from fangxian.venues import (
            jobs,  # noqa: F401  (registers the partition and retention sweeps)
            person_file,
        )

        register_person_file(80, person_file.scans)
