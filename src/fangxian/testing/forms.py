from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.forms import StyledForm
from fangxian.testing.choices import SamplingMode


class TubeForm(StyledForm):
    """One tube at the sampling table: scan the tube, then each person (one a line: ID number, then name)."""

    code = forms.CharField(label=_("管码"), max_length=32)
    mode = forms.ChoiceField(label=_("采样方式"), choices=SamplingMode.choices, initial=SamplingMode.POOL_10)
    members = forms.CharField(label=_("受检人员（每行：证件号 姓名）"), widget=forms.Textarea(attrs={"rows": 10}))


class ShipForm(StyledForm):
    box = forms.CharField(label=_("转运箱号"), max_length=32)


class ResultFileForm(StyledForm):
    lab = forms.CharField(label=_("检测机构"), max_length=100)
    file = forms.FileField(label=_("结果文件（csv / xlsx）"))
    all_or_nothing = forms.BooleanField(label=_("有错误行时整份不导入"), required=False)


class LookupForm(StyledForm):
    doc_number = forms.CharField(label=_("证件号码"), max_length=40)
    hours = forms.TypedChoiceField(
        label=_("时限"), choices=[(24, "24 小时"), (48, "48 小时"), (72, "72 小时")], coerce=int, initial=48
    )
