from django import forms
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.password_validation import validate_password
from django.utils.translation import gettext_lazy as _

from fangxian.core.capabilities import Capability, required_for
from fangxian.core.choices import Role, UnitLevel
from fangxian.core.models import TeamSlot, TeamTemplate, Unit
from fangxian.core.scoping import scope_unit_ids


def style_form(form):
    """Tabler classes on every widget, so templates can render fields plainly."""
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        if isinstance(widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(widget, forms.RadioSelect):  # and CheckboxSelectMultiple: _form.html draws tap boxes
            css = "form-selectgroup-input"
        widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
    return form


TABLE_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


def upload_problem(upload, suffixes: tuple[str, ...] = TABLE_SUFFIXES) -> str | None:
    """Why an uploaded table file is refused (pages and the API alike), or None: a kind the readers do not read,
    an empty file, or one over the upload limit (FANGXIAN_MAX_UPLOAD_MB)."""
    limit = settings.MAX_UPLOAD_MB
    if not upload.name.lower().endswith(suffixes):
        return _("不支持的文件类型：请上传 %(kinds)s") % {"kinds": "、".join(suffixes)}
    if upload.size > limit * 1024 * 1024:
        return _("文件超过 %(limit)s MB，请拆分后分批上传") % {"limit": limit}
    if upload.size == 0:
        return _("文件是空的")
    return None


class DateInput(forms.DateInput):
    """A browser date picker: its value must be ISO (2026-12-05); the locale's 2026/12/05 shows as empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class DateTimeInput(forms.DateTimeInput):
    """A browser date-time picker, whose value must be ISO without seconds (2026-12-05T08:30)."""

    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class UploadField(forms.FileField):
    def __init__(self, *args, suffixes: tuple[str, ...] = TABLE_SUFFIXES, **kwargs):
        self.suffixes = suffixes
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        upload = super().clean(data, initial)
        if upload is not None and (problem := upload_problem(upload, self.suffixes)):
            raise forms.ValidationError(problem)
        return upload


class PhoneField(forms.RegexField):
    """A phone an office can dial: a mobile (11 digits from 13–19, +86 allowed) or a landline with its area code
    (0371-12345678, an extension after a dash). A bare 7-digit number cannot be dialled from another city."""

    PATTERN = r"^(?:(?:\+?86[-\s]?)?1[3-9]\d(?:[-\s]?\d{4}){2}|0\d{2,3}[-\s]?\d{7,8}(?:-\d{1,6})?)$"

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "error_messages", {"invalid": _("电话号码格式不正确：手机号 11 位，固话请带区号（如 0371-12345678）")}
        )
        super().__init__(self.PATTERN, **kwargs)


class StyledForm(forms.Form):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class LoginForm(AuthenticationForm):
    # One answer for a wrong password, an unknown name, a locked or a stopped account: the page must not tell
    # which usernames exist.
    error_messages = {
        "invalid_login": _("用户名或密码错误，或账号已被临时锁定（连续输错多次后锁定，稍后再试或请管理员重置密码）。"),
        "inactive": _("用户名或密码错误，或账号已被临时锁定（连续输错多次后锁定，稍后再试或请管理员重置密码）。"),
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_form(self)


class UnitSelect(forms.Select):
    """Each option carries its unit's name with its parent (新城街道·天河社区): the search box app.js puts above a
    long select matches it, and a grid is never a bare 第1网格."""

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        unit = getattr(value, "instance", None)
        if unit is not None:
            option["attrs"]["data-search"] = unit.label
        return option


class UnitChoiceField(forms.ModelChoiceField):
    """A unit picked from the tree: options in tree order, each indented under its parent, searchable by name
    (a district has some 500 units; a flat list of repeated community names is not a choice)."""

    widget = UnitSelect

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.widget.attrs["data-unit-search"] = "1"

    def label_from_instance(self, unit):
        depth = max(unit.path.count("/") - 2, 0)  # "/410108/" is the district, depth 0
        return "\u3000" * depth + unit.name


def tree_ordered(units):
    """Units as a tree select lists them: in path order, with their parents (for the labels) loaded."""
    return units.select_related("parent").order_by("path")


class ScopedUnitChoiceField(UnitChoiceField):
    """A unit of a form (a hand-over's target, a user's unit …), from the tree with its code."""

    def label_from_instance(self, unit):
        return f"{'　' * unit.depth}{unit.name}（{unit.code}）"


def scoped_units(user, wanted: str, levels=None, *, for_model=None):
    """Units the user may pick to `wanted` (a capability, or a verb of `for_model`)."""
    queryset = tree_ordered(Unit.objects.filter(is_active=True))
    if not user.is_superuser:
        queryset = queryset.filter(id__in=scope_unit_ids(user, required_for(for_model, wanted)))
    return queryset.filter(level__in=levels) if levels else queryset


class UserCreateForm(StyledForm):
    username = forms.RegexField(
        label=_("用户名"),
        regex=r"^[A-Za-z0-9_.-]{3,40}$",
        error_messages={"invalid": _("用户名只能包含字母、数字和 _ . -")},
    )
    display_name = forms.CharField(label=_("姓名"), max_length=50)
    phone = forms.CharField(label=_("电话"), max_length=20, required=False)
    unit = ScopedUnitChoiceField(label=_("所属单位"), queryset=Unit.objects.none())
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput, min_length=10)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(
            user, Capability.USERS_MANAGE, [UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY, UnitLevel.GRID]
        )


class GrantForm(StyledForm):
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    unit = ScopedUnitChoiceField(label=_("单位"), queryset=Unit.objects.none())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(user, Capability.USERS_MANAGE)


class PasswordResetForm(StyledForm):
    password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput, min_length=10)

    def clean_password(self):
        password = self.cleaned_data["password"]
        validate_password(password)
        return password


class UnitImportForm(StyledForm):
    district = ScopedUnitChoiceField(label=_("区/县"), queryset=Unit.objects.none())
    file = UploadField(label=_("文件（.xlsx / .xls / .ods / .csv）"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].queryset = scoped_units(user, Capability.UNITS_MANAGE, [UnitLevel.DISTRICT])


class TeamForm(StyledForm):
    unit = ScopedUnitChoiceField(label=_("所属村/社区或网格"), queryset=Unit.objects.none())
    template = forms.ModelChoiceField(label=_("小组模板"), queryset=TeamTemplate.objects.all(), empty_label=None)
    name = forms.CharField(label=_("小组名称"), max_length=100)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = scoped_units(
            user, Capability.TEAMS_MANAGE, [UnitLevel.COMMUNITY, UnitLevel.GRID]
        )


class TeamMemberForm(StyledForm):
    slot = forms.ModelChoiceField(label=_("职责"), queryset=TeamSlot.objects.none(), empty_label=None)
    name = forms.CharField(label=_("姓名"), max_length=50)
    phone = PhoneField(label=_("电话"))

    def __init__(self, *args, team, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = team.template.slots.all()
