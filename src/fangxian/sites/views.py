from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangxian.control.choices import MeasureStatus, PhaseKind
from fangxian.control.models import Measure
from fangxian.core.capabilities import Capability
from fangxian.core.exporting import ExportMixin
from fangxian.core.exports import Column
from fangxian.core.scoping import can_row, holds
from fangxian.core.views import ObjectOperationView, ScopedDetailView, ScopedListView, object_or_404
from fangxian.sites import services
from fangxian.sites.choices import ENDS_ISOLATION, ZONE_CHECKLIST, CheckOutReason, SiteStatus
from fangxian.sites.models import Room, Site, Stay


class SiteListView(ExportMixin, ScopedListView):
    """Sites in scope with their rooms by status, and the totals: used, free, being cleaned, held in reserve."""

    model = Site
    template_name = "sites/site_list.html"
    export_key, export_title, export_model = "sites", "集中隔离点", "sites.site"

    table_empty = _lazy("没有隔离点")

    def filter_queryset(self, queryset):
        return queryset.select_related("unit__parent")

    def list_columns(self):
        def name(site):
            url = reverse("sites:detail", kwargs={"uuid": site.uuid})
            return format_html(
                '<a href="{}">{}</a><div class="small text-secondary">{}</div>', url, site.name, site.address
            )

        def occupancy(site):
            # Counted once per row and kept: the page and the export read three figures of it.
            if not hasattr(site, "_occupancy"):
                site._occupancy = services.occupancy([site])
            return site._occupancy

        def rooms(site) -> int:
            figures = occupancy(site)
            return figures.reserve_rooms if site.status == SiteStatus.RESERVE else figures.rooms

        return [
            Column("名称", lambda site: site.name, 24, cell=name, heading=True),
            Column("地址", lambda site: site.address, 30, page=False),
            Column("所属单位", lambda site: site.unit.label, 18),
            Column("状态", lambda site: site.get_status_display(), 8),
            Column("房间", rooms, 8, css="text-end"),
            Column("入住", lambda site: occupancy(site).occupied, 8, css="text-end"),
            Column("空闲", lambda site: occupancy(site).available, 8, css="text-end"),
        ]

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["total"] = services.occupancy(self.get_queryset())
        return context


class SiteDetailView(ScopedDetailView):
    model = Site
    slug_field = slug_url_kwarg = "uuid"
    template_name = "sites/site_detail.html"
    context_object_name = "site"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        site = self.object
        # Residents by name only where the user may see them: a township its own people, the staff their site's.
        stays = {
            stay.room_id: stay
            for stay in Stay.objects.restrict(self.request.user)
            .filter(site=site, checked_out_at__isnull=True)
            .select_related("person", "measure")
        }
        floors: dict[int, list] = {}
        for room in site.rooms.all():
            room.stay = stays.get(room.pk)
            floors.setdefault(room.floor, []).append(room)
        context["floors"] = sorted(floors.items())
        context["zones"] = [(label, site.zones.get(key, False)) for key, label in ZONE_CHECKLIST.items()]
        context["can_change"] = can_row(self.request.user, Capability.SITES_OPERATE, site)
        context["can_manage"] = can_row(self.request.user, Capability.SITES_MANAGE, site)
        context["checkout_reasons"] = CheckOutReason.choices
        context["ends_isolation"] = [str(reason) for reason in ENDS_ISOLATION]
        context["may_override"] = holds(self.request.user, Capability.PLAN_OVERRIDE)
        today = timezone.localdate()
        for stay in stays.values():
            stay.isolated_until = services.isolation_until(stay, today)
        # People sent here (转运安排), and for who runs every site (the district) anyone else whose measure puts
        # them in centralised isolation today with no room yet.
        context["arrivals"] = list(services.expected_at(site, self.request.user)) if context["can_change"] else []
        expected = {arrival.person_id for arrival in context["arrivals"]}
        waiting = []
        if context["can_change"] and not site.staff.filter(pk=self.request.user.pk).exists():
            housed = Stay.objects.filter(checked_out_at__isnull=True).values("person_id")
            for measure in (
                Measure.objects.restrict(self.request.user, Capability.MEASURES_CHANGE)
                .filter(status=MeasureStatus.ACTIVE)
                .exclude(person_id__in=housed)
                .exclude(person_id__in=expected)
                .select_related("person")[:500]
            ):
                phase = measure.phase_on(timezone.localdate())
                if phase and phase["kind"] == PhaseKind.CENTRALISED:
                    waiting.append(measure)
        context["waiting"] = waiting[:50]
        context["households"] = services.household_rooms(site) if waiting or context["arrivals"] else []
        context["occupancy"] = services.occupancy([site])
        # A check-out made by mistake can be taken back by the district within a day (actions.undo).
        if holds(self.request.user, Capability.UNDO):
            context["recent_check_outs"] = list(services.recent_check_outs(site, self.request.user)[:20])
        return context


class SiteActionView(ObjectOperationView):
    """Check a person in (room suggested or chosen), check a stay out, a room cleaned, activate a reserve site."""

    model = Site
    write_capability = Capability.SITES_OPERATE
    action = Capability.SITES_VIEW  # each operation's capability is checked by its service
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"check_in", "check_out", "cleaned", "activate", "undo_check_out"})

    def done_url(self, site) -> str:
        return reverse("sites:detail", kwargs={"uuid": site.uuid})

    def op_check_in(self, request, site):
        measure = object_or_404(
            Measure.objects.restrict(request.user, Capability.MEASURES_CHANGE).filter(status=MeasureStatus.ACTIVE),
            uuid=request.POST.get("measure", ""),
        )
        room = join = None
        if request.POST.get("room"):
            room = object_or_404(site.rooms.all(), pk=request.POST["room"])
        if request.POST.get("join"):
            join = object_or_404(
                Stay.objects.restrict(request.user).filter(site=site, checked_out_at__isnull=True),
                uuid=request.POST["join"],
            )
        stay = services.check_in(
            actor=request.user, site=site, person=measure.person, measure=measure, room=room, join=join
        )
        return _("%(name)s 入住 %(room)s") % {"name": measure.person.name, "room": stay.room.number}

    def op_check_out(self, request, site):
        stay = object_or_404(
            Stay.objects.restrict(request.user, Capability.SITES_OPERATE).filter(
                site=site, checked_out_at__isnull=True
            ),
            uuid=request.POST.get("stay", ""),
        )
        services.check_out(
            actor=request.user,
            stay=stay,
            reason=request.POST.get("reason", ""),
            note=request.POST.get("note", ""),
            override=request.POST.get("override") == "1",
        )
        return _("%(name)s 已离开（%(reason)s），房间待消杀") % {
            "name": stay.person.name,
            "reason": stay.get_checkout_reason_display(),
        }

    def op_undo_check_out(self, request, site):
        stay = object_or_404(
            Stay.objects.restrict(request.user, Capability.UNDO).filter(site=site, checked_out_at__isnull=False),
            uuid=request.POST.get("stay", ""),
        )
        services.undo_check_out(actor=request.user, stay=stay)
        return _("已撤销 %(name)s 的离开，仍住 %(room)s") % {"name": stay.person.name, "room": stay.room.number}

    def op_cleaned(self, request, site):
        room = object_or_404(Room.objects.filter(site=site), pk=request.POST.get("room", ""))
        services.room_cleaned(actor=request.user, room=room)
        return _("房间 %(room)s 已消杀，可以入住") % {"room": room.number}

    def op_activate(self, request, site):
        services.activate(actor=request.user, site=site)
        return _("已启用")
