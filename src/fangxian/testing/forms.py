from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.choices import Sector, UnitLevel
from fangxian.core.forms import DateTimeInput, StyledForm, UploadField, scoped_units
from fangxian.core.models import Unit, district_path_of
from fangxian.core.scoping import scope_paths
from fangxian.testing.choices import SamplingMode
from fangxian.testing.models import KeyGroup


class TubeForm(StyledForm):
    """One tube at the sampling table: scan the tube, then each person (one a line: ID number, then name)."""

    # Focused as the page is parsed, before any script runs: a scanner's first characters are not lost.
    code = forms.CharField(label=_("管码"), max_length=32, widget=forms.TextInput(attrs={"autofocus": True}))
    mode = forms.ChoiceField(label=_("采样方式"), choices=SamplingMode.choices, initial=SamplingMode.POOL_10)
    members = forms.CharField(label=_("受检人员（每行：证件号 姓名）"), widget=forms.Textarea(attrs={"rows": 10}))


class ShipForm(StyledForm):
    box = forms.CharField(label=_("转运箱号"), max_length=32)


class ResultFileForm(StyledForm):
    lab = forms.CharField(label=_("检测机构"), max_length=100)
    file = UploadField(label=_("结果文件（.csv / .xlsx / .xls / .ods）"))
    all_or_nothing = forms.BooleanField(label=_("有错误行时整份不导入"), required=False)


class LookupForm(StyledForm):
    doc_number = forms.CharField(
        label=_("证件号码"), max_length=40, widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"})
    )
    hours = forms.TypedChoiceField(
        label=_("时限"), choices=[(24, "24 小时"), (48, "48 小时"), (72, "72 小时")], coerce=int, initial=48
    )


def _when(label: str) -> forms.DateTimeField:
    return forms.DateTimeField(label=label, widget=DateTimeInput())


class CampaignForm(StyledForm):
    name = forms.CharField(label=_("轮次名称"), max_length=100)
    starts_at = _when(_("开始时间"))
    ends_at = _when(_("结束时间"))
    mode = forms.ChoiceField(label=_("采样方式"), choices=SamplingMode.choices, initial=SamplingMode.POOL_10)
    zones = forms.ModelMultipleChoiceField(label=_("检测单位"), queryset=Unit.objects.none())
    exclude_under_2 = forms.BooleanField(label=_("不含 2 岁以下儿童"), required=False, initial=True)
    exclude_isolated = forms.BooleanField(label=_("不含集中/居家隔离人员"), required=False, initial=True)
    exclude_key_groups = forms.BooleanField(label=_("不含按计划常态化检测的重点人群"), required=False, initial=True)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["zones"].queryset = scoped_units(
            user, Capability.CAMPAIGNS_MANAGE, [UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY]
        ).order_by("code")


class PointForm(StyledForm):
    unit = forms.ModelChoiceField(label=_("所在村/社区"), queryset=Unit.objects.none())
    name = forms.CharField(label=_("采样点名称"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    hours = forms.CharField(label=_("采样时段"), max_length=100, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(user, Capability.POINTS_MANAGE, [UnitLevel.COMMUNITY]).order_by(
            "code"
        )
        # The round's page shows these fields without labels: each says what it is in its placeholder.
        self.fields["unit"].empty_label = _("所在村/社区")
        for name in ("name", "address", "hours"):
            self.fields[name].widget.attrs["placeholder"] = self.fields[name].label


class ZoneForm(forms.Form):
    """A zone's row on the round's page (rendered in the row itself): its sampling mode and, if counted on the
    ground, its head count (blank: from the registry)."""

    zone = forms.IntegerField()
    mode = forms.ChoiceField(choices=SamplingMode.choices)
    head_count = forms.IntegerField(min_value=0, max_value=10_000_000, required=False)


class KeyGroupForm(StyledForm):
    # Shown in one row without labels: the placeholders and aria-labels say what each box is.
    name = forms.CharField(
        label=_("重点人群名称"),
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": _("重点人群名称"), "aria-label": _("重点人群名称")}),
    )
    interval_days = forms.IntegerField(
        label=_("检测间隔（天）"),
        min_value=1,
        max_value=30,
        widget=forms.NumberInput(attrs={"placeholder": _("间隔天数"), "aria-label": _("检测间隔（天）")}),
    )
    sector = forms.ChoiceField(
        label=_("行业主管部门"),
        choices=[("", _("行业主管部门（无）")), *Sector.choices],
        required=False,
        widget=forms.Select(attrs={"aria-label": _("行业主管部门")}),
    )


class KeyGroupMembersForm(StyledForm):
    group = forms.ModelChoiceField(label=_("重点人群"), queryset=KeyGroup.objects.none())
    unit = forms.ModelChoiceField(label=_("责任单位"), queryset=Unit.objects.none())
    doc_numbers = forms.CharField(label=_("证件号码（每行一个）"), widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # A district's groups, to every unit of the district that puts its own people in them.
        districts = {district_path_of(path) for path in scope_paths(user, Capability.KEY_GROUPS_MANAGE)}
        self.fields["group"].queryset = KeyGroup.objects.filter(district__path__in=districts)
        self.fields["unit"].queryset = scoped_units(user, Capability.KEY_GROUPS_MANAGE).exclude(level=UnitLevel.GRID)
