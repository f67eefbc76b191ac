from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "fangxian.sites"
    label = "sites"
    verbose_name = "集中隔离点"

    def ready(self):
        from fangxian.control import placement
        from fangxian.sites.placement import SitePlaces

        placement.provide(SitePlaces())
