from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "fangxian.dashboard"
    label = "dashboard"
    verbose_name = "指挥大屏"
