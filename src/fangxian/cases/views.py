import datetime
import json

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case as CaseWhen
from django.db.models import Count, Value, When
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from fangxian.cases import services
from fangxian.cases.choices import CaseStatus, ContactClass
from fangxian.cases.filtersets import CaseFilterSet
from fangxian.cases.forms import CaseForm, ContactForm, EntryForm, PolicyForm, ReclassifyForm, SourceForm
from fangxian.cases.models import Case, Contact, ItineraryEntry
from fangxian.cases.tables import case_columns, outbound_columns
from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind
from fangxian.core.exporting import ExportMixin
from fangxian.core.exports import xlsx_bytes, xlsx_response
from fangxian.core.models import Unit, access_unit
from fangxian.core.scoping import can_row, holds, user_can
from fangxian.core.views import (
    ActionView,
    CapabilityRequiredMixin,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    ServiceFormView,
    error_text,
    valid_form,
)
from fangxian.people.models import Person
from fangxian.people.services import find_by_document
from fangxian.testing.models import Recall


def _may_take_numbers(user, case) -> bool:
    """Full numbers leave only with export and reveal over the case's own unit (not merely somewhere)."""
    return user_can(user, Capability.EXPORT, case.unit) and user_can(user, Capability.REVEAL, case.unit)


class CaseListView(ExportMixin, ScopedListView):
    """病例: the cases of the user's units, newest report first, by status, class, where found and unit."""

    model = Case
    template_name = "cases/case_list.html"
    filterset_class = CaseFilterSet
    audited_model = "cases.case"
    export_key, export_title, export_model = "cases", "病例", "cases.case"
    table_empty = _lazy("没有病例")
    table_testid = "case-table"

    def list_columns(self):
        return case_columns()

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("person", "unit__parent"))


class CaseCreateView(CapabilityRequiredMixin, ServiceFormView):
    required_capability = Capability.CASES_INVESTIGATE
    template_name = "cases/case_form.html"
    form_class = CaseForm

    def form_arguments(self) -> dict:
        return {}

    def perform(self, data):
        person = find_by_document(doc_type=data["doc_type"], doc_number=data["doc_number"])
        # Someone the user may not see is "not registered" to them: the page must not confirm who is.
        if person is None or not Person.objects.restrict(self.request.user).filter(pk=person.pk).exists():
            raise ValidationError({"doc_number": _("您的辖区内没有登记该证件号码的人员，请先在人员登记中登记")})
        return services.open_case(
            actor=self.request.user,
            person=person,
            classification=data["classification"],
            found_by=data["found_by"],
            first_positive_at=data["first_positive_at"],
            onset_date=data["onset_date"],
            confirmed_at=data["confirmed_at"],
        )

    def succeeded(self, case):
        messages.success(self.request, _("已建立%(case)s，请开展流调") % {"case": case})
        return HttpResponseRedirect(case.get_absolute_url())


class CaseDetailView(ScopedDetailView):
    """A case's file: its times and countdowns, its itinerary and its contacts. Reading it is logged."""

    model = Case
    slug_field = slug_url_kwarg = "uuid"
    template_name = "cases/case_detail.html"
    context_object_name = "case"

    def get_queryset(self):
        return super().get_queryset().select_related("person", "unit__parent", "district", "source_case")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        case = self.object
        user = self.request.user
        now = timezone.now()
        since, until = services.window(case)
        context.update(
            can_investigate=can_row(user, Capability.CASES_INVESTIGATE, case) and case.status != CaseStatus.CLOSED,
            can_push=holds(user, Capability.LEADS_IMPORT),
            can_export=_may_take_numbers(user, case),
            since=since,
            until=until,
            now=now,
            policy=services.policy_for(case.district),
            areas=services.proposed_areas(case),
            investigators=list(case.investigators.all()),
            investigating=case.investigators.filter(pk=user.pk).exists(),
            can_declare=holds(user, Capability.RISK_AREAS_MANAGE),
            countdowns=[(item, item.overdue(now), _left(item.remaining(now))) for item in services.countdowns(case)],
            entries=case.itinerary.select_related("venue"),
            **_contacts_of(case, self.request.GET.get("contacts", "")),
            infected=Case.objects.restrict(user).filter(source_case=case),
            reclassifications=case.reclassifications.select_related("by"),
            reclassify_form=ReclassifyForm(),
            source_form=SourceForm(initial={"source": case.source_case.number if case.source_case else None}),
            close_class=ContactClass.CLOSE,
        )
        record_access(
            actor=user,
            kind=AccessKind.DETAIL,
            unit=case.unit,
            instance=case,
            detail={"case": case.number, "contacts": len(context["contacts"]), "filter": context["contacts_filter"]},
        )
        return context


def _left(remaining) -> str:
    minutes = max(0, int(remaining.total_seconds() // 60))
    return _("%(hours)s 小时 %(minutes)s 分") % {"hours": minutes // 60, "minutes": minutes % 60}


CONTACTS_SHOWN = 100


def _contacts_of(case, wanted: str) -> dict:
    """The case's contacts for its page: by classification (?contacts=close|secondary|general, all by default),
    close contacts first, at most CONTACTS_SHOWN rows (a co-visit at a busy venue brings hundreds: the count says
    how many, the filter narrows)."""
    counts = dict(case.contacts.values_list("classification").annotate(n=Count("id")).order_by())
    first = CaseWhen(
        When(classification=ContactClass.CLOSE, then=Value(0)),
        When(classification=ContactClass.SECONDARY, then=Value(1)),
        default=Value(2),
    )
    rows = case.contacts.select_related("lead", "via").order_by(first, "-exposed_at", "id")
    if wanted in ContactClass.values:
        rows = rows.filter(classification=wanted)
    total = sum(counts.values())
    shown = list(rows[:CONTACTS_SHOWN])
    return {
        "contacts": shown,
        "contacts_total": total,
        "contacts_matching": counts.get(wanted, 0) if wanted in ContactClass.values else total,
        "contact_counts": [(value, label, counts.get(value, 0)) for value, label in ContactClass.choices],
        "contacts_filter": wanted,
    }


class CaseActionView(ObjectOperationView):
    model = Case
    action = Capability.CASES_INVESTIGATE
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset(
        {"core", "report", "close", "reclassify", "source", "prefill", "covisit", "push", "declare", "join"}
    )

    def done_url(self, case) -> str:
        return case.get_absolute_url()

    def op_core(self, request, case):
        services.mark_done(actor=request.user, case=case, step="core")
        return _("核心信息已标记完成")

    def op_report(self, request, case):
        services.mark_done(actor=request.user, case=case, step="report")
        return _("流调报告已标记完成")

    def op_close(self, request, case):
        services.mark_done(actor=request.user, case=case, step="close")
        return _("%(case)s已结案") % {"case": case}

    def op_reclassify(self, request, case):
        data = valid_form(ReclassifyForm(request.POST), None)
        services.reclassify(actor=request.user, case=case, to_class=data["to_class"], note=data["note"])
        return _("已订正为%(label)s") % {"label": case.get_classification_display()}

    def op_source(self, request, case):
        data = valid_form(SourceForm(request.POST), None)
        source = None
        if data["source"]:
            source = Case.objects.restrict(request.user).filter(district=case.district, number=data["source"]).first()
            if source is None:
                raise ValidationError(_("没有病例%(number)s") % {"number": data["source"]})
        services.set_source(actor=request.user, case=case, source=source)
        return _("传染来源已登记") if source else _("传染来源已清除")

    def op_prefill(self, request, case):
        added = services.prefill_itinerary(actor=request.user, case=case)
        return _("已由扫码和采样记录生成 %(count)s 条轨迹") % {"count": added} if added else _("没有新的扫码或采样记录")

    def op_covisit(self, request, case):
        added = services.contacts_from_covisit(actor=request.user, case=case)
        return _("已加入 %(count)s 名时空伴随人员") % {"count": added} if added else _("没有新的时空伴随人员")

    def op_join(self, request, case):
        services.join_investigation(actor=request.user, case=case)
        return _("您已加入%(case)s的流调") % {"case": case}

    def op_declare(self, request, case):
        area = services.declare_area(actor=request.user, case=case, key=request.POST.get("area", ""))
        return _("已划定%(level)s：%(name)s") % {"level": area.get_level_display(), "name": area.name}

    def op_push(self, request, case):
        pushed = services.push_contacts(actor=request.user, case=case)
        return _(
            "已推送 %(leads)s 条协查线索，%(linked)s 人已有线索（不重复推送），%(outbound)s 人住外区县（见协查函）"
        ) % {
            "leads": pushed.leads,
            "linked": pushed.linked,
            "outbound": pushed.outbound,
        }


class CaseChildFormView(ScopedObjectMixin, ServiceFormView):
    """A form that adds to one case (an itinerary entry, a contact): the case is looked up in scope for the
    investigating capability; the form comes back with its errors and the typed values when refused."""

    model = Case
    action = Capability.CASES_INVESTIGATE
    lookup_field = lookup_url_kwarg = "uuid"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and self.capability_held(request.user):
            self.case = self.get_object()
        return super().dispatch(request, *args, **kwargs)

    def form_arguments(self) -> dict:
        return {}

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "case": self.case}

    def succeeded(self, result):
        messages.success(self.request, self.done_message)
        return HttpResponseRedirect(self.case.get_absolute_url())


class EntryCreateView(CaseChildFormView):
    template_name = "cases/entry_form.html"
    form_class = EntryForm
    done_message = _lazy("已加入轨迹")

    def perform(self, data):
        return services.add_entry(actor=self.request.user, case=self.case, **data)


class ContactCreateView(CaseChildFormView):
    template_name = "cases/contact_form.html"
    form_class = ContactForm
    done_message = _lazy("已登记密接人员")

    def perform(self, data):
        return services.add_contact(actor=self.request.user, case=self.case, **data)


class EntryActionView(ObjectOperationView):
    model = ItineraryEntry
    action = Capability.CASES_INVESTIGATE
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"delete"})
    verify_action = None

    def done_url(self, entry) -> str:
        return entry.case.get_absolute_url()

    def op_delete(self, request, entry):
        services.remove_entry(actor=request.user, entry=entry)
        return _("已删除该条轨迹（留痕）")


class ContactActionView(ObjectOperationView):
    model = Contact
    action = Capability.CASES_INVESTIGATE
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"household", "sent", "answered"})

    def done_url(self, contact) -> str:
        return contact.case.get_absolute_url()

    def op_household(self, request, contact):
        added = services.household_secondaries(actor=request.user, contact=contact)
        return _("已将 %(count)s 名同住人员判为次密切接触者") % {"count": added}

    def op_sent(self, request, contact):
        services.record_outbound(actor=request.user, contact=contact, step="sent")
        return _("已登记协查函发出")

    def op_answered(self, request, contact):
        services.record_outbound(actor=request.user, contact=contact, step="answered")
        return _("已登记外区县反馈")


class NoticeView(ScopedDetailView):
    """活动轨迹公布: a draft from the itinerary, the person removed, for the district to edit and issue."""

    model = Case
    slug_field = slug_url_kwarg = "uuid"
    template_name = "cases/notice.html"
    context_object_name = "case"

    def get_context_data(self, **kwargs):
        case = self.object
        record_access(
            actor=self.request.user, kind=AccessKind.DETAIL, unit=case.unit, instance=case, detail={"notice": True}
        )
        return {**super().get_context_data(**kwargs), "notice": services.public_notice(case)}


class OutboundView(ScopedObjectMixin, TemplateView):
    """The 协查函 of one case: its contacts living in other districts, in the layout pushed lists arrive in (the
    receiving district imports it as it imports any list). Numbers in full: the receiving district must find
    them; so it takes exporting and revealing, and is logged."""

    model = Case
    lookup_field = lookup_url_kwarg = "uuid"

    def get(self, request, **kwargs):
        case = self.get_object()
        if not _may_take_numbers(request.user, case):
            raise PermissionDenied(_("您没有导出完整证件号码的权限"))
        contacts = list(case.contacts.exclude(home_region="").order_by("home_region", "id"))
        content, written = xlsx_bytes(title=f"{case}协查函", columns=outbound_columns(case), rows=contacts)
        record_access(
            actor=request.user,
            kind=AccessKind.EXPORT,
            unit=case.unit,
            model="cases.contact",
            detail={"case": case.number, "outbound": written},
        )
        return xlsx_response(filename=f"{case}协查函", content=content)


class ChainsView(CapabilityRequiredMixin, TemplateView):
    """传播链: the cases the user may see (the last 60 days by default), their links and contacts as a graph, the
    clusters, and the epidemic curve by onset and by report."""

    required_capability = Capability.CASES_VIEW
    template_name = "cases/chains.html"

    def get_context_data(self, **kwargs):
        from fangxian.cases import chains

        context = super().get_context_data(**kwargs)
        try:
            days = min(max(int(self.request.GET.get("days", 60)), 1), 365)
        except ValueError:
            days = 60
        since = timezone.now() - datetime.timedelta(days=days)
        cases = Case.objects.restrict(self.request.user).filter(reported_at__gte=since)
        data = chains.chains(cases)
        context.update(
            days=days,
            chains=data,
            graph=json.dumps(chains.graph(data), ensure_ascii=False),
            curve=json.dumps(chains.curve(cases), ensure_ascii=False),
        )
        unit = access_unit(self.request.user)
        if unit is not None:
            record_access(
                actor=self.request.user,
                kind=AccessKind.LIST,
                unit=unit,
                model="cases.case",
                detail={"chains": len(data.cases), "days": days},
            )
        return context


class CaseFromRecallView(ScopedObjectMixin, TemplateView):
    """建立病例 from a positive single-tube re-test, now rather than at the worker's next sweep: the recall is
    looked up in the investigator's scope, shown, and the case opened on confirmation."""

    model = Recall
    action = Capability.CASES_INVESTIGATE
    lookup_field = lookup_url_kwarg = "uuid"
    template_name = "cases/from_recall.html"

    def get_queryset(self):
        return super().get_queryset().select_related("tube__point", "unit")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        recall = self.get_object()
        case = Case.objects.restrict(self.request.user).filter(opened_from=f"recall:{recall.pk}").first()
        record_access(actor=self.request.user, kind=AccessKind.DETAIL, unit=recall.unit, instance=recall)
        context.update(recall=recall, case=case)
        return context

    def post(self, request, **kwargs):
        recall = self.get_object()
        try:
            with transaction.atomic():
                case = services.open_case_from_recall(actor=request.user, recall=recall)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
            return HttpResponseRedirect(request.path)
        messages.success(request, _("已建立%(case)s，请开展流调") % {"case": case})
        return HttpResponseRedirect(case.get_absolute_url())


class PolicyView(CapabilityRequiredMixin, ServiceFormView):
    """流调时限设置: the district's targets for investigations and deadlines for the contacts they find."""

    required_capability = Capability.PROTOCOLS_MANAGE
    template_name = "cases/policy.html"
    form_class = PolicyForm

    def district(self):
        unit = self.request.user.unit
        district = unit.district() if unit is not None else None
        if (
            district is None
            or not Unit.objects.restrict(self.request.user, Capability.PROTOCOLS_MANAGE).filter(pk=district.pk).exists()
        ):
            raise PermissionDenied(_("您的账号不属于可设置时限的区县"))
        return district

    def form_arguments(self) -> dict:
        return {}

    def get_initial(self):
        policy = services.policy_for(self.district())
        return {name: getattr(policy, name) for name in PolicyForm.base_fields}

    def perform(self, data):
        return services.set_policy(actor=self.request.user, district=self.district(), **data)

    def succeeded(self, policy):
        messages.success(self.request, _("已保存流调时限"))
        return HttpResponseRedirect(reverse("cases:policy"))


class PushAllView(CapabilityRequiredMixin, ActionView):
    """一键推送: every open case's contacts not pushed yet, in the user's district, as leads at once."""

    required_capability = Capability.CASES_INVESTIGATE
    write_capability = Capability.LEADS_IMPORT

    def perform(self, request):
        unit = request.user.unit
        district = unit.district() if unit is not None else None
        if district is None:
            raise PermissionDenied(_("您的账号不属于任何区县"))
        pushed = services.push_all_contacts(actor=request.user, district=district)
        return _(
            "已推送 %(leads)s 条协查线索，%(linked)s 人已有线索（不重复推送），%(outbound)s 人住外区县（见协查函）"
        ) % {
            "leads": pushed.leads,
            "linked": pushed.linked,
            "outbound": pushed.outbound,
        }

    def done_url(self) -> str:
        return reverse("cases:list")
