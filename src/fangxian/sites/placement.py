"""The sites app as control's places (control.placement): its sites, a check-in from a measure, floor mates."""

import uuid

from django.core.exceptions import ValidationError
from django.shortcuts import get_object_or_404

from fangxian.core.capabilities import Capability
from fangxian.sites import services
from fangxian.sites.choices import SiteStatus
from fangxian.sites.models import Site, Stay


class SitePlaces:
    def open_to(self, user, capability):
        return Site.objects.restrict(user, capability).filter(status=SiteStatus.ACTIVE).order_by("name")

    def place(self, *, actor, key, measure):
        site = get_object_or_404(self.open_to(actor, Capability.SITES_OPERATE), uuid=_uuid_or_none(key))
        stay = services.check_in(actor=actor, site=site, person=measure.person, measure=measure)
        return f"{site.name} {stay.room.number}"

    def send(self, *, actor, key, measure):
        site = get_object_or_404(self.open_to(actor, Capability.SITES_VIEW), uuid=_uuid_or_none(key))
        return services.send_to_site(actor=actor, site=site, measure=measure).site.name

    def cancel_send(self, *, actor, measure):
        arrival = services.pending_arrival(measure)
        if arrival is None:
            raise ValidationError("没有待入住的转运安排")
        return services.cancel_arrival(actor=actor, arrival=arrival).site.name

    def pending(self, measure):
        arrival = services.pending_arrival(measure)
        return arrival.site.name if arrival is not None else None

    def cancellable(self, actor, measure):
        arrival = services.pending_arrival(measure)
        return arrival is not None and services.may_cancel_arrival(actor, arrival)

    def neighbours(self, measure):
        stay = Stay.objects.filter(person=measure.person).select_related("room").order_by("-checked_in_at").first()
        if stay is None:
            return []
        floors = [stay.room.floor - 1, stay.room.floor, stay.room.floor + 1]
        return list(
            Stay.objects.filter(site=stay.site, room__floor__in=floors, checked_out_at__isnull=True)
            .exclude(person=measure.person)
            .select_related("person", "room", "measure")
        )


def _uuid_or_none(key: str):
    try:
        return uuid.UUID(key)
    except (TypeError, ValueError):
        return None
