import datetime
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView, View

from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, Action, UnitLevel
from fangxian.core.exporting import ExportMixin
from fangxian.core.exports import Column, xlsx_bytes, xlsx_response
from fangxian.core.models import Unit
from fangxian.core.scoping import user_can
from fangxian.core.views import (
    CapabilityRequiredMixin,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    object_or_404,
)
from fangxian.reports import briefings, services, tables
from fangxian.reports.choices import BRIEFING_TEXTS, FILING_COLOURS, BriefingStatus, FieldKind, Filing
from fangxian.reports.documents import TOWNSHIP_COLUMNS
from fangxian.reports.forms import FieldRowFormSet, ReportFormForm
from fangxian.reports.models import Briefing, ReportForm


def _day(request) -> datetime.date:
    try:
        day = datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()
    return min(day, timezone.localdate())


def _chosen_form(request, forms) -> ReportForm | None:
    wanted = request.GET.get("form") or request.POST.get("form")
    if wanted:
        try:
            return forms.get(uuid=wanted)
        except (ReportForm.DoesNotExist, ValidationError):
            raise Http404(_("报表不存在")) from None
    return forms.first()


def _log_export(user, form: ReportForm, written: int) -> None:
    record_access(
        actor=user,
        kind=AccessKind.EXPORT,
        unit=form.district,
        model="reports.report",
        detail={"rows": written, "form": str(form.uuid)},
    )


class BoardView(ScopedListView):
    action = Capability.REPORTS_VIEW
    """报送情况: every reporting unit in the user's scope, with its standing for the day (green: filed on time)."""

    model = Unit
    template_name = "reports/board.html"
    paginate_by = 100

    def get(self, request, *args, **kwargs):
        self.forms = services.forms_for(request.user)
        self.form = _chosen_form(request, self.forms)
        self.day = _day(request)
        if request.GET.get("export") and self.form is not None:
            return self.export()
        return super().get(request, *args, **kwargs)

    def filter_queryset(self, queryset):
        if self.form is None:
            return queryset.none()
        return super().filter_queryset(queryset).filter(pk__in=services.reporting_units(self.form)).order_by("code")

    def standings(self, units):
        return services.completeness(form=self.form, day=self.day, units=units)

    def export(self):
        exportable = Unit.objects.restrict(self.user, Capability.EXPORT).values("pk")
        rows = self.standings(self.get_queryset().filter(pk__in=exportable))
        if not rows:
            raise PermissionDenied(_("没有可导出的单位（需要导出权限）"))
        labels = dict(Filing.choices)
        columns = [
            Column(_("单位"), lambda row: row.unit.name),
            Column(_("代码"), lambda row: row.unit.code),
            Column(_("报送情况"), lambda row: str(labels[row.filing])),
            Column(_("零报告"), lambda row: _("是") if row.report and row.report.is_zero else ""),
            Column(
                _("报送时间"),
                lambda row: f"{timezone.localtime(row.report.filed_at):%Y-%m-%d %H:%M}" if row.report else "",
            ),
            Column(_("填报人"), lambda row: str(row.report.filed_by) if row.report else ""),
            *[
                Column(field.label, lambda row, key=field.key: row.report.values.get(key, "") if row.report else "")
                for field in self.form.fields.all()
            ],
        ]
        content, written = xlsx_bytes(title=_("报送情况"), columns=columns, rows=rows)
        _log_export(self.user, self.form, written)
        return xlsx_response(filename=f"{self.form.name}-{self.day:%Y%m%d}", content=content)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(forms=self.forms, form=self.form, day=self.day, today=timezone.localdate())
        if self.form is None:
            return context
        everyone = self.standings(self.get_queryset())
        counts = Counter(row.filing for row in everyone)
        context["counts"] = [(value, label, FILING_COLOURS[value], counts[value]) for value, label in Filing.choices]
        context["rows"] = self.standings(context["object_list"])
        context["colours"] = FILING_COLOURS
        context["due"] = services.due_at(self.form, self.day)
        changeable = set(Unit.objects.restrict(self.user, Capability.REPORTS_FILE).values_list("pk", flat=True))
        context["can_file"] = changeable
        return context


class FileView(CapabilityRequiredMixin, TemplateView):
    """The unit's own page: today's forms to file, pre-filled from the live data, with a one-click zero report."""

    template_name = "reports/file.html"
    required_capability = Capability.REPORTS_FILE

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        self.forms = services.forms_for(request.user, Capability.REPORTS_FILE)
        self.day = _day(request)
        self.units = Unit.objects.restrict(request.user, Capability.REPORTS_FILE).filter(is_active=True)
        self.form = self.unit = None
        code = request.GET.get("unit") or request.POST.get("unit")
        if code:
            self.form = _chosen_form(request, self.forms)
            self.unit = self.units.filter(code=code).first()
            if self.form is None or self.unit is None or self.unit.level not in self.form.levels:
                raise Http404(_("该单位不在您的管辖范围内或不需要报送此报表"))
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["day"] = self.day
        if self.unit is None:
            # Everything the user's units must file today, most urgent first.
            pending = []
            for form in self.forms:
                mine = self.units.filter(pk__in=services.reporting_units(form)).order_by("code")[:200]
                for row in services.completeness(form=form, day=self.day, units=mine):
                    pending.append((form, row))
            order = {Filing.MISSING: 0, Filing.DUE: 1, Filing.LATE: 2, Filing.ON_TIME: 3}
            context["pending"] = sorted(pending, key=lambda item: (order[item[1].filing], item[1].unit.code))
            context["colours"] = FILING_COLOURS
            return context
        report = self.form.reports.filter(unit=self.unit, day=self.day).first()
        live = services.prefill(form=self.form, unit=self.unit, day=self.day)
        given = kwargs.get("given") or (report.values if report else live)
        context.update(
            form=self.form,
            unit=self.unit,
            report=report,
            errors=kwargs.get("errors", {}),
            fields=[
                {
                    "field": field,
                    "value": given.get(field.key, ""),
                    "live": live.get(field.key),
                    "choice": field.kind == FieldKind.CHOICE,
                    "text": field.kind == FieldKind.TEXT,
                }
                for field in self.form.fields.all()
            ],
            due=services.due_at(self.form, self.day),
        )
        return context

    def post(self, request, *args, **kwargs):
        if self.unit is None:
            raise Http404
        zero = request.POST.get("zero") == "1"
        values = {field.key: request.POST.get(field.key, "") for field in self.form.fields.all()}
        try:
            with transaction.atomic():
                report = services.file_report(
                    actor=request.user, form=self.form, unit=self.unit, day=self.day, values=values, zero=zero
                )
        except ValidationError as error:
            errors = error.message_dict if hasattr(error, "error_dict") else {"": error.messages}
            messages.error(request, _("未能报送，请按提示修改"))
            return self.render_to_response(self.get_context_data(given=values, errors=errors), status=400)
        if report.is_zero:
            messages.success(request, _("%(unit)s 已零报告") % {"unit": self.unit.name})
        else:
            messages.success(request, _("%(unit)s 已报送") % {"unit": self.unit.name})
        url = reverse("reports:board")
        return HttpResponseRedirect(f"{url}?form={self.form.uuid}&day={self.day.isoformat()}")


class FormListView(ExportMixin, ScopedListView):
    model = ReportForm
    template_name = "reports/form_list.html"
    export_key, export_title, export_model = "report_forms", "报表设置", "reports.reportform"
    export_within_scope = False  # the district's forms, shown to every unit that files them

    def export_columns(self):
        return tables.form_columns()

    def get_queryset(self):
        return services.forms_for(self.user).prefetch_related("fields")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_create"] = (
            Unit.objects.restrict(self.user, Capability.REPORT_FORMS_MANAGE).filter(level=UnitLevel.DISTRICT).exists()
        )
        return context


class FormCreateView(CapabilityRequiredMixin, TemplateView):
    template_name = "reports/form_create.html"
    required_capability = Capability.REPORT_FORMS_MANAGE

    def districts(self):
        return Unit.objects.restrict(self.request.user, Capability.REPORT_FORMS_MANAGE).filter(level=UnitLevel.DISTRICT)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ReportFormForm())
        context.setdefault("rows", FieldRowFormSet(prefix="field"))
        return context

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not self.districts().exists():
            raise Http404(_("只有区/县指挥部可以设置报表"))
        return super().dispatch(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        form, rows = ReportFormForm(request.POST), FieldRowFormSet(request.POST, prefix="field")
        if form.is_valid() and rows.is_valid():
            specs = [spec for i, row in enumerate(rows) if (spec := row.spec(i)) is not None]
            try:
                with transaction.atomic():
                    created = services.create_form(
                        actor=request.user,
                        district=self.districts().first(),
                        name=form.cleaned_data["name"],
                        due_time=form.cleaned_data["due_time"],
                        levels=form.cleaned_data["levels"],
                        fields=specs,
                    )
            except ValidationError as error:
                for message in error.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("已设置报表“%(name)s”") % {"name": created.name})
                return HttpResponseRedirect(reverse("reports:board") + f"?form={created.uuid}")
        return self.render_to_response(self.get_context_data(form=form, rows=rows), status=400)


class MonthlyView(BoardView):
    """A month of filings per unit: days on time, late, missing; best first."""

    template_name = "reports/monthly.html"

    def get(self, request, *args, **kwargs):
        today = timezone.localdate()
        try:
            year, month = (int(part) for part in request.GET.get("month", "").split("-"))
            datetime.date(year, month, 1)
        except (ValueError, OverflowError):
            year, month = today.year, today.month
        self.month = (year, month)
        return super().get(request, *args, **kwargs)

    def export(self):
        rows = services.monthly_record(
            form=self.form,
            year=self.month[0],
            month=self.month[1],
            units=self.filter_queryset(self.get_queryset()).filter(
                pk__in=Unit.objects.restrict(self.request.user, Capability.EXPORT).values("pk")
            ),
        )
        if not rows:
            raise PermissionDenied(_("没有可导出的单位（需要导出权限）"))
        content, written = xlsx_bytes(title=_("月度报送统计"), columns=tables.monthly_columns(), rows=rows)
        _log_export(self.request.user, self.form, written)
        return xlsx_response(filename=f"{self.form.name}-{self.month[0]}年{self.month[1]}月", content=content)

    def get_context_data(self, **kwargs):
        context = super(BoardView, self).get_context_data(**kwargs)
        context.update(forms=self.forms, form=self.form, month=datetime.date(*self.month, 1))
        if self.form is not None:
            units = self.filter_queryset(self.get_queryset())
            context["rows"] = services.monthly_record(
                form=self.form, year=self.month[0], month=self.month[1], units=units
            )
        return context


# ---------------------------------------------------------------- the daily briefing


class BriefingListView(ExportMixin, ScopedListView):
    model = Briefing
    template_name = "reports/briefing_list.html"
    export_key, export_title, export_model = "briefings", "防控日报", "reports.briefing"

    def export_columns(self):
        return tables.briefing_columns()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset).select_related("district", "issued_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["districts"] = Unit.objects.restrict(self.user, Capability.BRIEFINGS_WRITE).filter(
            level=UnitLevel.DISTRICT
        )
        return context


class BriefingDraftView(CapabilityRequiredMixin, View):
    """Draft today's briefing now (or refresh its figures), for a district the user may change."""

    http_method_names = ["post"]
    required_capability = Capability.BRIEFINGS_WRITE

    def post(self, request):
        districts = Unit.objects.restrict(request.user, Capability.BRIEFINGS_WRITE).filter(level=UnitLevel.DISTRICT)
        district = object_or_404(districts, code=request.POST.get("district", ""))
        try:
            with transaction.atomic():
                briefing = briefings.draft_briefing(actor=request.user, district=district)
        except ValidationError as error:
            messages.error(request, "；".join(error.messages))
            return HttpResponseRedirect(reverse("reports:briefings"))
        messages.success(request, _("已按最新数据生成日报草稿"))
        return HttpResponseRedirect(reverse("reports:briefing", kwargs={"uuid": briefing.uuid}))


class BriefingDetailView(ScopedDetailView):
    model = Briefing
    slug_field = slug_url_kwarg = "uuid"
    template_name = "reports/briefing_detail.html"
    context_object_name = "briefing"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        briefing = self.object
        context["can_change"] = briefing.status == BriefingStatus.DRAFT and user_can(
            self.request.user, Action.CHANGE, briefing.district, model=Briefing
        )
        context["texts"] = [(key, label, briefing.texts.get(key, "")) for key, label in BRIEFING_TEXTS.items()]
        context["columns"] = TOWNSHIP_COLUMNS
        return context


class BriefingActionView(ObjectOperationView):
    """Save the edited texts, or issue the briefing (then it is kept as sent)."""

    model = Briefing
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"edit", "issue"})

    def op_edit(self, request, briefing):
        texts = {key: request.POST.get(key, "") for key in BRIEFING_TEXTS}
        briefings.edit_briefing(actor=request.user, briefing=briefing, texts=texts)
        return _("已保存")

    def op_issue(self, request, briefing):
        briefings.issue_briefing(actor=request.user, briefing=briefing)
        return _("已印发，可下载 Word 与 Excel")

    def done_url(self, briefing):
        return reverse("reports:briefing", kwargs={"uuid": briefing.uuid})


class BriefingFileView(ScopedObjectMixin, View):
    """The briefing as .docx or .xlsx: the issued files as sent, or a preview of a draft."""

    model = Briefing
    lookup_field = lookup_url_kwarg = "uuid"

    def get(self, request, uuid, kind):
        from fangxian.reports import documents

        briefing = self.get_object()
        if kind not in {"docx", "xlsx"}:
            raise Http404
        stored = briefing.docx_path if kind == "docx" else briefing.xlsx_path
        if stored and Path(stored).exists():
            content = Path(stored).read_bytes()
        else:
            content = documents.build_docx(briefing) if kind == "docx" else documents.build_xlsx(briefing)
        types = {
            "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
        response = HttpResponse(content, content_type=types[kind])
        name = f"{briefing.district.name}疫情防控日报-第{briefing.number}期-{briefing.day:%Y%m%d}.{kind}"
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
        return response
