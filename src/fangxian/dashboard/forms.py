from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.choices import UnitLevel
from fangxian.core.forms import ScopedUnitChoiceField, StyledForm, scoped_units


class DisplayForm(StyledForm):
    unit = ScopedUnitChoiceField(label=_("展示单位"), queryset=None)
    label = forms.CharField(label=_("名称（如：指挥中心一号屏）"), max_length=100, required=False)
    hours = forms.TypedChoiceField(
        label=_("有效时长"),
        coerce=int,
        initial=24,
        choices=[(12, _("12 小时")), (24, _("24 小时")), (72, _("3 天")), (168, _("7 天"))],
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        units = scoped_units(
            user, Capability.DISPLAYS_MANAGE, [UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY]
        ).order_by("path")
        self.fields["unit"].queryset = units
        self.fields["unit"].initial = units.first()  # the office's own unit, at the top of its tree
