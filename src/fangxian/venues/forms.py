from django import forms
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.forms import (
    DateInput,
    DateTimeInput,
    PhoneField,
    ScopedUnitChoiceField,
    StyledForm,
    scoped_units,
    upload_problem,
)
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


class DoorForm(StyledForm):
    doc_number = forms.CharField(
        label=_("证件号码"),
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True, "inputmode": "text"}),
    )
    colour = forms.ChoiceField(
        label=_("健康码"),
        choices=[("green", _("绿码")), ("yellow", _("黄码")), ("red", _("红码"))],
        widget=forms.HiddenInput,
        required=False,
    )
    area = forms.ChoiceField(label=_("分区"), required=False, choices=[])
    proxy_doc_number = forms.CharField(label=_("代扫人证件号（为老人、儿童代扫时填写）"), max_length=40, required=False)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("不分区"))] + [(area, area) for area in areas]


class RegisterFilterForm(StyledForm):
    day = forms.DateField(label=_("日期"), required=False, widget=DateInput)
    unit = ScopedUnitChoiceField(label=_("单位"), queryset=Unit.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(user, Capability.VENUE_SCANS_VIEW, None)


class CoVisitForm(StyledForm):
    cases = forms.CharField(
        label=_("病例证件号码（每行一个，可多个）"),
        widget=forms.Textarea(attrs={"rows": 3, "autocomplete": "off"}),
        max_length=40_000,
    )
    since = forms.DateTimeField(label=_("开始时间"), required=False, widget=DateTimeInput)
    until = forms.DateTimeField(label=_("结束时间"), required=False, widget=DateTimeInput)

    def clean_cases(self) -> list[str]:
        lines = [line.strip() for line in self.cleaned_data["cases"].replace(",", "\n").splitlines() if line.strip()]
        if len(lines) > 1000:
            raise forms.ValidationError(_("一次最多排查 1,000 名病例"))
        return lines


class ScanUploadForm(StyledForm):
    file = forms.FileField(label=_("扫码记录文件（省平台导出的 .xlsx、.xls 或 .csv，UTF-8 或 GBK）"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if problem := upload_problem(upload):
            raise forms.ValidationError(problem)
        return upload
