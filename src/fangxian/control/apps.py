from django.apps import AppConfig


class ControlConfig(AppConfig):
    name = "fangxian.control"
    label = "control"
    verbose_name = "管控"
