from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "fangxian.leads"
    label = "leads"
    verbose_name = "协查"
