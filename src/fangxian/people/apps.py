from django.apps import AppConfig


class PeopleConfig(AppConfig):
    name = "fangxian.people"
    label = "people"
    verbose_name = "人员"

    def ready(self):
        from fangxian.core.choices import Action
        from fangxian.core.registry import register_unit_count
        from fangxian.people.models import Person

        register_unit_count("persons", lambda user: Person.objects.restrict(user, Action.VIEW))
