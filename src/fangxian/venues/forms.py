from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.forms import PhoneField, ScopedUnitChoiceField, StyledForm, scoped_units
from fangxian.core.models import Unit
from fangxian.venues.models import VenueCategory
from fangxian.venues.services import VENUE_LEVELS


class VenueForm(StyledForm):
    name = forms.CharField(label=_("场所名称"), max_length=100)
    category = forms.ModelChoiceField(label=_("类别"), queryset=VenueCategory.objects.all())
    unit = ScopedUnitChoiceField(label=_("属地（村/社区）"), queryset=Unit.objects.none())
    address = forms.CharField(label=_("地址"), max_length=200)
    contact = forms.CharField(label=_("负责人"), max_length=50, required=False)
    phone = PhoneField(label=_("联系电话"))
    areas = forms.CharField(
        label=_("分区（每行一个：楼层、大厅、班级，可空）"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    external_code = forms.CharField(label=_("外部场所码（省健康码平台，可空）"), max_length=64, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(user, Capability.VENUES_MANAGE, list(VENUE_LEVELS))

    def clean_areas(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["areas"].splitlines() if line.strip()]
