import django_filters
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.filtersets import ScopedFilterSet
from fangxian.core.forms import DateInput
from fangxian.testing.choices import TubeResult, TubeStatus
from fangxian.testing.models import SamplingPoint, Tube


def _points(user):
    return SamplingPoint.objects.none() if user is None else SamplingPoint.objects.restrict(user)


class TubeFilterSet(ScopedFilterSet):
    """采样管: one sampling day at a time (10⁶ tubes a day in a city); a code is looked up whole, as scanned."""

    day = django_filters.DateFilter(
        label=_("采样日期"),
        field_name="sampled_on",
        widget=DateInput(),
    )
    code = django_filters.CharFilter(label=_("管码"), method="filter_code")
    point = django_filters.ModelChoiceFilter(
        label=_("采样点"), queryset=_points, to_field_name="uuid", empty_label=_("全部采样点")
    )
    status = django_filters.ChoiceFilter(label=_("状态"), choices=TubeStatus.choices, empty_label=_("全部"))
    result = django_filters.ChoiceFilter(label=_("结果"), choices=TubeResult.choices, empty_label=_("全部"))

    class Meta:
        model = Tube
        fields = ["day", "code", "point", "status", "result"]

    def __init__(self, data=None, *args, **kwargs):
        data = data.copy() if data is not None else {}
        if not data.get("day") and not data.get("code"):
            data["day"] = timezone.localdate().isoformat()
        super().__init__(data, *args, **kwargs)

    def filter_code(self, queryset, name, value):
        return queryset.filter(code=value.strip().upper()) if value.strip() else queryset
