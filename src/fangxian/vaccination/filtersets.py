import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.filtersets import ScopedFilterSet, UnitTreeFilter
from fangxian.people.models import Person
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.forms import band_choices
from fangxian.vaccination.models import Assignment
from fangxian.vaccination.services import roster

REASONS = [(roster.NOT_STARTED, _("未接种")), (roster.DUE, _("到期未接种下一剂"))]


class RosterFilterSet(ScopedFilterSet):
    """The roster of the units in view: who still needs a dose, by why, age band and who goes to them."""

    unit = UnitTreeFilter(label=_("村/社区"))
    reason = django_filters.ChoiceFilter(
        label=_("类别"), choices=REASONS, empty_label=_("全部待接种"), method="by_reason"
    )
    band = django_filters.ChoiceFilter(
        label=_("年龄段"), choices=band_choices, empty_label=_("全部年龄段"), method="by_band"
    )
    mine = django_filters.BooleanFilter(
        label=_("只看分给我的"), method="by_me", widget=django_filters.widgets.BooleanWidget()
    )

    class Meta:
        model = Person
        fields = ["unit", "reason", "band", "mine"]

    def by_reason(self, queryset, name, value):
        return queryset  # applied with the roster itself (filter_queryset): the reason decides the roster's rows

    def by_band(self, queryset, name, value):
        if not value:
            return queryset
        after, latest = band_rules.birth_range(band_rules.by_key(value), timezone.localdate())
        queryset = queryset.filter(birth_date__lte=latest)
        return queryset.filter(birth_date__gt=after) if after else queryset

    def by_me(self, queryset, name, value):
        if not value or self.user is None:
            return queryset
        return queryset.filter(pk__in=Assignment.objects.filter(member__user=self.user).values("person_id"))
