import datetime
import re
from uuid import UUID

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from fangxian.control import services
from fangxian.control.board import board_items, kind_counts, with_people
from fangxian.control.choices import BoardItemKind, EndReason, MeasureStatus, PhaseKind
from fangxian.control.filtersets import BoardFilterSet, MeasureFilterSet
from fangxian.control.forms import EndForm, ExtendForm, FollowUpForm, PlaceForm, ResultForm
from fangxian.control.models import HealthCheck, Measure, ScheduledTest
from fangxian.control.placement import places
from fangxian.control.services import CheckEntry
from fangxian.control.tables import board_columns, measure_columns
from fangxian.core.audit import record_access
from fangxian.core.capabilities import UNDO_WINDOW_HOURS, Capability
from fangxian.core.choices import AccessKind, Action, UnitLevel
from fangxian.core.exporting import ExportMixin
from fangxian.core.listing import Table
from fangxian.core.models import Unit, district_path_of
from fangxian.core.scoping import can_row, scope_paths, user_can
from fangxian.core.views import (
    CapabilityRequiredMixin,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    ScopedObjectMixin,
    error_text,
    object_or_404,
    valid_form,
)
from fangxian.leads.choices import Outcome
from fangxian.leads.models import Lead


class MeasureListView(ExportMixin, ScopedListView):
    """Everyone under a measure in the user's scope, filtered by status, subject and today's phase."""

    model = Measure
    audited_model = "control.measure"
    template_name = "control/measure_list.html"
    export_key, export_title, export_model = "measures", "管控人员", "control.measure"
    table_empty = _lazy("没有管控人员")
    table_testid = "measure-table"
    filterset_class = MeasureFilterSet

    def list_columns(self):
        return measure_columns(timezone.localdate())

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.select_related("person", "unit__parent", "protocol"))


class MeasureDetailView(ScopedDetailView):
    model = Measure
    slug_field = slug_url_kwarg = "uuid"
    template_name = "control/measure_detail.html"
    context_object_name = "measure"

    def get_object(self, queryset=None):
        measure = super().get_object(queryset)
        # Who is isolated where, and their test results: health data, every read is logged.
        record_access(actor=self.request.user, kind=AccessKind.DETAIL, unit=measure.unit, instance=measure)
        return measure

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        measure = self.object
        today = timezone.localdate()
        labels = dict(PhaseKind.choices)
        context["phases"] = [{**phase, "label": labels[phase["kind"]]} for phase in measure.plan]
        context["tests"] = measure.tests.select_related("recorded_by")
        context["today"] = today
        active = measure.status == MeasureStatus.ACTIVE
        context["can_change"] = active and can_row(self.request.user, Capability.MEASURES_CHANGE, measure)
        context["can_release"] = active and can_row(self.request.user, Capability.MEASURES_RELEASE, measure)
        context["blockers"] = services.release_blockers(measure, today=today)
        context["can_undo_end"] = (
            not active
            and measure.ended_at is not None
            and measure.end_reason != EndReason.POSITIVE
            and timezone.now() - measure.ended_at < datetime.timedelta(hours=UNDO_WINDOW_HOURS)
            and can_row(self.request.user, Capability.UNDO, measure)
        )
        context["follow_ups"] = measure.follow_ups.select_related("handled_by")
        checks = list(measure.checks.select_related("recorded_by").order_by("-day", "-slot")[:60])
        for check in checks:
            check.fever = check.temperature >= services.FEVER or bool(check.symptoms)
        context["checks"] = checks
        if can_row(self.request.user, Capability.PERSONS_VIEW, measure.person):
            context["person_url"] = reverse("people:detail", kwargs={"uuid": measure.person.uuid})
        context["stay"] = (
            measure.person.stays.filter(checked_out_at__isnull=True).select_related("site", "room").first()
        )
        if context["can_change"] and context["stay"] is None:
            # Home → site: who operates sites checks the person in (转集中隔离); a township arranges the
            # transfer (转运安排) and the site's staff check them in when they arrive.
            context["pending_site"] = places().pending(measure)
            context["may_cancel_send"] = context["pending_site"] is not None and places().cancellable(
                self.request.user, measure
            )
            context["sites"] = places().open_to(self.request.user, Capability.SITES_OPERATE)
            centralised_today = (measure.phase_on(today) or {}).get("kind") == PhaseKind.CENTRALISED
            if not context["sites"] and context["pending_site"] is None and centralised_today:
                context["send_sites"] = places().open_to(self.request.user, Capability.SITES_VIEW)
        context["days_overdue"] = (today - measure.end_date).days if active and measure.end_date < today else 0
        context.update(
            result_form=ResultForm(), end_form=EndForm(), extend_form=ExtendForm(), follow_up_form=FollowUpForm()
        )
        return context


class PlaceFromLeadView(ScopedObjectMixin, TemplateView):
    """落实管控 from a verified lead: the plan is computed from the protocol in force and shown before saving."""

    model = Lead
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"
    template_name = "control/place.html"

    def form_initial(self, lead) -> dict:
        anchor = timezone.localdate() - datetime.timedelta(days=1)
        if lead.exposed_at or lead.left_risk_area_at:
            anchor = timezone.localtime(lead.exposed_at or lead.left_risk_area_at).date()
        return {"subject": services.SUBJECT_OF_CATEGORY.get(lead.category, ""), "anchor_date": anchor}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        lead = self.get_object()
        context["lead"] = lead
        context["form"] = kwargs.get("form") or PlaceForm(initial=self.form_initial(lead))
        context["protocol"] = services.protocol_for(lead.unit.district())
        return context

    def post(self, request, uuid):
        lead = self.get_object()
        if lead.outcome not in {"", Outcome.PLACED_UNDER_MEASURE}:
            messages.error(request, _("该任务的核查结果不需要落实管控"))
            return HttpResponseRedirect(reverse("leads:detail", kwargs={"uuid": lead.uuid}))
        form = PlaceForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            try:
                with transaction.atomic():
                    measure = services.place_under_measure(
                        actor=request.user,
                        person=lead.person,
                        subject=data["subject"],
                        anchor_date=data["anchor_date"],
                        start_date=data["start_date"],
                        unit=lead.unit,
                        lead=lead,
                    )
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error_text(error))
            else:
                messages.success(request, _("已落实管控，期满日 %(day)s") % {"day": measure.end_date})
                return HttpResponseRedirect(reverse("control:measure", kwargs={"uuid": measure.uuid}))
        return self.render_to_response(self.get_context_data(form=form), status=400)


class MeasureActionView(ObjectOperationView):
    """The operations on one measure: a test result, release, end early, hospital, contacts, door sensor, a
    follow-up, a move to a site (or a transfer arranged, or taken back), an extension."""

    model = Measure
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset(
        {
            "test",
            "release",
            "end",
            "hospital",
            "contacts",
            "door_sensor",
            "follow_up",
            "to_site",
            "send",
            "cancel_send",
            "extend",
            "undo_end",
        }
    )

    def done_url(self, measure) -> str:
        return reverse("control:measure", kwargs={"uuid": measure.uuid})

    def op_test(self, request, measure):
        test = object_or_404(ScheduledTest.objects.filter(measure=measure), pk=request.POST.get("test", ""))
        result = valid_form(ResultForm(request.POST), _("请选择检测结果"))
        services.record_test(actor=request.user, test=test, **result)
        return _("已登记检测结果")

    def op_release(self, request, measure):
        services.release(actor=request.user, measure=measure)
        return _("已解除管控")

    def op_end(self, request, measure):
        reason = valid_form(EndForm(request.POST), _("请选择终止原因"))["reason"]
        services.end_measure(actor=request.user, measure=measure, reason=reason)
        return _("已提前终止")

    def op_hospital(self, request, measure):
        services.transfer_to_hospital(actor=request.user, measure=measure, hospital=request.POST.get("hospital", ""))
        return _("已登记转运定点医院")

    def op_contacts(self, request, measure):
        created = services.contact_leads(actor=request.user, measure=measure)
        return _("已为 %(count)s 名同层人员生成密接协查任务") % {"count": created}

    def op_door_sensor(self, request, measure):
        services.set_door_sensor(actor=request.user, measure=measure, device=request.POST.get("device", ""))
        return _("已绑定门磁")

    def op_follow_up(self, request, measure):
        follow_up = object_or_404(measure.follow_ups.all(), pk=request.POST.get("follow_up", ""))
        outcome = valid_form(FollowUpForm(request.POST), _("请选择处置结果"))
        services.close_follow_up(actor=request.user, follow_up=follow_up, **outcome)
        return _("已处置")

    def op_to_site(self, request, measure):
        where = places().place(actor=request.user, key=request.POST.get("site", ""), measure=measure)
        return _("已转集中隔离：%(where)s") % {"where": where}

    def op_send(self, request, measure):
        where = places().send(actor=request.user, key=request.POST.get("site", ""), measure=measure)
        return _("已安排转运至%(where)s，待隔离点办理入住") % {"where": where}

    def op_cancel_send(self, request, measure):
        where = places().cancel_send(actor=request.user, measure=measure)
        return _("已撤回转运至%(where)s的安排") % {"where": where}

    def op_undo_end(self, request, measure):
        services.undo_end(actor=request.user, measure=measure)
        return _("已撤销解除/终止，%(name)s 恢复管控") % {"name": measure.person.name}

    def op_extend(self, request, measure):
        extension = valid_form(ExtendForm(request.POST), _("请填写延长天数和原因"))
        services.extend(actor=request.user, measure=measure, **extension)
        return _("已延长管控")


class SitePlaceFilter:
    """Narrow a list of measures to the people staying in one site (and on one floor of it): the round a site's
    staff make, floor by floor. The site must be one the user sees."""

    def sites(self):
        return places().open_to(self.request.user, Capability.SITES_VIEW)

    def chosen_site(self):
        key = self.request.GET.get("site", "")
        try:
            return self.sites().filter(uuid=UUID(key)).first() if key else None
        except ValueError:
            return None

    def chosen_floor(self) -> int | None:
        floor = self.request.GET.get("floor", "").strip()
        return int(floor) if re.fullmatch(r"-?[0-9]{1,3}", floor) else None

    def in_place(self, measures):
        site = self.chosen_site()
        if site is None:
            return measures
        # One filter() call: the site and the floor must be those of the same open stay.
        stay = {"person__stays__site": site, "person__stays__checked_out_at__isnull": True}
        if (floor := self.chosen_floor()) is not None:
            stay["person__stays__room__floor"] = floor
        return measures.filter(**stay)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.chosen_site()
        context.update(sites=self.sites(), site=site, floor=self.chosen_floor())
        context["floors"] = sorted(set(site.rooms.values_list("floor", flat=True))) if site else []
        return context


class TestsDueView(SitePlaceFilter, ScopedListView):
    """Today's scheduled tests in the user's scope, not yet recorded: who must be sampled today (per site and
    floor when one is chosen)."""

    model = Measure
    audited_model = "control.measure"
    template_name = "control/tests_due.html"
    paginate_by = 100

    def filter_queryset(self, queryset):
        day = timezone.localdate()
        return (
            ScheduledTest.objects.filter(
                measure__in=self.in_place(queryset.filter(status=MeasureStatus.ACTIVE)), day__lte=day, result=""
            )
            .select_related("measure__person", "measure__unit")
            .order_by("day", "measure__unit__code")
        )


class ProtocolListView(CapabilityRequiredMixin, TemplateView):
    """The versions a district can apply, their rules, and the one in force."""

    required_capability = Capability.MEASURES_VIEW
    write_capability = Capability.PROTOCOLS_MANAGE

    template_name = "control/protocols.html"

    def districts(self):
        """The districts the user works in (a township officer reads the version in force, read-only)."""
        paths = {district_path_of(path) for path in scope_paths(self.request.user, Capability.MEASURES_VIEW)}
        return Unit.objects.filter(level=UnitLevel.DISTRICT, path__in=paths)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        district = self.districts().first()
        if district is None:
            raise Http404(_("只有区/县指挥部查看防控方案"))
        context["district"] = district
        context["active"] = services.protocol_for(district)
        context["protocols"] = services.available_protocols(district).prefetch_related("rules")
        context["can_choose"] = user_can(self.request.user, Capability.PROTOCOLS_MANAGE, district)
        return context

    def post(self, request):
        district = self.districts().first()
        if district is None:
            raise Http404
        protocol = object_or_404(services.available_protocols(district), code=request.POST.get("protocol", ""))
        try:
            with transaction.atomic():
                services.choose_protocol(actor=request.user, district=district, protocol=protocol)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        else:
            messages.success(request, _("新落实的管控措施将按“%(name)s”执行") % {"name": protocol.name})
        return HttpResponseRedirect(reverse("control:protocols"))


class ChecksView(SitePlaceFilter, ScopedListView):
    """One round of health checks for everyone in scope under a measure today: a fast form, a row each."""

    model = Measure
    audited_model = "control.measure"
    action = Action.CHANGE
    template_name = "control/checks.html"
    paginate_by = 200

    def slot(self) -> int:
        default = 1 if timezone.localtime().hour < 12 else 2
        return 2 if self.params.get("slot", self.request.POST.get("slot", default)) in ("2", 2) else 1

    def filter_queryset(self, queryset):
        today = timezone.localdate()
        return (
            self.in_place(queryset.filter(status=MeasureStatus.ACTIVE, start_date__lte=today, end_date__gte=today))
            .select_related("person", "unit")
            .order_by("unit__code", "person__name")
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        today, slot = timezone.localdate(), self.slot()
        done: dict[tuple[int, int], object] = {
            (measure_id, each_slot): temperature
            for measure_id, each_slot, temperature in HealthCheck.objects.filter(
                measure__in=context["object_list"], day=today
            ).values_list("measure_id", "slot", "temperature")
        }
        problems = kwargs.get("problems", {})
        rows = []
        for measure in context["object_list"]:
            phase = measure.phase_on(today)
            if not phase:
                continue
            if slot <= phase["checks_per_day"]:
                own = slot
            elif (measure.pk, 1) not in done:
                # Checked once a day and not yet today: the afternoon round takes them (as today's check).
                own = 1
            else:
                continue
            rows.append(
                {
                    "measure": measure,
                    "slot": own,
                    "done": done.get((measure.pk, own)),
                    "problem": problems.get((own, measure.pk)),
                    "once_a_day_late": own != slot,
                }
            )
        context.update(rows=rows, slot=slot, today=today, left=sum(1 for row in rows if row["done"] is None))
        return context

    def post(self, request, *args, **kwargs):
        today = timezone.localdate()
        measures = {str(m.uuid): m for m in self.get_queryset()}
        by_slot: dict[int, list[CheckEntry]] = {}
        for key, measure in measures.items():
            # A row names its own round: t-1-… or t-2-… (a once-a-day person in the afternoon round is round 1).
            for own in (1, 2):
                value = request.POST.get(f"t-{own}-{key}", "").strip()
                if value:
                    by_slot.setdefault(own, []).append(
                        CheckEntry(measure, value, request.POST.get(f"s-{own}-{key}", ""))
                    )
        saved, problems = [], {}
        with transaction.atomic():
            for own, entries in sorted(by_slot.items()):
                done, refused = services.record_checks(actor=request.user, day=today, slot=own, entries=entries)
                saved.extend(done)
                problems.update({(own, pk): message for pk, message in refused.items()})
        if saved:
            messages.success(request, _("已登记 %(count)s 人") % {"count": len(saved)})
        if problems:
            messages.error(request, _("%(count)s 行未登记，见各行提示") % {"count": len(problems)})
            self.object_list = self.get_queryset()
            return self.render_to_response(self.get_context_data(problems=problems), status=400)
        query = {"slot": self.slot()}
        if site := self.chosen_site():
            query["site"] = site.uuid
            if (floor := self.chosen_floor()) is not None:
                query["floor"] = floor
        return HttpResponseRedirect(f"{reverse('control:checks')}?{urlencode(query)}")


class BoardView(ExportMixin, ScopedListView):
    """闭环管理: one worklist of everything open or overdue for the people under measures in the user's scope —
    alarms past their time first, then by urgency — filtered by unit and kind, paged, exported and printed;
    each item links to where it is handled."""

    model = Measure
    audited_model = "control.measure"
    template_name = "control/board.html"
    filterset_class = BoardFilterSet
    export_key, export_title, export_model = "board", "闭环管理待办事项", "control.measure"
    table_testid = "board-items"
    table_row_testid = "board-item"
    table_empty = _lazy("没有逾期或待处置的事项")
    paginate_by = None  # the page is of the board's items, not of the measures they come from
    page_size = 50

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.now = timezone.now()

    @classmethod
    def from_args(cls, list_args):
        view = super().from_args(list_args)
        view.now = timezone.now()
        return view

    def filter_queryset(self, queryset):
        return super().filter_queryset(queryset.filter(status=MeasureStatus.ACTIVE))

    def items(self, loop) -> tuple[list, dict]:
        """The board's items (of the kind asked for), and the count of every kind."""
        everything = board_items(loop, now=self.now)
        kind = self.params.get("kind", "")
        wanted = [item for item in everything if item.kind == kind] if kind in BoardItemKind.values else everything
        return wanted, kind_counts(everything)

    def export_columns(self):
        return board_columns(self.now)

    def export_rows(self):
        items = self.items(services.closed_loop(self.export_scope(self.get_queryset()), now=self.now))[0]
        return list(with_people(items))

    def get_context_data(self, **kwargs):
        from fangxian.leads.services import overdue

        loop = services.closed_loop(kwargs.pop("object_list", self.object_list), now=self.now)
        items, counts = self.items(loop)
        paginator = Paginator(items, self.page_size)
        page = paginator.get_page(self.params.get("page"))
        page.object_list = list(with_people(page.object_list))  # who they are: for the page shown only
        context = super().get_context_data(object_list=page.object_list, **kwargs)
        context.update(
            loop=loop,
            page_obj=page,
            paginator=paginator,
            is_paginated=page.has_other_pages(),
            now=self.now,
            kinds=[(kind, label, counts[kind]) for kind, label in BoardItemKind.choices],
            table=Table(
                board_columns(self.now),
                page.object_list,
                empty=self.table_empty,
                testid=self.table_testid,
                row_testid=self.table_row_testid,
            ),
            overdue_leads=overdue(Lead.objects.restrict(self.user)).count(),
        )
        return context
