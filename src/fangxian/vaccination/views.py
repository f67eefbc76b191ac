import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Prefetch
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import TERRITORIAL_LEVELS, AccessKind, JobStatus, UnitLevel
from fangxian.core.exporting import ExportMixin, keep_problems
from fangxian.core.exports import Column, xlsx_bytes, xlsx_response
from fangxian.core.jobs import start_job
from fangxian.core.models import Job, Unit, scope_root_units
from fangxian.core.scoping import can_row, holds, scope_unit_ids
from fangxian.core.tabular import TableReadError, read_rows, spool_upload
from fangxian.core.views import (
    ActionView,
    CapabilityRequiredMixin,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    error_text,
    focus_unit,
    object_or_404,
    valid_form,
)
from fangxian.people.models import Person
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import ImportStatus, Milestone, PopulationSource, Progress
from fangxian.vaccination.filtersets import RosterFilterSet
from fangxian.vaccination.forms import (
    AssignForm,
    AttemptForm,
    CommitForm,
    DoseForm,
    EndTargetForm,
    ImportForm,
    PopulationForm,
    RemoveDoseForm,
    StandingForm,
    TargetForm,
)
from fangxian.vaccination.jobs import IMPORT_JOB
from fangxian.vaccination.models import Assignment, Attempt, Dose, DoseImport, Population, Status, Target
from fangxian.vaccination.services import coverage, doses, imports, populations, roster, targets
from fangxian.vaccination.services.status import progress
from fangxian.vaccination.tables import roster_columns

ELDERLY_AND_CHILDREN = "yilao_yixiao"
STUDENTS = "students"


def _day(text: str | None) -> datetime.date:
    try:
        day = parse_date(text or "") if text else None
    except ValueError:  # 2022-02-30: well formed, no such day
        day = None
    today = timezone.localdate()
    return day if day is not None and datetime.date(2020, 7, 1) <= day <= today else today


def _top_unit(request, capability: str) -> Unit | None:
    """The unit a figures page is about: the one asked for (inside the user's scope), the focus unit, or the
    top of the user's scope."""
    code = request.GET.get("unit", "").strip()
    scoped = Unit.objects.restrict(request.user, capability).filter(is_active=True, level__in=TERRITORIAL_LEVELS)
    if code:
        found = scoped.filter(code=code).first()
        if found is not None:
            return found
    focus = focus_unit(request)
    if focus is not None and scoped.filter(pk=focus.pk).exists():
        return focus
    roots = [unit for unit in scope_root_units(request.user, capability) if unit.level in TERRITORIAL_LEVELS]
    return roots[0] if roots else None


class CoverageView(CapabilityRequiredMixin, TemplateView):
    """接种率: a unit and the units below it, by age band, against each population source and the eligible people.
    Figures only (no one by name)."""

    required_capability = Capability.VACCINATION_VIEW
    template_name = "vaccination/coverage.html"

    def get(self, request, *args, **kwargs):
        top = _top_unit(request, Capability.VACCINATION_VIEW)
        if top is None:
            raise PermissionDenied(_("您的角色不能使用此功能"))
        day = _day(request.GET.get("day"))
        children = list(
            Unit.objects.filter(parent=top, is_active=True, level__in=TERRITORIAL_LEVELS)
            .select_related("parent")
            .order_by("code")
        )
        units = [top, *children]
        view = request.GET.get("view", "")
        keys = [band.key for band in band_rules.configured()]
        if view == ELDERLY_AND_CHILDREN:
            keys = [b.key for b in band_rules.configured() if (b.high is not None and b.high <= 11) or b.low >= 60]
        elif view == STUDENTS:
            # Until schools are registered, the school view is the school ages: the bands up to 17.
            keys = [b.key for b in band_rules.configured() if b.high is not None and b.high <= 17]
        rows = coverage.table(
            units=units, scope_unit_ids=scope_unit_ids(request.user, Capability.VACCINATION_VIEW), day=day, bands=keys
        )
        if request.GET.get("export") == "xlsx":
            return self._export(top, day, rows)
        context = self.get_context_data(
            top=top,
            day=day,
            rows=rows,
            view=view,
            bands={band.key: band.label for band in band_rules.configured()},
            sources=PopulationSource.choices,
            milestones=Milestone.choices,
            unbanded=coverage.unbanded(
                scope_unit_ids=list(
                    Unit.objects.restrict(request.user, Capability.VACCINATION_VIEW)
                    .filter(path__startswith=top.path)
                    .values_list("id", flat=True)
                ),
                day=day,
            ),
            can_export=holds(request.user, Capability.EXPORT),
            parent=top.parent
            if top.parent_id
            and Unit.objects.restrict(request.user, Capability.VACCINATION_VIEW).filter(pk=top.parent_id).exists()
            else None,
        )
        return self.render_to_response(context)

    def _export(self, top, day, rows):
        if not holds(self.request.user, Capability.EXPORT):
            raise PermissionDenied(_("您的角色不能导出"))
        bands = {band.key: band.label for band in band_rules.configured()}
        columns = [
            Column("单位", lambda r: r.unit.name, 16),
            Column("年龄段", lambda r: bands.get(r.band, "合计"), 10),
            Column("登记人数", lambda r: r.counts.people, 10),
            Column("应接种人数", lambda r: r.counts.eligible, 10),
            Column("至少1剂", lambda r: r.counts.started, 10),
            Column("全程接种", lambda r: r.counts.full, 10),
            Column("加强免疫", lambda r: r.counts.boosted, 10),
            Column("到期待接种", lambda r: r.counts.due, 10),
            *[
                Column(f"{label}基数", lambda r, source=source: r.populations.get(source), 10)
                for source, label in PopulationSource.choices
            ],
            *[
                Column(f"{str(m_label)}率（{label}）", lambda r, m=m, s=source: r.rate(m, s), 12)
                for m, m_label in Milestone.choices
                for source, label in PopulationSource.choices
            ],
            *[Column(f"{str(m_label)}率（应接种）", lambda r, m=m: r.rate(m), 12) for m, m_label in Milestone.choices],
        ]
        content, _count = xlsx_bytes(title=f"{top.name}接种率", columns=columns, rows=rows)
        return xlsx_response(filename=f"{top.name}接种率_{day:%Y%m%d}.xlsx", content=content)


class RosterView(ExportMixin, ScopedListView):
    """动员名单: who in the units in view still needs a dose (none yet, or the next one due) and is not excluded;
    a name leaves it only by a dose or a recorded reason. Phone-first: the grid team works it door to door."""

    model = Person
    action = Capability.VACCINATION_VIEW
    template_name = "vaccination/roster.html"
    filterset_class = RosterFilterSet
    audited_model = "people.person"
    export_key, export_title, export_model = "vaccination-roster", "接种动员名单", "people.person"
    table_empty = _lazy("名单已清零：没有待接种人员")
    table_testid = "roster-table"
    paginate_by = 30

    def list_columns(self):
        return roster_columns(show_team=holds(self.user, Capability.TEAMS_VIEW))

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        reason = self.params.get("reason", "")
        return (
            roster.roster(
                queryset, day=timezone.localdate(), reason=reason if reason in (roster.NOT_STARTED, roster.DUE) else ""
            )
            # Only the status is joined (the roster's condition needs it); the page's 30 rows fetch the rest.
            .select_related("vaccination")
            .prefetch_related(
                "unit__parent",
                Prefetch(
                    "vaccination_attempts", queryset=Attempt.objects.order_by("-at", "-id"), to_attr="recent_attempts"
                ),
                Prefetch("roster_assignment", queryset=Assignment.objects.select_related("member__slot")),
            )
            # The oldest first (一老): they need the visit most.
            .order_by("birth_date", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_mobilise"] = holds(self.user, Capability.MOBILISE)
        return context


class PersonView(ScopedDetailView):
    """A person's vaccination: where they stand, their doses, why they are (not) to be vaccinated, the contacts
    made; and the forms of the work (a contact, a standing, a dose, who goes to them). Reading it is logged."""

    model = Person
    action = Capability.VACCINATION_VIEW
    slug_field = slug_url_kwarg = "uuid"
    template_name = "vaccination/person.html"
    context_object_name = "person"

    def get_queryset(self):
        return super().get_queryset().select_related("unit__parent")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        person = self.object
        user = self.request.user
        today = timezone.localdate()
        status = Status.objects.filter(person=person).select_related("product").first()
        stage = progress(status, today)
        band = band_rules.band_of(person.birth_date, today)
        context.update(
            status=status,
            stage=Progress(stage),
            band=band,
            doses=Dose.objects.filter(person=person).select_related("product").order_by("given_on"),
            standing=getattr(person, "eligibility", None) if hasattr(person, "eligibility") else None,
            attempts=Attempt.objects.filter(person=person).select_related("by")[:30],
            # Who in the team goes to them is for those who may see the teams (not a clerk's masked view).
            assignment=(
                getattr(person, "roster_assignment", None)
                if hasattr(person, "roster_assignment") and holds(user, Capability.TEAMS_VIEW)
                else None
            ),
            on_roster=roster.roster(Person.objects.filter(pk=person.pk), day=today).exists(),
            can_mobilise=can_row(user, Capability.MOBILISE, person),
            can_record=can_row(user, Capability.DOSES_RECORD, person),
            attempt_form=AttemptForm(),
            standing_form=StandingForm(),
            dose_form=DoseForm(),
            remove_form=RemoveDoseForm(),
            assign_form=AssignForm(user=user, unit=person.unit),
        )
        record_access(
            actor=user, kind=AccessKind.DETAIL, unit=person.unit, instance=person, detail={"vaccination": True}
        )
        return context


class PersonActionView(ObjectOperationView):
    """The work on one person: each operation's service checks its own capability (a contact, a standing and an
    assignment need vaccination.mobilise; a dose vaccination.record)."""

    model = Person
    action = Capability.VACCINATION_VIEW
    verify_action = Capability.VACCINATION_VIEW
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"attempt", "standing", "dose", "remove", "assign"})

    def done_url(self, person) -> str:
        return reverse("vaccination:person", kwargs={"uuid": person.uuid})

    def op_attempt(self, request, person):
        data = valid_form(AttemptForm(request.POST), None)
        attempt = roster.record_attempt(
            actor=request.user,
            person=person,
            channel=data["channel"],
            outcome=data["outcome"],
            reason=data["reason"],
            until=data["until"],
        )
        return _("已记录：%(outcome)s") % {"outcome": attempt.get_outcome_display()}

    def op_standing(self, request, person):
        data = valid_form(StandingForm(request.POST), None)
        roster.set_standing(
            actor=request.user,
            person=person,
            standing=data["standing"],
            reason=data["reason"],
            review_on=data["review_on"],
        )
        return _("接种对象状态已更新")

    def op_dose(self, request, person):
        data = valid_form(DoseForm(request.POST), None)
        dose = doses.record_dose(
            actor=request.user,
            person=person,
            kind=data["kind"],
            product=data["product"],
            given_on=data["given_on"],
            batch_number=data["batch_number"],
            site_name=data["site_name"],
            confirm_ages=data["confirm_ages"],
        )
        return _("已录入%(dose)s") % {"dose": dose}

    def op_remove(self, request, person):
        data = valid_form(RemoveDoseForm(request.POST), None)
        dose = object_or_404(Dose.objects.filter(person=person), uuid=request.POST.get("dose", ""))
        doses.remove_dose(actor=request.user, dose=dose, reason=data["reason"])
        return _("接种记录已删除")

    def op_assign(self, request, person):
        data = valid_form(AssignForm(request.POST, user=request.user, unit=person.unit), None)
        roster.assign(actor=request.user, persons=[person], member=data["member"])
        return _("已分给 %(member)s") % {"member": data["member"]}


class ImportView(CapabilityRequiredMixin, TemplateView):
    """接种记录导入, phase one: the file is read, every problem listed and nothing written."""

    required_capability = Capability.DOSES_RECORD
    template_name = "vaccination/import.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ImportForm(user=self.request.user))
        context["recent"] = DoseImport.objects.restrict(self.request.user).select_related("imported_by")[:10]
        return context

    def post(self, request, *args, **kwargs):
        form = ImportForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        roots = [
            unit for unit in scope_root_units(request.user, Capability.DOSES_RECORD) if unit.level in TERRITORIAL_LEVELS
        ]
        if not roots:
            raise PermissionDenied(_("您的角色不能导入接种记录"))
        upload = form.cleaned_data["file"]
        try:
            with spool_upload(upload) as path, transaction.atomic():
                batch, plan = imports.check_file(
                    actor=request.user,
                    path=path,
                    file_name=upload.name,
                    unit=roots[0],
                    person_unit=form.cleaned_data.get("person_unit"),
                )
                problems = [*plan.errors, *plan.conflicts, *plan.warnings]
                if problems:
                    kept = keep_problems(
                        actor=request.user,
                        title=f"{upload.name} 核对问题",
                        columns=PROBLEM_COLUMNS,
                        rows=sorted(problems, key=lambda problem: problem.row),
                    )
                    batch_problems_url = kept.result_url
                else:
                    batch_problems_url = ""
        except (TableReadError, ValidationError, PermissionDenied) as error:
            form.add_error("file", error_text(error))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        request.session[f"dose-import:{batch.uuid}"] = batch_problems_url
        return HttpResponseRedirect(batch.get_absolute_url())


PROBLEM_COLUMNS = [
    Column("行号", lambda p: p.row, 8),
    Column("列", lambda p: p.column, 12),
    Column("内容", lambda p: p.value, 24),
    Column("问题", lambda p: p.message, 60),
]


class ImportDetailView(CapabilityRequiredMixin, TemplateView):
    """Phase two: the check's figures and problems (read again from the kept file), and the commit."""

    required_capability = Capability.DOSES_RECORD
    template_name = "vaccination/import_detail.html"

    def batch(self) -> DoseImport:
        return get_object_or_404(
            DoseImport.objects.restrict(self.request.user).select_related("person_unit"), uuid=self.kwargs["uuid"]
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.batch()
        context.update(
            batch=batch,
            form=kwargs.get("form") or CommitForm(),
            problems_url=self.request.session.get(f"dose-import:{batch.uuid}", ""),
            # The same file imported before: importing it again writes nothing, and the page says so.
            earlier=DoseImport.objects.restrict(self.request.user)
            .filter(file_hash=batch.file_hash, status=ImportStatus.COMMITTED)
            .exclude(pk=batch.pk)
            .first(),
        )
        if batch.status == "checked":
            try:
                plan = imports.plan(actor=self.request.user, rows=read_rows(batch.stored_path))
            except (TableReadError, OSError) as error:
                context["refusal"] = str(error)
            else:
                context.update(
                    plan=plan,
                    errors=plan.errors[:100],
                    conflicts=plan.conflicts[:100],
                    warnings=plan.warnings[:100],
                    summary=plan.summary(),
                )
        return context

    def post(self, request, *args, **kwargs):
        batch = self.batch()
        form = CommitForm(request.POST)
        form.is_valid()
        choices = {
            "valid_only": form.cleaned_data.get("valid_only", False),
            "confirm_ages": form.cleaned_data.get("confirm_ages", False),
        }
        if batch.rows > PAGE_COMMIT_ROWS:
            return self._in_background(batch, choices)
        try:
            with transaction.atomic():
                result = imports.commit(actor=request.user, batch=batch, **choices)
        except (ValidationError, PermissionDenied, TableReadError) as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(batch.get_absolute_url())
        except OSError:
            messages.error(request, _("核对时保存的文件已不在，请重新上传"))
            return HttpResponseRedirect(batch.get_absolute_url())
        messages.success(
            request,
            _("已导入 %(doses)s 剂次（新登记 %(persons)s 人），已有 %(same)s 剂次未重复写入")
            % {"doses": len(result.doses), "persons": len(result.new_persons), "same": result.unchanged},
        )
        return HttpResponseRedirect(batch.get_absolute_url())

    def _in_background(self, batch: DoseImport, choices: dict):
        """A large file is written by the worker: the page does not hold a request open for minutes."""
        running = Job.objects.filter(
            kind=IMPORT_JOB, arguments__batch=str(batch.uuid), status__in=[JobStatus.QUEUED, JobStatus.RUNNING]
        ).exists()
        if batch.status != ImportStatus.CHECKED or running:
            messages.info(self.request, _("该文件已导入或正在导入"))
            return HttpResponseRedirect(batch.get_absolute_url())
        with transaction.atomic():
            job = start_job(
                actor=self.request.user,
                kind=IMPORT_JOB,
                title=_("导入接种记录：%(name)s") % {"name": batch.file_name},
                unit=batch.unit,
                result_url=batch.get_absolute_url(),
                arguments={"batch": str(batch.uuid), **choices},
            )
        messages.info(self.request, _("已开始导入，可离开本页，稍后在“后台任务”中查看"))
        return HttpResponseRedirect(reverse("core:job_detail", kwargs={"uuid": job.uuid}))


# A file of more rows than this is written by the worker (a few seconds' work in the request at most).
PAGE_COMMIT_ROWS = 5_000


class TargetListView(CapabilityRequiredMixin, TemplateView):
    """接种目标: the district's targets, and a new one."""

    required_capability = Capability.VACCINATION_VIEW
    template_name = "vaccination/targets.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["targets"] = Target.objects.restrict(self.request.user).select_related("district")
        context["can_set"] = holds(self.request.user, Capability.VACCINATION_TARGETS)
        context.setdefault("form", TargetForm())
        return context

    def post(self, request, *args, **kwargs):
        if not holds(request.user, Capability.VACCINATION_TARGETS):
            raise PermissionDenied(_("您的角色不能设定接种目标"))
        form = TargetForm(request.POST)
        districts = [
            unit
            for unit in scope_root_units(request.user, Capability.VACCINATION_TARGETS)
            if unit.level == UnitLevel.DISTRICT
        ]
        if form.is_valid():
            if not districts:
                form.add_error(None, _("接种目标由区/县设定"))
            else:
                try:
                    with transaction.atomic():
                        target = targets.set_target(actor=request.user, district=districts[0], **form.cleaned_data)
                        targets.issue(target=target, day=timezone.localdate())
                except ValidationError as error:
                    _add(form, error)
                except PermissionDenied as error:
                    form.add_error(None, error_text(error))
                else:
                    messages.success(request, _("目标已设定，今日任务已下达"))
                    return HttpResponseRedirect(target.get_absolute_url())
        return self.render_to_response(self.get_context_data(form=form), status=400)


def _add(form, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for field, problems in error.message_dict.items():
            form.add_error(field if field in form.fields else None, problems)
    else:
        form.add_error(None, error.messages)


class TargetView(CapabilityRequiredMixin, TemplateView):
    """A target's day (日下达、日清零): each unit's share, what it has done, yesterday's shortfall, and the units that
    missed their day. The reader sees the units of their scope."""

    required_capability = Capability.VACCINATION_VIEW
    template_name = "vaccination/target.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        target = get_object_or_404(Target.objects.restrict(user).select_related("district"), uuid=self.kwargs["uuid"])
        day = _day(self.request.GET.get("day"))
        if day < target.starts_on:
            day = target.starts_on
        lines = targets.board(target=target, day=day, unit_ids=scope_unit_ids(user, Capability.VACCINATION_VIEW))
        yesterday = day - datetime.timedelta(days=1)
        context.update(
            target=target,
            day=day,
            previous=yesterday if yesterday >= target.starts_on else None,
            following=day + datetime.timedelta(days=1) if day < min(target.due_on, timezone.localdate()) else None,
            district_line=next((line for line in lines if line.unit.level == UnitLevel.DISTRICT), None),
            townships=[line for line in lines if line.unit.level == UnitLevel.TOWNSHIP],
            communities=[line for line in lines if line.unit.level == UnitLevel.COMMUNITY],
            missed=[line for line in lines if line.shortfall_yesterday > 0 and line.unit.level != UnitLevel.DISTRICT],
            bands=", ".join(_band_label(key) for key in target.bands),
            can_end=target.is_active and can_row(user, Capability.VACCINATION_TARGETS, target),
            end_form=EndTargetForm(),
        )
        return context


def _band_label(key: str) -> str:
    """A target's band by its label; a band the settings no longer name (they changed since) by its key."""
    try:
        return band_rules.by_key(key).label
    except KeyError:
        return key


class TargetEndView(CapabilityRequiredMixin, ActionView):
    required_capability = Capability.VACCINATION_TARGETS

    def perform(self, request):
        self.target = get_object_or_404(
            Target.objects.restrict(request.user, Capability.VACCINATION_TARGETS), uuid=self.kwargs["uuid"]
        )
        data = valid_form(EndTargetForm(request.POST), None)
        targets.end_target(actor=request.user, target=self.target, reason=data["reason"])
        return _("目标已停止，不再下达每日任务")

    def done_url(self) -> str:
        return reverse("vaccination:targets") if not hasattr(self, "target") else self.target.get_absolute_url()


class PopulationView(CapabilityRequiredMixin, TemplateView):
    """人口基数: the figures recorded for the units in scope, newest first, and a new one."""

    required_capability = Capability.VACCINATION_VIEW
    template_name = "vaccination/populations.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        context["figures"] = (
            Population.objects.restrict(user)
            .select_related("unit__parent", "recorded_by")
            .order_by("-recorded_at", "-id")[:200]
        )
        context["can_record"] = holds(user, Capability.VACCINATION_TARGETS)
        if context["can_record"]:
            context.setdefault("form", PopulationForm(user=user))
        context["bands"] = {band.key: band.label for band in band_rules.configured()}
        return context

    def post(self, request, *args, **kwargs):
        if not holds(request.user, Capability.VACCINATION_TARGETS):
            raise PermissionDenied(_("您的角色不能录入人口基数"))
        form = PopulationForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    populations.record_population(actor=request.user, **form.cleaned_data)
            except ValidationError as error:
                _add(form, error)
            except PermissionDenied as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("人口基数已录入"))
                return HttpResponseRedirect(reverse("vaccination:populations"))
        return self.render_to_response(self.get_context_data(form=form), status=400)
