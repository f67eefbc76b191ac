from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.cases.choices import CaseClass, ContactClass, FoundBy, Relation, Transport
from fangxian.core.forms import DateInput, DateTimeInput, PhoneField, StyledForm
from fangxian.people.choices import DocumentType


class CaseForm(StyledForm):
    """A case opened by hand (a fever clinic, a self-report …): the person by document, in the registry."""

    doc_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID)
    doc_number = forms.CharField(
        label=_("证件号码"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    classification = forms.ChoiceField(label=_("分类"), choices=CaseClass.choices)
    found_by = forms.ChoiceField(label=_("发现方式"), choices=FoundBy.choices)
    first_positive_at = forms.DateTimeField(label=_("首次阳性采样时间"), widget=DateTimeInput())
    onset_date = forms.DateField(label=_("发病日期（无症状可空）"), widget=DateInput(), required=False)
    confirmed_at = forms.DateTimeField(label=_("确诊/判定时间（可空）"), widget=DateTimeInput(), required=False)


class ReclassifyForm(StyledForm):
    to_class = forms.ChoiceField(label=_("订正为"), choices=CaseClass.choices)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class SourceForm(StyledForm):
    source = forms.IntegerField(label=_("传染来源（病例编号，空为未明）"), min_value=1, required=False)


class EntryForm(StyledForm):
    start = forms.DateTimeField(label=_("开始时间"), widget=DateTimeInput())
    end = forms.DateTimeField(label=_("结束时间"), widget=DateTimeInput())
    place = forms.CharField(label=_("地点"), max_length=100)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    transport = forms.ChoiceField(label=_("交通方式"), choices=Transport.choices, required=False)
    transport_detail = forms.CharField(label=_("车次/航班/线路/车牌"), max_length=50, required=False)
    companions = forms.CharField(label=_("同行人员"), max_length=200, required=False)


class ContactForm(StyledForm):
    doc_type = forms.ChoiceField(label=_("证件类型"), choices=DocumentType.choices, initial=DocumentType.RESIDENT_ID)
    doc_number = forms.CharField(
        label=_("证件号码"), max_length=32, widget=forms.TextInput(attrs={"autocomplete": "off"})
    )
    name = forms.CharField(label=_("姓名（已登记的可空）"), max_length=50, required=False)
    phone = PhoneField(label=_("联系电话"))
    address = forms.CharField(label=_("现住址"), max_length=200, required=False)
    relation = forms.ChoiceField(label=_("接触方式"), choices=Relation.choices)
    classification = forms.ChoiceField(label=_("判定"), choices=ContactClass.choices)
    exposed_at = forms.DateTimeField(label=_("末次暴露时间"), widget=DateTimeInput())
    home_region = forms.CharField(
        label=_("住外区县（填区县名称或区划代码，将列入协查函；本区留空）"), max_length=60, required=False
    )
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class PolicyForm(StyledForm):
    core_hours = forms.IntegerField(label=_("核心信息时限（小时）"), min_value=1, max_value=240)
    report_hours = forms.IntegerField(label=_("流调报告时限（小时）"), min_value=1, max_value=240)
    close_contact_hours = forms.IntegerField(label=_("密接管控时限（小时）"), min_value=1, max_value=240)
    secondary_contact_hours = forms.IntegerField(label=_("次密接管控时限（小时）"), min_value=1, max_value=240)
