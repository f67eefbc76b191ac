import django_filters
from django.utils.translation import gettext_lazy as _

from fangxian.control.choices import BoardItemKind, MeasureStatus, Subject
from fangxian.control.models import Measure
from fangxian.core.filtersets import ScopedFilterSet, UnitTreeFilter
from fangxian.people.filtersets import NumberSearchMixin


class MeasureFilterSet(NumberSearchMixin, ScopedFilterSet):
    """The people under measures: by name or number, unit (from the tree), status and subject."""

    person_path = "person__"

    q = django_filters.CharFilter(label=_("姓名/证件号"), method="filter_text")
    unit = UnitTreeFilter(label=_("责任单位"))
    status = django_filters.ChoiceFilter(
        label=_("状态"), choices=MeasureStatus.choices, empty_label=_("全部"), method="filter_status"
    )
    subject = django_filters.ChoiceFilter(label=_("管控对象"), choices=Subject.choices, empty_label=_("全部"))

    class Meta:
        model = Measure
        fields = ["q", "unit", "status", "subject"]

    def __init__(self, data=None, *args, **kwargs):
        # Those under control now, unless the officer asks for the released or all: the list's first use.
        if data is not None and "status" not in data:
            data = data.copy()
            data["status"] = MeasureStatus.ACTIVE
        super().__init__(data, *args, **kwargs)

    def filter_status(self, queryset, name, value):
        return queryset.filter(status=value) if value else queryset


class BoardFilterSet(ScopedFilterSet):
    """The closed-loop board: by unit, and by kind of item (applied to the board's items, not the measures)."""

    unit = UnitTreeFilter(label=_("责任单位"))
    kind = django_filters.ChoiceFilter(
        label=_("事项"), choices=BoardItemKind.choices, empty_label=_("全部事项"), method="filter_kind"
    )

    class Meta:
        model = Measure
        fields = ["unit", "kind"]

    def filter_kind(self, queryset, name, value):
        return queryset  # the items are built from the measures; the view keeps the kind asked for
