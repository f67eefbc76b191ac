from importlib import import_module

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.generic import TemplateView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.response import Response

from fangxian.control import services as control_services
from fangxian.control.choices import MeasureStatus
from fangxian.control.models import Measure
from fangxian.core import services as core_services
from fangxian.core.api import ScopedViewSet
from fangxian.core.capabilities import Capability
from fangxian.core.choices import Action, UnitLevel
from fangxian.core.models import Unit, scope_root_units
from fangxian.core.scoping import holds
from fangxian.core.views import (
    ObjectActionView,
    ScopedListView,
    ScopedMixin,
    error_text,
    object_or_404,
)
from fangxian.dashboard import services, workbench
from fangxian.dashboard.forms import DisplayForm
from fangxian.dashboard.models import Display
from fangxian.leads import services as lead_services
from fangxian.leads.choices import LeadStatus
from fangxian.leads.models import Lead
from fangxian.people.models import Person
from fangxian.sites.models import Site
from fangxian.sites.services import occupancy
from fangxian.venues.choices import VenueStatus
from fangxian.venues.models import Venue

SessionStore = import_module(settings.SESSION_ENGINE).SessionStore

DRILLABLE = {UnitLevel.DISTRICT, UnitLevel.TOWNSHIP, UnitLevel.COMMUNITY}


class DashboardView(ScopedMixin, TemplateView):
    """指挥大屏: the user's unit (or one below it, by ?unit=CODE), its figures and those of the units below."""

    model = Unit
    action = Capability.DASHBOARD_VIEW
    template_name = "dashboard/dashboard.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        code = self.request.GET.get("unit")
        if code:
            unit = object_or_404(self.get_queryset(), code=code)
        else:
            roots = scope_root_units(self.request.user, Capability.DASHBOARD_VIEW)
            if not roots:
                raise Http404
            unit = roots[0]
        data = services.snapshot(unit=unit)
        context.update(
            unit=unit,
            data=data,
            drillable=unit.level in DRILLABLE - {UnitLevel.COMMUNITY},
            visible_parent=data["parent"] and self.get_queryset().filter(code=data["parent"]["code"]).exists(),
            screen=self.request.GET.get("screen") == "1",
        )
        return context


class DashboardViewSet(mixins.RetrieveModelMixin, ScopedViewSet):
    """The dashboard's figures as JSON, for a unit in the caller's scope (by its code)."""

    model = Unit
    lookup_field = "code"
    lookup_value_regex = r"\d{6,14}"

    def scope_action(self) -> str:
        return Capability.DASHBOARD_VIEW

    @extend_schema(responses=OpenApiTypes.OBJECT)
    def retrieve(self, request, *args, **kwargs):
        return Response(services.snapshot(unit=self.get_object()))


class DisplayListView(ScopedListView):
    """大屏投放链接: links for the screens of the command hall, each showing one unit's dashboard for a fixed
    time without a signed-in session; made, listed and taken back here."""

    model = Display
    template_name = "dashboard/display_list.html"
    write_capability = Capability.DISPLAYS_MANAGE
    follows_focus = False

    def filter_queryset(self, queryset):
        return queryset.select_related("unit", "created_by")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", DisplayForm(user=self.user))
        context["now"] = timezone.now()
        return context

    def post(self, request):
        form = DisplayForm(request.POST, user=request.user)
        self.object_list = self.get_queryset()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            with transaction.atomic():
                display, key = services.open_display(
                    actor=request.user,
                    unit=form.cleaned_data["unit"],
                    label=form.cleaned_data["label"],
                    hours=form.cleaned_data["hours"],
                )
        except (PermissionDenied, ValidationError) as error:
            form.add_error(None, error_text(error))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        link = request.build_absolute_uri(reverse("screen", kwargs={"key": key}))
        # The link is shown this once: only its digest is kept.
        return self.render_to_response(self.get_context_data(new_link=link, new_display=display))


class DisplayCloseView(ObjectActionView):
    model = Display
    action = Capability.DISPLAYS_MANAGE

    def perform(self, request, display):
        services.close_display(actor=request.user, display=display)
        return _("已收回投放链接“%(label)s”") % {"label": display.label}

    def done_url(self, display):
        return reverse("dashboard:displays")


class ScreenView(TemplateView):
    """The dashboard on a big screen, opened by its link: aggregate figures of the link's unit (and the units
    below it), refreshed every minute, with no user. A browser signed in elsewhere is signed out here, so the
    screen's refreshes never keep a session alive."""

    template_name = "dashboard/dashboard.html"

    def get(self, request, key):
        display = services.live_display(key)
        if display is None:
            context = {
                "status": 404,
                "title": _("投放链接已失效"),
                "message": _("该链接已过期或已收回，请联系指挥部重新开设。"),
            }
            return render(request, "core/error.html", context, status=404)
        if request.user.is_authenticated:
            logout(request)  # ends the session on the server too (and records it), not only the cookie
        request.session = SessionStore()  # empty: the session middleware saves nothing and drops the cookie
        request.user = AnonymousUser()
        unit = display.unit
        if code := request.GET.get("unit", "").strip():
            # Down to the community, as the signed-in board: a grid's figures are too few to stay anonymous.
            below = Unit.objects.filter(path__startswith=display.unit.path, is_active=True, level__in=DRILLABLE)
            unit = object_or_404(below, code=code)
        data = services.snapshot(unit=unit)
        context = self.get_context_data(
            unit=unit,
            data=data,
            drillable=unit.level in DRILLABLE - {UnitLevel.COMMUNITY},
            visible_parent=unit != display.unit,
            screen=True,
            display=display,
        )
        return self.render_to_response(context)


class HomeView(LoginRequiredMixin, TemplateView):
    """工作台: what the user must do now (dashboard.workbench), then their scope at a glance (units, people,
    leads, the closed loop)."""

    template_name = "dashboard/home.html"

    def get_context_data(self, **kwargs):
        user = self.request.user
        context = super().get_context_data(**kwargs)
        units = Unit.objects.restrict(user, Action.VIEW)
        context["roots"] = scope_root_units(user)
        context["unit_counts"] = {row["level"]: row["n"] for row in units.values("level").annotate(n=Count("id"))}
        context["levels"] = UnitLevel
        context["person_count"] = Person.objects.restrict(user, Action.VIEW).count()
        leads = Lead.objects.restrict(user, Action.VIEW)
        context["open_leads"] = leads.filter(status=LeadStatus.OPEN).count()
        context["overdue_leads"] = lead_services.overdue(leads).count()
        coverage = core_services.team_coverage(units=units.filter(level=UnitLevel.COMMUNITY))
        context["uncovered"] = sum(1 for row in coverage if not row["complete"])
        context["communities"] = len(coverage)
        context["now"] = timezone.now()
        context.update(self.control_figures(user, now=context["now"]))
        context["my_sites"] = self.staffed_sites(user)
        context["my_venues"] = list(
            Venue.objects.restrict(user, Capability.DOOR_CHECK).filter(staff=user, status=VenueStatus.ACTIVE)
        )
        # One pass over the closed loop for the figures and the tasks: it is the costly part of this page.
        context["tasks"] = workbench.tasks(user, now=context["now"], loop=context.get("loop"))
        return context

    def staffed_sites(self, user) -> list:
        """A site's staff work in their hotel: it comes first on their home page, with its rooms at a glance."""
        sites = list(Site.objects.restrict(user).filter(staff=user).order_by("name"))
        for site in sites:
            site.rooms_now = occupancy([site])
        return sites

    def control_figures(self, user, *, now) -> dict:
        """People under measures, today's in and out, free rooms and overdue items: the closed loop at a glance.
        Users who may not see measures (a lab) get none of it. Over the measures the user works on (change)
        when it may work on any, so that the workbench's tasks read the same loop."""
        if not holds(user, Action.VIEW, model=Measure):
            return {}
        wanted = Capability.MEASURES_CHANGE if holds(user, Capability.MEASURES_CHANGE) else Action.VIEW
        measures = Measure.objects.restrict(user, wanted).filter(status=MeasureStatus.ACTIVE)
        loop = control_services.closed_loop(measures, now=now)
        return {"loop": loop, "free_rooms": occupancy(Site.objects.restrict(user)).available}
