from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "fangxian.control"
    label = "control"
    verbose_name = "管控"

    def ready(self) -> None:
        from fangxian.control import person_file
        from fangxian.core.registry import register_person_file

        register_person_file(20, person_file.measures)
        register_person_file(40, person_file.checks)
        register_person_file(50, person_file.tests)
