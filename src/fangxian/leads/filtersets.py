import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.filtersets import ScopedFilterSet, UnitTreeFilter
from fangxian.leads.choices import LeadCategory, LeadStatus, Outcome
from fangxian.leads.models import Lead
from fangxian.people.filtersets import NumberSearchMixin


class LeadFilterSet(NumberSearchMixin, ScopedFilterSet):
    person_path = "person__"

    q = django_filters.CharFilter(label=_("姓名/证件号"), method="filter_text")
    unit = UnitTreeFilter(label=_("责任单位"))
    category = django_filters.ChoiceFilter(label=_("人员类别"), choices=LeadCategory.choices, empty_label=_("全部"))
    status = django_filters.ChoiceFilter(label=_("状态"), choices=LeadStatus.choices, empty_label=_("全部"))
    outcome = django_filters.ChoiceFilter(label=_("核查结果"), choices=Outcome.choices, empty_label=_("全部"))
    overdue = django_filters.ChoiceFilter(
        label=_("时限"), choices=[("1", _("仅超时"))], empty_label=_("全部"), method="filter_overdue"
    )
    pending = django_filters.ChoiceFilter(
        label=_("后续"),
        choices=[("placement", _("已核查待落实管控"))],
        empty_label=_("全部"),
        method="filter_pending",
    )

    class Meta:
        model = Lead
        fields = ["q", "unit", "category", "status", "outcome", "overdue", "pending"]

    def __init__(self, data=None, *args, **kwargs):
        # The open tasks, unless the officer asks for the closed or all of them: the list's first use is work.
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = LeadStatus.OPEN
        super().__init__(data, *args, **kwargs)

    def filter_pending(self, queryset, name, value):
        if value == "placement":
            return Lead.awaiting_placement(queryset)
        return queryset

    def filter_overdue(self, queryset, name, value):
        if value == "1":
            return queryset.filter(Lead.overdue_q(timezone.now()))
        return queryset
