import django_filters
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import TERRITORIAL_LEVELS, AccessKind, Action, ChangeKind
from fangxian.core.forms import UnitChoiceField, tree_ordered
from fangxian.core.models import AccessRecord, ChangeRecord, Unit


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


def _territory(user):
    if user is None:
        return Unit.objects.none()
    units = Unit.objects.restrict(user, Action.VIEW).filter(is_active=True, level__in=TERRITORIAL_LEVELS)
    return tree_ordered(units)


class UnitTreeFilter(django_filters.ModelChoiceFilter):
    """A list's unit filter: a unit of the user's territory picked from the tree, matching it and every unit
    below it. The filtered model names the path to its unit (`field_name`, e.g. "unit" or "measure__unit")."""

    field_class = UnitChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label", _("单位"))
        kwargs.setdefault("queryset", _territory)
        kwargs.setdefault("to_field_name", "code")
        kwargs.setdefault("empty_label", _("全部单位"))
        kwargs.setdefault("field_name", "unit")
        super().__init__(*args, **kwargs)

    def filter(self, queryset, unit):
        if not unit:
            return queryset
        return queryset.filter(**{f"{self.field_name}__path__startswith": unit.path})
