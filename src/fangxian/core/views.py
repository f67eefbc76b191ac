"""Base views: the one place where pages apply scope, and the core pages (home, units, teams, users, audit)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Model, Q
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import DetailView, FormView, ListView, View

from fangxian.core import services, tables
from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, Action, JobStatus, UnitLevel
from fangxian.core.exporting import ExportMixin, keep_problems
from fangxian.core.exports import xlsx_response
from fangxian.core.filtersets import AccessRecordFilterSet, ChangeRecordFilterSet
from fangxian.core.forms import (
    GrantForm,
    LoginForm,
    PasswordResetForm,
    TeamForm,
    TeamMemberForm,
    UnitImportForm,
    UserCreateForm,
    style_form,
)
from fangxian.core.jobs import read_progress
from fangxian.core.listing import FOCUS_SESSION_KEY, ListArgs, Table
from fangxian.core.models import (
    AccessRecord,
    ChangeRecord,
    Grant,
    GridTeam,
    Job,
    Notification,
    TeamMember,
    Unit,
    User,
    access_unit,
)
from fangxian.core.registry import unit_counts
from fangxian.core.scoping import holds, within
from fangxian.core.tabular import TableReadError, read_uploaded_rows


def focus_unit(request) -> Unit | None:
    """The unit picked in the navigation bar, if it is still inside the user's scope."""
    return focus_unit_of(request.user, request.session.get(FOCUS_SESSION_KEY))


def focus_unit_of(user, code: str | None) -> Unit | None:
    if not code:
        return None
    return Unit.objects.restrict(user, Action.VIEW).filter(code=code).first()


class CapabilityRequiredMixin(LoginRequiredMixin):
    """A page that is one kind of work: a role without `required_capability` anywhere gets 403, not an empty
    page that shows it the form or the shape of the data."""

    required_capability = ""
    # A page that also takes a form (a point in a round, a key group, the protocol in force) names what its
    # POST needs: a role that may only look is refused before the form is read.
    write_capability = ""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            if not self.capability_held(request.user):
                raise PermissionDenied(_("您的角色不能使用此功能"))
            writing = request.method not in {"GET", "HEAD", "OPTIONS"}
            if writing and self.write_capability and not holds(request.user, self.write_capability):
                raise PermissionDenied(_("您的角色不能执行此操作"))
        return super().dispatch(request, *args, **kwargs)

    def capability_held(self, user) -> bool:
        if not self.required_capability:
            raise TypeError(f"{type(self).__name__} declares no required_capability")
        return holds(user, self.required_capability)


class ScopedMixin(CapabilityRequiredMixin):
    """Every page over scoped data derives from this: the queryset is restricted before anything else sees it,
    and a role that may not `action` the model anywhere is refused before the page is built."""

    model = None
    action = Action.VIEW

    def capability_held(self, user) -> bool:
        return holds(user, self.action, model=self.model)

    def get_queryset(self):
        return self.filter_queryset(self.model.objects.restrict(self.request.user, self.action))

    def filter_queryset(self, queryset):
        return queryset


def object_or_404(queryset, **lookup):
    """get_object_or_404 for ids that come from a form body: a malformed id is a 404 like a missing one,
    not a ValueError/ValidationError 500."""
    try:
        return get_object_or_404(queryset, **lookup)
    except (ValueError, ValidationError):
        raise Http404 from None


class ScopedListView(ScopedMixin, ListView):
    """Lists are further narrowed to the focus unit picked in the navigation bar (never widened: restrict() first).

    The rows are a function of `self.list_args` (user, filters, URL arguments, focus unit) only: read `self.user`
    and `self.params`, never `self.request`, in get_queryset(), filter_queryset() and the export methods — a
    background export builds the same view from stored arguments with no request (`from_args`).

    A list of personal data names `audited_model`: each page shown writes one access record with its filters,
    page and row count (a search by a whole number is recorded as a reveal).
    """

    paginate_by = 50
    filterset_class = None
    follows_focus = True
    audited_model = ""
    table_empty = ""  # what the table says when no row matches
    table_testid = ""
    table_row_testid = ""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.list_args = ListArgs.of_request(request, kwargs)

    def list_columns(self) -> list | None:
        """The list's one column spec (core.exports.Column), for the page's table and the export alike; None
        for a page that draws its own table."""
        return None

    @classmethod
    def from_args(cls, list_args: ListArgs):
        """The view as the worker builds it: no request, only what the rows are a function of."""
        view = cls()
        view.request = None
        view.args = ()
        view.kwargs = dict(list_args.url_kwargs)
        view.list_args = list_args
        return view

    @property
    def user(self):
        return self.list_args.user

    @property
    def params(self):
        return self.list_args.params

    def get_queryset(self):
        # Built once per view: the page, its paginator and its export share one filtering pass.
        if not hasattr(self, "_rows"):
            queryset = self.filter_queryset(self.model.objects.restrict(self.user, self.action))
            unit = focus_unit_of(self.user, self.list_args.focus) if self.follows_focus else None
            self._rows = within(queryset, unit) if unit is not None else queryset
        return self._rows.all()  # a fresh copy: a page that writes and shows the list again sees its writes

    def record_list(self, context) -> None:
        unit = access_unit(self.user)
        if unit is None:
            return
        text = self.params.get("q", "").strip()
        # A whole number typed in finds one person or none: that is a reveal, and recorded as one.
        kind = AccessKind.LIST
        if text:
            kind = AccessKind.REVEAL if any(character.isdigit() for character in text) else AccessKind.SEARCH
        page = context.get("page_obj")
        rows = context.get("object_list")
        record_access(
            actor=self.user,
            kind=kind,
            unit=unit,
            model=self.audited_model,
            detail={
                "filters": {key: value[:100] for key, value in self.params.items() if key != "page"},
                "page": page.number if page is not None else 1,
                "rows": len(rows) if rows is not None else 0,
                "total": page.paginator.count if page is not None else (len(rows) if rows is not None else 0),
                **({"q": text[:100]} if text else {}),
            },
        )

    def filter_queryset(self, queryset):
        if self.filterset_class is None:
            return queryset
        self.filterset = self.filterset_class(self.params, queryset=queryset, user=self.user)
        return self.filterset.qs if self.filterset.is_valid() else queryset.none()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["filterset"] = getattr(self, "filterset", None)
        if context["filterset"] is not None:
            style_form(context["filterset"].form)
        query = self.params.copy()
        query.pop("page", None)
        context["query_without_page"] = query.urlencode()
        context["active_filters"] = sum(1 for key, value in query.items() if value and key != "export")
        columns = self.list_columns()
        if columns is not None:
            context["table"] = Table(
                columns,
                context["object_list"],
                empty=self.table_empty or _("没有符合条件的记录"),
                testid=self.table_testid,
                row_testid=self.table_row_testid,
            )
        if self.audited_model:
            self.record_list(context)
        return context


class ScopedDetailView(ScopedMixin, DetailView):
    pass


class ScopedObjectMixin(ScopedMixin):
    """For action views (POST handlers) on one object: the object is looked up inside the user's scope."""

    lookup_field = "pk"
    lookup_url_kwarg = "pk"

    def get_object(self):
        return get_object_or_404(self.get_queryset(), **{self.lookup_field: self.kwargs[self.lookup_url_kwarg]})


class ObjectActionView(ScopedObjectMixin, View):
    """POST on one object, one operation (`perform`, returning the success message). The base owns the rest, so
    no operation can skip it: the object is looked up in scope, then read again FOR UPDATE inside one
    transaction (the state an operation checks is the state under the lock: of two people acting on one row at
    once, the second sees the first's outcome); afterwards the object must still be visible to its author at
    `verify_action` (save-then-verify; None for an operation that removes it); a refusal by a service becomes
    the page's message and rolls everything back; side effects leave after the commit (core.notify)."""

    http_method_names = ["post"]
    verify_action: str | None = Action.VIEW

    def post(self, request, **kwargs):
        handler = self.handler(kwargs)
        instance = self.get_object()
        try:
            with transaction.atomic():
                locked = type(instance)._default_manager.select_for_update().get(pk=instance.pk)
                done = handler(request, locked)
                if self.verify_action is not None:
                    save_then_verify(user=request.user, instance=locked, action=self.verify_action)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            if done:
                messages.success(request, done)
        return HttpResponseRedirect(self.done_url(instance))

    def handler(self, kwargs):
        return self.perform

    def perform(self, request, instance) -> str | None:
        raise NotImplementedError

    def done_url(self, instance) -> str:
        raise NotImplementedError


class ActionView(View):
    """POST an action that names no single object (create a key group …): `perform` returns the success message.
    The base owns one transaction around it and turns a refusal into the page's message; then back to
    `done_url`."""

    http_method_names = ["post"]

    def post(self, request, **kwargs):
        try:
            with transaction.atomic():
                done = self.perform(request)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            if done:
                messages.success(request, done)
        return HttpResponseRedirect(self.done_url())

    def perform(self, request) -> str | None:
        raise NotImplementedError

    def done_url(self) -> str:
        raise NotImplementedError


class ObjectOperationView(ObjectActionView):
    """POST …/<object>/<operation>/: one small method per operation (`op_<operation>`, returning the success
    message), listed in `operations`; any other operation is a 404. Lock, verify and refusals as in
    ObjectActionView."""

    operations: frozenset[str] = frozenset()

    def handler(self, kwargs):
        operation = kwargs.get("operation")
        handler = getattr(self, f"op_{operation}", None) if operation in self.operations else None
        if handler is None:
            raise Http404
        return handler


form_errors_message = None  # valid_form(): refuse with the form's own error messages


class ServiceFormView(FormView):
    """A form whose cleaned data goes to one service (`perform`). The base owns what no such view may forget:
    one transaction around the service call and save-then-verify (the saved object must still be visible to its
    author at `verify_action`, or everything rolls back), a service's refusal shown on the form with status 400
    and nothing written, and the message and redirect only after the commit (`succeeded`)."""

    verify_action = Action.VIEW

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), **self.form_arguments()}

    def form_arguments(self) -> dict:
        """Extra keyword arguments of the form (most take the user, whose units are its choices)."""
        return {"user": self.request.user}

    def perform(self, data: dict):
        """Call the service; return what it saved (verified when a model instance) or any result."""
        raise NotImplementedError

    def succeeded(self, result) -> HttpResponse:
        raise NotImplementedError

    def form_valid(self, form):
        try:
            with transaction.atomic():
                result = self.perform(form.cleaned_data)
                if isinstance(result, Model):
                    save_then_verify(user=self.request.user, instance=result, action=self.verify_action)
        except (ValidationError, PermissionDenied) as error:
            _add_errors(form, error if isinstance(error, ValidationError) else ValidationError(error_text(error)))
            return self.form_invalid(form)
        return self.succeeded(result)

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


def valid_form(form, message: str | None):
    """A form an operation needs: its cleaned data, or the operation is refused with `message` (or, when None,
    with the form's own messages)."""
    if not form.is_valid():
        raise ValidationError(message or [m for errors in form.errors.values() for m in errors])
    return form.cleaned_data


def safe_next(request, target: str | None, default: str) -> str:
    """The one redirect check: only a path on this site (not "//evil.example/", not another host)."""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def error_text(error: Exception) -> str:
    """A service's refusal (ValidationError or PermissionDenied) as one line for the page."""
    return "；".join(getattr(error, "messages", None) or [str(error) or _("无权操作")])


def save_then_verify(*, user, instance, action=Action.VIEW) -> None:
    """Raise (rolling back the caller's atomic block) when a saved object is no longer visible to its author."""
    if not type(instance).objects.restrict(user, action).filter(pk=instance.pk).exists():
        raise PermissionDenied("保存后的记录超出了您的管辖范围，已撤销本次操作")


# ---------------------------------------------------------------- sign-in


class FocusView(LoginRequiredMixin, View):
    """The unit picker: remember a unit of the user's scope for the lists, or clear it."""

    def get(self, request):
        code = request.GET.get("unit", "").strip()
        target = safe_next(request, request.GET.get("next"), reverse("home"))
        if not code:
            request.session.pop(FOCUS_SESSION_KEY, None)
            return HttpResponseRedirect(target)
        unit = Unit.objects.restrict(request.user, Action.VIEW).filter(code=code).first()
        if unit is None:
            messages.error(request, _("该单位不在您的管辖范围内"))
        else:
            request.session[FOCUS_SESSION_KEY] = unit.code
            messages.info(request, _("列表已限定为：%(name)s") % {"name": unit.name})
        return HttpResponseRedirect(target)


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True


# ---------------------------------------------------------------- units


class UnitTreeView(ExportMixin, ScopedListView):
    model = Unit
    template_name = "core/unit_tree.html"
    paginate_by = None
    follows_focus = False
    export_key, export_title, export_model = "units", "单位层级", "core.unit"

    def export_rows(self):
        # The whole tree in the user's scope, not only the level shown.
        return self.get_queryset().select_related("parent").order_by("path")

    def export_columns(self):
        return tables.unit_columns()

    def filter_queryset(self, queryset):
        self.root = get_object_or_404(queryset, code=self.kwargs["code"]) if "code" in self.kwargs else None
        if self.root is not None:
            queryset = queryset.filter(parent=self.root)
        else:
            paths = set(queryset.values_list("path", flat=True))
            top = [u.pk for u in queryset if not any(u.path != p and u.path.startswith(p) for p in paths)]
            queryset = queryset.filter(pk__in=top)
        return queryset.annotate(child_count=Count("children", distinct=True))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        units = list(context["object_list"])
        # Each app that keeps rows per unit says what it counts (core.registry): core knows none of them.
        counted = [(name, rows(self.user)) for name, rows in unit_counts().items()]
        teams = GridTeam.objects.restrict(self.user, Action.VIEW)
        for unit in units:
            unit.counts = {name: within(rows, unit).count() for name, rows in counted}
            unit.team_count = within(teams, unit).count()
        context["units"] = units
        context["root"] = self.root
        context["breadcrumbs"] = self.root.ancestors() if self.root else []
        return context


class UnitImportView(CapabilityRequiredMixin, FormView):
    """Import villages/communities and grids from xlsx/csv: validate all rows, then write them in one transaction."""

    template_name = "core/unit_import.html"
    form_class = UnitImportForm
    required_capability = Capability.UNITS_MANAGE

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs["user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        district = form.cleaned_data["district"]
        upload = form.cleaned_data["file"]
        try:
            rows = read_uploaded_rows(upload)
        except TableReadError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        try:
            plan = services.plan_unit_import(actor=self.request.user, rows=rows, district=district)
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.form_invalid(form)
        if plan.errors:
            limit = settings.PAGE_ERROR_LIMIT
            problems = keep_problems(
                actor=self.request.user,
                title=_("单位导入错误（%(count)s 处）") % {"count": len(plan.errors)},
                columns=tables.row_error_columns(),
                rows=plan.errors,
            )
            context = self.get_context_data(
                form=form,
                plan=plan,
                shown_errors=plan.errors[:limit],
                more_errors=max(0, len(plan.errors) - limit),
                problem_file=problems,
            )
            return self.render_to_response(context, status=400)
        with transaction.atomic():
            created, updated = services.commit_unit_import(actor=self.request.user, plan=plan, district=district)
        messages.success(
            self.request,
            _("导入完成：新增 %(created)s 个，更新 %(updated)s 个单位") % {"created": created, "updated": updated},
        )
        return HttpResponseRedirect(reverse("core:unit_tree"))


class TeamListView(ExportMixin, ScopedListView):
    model = GridTeam
    audited_model = "core.gridteam"
    template_name = "core/team_list.html"
    export_key, export_title, export_model = "teams", "包保小组", "core.gridteam"

    table_empty = _lazy("暂无包保小组")

    def list_columns(self):
        return tables.team_columns()

    def filter_queryset(self, queryset):
        unit = self.params.get("unit", "").strip()
        if unit:
            queryset = queryset.filter(unit__path__contains=f"/{unit}/")
        return queryset.select_related("unit__parent", "template").prefetch_related("members__slot", "template__slots")


class TeamCreateView(CapabilityRequiredMixin, ServiceFormView):
    template_name = "core/team_form.html"
    form_class = TeamForm
    required_capability = Capability.TEAMS_MANAGE
    verify_action = Action.CHANGE

    def get_initial(self):
        unit = (
            Unit.objects.restrict(self.request.user, Capability.TEAMS_MANAGE)
            .filter(code=self.request.GET.get("unit"))
            .first()
        )
        return {"unit": unit, "name": f"{unit.name}三人小组" if unit else ""}

    def perform(self, data):
        return services.create_team(
            actor=self.request.user, unit=data["unit"], template=data["template"], name=data["name"]
        )

    def succeeded(self, team):
        messages.success(self.request, _("已建立 %(name)s，请补充成员") % {"name": team.name})
        return HttpResponseRedirect(reverse("core:team_detail", kwargs={"pk": team.pk}))


class TeamDetailView(ScopedDetailView):
    model = GridTeam
    template_name = "core/team_detail.html"
    context_object_name = "team"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        team = self.object
        members = list(team.members.select_related("slot"))
        context["seats"] = [
            {"slot": slot, "members": [m for m in members if m.slot_id == slot.pk]}
            for slot in team.template.slots.all()
        ]
        context["complete"] = services.team_is_complete(team)
        context["member_form"] = TeamMemberForm(team=team)
        return context


class TeamActionView(ObjectOperationView):
    """Add or remove a member of a team in scope."""

    model = GridTeam
    action = Action.CHANGE
    operations = frozenset({"add", "remove"})

    def done_url(self, team) -> str:
        return reverse("core:team_detail", kwargs={"pk": team.pk})

    def op_add(self, request, team):
        member = valid_form(TeamMemberForm(request.POST, team=team), form_errors_message)
        services.add_team_member(actor=request.user, team=team, **member)
        return _("已添加成员")

    def op_remove(self, request, team):
        member = object_or_404(TeamMember.objects.filter(team=team), pk=request.POST.get("member"))
        services.remove_team_member(actor=request.user, member=member, reason="移出小组")
        return _("已移出成员")


class TeamCoverageView(ExportMixin, ScopedListView):
    """Every village/community without a complete grid team: the gaps a township must fill first."""

    model = Unit
    action = Capability.TEAMS_VIEW
    template_name = "core/team_coverage.html"
    paginate_by = None
    export_key, export_title, export_model = "coverage", "小组覆盖检查", "core.unit"

    def export_rows(self):
        rows = services.team_coverage(units=self.export_scope(self.get_queryset()))
        return [row for row in rows if not row["complete"]]

    def export_columns(self):
        return tables.coverage_columns()

    def filter_queryset(self, queryset):
        return queryset.filter(level=UnitLevel.COMMUNITY).select_related("parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = services.team_coverage(units=context["object_list"])
        context["gaps"] = [row for row in rows if not row["complete"]]
        context["total"] = len(rows)
        return context


# ---------------------------------------------------------------- users


class UserListView(ExportMixin, ScopedListView):
    model = User
    audited_model = "core.user"
    follows_focus = False
    template_name = "core/user_list.html"
    export_key, export_title, export_model = "users", "用户", "core.user"

    table_empty = _lazy("没有用户")

    def list_columns(self):
        return tables.user_columns()

    def filter_queryset(self, queryset):
        queryset = queryset.filter(pk__in=services.manageable_users(self.user).values("pk"))
        queryset = queryset.select_related("unit__parent").prefetch_related("grants__unit")
        text = self.params.get("q", "").strip()
        if text:
            queryset = queryset.filter(Q(username__icontains=text) | Q(display_name__icontains=text))
        return queryset


class ManagedAccountsMixin:
    """Accounts appear only to whoever may administer them: homed in scope, every grant within the actor's."""

    def filter_queryset(self, queryset):
        return queryset.filter(pk__in=services.manageable_users(self.request.user).values("pk"))


class UserDetailView(ManagedAccountsMixin, ScopedDetailView):
    model = User
    template_name = "core/user_detail.html"
    context_object_name = "account"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["grant_form"] = GrantForm(user=self.request.user)
        context["password_form"] = PasswordResetForm()
        context["grants"] = self.object.grants.select_related("unit")
        return context


class UserCreateView(CapabilityRequiredMixin, ServiceFormView):
    template_name = "core/user_form.html"
    form_class = UserCreateForm
    required_capability = Capability.USERS_MANAGE

    def perform(self, data):
        account = services.create_user(
            actor=self.request.user,
            username=data["username"],
            display_name=data["display_name"],
            unit=data["unit"],
            password=data["password"],
            phone=data["phone"],
        )
        services.grant_role(actor=self.request.user, user=account, role=data["role"], unit=data["unit"])
        return account

    def succeeded(self, account):
        messages.success(self.request, _("已创建用户 %(username)s") % {"username": account.username})
        return HttpResponseRedirect(reverse("core:user_detail", kwargs={"pk": account.pk}))


class UserActionView(ManagedAccountsMixin, ObjectOperationView):
    """POST-only operations on one account in scope: grant, revoke, reset password, (de)activate."""

    model = User
    action = Action.CHANGE
    operations = frozenset({"grant", "revoke", "password", "activate", "deactivate"})

    def done_url(self, account) -> str:
        return reverse("core:user_detail", kwargs={"pk": account.pk})

    def op_grant(self, request, account):
        grant = valid_form(GrantForm(request.POST, user=request.user), form_errors_message)
        services.grant_role(actor=request.user, user=account, role=grant["role"], unit=grant["unit"])
        return _("已授予角色")

    def op_revoke(self, request, account):
        grant = object_or_404(
            Grant.objects.restrict(request.user, Action.CHANGE).filter(user=account), pk=request.POST.get("grant")
        )
        services.revoke_grant(actor=request.user, grant=grant)
        return _("已撤销角色")

    def op_password(self, request, account):
        password = valid_form(PasswordResetForm(request.POST), form_errors_message)["password"]
        services.reset_password(actor=request.user, user=account, new_password=password)
        return _("密码已重置，账号已解锁")

    def op_activate(self, request, account):
        services.set_user_active(actor=request.user, user=account, active=True)
        return _("账号已启用")

    def op_deactivate(self, request, account):
        services.set_user_active(actor=request.user, user=account, active=False)
        return _("账号已停用")


def _add_errors(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, errors in error.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, error.messages)


# ---------------------------------------------------------------- background jobs


class JobListView(ExportMixin, ScopedListView):
    model = Job
    template_name = "core/job_list.html"
    export_key, export_title, export_model = "jobs", "后台任务", "core.job"

    table_empty = _lazy("暂无后台任务")

    def list_columns(self):
        return tables.job_columns()

    def filter_queryset(self, queryset):
        return queryset.select_related("created_by", "unit")


class JobDetailView(ScopedDetailView):
    model = Job
    slug_field = slug_url_kwarg = "uuid"
    context_object_name = "job"

    def capability_held(self, user) -> bool:
        # Everyone follows their own jobs (an export's progress); jobs.view adds the others' in scope.
        return True

    def get_template_names(self):
        # The same view answers the page and the fragment htmx polls every second.
        return ["core/_job_progress.html"] if self.request.headers.get("HX-Request") else ["core/job_detail.html"]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["progress"] = read_progress(self.object)
        context["finished"] = self.object.status not in {JobStatus.QUEUED, JobStatus.RUNNING}
        return context


# ---------------------------------------------------------------- audit


class ChangeRecordListView(ExportMixin, ScopedListView):
    model = ChangeRecord
    audited_model = "core.changerecord"
    filterset_class = ChangeRecordFilterSet
    template_name = "core/change_list.html"
    export_key, export_title, export_model = "changes", "变更记录", "core.changerecord"

    table_empty = _lazy("暂无记录")
    table_testid = "change-table"

    def list_columns(self):
        return tables.change_columns()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("actor", "unit__parent"))


class AccessRecordListView(ExportMixin, ScopedListView):
    model = AccessRecord
    audited_model = "core.accessrecord"
    filterset_class = AccessRecordFilterSet
    template_name = "core/access_list.html"
    export_key, export_title, export_model = "accesses", "访问记录", "core.accessrecord"

    table_empty = _lazy("暂无记录")
    table_row_testid = "access-row"

    def list_columns(self):
        return tables.access_columns()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("actor", "unit__parent"))


class NotificationListView(ExportMixin, ScopedListView):
    """Messages to the units the user works in (report reminders, alerts), newest first; read them all at once."""

    model = Notification
    template_name = "core/notification_list.html"
    export_key, export_title, export_model = "notifications", "通知", "core.notification"

    def export_columns(self):
        return tables.notification_columns()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).filter(unit_id__in=self.user.grants.values("unit_id"))

    def post(self, request, *args, **kwargs):
        self.get_queryset().filter(read_at__isnull=True).update(read_at=timezone.now())
        return HttpResponseRedirect(reverse("core:notifications"))


class JobFileView(ScopedObjectMixin, View):
    """The file a job wrote (an export, an upload's problems), for the person who ran it: it was written with
    their rights. Anyone may have files of their own (a lab's result problems), so no capability is needed
    beyond being the job's creator."""

    model = Job
    lookup_field = lookup_url_kwarg = "uuid"

    def capability_held(self, user) -> bool:
        return True

    def get(self, request, uuid):
        from fangxian.core.exporting import export_path

        job = self.get_object()
        path = export_path(job)
        if job.created_by_id != request.user.pk or job.status != JobStatus.DONE or not path.exists():
            raise Http404(_("文件不存在或不属于您"))
        record_access(
            actor=request.user, kind=AccessKind.EXPORT, unit=job.unit, model=job.kind, detail={"job": str(job.uuid)}
        )
        return xlsx_response(filename=job.title, content=path.read_bytes())
