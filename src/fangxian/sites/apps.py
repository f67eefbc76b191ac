from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "fangxian.sites"
    label = "sites"
    verbose_name = "集中隔离点"
