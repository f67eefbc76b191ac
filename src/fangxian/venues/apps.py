from django.apps import AppConfig


class VenuesConfig(AppConfig):
    name = "fangxian.venues"
    label = "venues"
    verbose_name = "场所码"
