import django_filters
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import AccessKind, ChangeKind
from fangxian.core.models import AccessRecord, ChangeRecord


class ScopedFilterSet(django_filters.FilterSet):
    """A list's filters for one user, with no request (a background export has none): a choice filter's
    `queryset` is a function of the user, so it offers only what the user may see."""

    def __init__(self, data=None, queryset=None, *, user=None, request=None, prefix=None):
        # The API's filter backend passes its request; the pages and the worker pass the user.
        self.user = user if user is not None else getattr(request, "user", None)
        super().__init__(data, queryset, request=request, prefix=prefix)
        for each in self.filters.values():
            scope = getattr(each, "queryset", None)
            if callable(scope):
                each.queryset = scope(user)


class _AuditFilterSet(ScopedFilterSet):
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
