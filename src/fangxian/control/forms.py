from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.control.choices import EndReason, FollowUpOutcome, SampleResult, Subject
from fangxian.core.forms import DateInput, StyledForm


class PlaceForm(StyledForm):
    subject = forms.ChoiceField(label=_("管控对象"), choices=Subject.choices)
    anchor_date = forms.DateField(label=_("起算日（末次暴露 / 离开风险区 / 抵达）"), widget=DateInput())
    start_date = forms.DateField(label=_("落实管控日"), widget=DateInput(), initial=timezone.localdate)


class ResultForm(StyledForm):
    result = forms.ChoiceField(
        label=_("结果"), choices=[(value, label) for value, label in SampleResult.choices if value]
    )
    reason = forms.CharField(label=_("未检测原因"), max_length=200, required=False)


class EndForm(StyledForm):
    reason = forms.ChoiceField(label=_("终止原因"), choices=EndReason.choices)


class ExtendForm(StyledForm):
    days = forms.IntegerField(label=_("延长天数"), min_value=1, max_value=60)
    reason = forms.CharField(label=_("原因"), max_length=150)


class FollowUpForm(StyledForm):
    outcome = forms.ChoiceField(label=_("处置结果"), choices=FollowUpOutcome.choices)
    note = forms.CharField(label=_("处置说明"), max_length=300, required=False)
