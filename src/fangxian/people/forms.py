from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import Action, UnitLevel
from fangxian.core.forms import PhoneField, ScopedUnitChoiceField, StyledForm, scoped_units
from fangxian.core.models import Unit
from fangxian.people.choices import DocumentType, ResidenceCategory
from fangxian.people.documents import DocumentError, parse_document
from fangxian.people.models import Person


class PersonForm(StyledForm):
    name = forms.CharField(label=_("姓名"), max_length=50)
    doc_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID)
    doc_number = forms.CharField(label=_("证件号码"), max_length=40)
    phone = PhoneField(label=_("联系电话"))
    address = forms.CharField(label=_("现住址"), max_length=200, required=False)
    unit = ScopedUnitChoiceField(label=_("所属单位（社区或网格）"), queryset=Unit.objects.none())
    category = forms.ChoiceField(label=_("人口类别"), choices=ResidenceCategory.choices)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)
    reason = forms.CharField(label=_("修改原因"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(
            user, Action.CHANGE, [UnitLevel.COMMUNITY, UnitLevel.GRID], for_model=Person
        )

    def clean(self):
        # The number is checked here as well as in the service, so that a wrong number shows with every other
        # mistake of the form at once, not after they are mended.
        data = super().clean()
        if data.get("doc_type") and data.get("doc_number") and "doc_number" not in self.errors:
            try:
                parse_document(data["doc_type"], data["doc_number"])
            except DocumentError as error:
                self.add_error("doc_number", str(error))
        return data


class DeleteForm(StyledForm):
    reason = forms.CharField(label=_("删除原因"), max_length=200)
