from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability
from fangxian.core.choices import UnitLevel
from fangxian.core.forms import DateInput, ScopedUnitChoiceField, StyledForm, UploadField, scoped_units
from fangxian.core.models import TeamMember
from fangxian.core.scoping import scope_unit_ids
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import Channel, DoseKind, Milestone, Outcome, PopulationSource, Standing
from fangxian.vaccination.models import Product


class AttemptForm(StyledForm):
    channel = forms.ChoiceField(
        label=_("联系方式"), choices=Channel.choices, widget=forms.RadioSelect, initial=Channel.VISIT
    )
    outcome = forms.ChoiceField(label=_("结果"), choices=Outcome.choices, widget=forms.RadioSelect)
    until = forms.DateField(label=_("预约/暂缓至（预约、暂缓时填写）"), widget=DateInput(), required=False)
    reason = forms.CharField(label=_("原因/说明（拒绝、禁忌须填写）"), max_length=200, required=False)


class StandingForm(StyledForm):
    standing = forms.ChoiceField(label=_("接种对象状态"), choices=Standing.choices)
    review_on = forms.DateField(label=_("暂缓至"), widget=DateInput(), required=False)
    reason = forms.CharField(label=_("原因"), max_length=200, required=False)


class DoseForm(StyledForm):
    kind = forms.ChoiceField(label=_("剂次"), choices=DoseKind.choices)
    product = forms.ModelChoiceField(label=_("疫苗"), queryset=Product.objects.all())
    given_on = forms.DateField(label=_("接种日期"), widget=DateInput())
    batch_number = forms.CharField(label=_("批号"), max_length=40, required=False)
    site_name = forms.CharField(label=_("接种单位"), max_length=100, required=False)
    confirm_ages = forms.BooleanField(label=_("已核实：超出说明书年龄范围的接种属实"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["given_on"].initial = timezone.localdate()


class RemoveDoseForm(StyledForm):
    reason = forms.CharField(label=_("删除原因"), max_length=200)


class AssignForm(StyledForm):
    member = forms.ModelChoiceField(label=_("动员人（包保小组成员）"), queryset=TeamMember.objects.none())

    def __init__(self, *args, user, unit, **kwargs):
        super().__init__(*args, **kwargs)
        # The members of the teams that serve this unit (its own, the grids' below it, the community's above it).
        units = scope_unit_ids(user, Capability.MOBILISE)
        self.fields["member"].queryset = (
            TeamMember.objects.filter(team__unit_id__in=units)
            .filter(Q(team__unit__path__in=_paths_around(unit)) | Q(team__unit__path__startswith=unit.path))
            .select_related("team", "slot")
            .order_by("team__name", "slot__order", "id")
        )
        self.fields["member"].label_from_instance = lambda member: f"{member.team.name} · {member}"


def _paths_around(unit) -> list[str]:
    codes = unit.path.strip("/").split("/")
    return [f"/{'/'.join(codes[:depth])}/" for depth in range(1, len(codes) + 1)]


class ImportForm(StyledForm):
    file = UploadField(label=_("接种记录文件（xlsx、xls、csv）"))
    person_unit = ScopedUnitChoiceField(
        label=_("未登记人员登记到"),
        queryset=None,
        required=False,
        help_text=_("文件中不在人员库里的受种者登记到这里，由社区核实后转入其居住地（文件中没有新人员时可不选）"),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        # Where the user may both register people and record doses.
        units = scoped_units(
            user, Capability.PERSONS_CHANGE, [UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY]
        )
        if not user.is_superuser:
            units = units.filter(id__in=scope_unit_ids(user, Capability.DOSES_RECORD))
        self.fields["person_unit"].queryset = units


class CommitForm(StyledForm):
    valid_only = forms.BooleanField(label=_("只导入无误的行（错误和冲突的行不导入）"), required=False)
    confirm_ages = forms.BooleanField(label=_("超出说明书年龄范围的剂次已逐条核实，一并导入"), required=False)


def band_choices():
    return [(band.key, band.label) for band in band_rules.configured()]


class TargetForm(StyledForm):
    title = forms.CharField(label=_("目标名称"), max_length=100, initial=_("60 岁以上人群加强免疫攻坚"))
    bands = forms.MultipleChoiceField(label=_("年龄段"), choices=band_choices, widget=forms.CheckboxSelectMultiple)
    milestone = forms.ChoiceField(label=_("指标"), choices=Milestone.choices, initial=Milestone.BOOSTED)
    rate = forms.DecimalField(label=_("目标接种率（%）"), min_value=0, max_value=100, decimal_places=2, initial=90)
    source = forms.ChoiceField(label=_("人口口径"), choices=PopulationSource.choices)
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    due_on = forms.DateField(label=_("完成时限"), widget=DateInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()


class EndTargetForm(StyledForm):
    reason = forms.CharField(label=_("停止原因"), max_length=200)


class PopulationForm(StyledForm):
    unit = ScopedUnitChoiceField(label=_("单位"), queryset=None)
    band = forms.ChoiceField(label=_("年龄段"), choices=band_choices)
    source = forms.ChoiceField(label=_("口径"), choices=PopulationSource.choices)
    count = forms.IntegerField(label=_("人数"), min_value=0, max_value=50_000_000)
    as_of = forms.DateField(label=_("统计日期"), widget=DateInput())
    note = forms.CharField(label=_("说明（来源文件、摸底批次）"), max_length=200, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(
            user, Capability.VACCINATION_TARGETS, [UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY]
        )
        self.fields["as_of"].initial = timezone.localdate()
