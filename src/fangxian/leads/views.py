import datetime
from operator import itemgetter
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Min
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import View

from fangxian.core.audit import record_access
from fangxian.core.capabilities import UNDO_WINDOW_HOURS, Capability, required_for
from fangxian.core.choices import AccessKind, Action, JobStatus
from fangxian.core.exporting import ExportMixin
from fangxian.core.exports import Column, xlsx_annotated, xlsx_bytes, xlsx_response, xlsx_sheets
from fangxian.core.jobs import read_progress, start_job
from fangxian.core.masking import mask_numbers_in_text
from fangxian.core.models import Job
from fangxian.core.scoping import holds, scope_unit_ids, user_can
from fangxian.core.tabular import TableReadError, cell_text, read_rows, spool_upload
from fangxian.core.views import (
    CapabilityRequiredMixin,
    ObjectActionView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    form_errors_message,
    object_or_404,
    safe_next,
    valid_form,
)
from fangxian.leads import intake, services
from fangxian.leads.choices import BatchStatus, LeadStatus, Outcome
from fangxian.leads.filtersets import LeadFilterSet
from fangxian.leads.forms import HandoverForm, MappingForm, RiskAreaForm, UploadForm, VerifyForm
from fangxian.leads.jobs import IMPORT_JOB
from fangxian.leads.models import ImportBatch, Lead, RiskArea
from fangxian.leads.tables import batch_columns, feedback_columns, lead_columns, overdue_columns, riskarea_columns

ERRORS_SHOWN = 500


class LeadListView(ExportMixin, ScopedListView):
    model = Lead
    filterset_class = LeadFilterSet
    template_name = "leads/lead_list.html"
    audited_model = "leads.lead"
    export_key, export_title, export_model = "leads", "协查任务", "leads.lead"
    table_empty = _lazy("没有符合条件的协查任务")
    table_testid = "lead-table"

    def list_columns(self):
        return lead_columns(timezone.now(), choosable=holds(self.user, Capability.LEADS_ASSIGN))

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("person", "unit__parent", "escalated_to"))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["now"] = timezone.now()
        context["handover_form"] = HandoverForm(user=self.user)
        return context


class OverdueBoardView(ExportMixin, ScopedListView):
    """失管漏管: every open lead past its deadline, oldest first, with counts per responsible unit."""

    model = Lead
    audited_model = "leads.lead"
    template_name = "leads/overdue_board.html"
    export_key, export_title, export_model = "overdue", "失管漏管", "leads.lead"

    def export_columns(self):
        return overdue_columns()

    def filter_queryset(self, queryset):
        return (
            services.overdue(queryset)
            .select_related("person", "unit__parent", "escalated_to")
            .order_by("deadline", "id")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        by_unit = (
            self.get_queryset()
            .order_by()
            .values("unit__name", "unit__code")
            .annotate(n=Count("id"), oldest=Min("deadline"))
        )
        context["by_unit"] = sorted(by_unit, key=lambda row: row["oldest"])
        context["now"] = timezone.now()
        return context


class LeadDetailView(ScopedDetailView):
    model = Lead
    slug_field = slug_url_kwarg = "uuid"
    template_name = "leads/lead_detail.html"
    context_object_name = "lead"

    def get_queryset(self):
        return super().get_queryset().select_related("person", "unit", "batch", "verified_by")

    def get_object(self, queryset=None):
        lead = super().get_object(queryset)
        record_access(actor=self.request.user, kind=AccessKind.DETAIL, unit=lead.unit, instance=lead)
        return lead

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.object
        # The pushed row holds the full ID and phone as the city sent them: listed here masked like everywhere.
        context["pushed"] = [(key, mask_numbers_in_text(str(value))) for key, value in lead.pushed_data.items()]
        handovers = list(lead.handovers.select_related("from_unit__parent", "to_unit__parent", "by"))
        context["handovers"] = handovers
        latest = handovers[-1] if handovers else None
        # The latest hand-over, made within a day, may be taken back by the district (actions.undo).
        context["undoable"] = (
            latest
            if latest is not None
            and latest.from_unit_id is not None
            and lead.status == LeadStatus.OPEN
            and timezone.now() - latest.at < datetime.timedelta(hours=UNDO_WINDOW_HOURS)
            and user_can(self.request.user, Capability.UNDO, lead.unit)
            else None
        )
        context["first_unit"] = handovers[0].from_unit if handovers else lead.unit
        can_change = user_can(self.request.user, Action.CHANGE, lead.unit, model=Lead)
        context["can_change"] = can_change and lead.status == LeadStatus.OPEN
        context["verify_form"] = VerifyForm(initial={"current_address": lead.person.address})
        context["handover_form"] = HandoverForm(user=self.request.user)
        context["now"] = timezone.now()
        context["overdue"] = lead.is_overdue(context["now"])
        context["measures"] = list(lead.measures.all())
        context["can_place"] = (
            lead.outcome == Outcome.PLACED_UNDER_MEASURE
            and not context["measures"]
            and user_can(self.request.user, Capability.MEASURES_CHANGE, lead.unit)
        )
        context["can_hand_over"] = lead.status == LeadStatus.OPEN and user_can(
            self.request.user, Capability.LEADS_ASSIGN, lead.unit
        )
        return context


class LeadVerifyView(ObjectActionView):
    model = Lead
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"

    def perform(self, request, lead):
        data = valid_form(VerifyForm(request.POST), form_errors_message)
        services.verify_lead(
            actor=request.user,
            lead=lead,
            outcome=data["outcome"],
            note=data["outcome_note"],
            current_address=data["current_address"],
        )
        return _("核查结果已保存，任务已办结")

    def done_url(self, lead):
        # "Found, to be placed under a measure" is half the loop: who may place goes straight on to it.
        lead.refresh_from_db(fields=["outcome"])
        if (
            lead.outcome == Outcome.PLACED_UNDER_MEASURE
            and not lead.measures.exists()
            and user_can(self.request.user, Capability.MEASURES_CHANGE, lead.unit)
        ):
            return reverse("control:place", kwargs={"uuid": lead.uuid})
        return reverse("leads:detail", kwargs={"uuid": lead.uuid})


class LeadUndoHandoverView(ObjectActionView):
    """The district takes back the lead's latest hand-over, made by mistake within a day."""

    model = Lead
    action = Capability.UNDO
    lookup_field = lookup_url_kwarg = "uuid"

    def perform(self, request, lead):
        handover = object_or_404(lead.handovers.all(), pk=request.POST.get("handover", ""))
        back = services.undo_handover(actor=request.user, handover=handover)
        return _("已撤销转办，任务退回%(unit)s") % {"unit": back.to_unit.label}

    def done_url(self, lead):
        return reverse("leads:detail", kwargs={"uuid": lead.uuid})


class LeadHandoverView(CapabilityRequiredMixin, View):
    """Hand one or many leads (chosen on the list or the detail page) to another unit in scope."""

    required_capability = Capability.LEADS_ASSIGN
    http_method_names = ["post"]

    def post(self, request):
        form = HandoverForm(request.POST, user=request.user)
        uuids = set()
        for raw in request.POST.getlist("lead")[:5000]:
            try:
                uuids.add(UUID(raw))
            except ValueError:
                raise Http404 from None
        back = safe_next(request, request.POST.get("next"), reverse("leads:list"))
        if not form.is_valid() or not uuids:
            messages.error(request, _("请选择任务和要分派的单位"))
            return HttpResponseRedirect(back)
        leads = list(Lead.objects.restrict(request.user, Capability.LEADS_ASSIGN).filter(uuid__in=uuids))
        if len(leads) != len(uuids):
            raise PermissionDenied(_("部分任务不在您的管辖范围内"))
        try:
            with transaction.atomic():
                moved = services.hand_over(
                    actor=request.user,
                    leads=leads,
                    to_unit=form.cleaned_data["to_unit"],
                    note=form.cleaned_data["note"],
                )
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return HttpResponseRedirect(back)
        messages.success(request, _("已分派 %(count)s 条任务") % {"count": moved})
        return HttpResponseRedirect(back)


# ---------------------------------------------------------------- pushed lists


class BatchListView(ExportMixin, ScopedListView):
    model = ImportBatch
    template_name = "leads/batch_list.html"
    export_key, export_title, export_model = "batches", "推送名单", "leads.importbatch"
    table_empty = _lazy("还没有导入过推送名单")

    def list_columns(self):
        return batch_columns()

    def filter_queryset(self, queryset):
        return queryset.select_related("uploaded_by", "district")


class ImportTemplateView(CapabilityRequiredMixin, View):
    """The pushed-list layout as an empty workbook: the columns the intake reads (two required), and a sheet
    saying what goes in each. Any layout with those headers is read too; this one is for units with none."""

    required_capability = Capability.LEADS_IMPORT
    GUIDE = {
        "name": "必填",
        "doc_number": "必填；身份证号 18 位（末位可为 X），护照等其他证件照原样填写",
        "doc_type": "可空，空为居民身份证；其他如 护照、港澳居民来往内地通行证",
        "phone": "手机 11 位或带区号的固定电话",
        "address": "现住址，尽量到门牌号",
        "category": "如 密切接触者、次密切接触者、中高风险区来返；可空（按导入时选择的默认类别）",
        "risk_area": "所涉风险地区",
        "left_at": "离开风险地区时间，如 2022-11-20 08:00",
        "note": "其他说明",
    }

    def get(self, request):
        fields = list(intake.FIELD_LABELS)
        content, _count = xlsx_sheets(
            [
                ("推送名单", [Column(intake.FIELD_LABELS[name], lambda row: "", 18) for name in fields], []),
                (
                    "填写说明",
                    [Column("列名", itemgetter(0), 18), Column("填写要求", itemgetter(1), 70)],
                    [(intake.FIELD_LABELS[name], self.GUIDE[name]) for name in fields],
                ),
            ]
        )
        return xlsx_response(filename="推送名单导入模板", content=content)


class BatchUploadView(CapabilityRequiredMixin, ServiceFormView):
    required_capability = Capability.LEADS_IMPORT

    template_name = "leads/batch_upload.html"
    form_class = UploadForm

    def perform(self, data):
        upload = data["file"]
        try:
            with spool_upload(upload) as path:
                batch, _plan = services.stage_batch(
                    actor=self.request.user,
                    district=data["district"],
                    path=path,
                    file_name=upload.name,
                    source=data["source"],
                    pusher=data["pusher"].strip(),
                    default_category=data["default_category"],
                )
        except TableReadError as error:
            raise ValidationError({"file": str(error)}) from error
        return batch

    def succeeded(self, batch):
        return HttpResponseRedirect(reverse("leads:batch", kwargs={"uuid": batch.uuid}))


class BatchDetailView(ScopedDetailView):
    model = ImportBatch
    slug_field = slug_url_kwarg = "uuid"
    template_name = "leads/batch_detail.html"
    context_object_name = "batch"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        batch = self.object
        context["errors"] = batch.errors[:ERRORS_SHOWN]
        context["more_errors"] = max(0, len(batch.errors) - ERRORS_SHOWN)
        context["previous"] = services.previous_import(batch) if batch.status != BatchStatus.COMMITTED else None
        job = context["job"] = import_job_of(batch)
        running = job is not None and job.status in {JobStatus.QUEUED, JobStatus.RUNNING}
        context["finished"] = not running
        context["progress"] = read_progress(job) if job is not None else {}
        context["can_download"] = user_can(
            self.request.user, Action.EXPORT, batch.district, model=ImportBatch
        ) and user_can(self.request.user, Action.REVEAL, batch.district, model=ImportBatch)
        context["can_correct"] = user_can(self.request.user, Action.CHANGE, batch.district, model=ImportBatch)
        context["can_commit"] = (
            batch.status == BatchStatus.VALIDATED
            and bool(batch.mapping)
            and not running
            and user_can(self.request.user, Action.CHANGE, batch.district, model=ImportBatch)
        )
        columns = batch.mapping.get("columns", {}) if batch.mapping else {}
        # In the file's column order: "its header → the field it fills", both in words the officer uses.
        context["mapping"] = [
            (intake.FIELD_LABELS.get(field, field), batch.mapping["headers"][index])
            for field, index in sorted(columns.items(), key=lambda item: item[1])
        ]
        return context


class BatchMappingView(ScopedObjectMixin, ServiceFormView):
    """Correct the header row and the column of each field, then check the whole file again."""

    model = ImportBatch
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"
    template_name = "leads/batch_mapping.html"
    form_class = MappingForm

    @cached_property
    def batch(self) -> ImportBatch:
        return self.get_object()

    @cached_property
    def rows(self) -> list[list[str]]:
        try:
            return read_rows(self.batch.stored_path)[: intake.HEADER_SEARCH_ROWS + 5]
        except (TableReadError, OSError):
            return []

    def header_index(self) -> int:
        raw = self.request.POST.get("header_row") or self.batch.header_row + 1
        try:
            return max(0, min(int(raw) - 1, len(self.rows) - 1))
        except (TypeError, ValueError):
            return self.batch.header_row

    def get_initial(self):
        columns = self.batch.mapping.get("columns", {}) if self.batch.mapping else {}
        return {"header_row": self.batch.header_row + 1, **{name: str(index) for name, index in columns.items()}}

    def get_context_data(self, **kwargs):
        return super().get_context_data(batch=self.batch, preview=self.rows[:12], **kwargs)

    def form_arguments(self):
        return {"headers": [cell_text(cell) for cell in self.rows[self.header_index()]] if self.rows else []}

    def form_valid(self, form):
        self.mapping = form.mapping()
        return super().form_valid(form)

    def perform(self, data):
        try:
            services.remap_batch(
                actor=self.request.user, batch=self.batch, header_row=data["header_row"] - 1, columns=self.mapping
            )
        except TableReadError as error:
            raise ValidationError(str(error)) from error
        return self.batch

    def succeeded(self, batch):
        messages.success(self.request, _("已按新的列对应重新校验"))
        return HttpResponseRedirect(reverse("leads:batch", kwargs={"uuid": batch.uuid}))


class BatchCommitView(ObjectActionView):
    """Starts phase two as a background job; the batch page follows its progress."""

    model = ImportBatch
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"

    def perform(self, request, batch):
        if batch.status != BatchStatus.VALIDATED or import_job_of(batch, active=True) is not None:
            messages.info(request, _("该名单已导入或正在导入"))
            return None
        start_job(
            actor=request.user,
            kind=IMPORT_JOB,
            title=_("导入推送名单：%(name)s") % {"name": batch.file_name},
            unit=batch.district,
            result_url=self.done_url(batch),
            arguments={"batch": batch.pk, "valid_only": request.POST.get("valid_only") == "1"},
        )
        messages.info(request, _("已开始导入，可离开本页，稍后在“后台任务”中查看"))
        return None

    def done_url(self, batch):
        return reverse("leads:batch", kwargs={"uuid": batch.uuid})


def import_job_of(batch: ImportBatch, *, active: bool = False):
    jobs = Job.objects.filter(kind=IMPORT_JOB, arguments__batch=batch.pk)
    if active:
        jobs = jobs.filter(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
    return jobs.order_by("-created_at").first()


def require_full_numbers(user, batch: ImportBatch) -> None:
    """Files that carry the pushed rows in full (IDs, phones) go only to users who may also reveal them."""
    if not user_can(user, Action.REVEAL, batch.district, model=ImportBatch):
        raise PermissionDenied(_("该文件含完整证件号码，需有查看完整信息的权限"))


class BatchErrorFileView(ScopedObjectMixin, View):
    """The file back as the user sent it, with an added column saying what is wrong on each row."""

    model = ImportBatch
    action = Action.EXPORT
    lookup_field = lookup_url_kwarg = "uuid"

    def get(self, request, uuid):
        batch = self.get_object()
        require_full_numbers(request.user, batch)
        try:
            rows = read_rows(batch.stored_path)
        except (TableReadError, OSError) as error:
            messages.error(request, str(error))
            return HttpResponseRedirect(reverse("leads:batch", kwargs={"uuid": batch.uuid}))
        problems: dict[int, list[str]] = {}
        marks: set[tuple[int, int]] = set()
        headers = list((batch.mapping or {}).get("headers") or [])
        for error in batch.errors:
            problems.setdefault(error["row"], []).append(
                f"[{error['column']}] {error['message']}" if error["column"] else error["message"]
            )
            if error["column"] in headers:  # the bad cell itself, by its column's header
                marks.add((error["row"], headers.index(error["column"])))
        content = xlsx_annotated(
            title="错误标注",
            rows=rows,
            notes={number: "；".join(messages) for number, messages in problems.items()},
            marks=marks,
            note_title="错误说明",
        )
        record_access(
            actor=request.user, kind=AccessKind.EXPORT, unit=batch.district, instance=batch, detail={"file": "errors"}
        )
        return xlsx_response(filename=f"错误标注-{batch.file_name.rsplit('.', 1)[0]}", content=content)


class BatchFeedbackView(ScopedObjectMixin, View):
    """回传: the pusher's rows with what the verification found, for sending back up."""

    model = ImportBatch
    action = Action.EXPORT
    lookup_field = lookup_url_kwarg = "uuid"

    def get(self, request, uuid):
        batch = self.get_object()
        require_full_numbers(request.user, batch)
        leads = batch.leads.select_related("unit").order_by("row_number", "id")
        headers = batch.mapping.get("headers", []) if batch.mapping else []
        content, count = xlsx_bytes(title="核查反馈", columns=feedback_columns(headers), rows=leads.iterator(2000))
        record_access(
            actor=request.user,
            kind=AccessKind.EXPORT,
            unit=batch.district,
            instance=batch,
            detail={"file": "feedback", "rows": count},
        )
        return xlsx_response(filename=f"核查反馈-{batch.file_name.rsplit('.', 1)[0]}", content=content)


# ---------------------------------------------------------------- risk areas


class RiskAreaListView(ExportMixin, ScopedListView):
    model = RiskArea
    template_name = "leads/riskarea_list.html"
    export_key, export_title, export_model = "riskareas", "风险区", "leads.riskarea"
    table_empty = _lazy("尚未登记风险区")

    def list_columns(self):
        return riskarea_columns()


class RiskAreaCreateView(CapabilityRequiredMixin, ServiceFormView):
    required_capability = Capability.RISK_AREAS_MANAGE

    template_name = "leads/riskarea_form.html"
    form_class = RiskAreaForm

    def perform(self, data):
        return services.create_risk_area(actor=self.request.user, **data)

    def succeeded(self, area):
        messages.success(self.request, _("已登记风险区，下方列出行程与其相交的人员"))
        return HttpResponseRedirect(reverse("leads:riskarea", kwargs={"uuid": area.uuid}))


class RiskAreaDetailView(ScopedDetailView):
    model = RiskArea
    slug_field = slug_url_kwarg = "uuid"
    template_name = "leads/riskarea_detail.html"
    context_object_name = "area"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = services.exposed_persons(self.object)
        user = self.request.user
        visible = None if user.is_superuser else set(scope_unit_ids(user, required_for(Lead, Action.VIEW)))
        context["rows"] = [row for row in rows if visible is None or row["unit"].pk in visible]
        context["to_create"] = sum(1 for row in context["rows"] if not row["has_open_lead"])
        context["window"] = services.risk_window(self.object)
        context["can_create"] = user_can(self.request.user, Action.CHANGE, self.object.district, model=RiskArea)
        return context


class RiskAreaLeadsView(ObjectActionView):
    model = RiskArea
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"

    def perform(self, request, area):
        created = services.create_leads_for_area(actor=request.user, area=area)
        return _("已为 %(count)s 人生成协查任务") % {"count": created}

    def done_url(self, area):
        return reverse("leads:riskarea", kwargs={"uuid": area.uuid})
