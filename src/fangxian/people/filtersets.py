import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.filtersets import ScopedFilterSet, UnitTreeFilter
from fangxian.core.scoping import scope_unit_ids
from fangxian.people.choices import ResidenceCategory
from fangxian.people.documents import clean_text
from fangxian.people.models import Person

NUMBER_SEARCH_REFUSED = _("按完整证件号或电话检索需要“查看完整证件号与电话”的权限（检索会留痕）；请按姓名检索")


def is_number_search(text: str) -> bool:
    return any(character.isdigit() for character in clean_text(text.strip()))


def search_persons(queryset, text: str, *, via: str = "", user=None):
    """A whole document number or phone typed in any of the usual ways, otherwise a name fragment.
    `via` is the path to the person from the queryset's model ("person__" for leads).

    A search by number answers "is this person here": it is a reveal. Only rows in the units where `user` may
    reveal are searched, and the list view records the search as a reveal (ScopedListView.record_search);
    a user who may reveal nowhere gets nothing (None), so a masked-only role has no exact-match oracle."""
    text = text.strip()
    if not text:
        return queryset
    number = clean_text(text)
    if any(character.isdigit() for character in number):
        if user is None:
            return None
        # Exact matches on indexed columns; a name never contains digits.
        matched = queryset.filter(Q(**{f"{via}doc_number": number}) | Q(**{f"{via}phone": number}))
        if user.is_superuser:
            return matched
        units = scope_unit_ids(user, Capability.REVEAL)
        return matched.filter(**{f"{queryset.model.scope_unit_field}__in": units}) if units else None
    return queryset.filter(**{f"{via}name__icontains": text})


class NumberSearchMixin:
    """The q filter of a list of people: a number search outside the reveal right is refused with a message."""

    person_path = ""

    def filter_text(self, queryset, name, value):
        found = search_persons(queryset, value, via=self.person_path, user=self.user)
        if found is None:
            # Said on the form once the filters have run: django-filter is still walking the form's cleaned
            # data here, and an error added now would take `q` out of it mid-walk (a 500, not a message).
            self.number_search_refused = True
            return queryset.none()
        return found

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        if getattr(self, "number_search_refused", False) and "q" not in self.form.errors:
            self.form.add_error("q", NUMBER_SEARCH_REFUSED)
        return queryset

    def is_valid(self) -> bool:
        # The API asks before it filters: a number search the user may not make is a refusal (400), not an
        # empty answer that reads as "nobody by that number".
        if not super().is_valid():
            return False
        text = self.form.cleaned_data.get("q") or ""
        if (
            is_number_search(text)
            and search_persons(self.queryset.none(), text, via=self.person_path, user=self.user) is None
        ):
            self.form.add_error("q", NUMBER_SEARCH_REFUSED)
            return False
        return True


class PersonFilterSet(NumberSearchMixin, ScopedFilterSet):
    q = django_filters.CharFilter(label=_("姓名/证件号/电话"), method="filter_text")
    unit = UnitTreeFilter()
    category = django_filters.ChoiceFilter(
        label=_("人口类别"), choices=ResidenceCategory.choices, empty_label=_("全部")
    )

    class Meta:
        model = Person
        fields = ["q", "unit", "category"]
