from django.apps import AppConfig


class SitesConfig(AppConfig):
    name = "fangxian.sites"
    label = "sites"
    verbose_name = "集中隔离点"

    def ready(self):
        from fangxian.control import placement
        from fangxian.sites.placement import SitePlaces

        placement.provide(SitePlaces())
        from fangxian.core.registry import register_person_file
        from fangxian.sites import person_file

        register_person_file(30, person_file.stays)
