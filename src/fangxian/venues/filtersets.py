import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangxian.core.filtersets import ScopedFilterSet, UnitTreeFilter
from fangxian.venues.choices import VenueStatus
from fangxian.venues.models import Venue, VenueCategory


class VenueFilterSet(ScopedFilterSet):
    q = django_filters.CharFilter(label=_("名称/场所码"), method="filter_text")
    unit = UnitTreeFilter(label=_("属地"))
    category = django_filters.ModelChoiceFilter(
        label=_("类别"), queryset=VenueCategory.objects.all(), empty_label=_("全部类别")
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=VenueStatus.choices, empty_label=_("全部"))

    class Meta:
        model = Venue
        fields = ["q", "unit", "category", "status"]

    def filter_text(self, queryset, name, value):
        text = value.strip()
        if not text:
            return queryset
        return queryset.filter(Q(name__icontains=text) | Q(code=text.upper()) | Q(external_code=text))
