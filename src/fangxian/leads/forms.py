from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.choices import Action, UnitLevel
from fangxian.core.forms import DateTimeInput, ScopedUnitChoiceField, StyledForm, UploadField, scoped_units, style_form
from fangxian.leads.choices import LeadCategory, LeadSource, Outcome
from fangxian.leads.intake import FIELD_LABELS, REQUIRED_FIELDS
from fangxian.leads.models import RiskArea


class UploadForm(StyledForm):
    district = ScopedUnitChoiceField(label=_("接收区县"), queryset=None)
    source = forms.ChoiceField(label=_("来源"), choices=LeadSource.choices, initial=LeadSource.CITY_PUSH)
    pusher = forms.CharField(
        label=_("推送单位"), max_length=100, required=False, help_text=_("同一推送单位的列对应会被记住")
    )
    default_category = forms.ChoiceField(
        label=_("默认人员类别"),
        choices=LeadCategory.choices,
        initial=LeadCategory.OTHER,
        help_text=_("名单中没有“推送原因/人员类别”列或无法识别时使用"),
    )
    file = UploadField(label=_("名单文件（.xlsx / .xls / .ods / .csv）"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        districts = scoped_units(user, Capability.LEADS_IMPORT, [UnitLevel.DISTRICT])
        self.fields["district"].queryset = districts
        if len(districts[:2]) == 1:  # a district office has one district: nothing to choose
            self.fields["district"].initial = districts[0]


class VerifyForm(StyledForm):
    outcome = forms.ChoiceField(label=_("核查结果"), choices=Outcome.choices, widget=forms.RadioSelect)
    outcome_note = forms.CharField(
        label=_("说明"), max_length=500, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    current_address = forms.CharField(label=_("现住址（核实）"), max_length=200, required=False)


class HandoverForm(StyledForm):
    to_unit = ScopedUnitChoiceField(label=_("分派给"), queryset=None)
    note = forms.CharField(label=_("备注"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_unit"].queryset = scoped_units(user, Capability.LEADS_ASSIGN)


class RiskAreaForm(StyledForm):
    district = ScopedUnitChoiceField(label=_("登记区县"), queryset=None)
    name = forms.CharField(label=_("名称"), max_length=200, help_text=_("与推送名单“风险地区”列的写法一致或为其一部分"))
    level = forms.ChoiceField(label=_("风险等级"), choices=RiskArea._meta.get_field("level").choices)
    region_code = forms.RegexField(label=_("区划代码"), regex=r"^\d{6,12}$", required=False)
    declared_at = forms.DateTimeField(label=_("划定时间"), widget=DateTimeInput())
    lifted_at = forms.DateTimeField(label=_("解除时间"), required=False, widget=DateTimeInput())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = scoped_units(user, Action.CHANGE, [UnitLevel.DISTRICT], for_model=RiskArea)

    def clean(self):
        data = super().clean()
        if data.get("lifted_at") and data.get("declared_at") and data["lifted_at"] < data["declared_at"]:
            self.add_error("lifted_at", _("解除时间不能早于划定时间"))
        return data


class MappingForm(StyledForm):
    """Which column of the file holds each field; the header row is counted from 1 as in the spreadsheet."""

    header_row = forms.IntegerField(label=_("表头所在行"), min_value=1)

    def __init__(self, *args, headers: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("（不导入）"))] + [(str(i), f"第{i + 1}列 {text}") for i, text in enumerate(headers)]
        for name, label in FIELD_LABELS.items():
            self.fields[name] = forms.ChoiceField(label=label, choices=choices, required=name in REQUIRED_FIELDS)
        style_form(self)

    def mapping(self) -> dict[str, int]:
        return {
            name: int(self.cleaned_data[name]) for name in FIELD_LABELS if self.cleaned_data.get(name) not in ("", None)
        }
