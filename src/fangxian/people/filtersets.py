import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import Action
from fangxian.core.models import Unit
from fangxian.people.choices import ResidenceCategory
from fangxian.people.documents import clean_text
from fangxian.people.models import Person


def _scoped_units(request):
    if request is None:
        return Unit.objects.none()
    return Unit.objects.restrict(request.user, Action.VIEW).filter(is_active=True)


def search_persons(queryset, text: str, *, via: str = ""):
    """A whole document number or phone typed in any of the usual ways, otherwise a name fragment.
    `via` is the path to the person from the queryset's model ("person__" for leads)."""
    text = text.strip()
    if not text:
        return queryset
    number = clean_text(text)
    if any(character.isdigit() for character in number):
        # Exact matches on indexed columns; a name never contains digits.
        return queryset.filter(Q(**{f"{via}doc_number": number}) | Q(**{f"{via}phone": number}))
    return queryset.filter(**{f"{via}name__icontains": text})


class PersonFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("姓名/证件号/电话"), method="filter_text")
    unit = django_filters.ModelChoiceFilter(
        label=_("单位"), queryset=_scoped_units, to_field_name="code", method="filter_unit", empty_label=_("全部单位")
    )
    category = django_filters.ChoiceFilter(
        label=_("人口类别"), choices=ResidenceCategory.choices, empty_label=_("全部")
    )

    class Meta:
        model = Person
        fields = ["q", "unit", "category"]

    def filter_text(self, queryset, name, value):
        return search_persons(queryset, value)

    def filter_unit(self, queryset, name, unit):
        return queryset.filter(unit__path__startswith=unit.path) if unit else queryset
