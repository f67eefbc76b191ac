from django.http import Http404
from django.views.generic import TemplateView
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.response import Response

from fangxian.core.api import ScopedViewSet
from fangxian.core.capabilities import Capability
from fangxian.core.choices import UnitLevel
from fangxian.core.models import Unit
from fangxian.core.views import ScopedMixin, object_or_404, scope_root_units
from fangxian.dashboard import services

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
