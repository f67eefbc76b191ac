import django_filters
from django.utils.translation import gettext_lazy as _

from fangxian.cases.choices import CaseClass, CaseStatus, FoundIn
from fangxian.cases.models import Case
from fangxian.core.filtersets import ScopedFilterSet, UnitTreeFilter


class CaseFilterSet(ScopedFilterSet):
    status = django_filters.ChoiceFilter(label=_("状态"), choices=CaseStatus.choices, empty_label=_("全部状态"))
    classification = django_filters.ChoiceFilter(label=_("分类"), choices=CaseClass.choices, empty_label=_("全部分类"))
    found_in = django_filters.ChoiceFilter(label=_("发现场景"), choices=FoundIn.choices, empty_label=_("全部"))
    unit = UnitTreeFilter(label=_("属地"))

    class Meta:
        model = Case
        fields = ["status", "classification", "found_in", "unit"]
