from django.contrib import messages
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from fangxian.core.capabilities import Capability
from fangxian.core.exporting import ExportMixin
from fangxian.core.scoping import can_row
from fangxian.core.views import (
    CapabilityRequiredMixin,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
)
from fangxian.venues import services
from fangxian.venues.filtersets import VenueFilterSet
from fangxian.venues.forms import VenueForm
from fangxian.venues.models import Venue
from fangxian.venues.tables import venue_columns


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
