from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangxian.people"
    label = "people"
    verbose_name = "人员"
