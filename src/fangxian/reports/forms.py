from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.choices import UnitLevel
from fangxian.core.forms import StyledForm, style_form
from fangxian.reports import figures
from fangxian.reports.choices import FieldKind
from fangxian.reports.services import REPORTING_LEVELS, FieldSpec

FIELD_ROWS = 8


class ReportFormForm(StyledForm):
    name = forms.CharField(label=_("报表名称"), max_length=100, initial=_("疫情防控日报"))
    due_time = forms.TimeField(label=_("每日截止时间"), initial="17:00", widget=forms.TimeInput(attrs={"type": "time"}))
    levels = forms.MultipleChoiceField(
        label=_("报送单位"),
        choices=[(level, label) for level, label in UnitLevel.choices if level in REPORTING_LEVELS],
        widget=forms.CheckboxSelectMultiple,
        initial=[UnitLevel.TOWNSHIP],
    )


class FieldRowForm(forms.Form):
    label = forms.CharField(label=_("填报项"), max_length=100, required=False)
    kind = forms.ChoiceField(label=_("类型"), choices=FieldKind.choices, initial=FieldKind.INTEGER)
    choices = forms.CharField(label=_("可选项（用、分隔）"), max_length=300, required=False)
    figure = forms.ChoiceField(label=_("取自系统数据"), choices=figures.choices, required=False)
    locked = forms.BooleanField(label=_("锁定"), required=False)
    required = forms.BooleanField(label=_("必填"), required=False, initial=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)

    def spec(self, position: int) -> FieldSpec | None:
        data = self.cleaned_data
        if not data.get("label", "").strip():
            return None
        options = tuple(part.strip() for part in data.get("choices", "").replace(",", "、").split("、") if part.strip())
        return FieldSpec(
            key=f"f{position + 1}",
            label=data["label"].strip(),
            kind=data["kind"],
            required=data["required"],
            choices=options,
            figure=data.get("figure", ""),
            locked=data["locked"],
        )


FieldRowFormSet = forms.formset_factory(FieldRowForm, extra=FIELD_ROWS, max_num=FIELD_ROWS)
