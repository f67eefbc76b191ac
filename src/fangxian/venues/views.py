import datetime
import uuid
from urllib.parse import quote

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views import View
from django.views.generic import FormView, TemplateView

from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind
from fangxian.core.exporting import ExportMixin
from fangxian.core.exports import xlsx_bytes, xlsx_response
from fangxian.core.scoping import can_row, holds
from fangxian.core.tabular import TableReadError, read_rows, spool_upload
from fangxian.core.views import (
    CapabilityRequiredMixin,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    error_text,
)
from fangxian.venues import services
from fangxian.venues.files import import_scan_file
from fangxian.venues.filtersets import VenueFilterSet
from fangxian.venues.forms import CoVisitForm, DoorForm, RegisterFilterForm, ScanUploadForm, VenueForm
from fangxian.venues.models import Venue, VenuePolicy
from fangxian.venues.poster import poster_pdf
from fangxian.venues.services import imports
from fangxian.venues.services.covisit import default_lookback_days
from fangxian.venues.services.registers import KINDS, notable_scans
from fangxian.venues.tables import covisit_columns, register_columns, venue_columns


class VenueListView(ExportMixin, ScopedListView):
    """场所: the venues of the user's units, by name or code, unit, category and status."""

    model = Venue
    template_name = "venues/venue_list.html"
    filterset_class = VenueFilterSet
    export_key, export_title, export_model = "venues", "场所", "venues.venue"
    table_empty = _lazy("没有登记的场所")
    table_testid = "venue-table"

    def list_columns(self):
        return venue_columns()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("category", "unit__parent"))


class VenueCreateView(CapabilityRequiredMixin, ServiceFormView):
    required_capability = Capability.VENUES_MANAGE
    template_name = "venues/venue_form.html"
    form_class = VenueForm

    def perform(self, data):
        return services.register_venue(actor=self.request.user, **data)

    def succeeded(self, venue):
        messages.success(self.request, _("已登记 %(name)s，场所码 %(code)s") % {"name": venue.name, "code": venue.code})
        return HttpResponseRedirect(reverse("venues:detail", kwargs={"uuid": venue.uuid}))


class VenueDetailView(ScopedDetailView):
    model = Venue
    slug_field = slug_url_kwarg = "uuid"
    template_name = "venues/venue_detail.html"
    context_object_name = "venue"

    def get_queryset(self):
        return super().get_queryset().select_related("category", "unit__parent", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["can_manage"] = can_row(self.request.user, Capability.VENUES_MANAGE, self.object)
        context["can_door"] = can_row(self.request.user, Capability.DOOR_CHECK, self.object)
        return context


class VenueActionView(ObjectOperationView):
    model = Venue
    action = Capability.VENUES_MANAGE
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"regenerate"})

    def done_url(self, venue) -> str:
        return reverse("venues:detail", kwargs={"uuid": venue.uuid})

    def op_regenerate(self, request, venue):
        services.regenerate_code(actor=request.user, venue=venue)
        return _("已生成新场所码 %(code)s，旧码作废") % {"code": venue.code}


class DoorView(ScopedObjectMixin, TemplateView):
    """电子卡口: one visitor at a time, on a phone at the door. Asked by POST (the ID stays out of URLs and
    logs); the answer comes with an empty box for the next person."""

    model = Venue
    action = Capability.DOOR_CHECK
    lookup_field = lookup_url_kwarg = "uuid"
    template_name = "venues/door.html"

    def get_queryset(self):
        return super().get_queryset().select_related("category")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        venue = kwargs.get("venue") or self.get_object()
        context["venue"] = venue
        context.setdefault("form", DoorForm(areas=venue.areas))
        return context

    def post(self, request, **kwargs):
        venue = self.get_object()
        form = DoorForm(request.POST, areas=venue.areas)
        if not form.is_valid():
            return self.render_to_response(
                self.get_context_data(venue=venue, form=_without(form, "doc_number", "proxy_doc_number")), status=400
            )
        data = form.cleaned_data
        try:
            with transaction.atomic():
                check = services.door_check(
                    actor=request.user,
                    venue=venue,
                    doc_number=data["doc_number"],
                    colour=data["colour"],
                    area=data["area"],
                    proxy_doc_number=data["proxy_doc_number"],
                )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render_to_response(
                self.get_context_data(venue=venue, form=_without(form, "doc_number", "proxy_doc_number")), status=400
            )
        # The next visitor starts from an empty box but the same sub-area (a door serves one hall).
        following = DoorForm(areas=venue.areas, initial={"area": data["area"]})
        return self.render_to_response(self.get_context_data(venue=venue, form=following, check=check))


def _day_from(request) -> datetime.date:
    try:
        return datetime.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate()


class RegisterView(CapabilityRequiredMixin, TemplateView):
    """每日登记: the day's abnormal-code, unvaccinated and no-negative visitors of the user's venues, boards by
    township and by regulating department, the venues nobody scanned, and the red/yellow codes made leads."""

    required_capability = Capability.VENUE_SCANS_VIEW
    write_capability = Capability.LEADS_IMPORT
    template_name = "venues/register.html"

    def filters(self):
        day, unit = timezone.localdate(), None
        form = RegisterFilterForm(self.request.GET or None, user=self.request.user, initial={"day": day})
        if form.is_bound and form.is_valid():
            day = form.cleaned_data["day"] or day
            unit = form.cleaned_data["unit"]
        elif form.is_bound and self.request.method == "GET":
            messages.warning(self.request, _("所选日期或单位无效（或不在您的管辖范围内），显示今天、全部管辖单位"))
        return form, day, unit

    def get(self, request, *args, **kwargs):
        form, day, unit = self.filters()
        if request.GET.get("export") == "xlsx":
            return self.export(day, unit)
        only = request.GET.get("only", "")
        register = services.day_register(user=request.user, day=day, unit=unit, only=only if only in KINDS else "")
        return self.render_to_response(
            self.get_context_data(
                form=form,
                day=day,
                register=register,
                totals=register.totals(),
                by_township=register.board(lambda venue: venue.township),
                by_regulator=register.board(lambda venue: venue.regulator),
                can_export=holds(request.user, Capability.EXPORT),
                can_lead=holds(request.user, Capability.LEADS_IMPORT),
                policy=VenuePolicy.objects.restrict(request.user).first(),
                only=only,
                base_query=request.GET.copy(),
                one_venue=len(register.rows) == 1,
                query=request.GET.urlencode(),
            )
        )

    def export(self, day, unit):
        if not holds(self.request.user, Capability.EXPORT):
            raise PermissionDenied(_("您的角色不能导出"))
        rows = list(notable_scans(user=self.request.user, day=day, unit=unit))
        columns = register_columns()
        content, count = xlsx_bytes(title=f"{day:%m%d}扫码登记", columns=columns, rows=rows)
        record_access(
            actor=self.request.user,
            kind=AccessKind.EXPORT,
            unit=unit or self.request.user.unit,
            model="venues.scan",
            detail={"register": day.isoformat(), "rows": count},
        )
        return xlsx_response(filename=f"场所扫码登记-{day:%Y%m%d}", content=content)

    def post(self, request, *args, **kwargs):
        form, day, unit = self.filters()
        try:
            with transaction.atomic():
                if request.POST.get("op") == "policy":
                    district = request.user.unit.district() if request.user.unit else None
                    if district is None:
                        raise PermissionDenied(_("该账号不属于任何单位"))
                    auto = request.POST.get("auto") == "on"
                    services.set_policy(actor=request.user, district=district, abnormal_leads_auto=auto)
                    done = _("已开启：红黄码人员每分钟自动生成线索") if auto else _("已关闭自动生成，改为手动生成")
                else:
                    made = services.abnormal_code_leads(actor=request.user, day=day, unit=unit)
                    done = _("已生成 %(count)s 条异常扫码线索，已下发至各人所在单位") % {"count": made}
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, done)
        return HttpResponseRedirect(request.get_full_path())


class CoVisitView(CapabilityRequiredMixin, TemplateView):
    """时空伴随排查: case documents and a window → the co-visitors ranked by overlap, the venue-hours where cases
    met, an export for the tracing team and one action that makes them leads. Asked by POST (IDs stay out of
    URLs); the page never echoes the numbers typed: the query is kept server-side for an hour under a token
    that the export and the leads action send back."""

    required_capability = Capability.COVISIT_TRACE
    template_name = "venues/covisit.html"
    QUERY_SECONDS = 3600

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", CoVisitForm())
        context["lookback_days"] = default_lookback_days(self.request.user)
        return context

    def _key(self, token: str) -> str:
        return f"covisit:{self.request.user.pk}:{token}"

    def get(self, request, *args, **kwargs):
        """?person=<uuid>: one click from a person's file, that person as the case over the default window."""
        from fangxian.people.models import Person

        wanted = request.GET.get("person", "")
        if not wanted:
            return super().get(request, *args, **kwargs)
        try:
            person = Person.objects.restrict(request.user).filter(uuid=wanted).first()
        except ValidationError:
            person = None
        if person is None:
            raise Http404
        token = uuid.uuid4().hex
        query = {"cases": [person.doc_number], "since": None, "until": None}
        cache.set(self._key(token), query, self.QUERY_SECONDS)
        return self._answer(request, token, query, "")

    def _query(self, request):
        """The query to run: a new one from the form, or the kept one a token names (export, leads)."""
        token = request.POST.get("query", "")
        if token and request.POST.get("op") in {"export", "leads"}:
            kept = cache.get(self._key(token)) if token.isalnum() else None
            if kept is None:
                raise ValidationError(_("本次排查已过期，请重新排查"))
            return token, kept
        form = CoVisitForm(request.POST)
        if not form.is_valid():
            raise _FormInvalid(form)
        token = uuid.uuid4().hex
        kept = {key: form.cleaned_data[key] for key in ("cases", "since", "until")}
        cache.set(self._key(token), kept, self.QUERY_SECONDS)
        return token, kept

    def post(self, request, *args, **kwargs):
        try:
            token, query = self._query(request)
        except _FormInvalid as invalid:
            return self.render_to_response(self.get_context_data(form=_without(invalid.form, "cases")), status=400)
        except ValidationError as error:
            return self.render_to_response(self.get_context_data(refusal=error_text(error)), status=400)
        return self._answer(request, token, query, request.POST.get("op", ""))

    def _answer(self, request, token: str, query: dict, operation: str):
        try:
            with transaction.atomic():
                tracing, problems = services.trace_for(user=request.user, **query)
                if operation == "leads":
                    made = services.covisit_leads(actor=request.user, tracing=tracing)
        except (ValidationError, PermissionDenied) as error:
            return self.render_to_response(self.get_context_data(refusal=error_text(error)), status=400)
        if operation == "export":
            return self.export(tracing)
        if operation == "leads":
            messages.success(request, _("已生成 %(count)s 条时空伴随线索，已下发至各人所在单位") % {"count": made})
        return self.render_to_response(
            self.get_context_data(
                query=token,
                tracing=tracing,
                problems=problems,
                venue_hours=tracing.venue_hours()[:20],
                covisitors=tracing.covisitors[:500],
                can_export=holds(request.user, Capability.EXPORT),
                can_lead=holds(request.user, Capability.LEADS_IMPORT),
            )
        )

    def export(self, tracing):
        if not holds(self.request.user, Capability.EXPORT):
            raise PermissionDenied(_("您的角色不能导出"))
        whole = holds(self.request.user, Capability.REVEAL)
        content, count = xlsx_bytes(title="时空伴随人员", columns=covisit_columns(whole=whole), rows=tracing.covisitors)
        record_access(
            actor=self.request.user,
            kind=AccessKind.EXPORT,
            unit=self.request.user.unit,
            model="venues.scan",
            detail={"covisit": len(tracing.cases), "rows": count, "whole_numbers": whole},
        )
        return xlsx_response(filename="时空伴随人员", content=content)


def _without(form, *fields: str):
    """A refused form shown again with its errors but not the numbers typed: a page shows no whole ID number."""
    form.data = form.data.copy()
    for name in fields:
        form.data[name] = ""
    return form


class _FormInvalid(Exception):
    def __init__(self, form):
        self.form = form


class ScanUploadView(CapabilityRequiredMixin, FormView):
    """扫码记录导入: the provincial platform's export. Every valid row is written, a resend writes nothing,
    and each bad row is named by its row in the file."""

    required_capability = Capability.SCANS_INGEST
    template_name = "venues/scan_upload.html"
    form_class = ScanUploadForm

    def form_valid(self, form):
        try:
            with spool_upload(form.cleaned_data["file"]) as path:
                outcome = import_scan_file(actor=self.request.user, path=path)
        except TableReadError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        return self.render_to_response(
            self.get_context_data(form=ScanUploadForm(), outcome=outcome, problems=outcome.problems[:200])
        )

    def form_invalid(self, form):
        return self.render_to_response(self.get_context_data(form=form), status=400)


class PosterView(ScopedObjectMixin, View):
    """The venue-code poster as an A4 PDF, for whoever may see the venue (its staff reprint their own)."""

    model = Venue
    lookup_field = lookup_url_kwarg = "uuid"

    def get_queryset(self):
        return super().get_queryset().select_related("category", "unit__parent")

    def get(self, request, **kwargs):
        venue = self.get_object()
        # Printing is for those who put the poster up: the venue's managers and its own staff (and it is logged
        # as an export): a read-only role sees the venue, it does not print its code.
        if not any(holds(request.user, work) for work in (Capability.VENUES_MANAGE, Capability.DOOR_CHECK)):
            raise PermissionDenied(_("您的角色不能打印场所码"))
        issuer = f"{venue.unit.district().name}疫情防控指挥部"
        try:
            content = poster_pdf(venue, issuer=issuer)
        except ValidationError as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(reverse("venues:detail", kwargs={"uuid": venue.uuid}))
        record_access(
            actor=request.user, kind=AccessKind.EXPORT, unit=venue.unit, instance=venue, detail={"poster": venue.code}
        )
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f"inline; filename*=UTF-8''{quote(venue.name + '-场所码.pdf')}"
        return response


class VenueImportView(CapabilityRequiredMixin, TemplateView):
    """场所导入, two phases: the file is checked whole and every error shown, nothing written; the commit (the
    rows kept server-side under a token for an hour) registers the valid new venues in one transaction."""

    required_capability = Capability.VENUES_MANAGE
    template_name = "venues/venue_import.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", ScanUploadForm())
        return context

    def _key(self, token: str) -> str:
        return f"venue-import:{self.request.user.pk}:{token}"

    def post(self, request, *args, **kwargs):
        token = request.POST.get("token", "")
        if token:
            rows = cache.get(self._key(token)) if token.isalnum() else None
            if rows is None:
                return self.render_to_response(
                    self.get_context_data(refusal=_("核对结果已过期，请重新上传")), status=400
                )
            try:
                with transaction.atomic():
                    plan = imports.plan_venues(actor=request.user, rows=rows)
                    made = imports.import_venues(actor=request.user, plan=plan)
            except (ValidationError, PermissionDenied, TableReadError) as error:
                return self.render_to_response(self.get_context_data(refusal=error_text(error)), status=400)
            cache.delete(self._key(token))
            messages.success(request, _("已登记 %(count)s 个场所，并生成场所码") % {"count": made})
            return HttpResponseRedirect(reverse("venues:list"))
        form = ScanUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            with spool_upload(form.cleaned_data["file"]) as path:
                rows = read_rows(path)
            plan = imports.plan_venues(actor=request.user, rows=rows)
        except TableReadError as error:
            form.add_error("file", str(error))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        token = uuid.uuid4().hex
        cache.set(self._key(token), rows, 3600)
        return self.render_to_response(
            self.get_context_data(plan=plan, token=token, errors=plan.errors[:500], preview=plan.new[:50])
        )
