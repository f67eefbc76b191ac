from django.apps import AppConfig


class TestingConfig(AppConfig):
    name = "fangxian.testing"
    label = "testing"
    verbose_name = "核酸检测"

    def ready(self) -> None:
        from fangxian.core.registry import register_person_file
        from fangxian.testing import (
            jobs,  # noqa: F401  (registers the partition, retention and lead sweeps)
            person_file,
        )

        register_person_file(60, person_file.samples)
        register_person_file(70, person_file.recalls)
