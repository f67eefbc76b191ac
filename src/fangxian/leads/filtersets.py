import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import Action
from fangxian.core.filtersets import ScopedFilterSet
from fangxian.core.models import Unit
from fangxian.leads.choices import LeadCategory, LeadStatus, Outcome
from fangxian.leads.models import Lead
from fangxian.people.filtersets import NumberSearchMixin


def _units(user):
    return Unit.objects.none() if user is None else Unit.objects.restrict(user, Action.VIEW)


class LeadFilterSet(NumberSearchMixin, ScopedFilterSet):
    person_path = "person__"

    q = django_filters.CharFilter(label=_("姓名/证件号"), method="filter_text")
    unit = django_filters.ModelChoiceFilter(
        label=_("责任单位"), queryset=_units, to_field_name="code", method="filter_unit", empty_label=_("全部单位")
    )
    category = django_filters.ChoiceFilter(label=_("人员类别"), choices=LeadCategory.choices, empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=LeadStatus.choices, empty_label=_("全部"))
    outcome = django_filters.ChoiceFilter(label=_("核查结果"), choices=Outcome.choices, empty_label=_("全部"))
    overdue = django_filters.ChoiceFilter(
        label=_("时限"), choices=[("1", _("仅超时"))], empty_label=_("全部"), method="filter_overdue"
    )

    class Meta:
        model = Lead
        fields = ["q", "unit", "category", "status", "outcome", "overdue"]

    def filter_unit(self, queryset, name, unit):
        return queryset.filter(unit__path__startswith=unit.path) if unit else queryset

    def filter_overdue(self, queryset, name, value):
        if value == "1":
            return queryset.filter(Lead.overdue_q(timezone.now()))
        return queryset
