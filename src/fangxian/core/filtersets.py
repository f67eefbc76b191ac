import django_filters
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import AccessKind, ChangeKind
from fangxian.core.models import AccessRecord, ChangeRecord


class _AuditFilterSet(django_filters.FilterSet):
    actor = django_filters.CharFilter(label=_("操作人（用户名）"), field_name="actor__username")
    since = django_filters.DateFilter(label=_("起始日期"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("截止日期"), field_name="at", lookup_expr="date__lte")
    object = django_filters.CharFilter(label=_("对象编号"), field_name="object_id")


class ChangeRecordFilterSet(_AuditFilterSet):
    kind = django_filters.ChoiceFilter(label=_("操作"), choices=ChangeKind.choices, empty_label=_("全部"))

    class Meta:
        model = ChangeRecord
        fields = ["kind", "actor", "since", "until", "object"]


class AccessRecordFilterSet(_AuditFilterSet):
    kind = django_filters.ChoiceFilter(label=_("方式"), choices=AccessKind.choices, empty_label=_("全部"))

    class Meta:
        model = AccessRecord
        fields = ["kind", "actor", "since", "until", "object"]
