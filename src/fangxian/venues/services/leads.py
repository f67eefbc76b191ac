"""People seen at venues (a red code at the door, a co-visitor of a case) made leads: registered first when the
registry does not know them (in the venue's community, where they were seen), then routed to their own unit."""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.utils import timezone

from fangxian.core.audit import require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.models import User
from fangxian.core.scoping import require
from fangxian.venues.models import Venue


@dataclass
class Sighting:
    doc_type: str
    doc_number: str
    name: str
    phone: str
    venue: Venue | None
    detail: dict = field(default_factory=dict)
    category: str = ""  # overrides the call's category (a co-visitor above the close-contact threshold)


def leads_for_sightings(
    *, actor: User, sightings: list[Sighting], category: str, source: str, reason: str, district=None
) -> int:
    """`district`: whose leads these are when the actor has no unit of its own (the worker's service account)."""
    from fangxian.leads.choices import LeadStatus
    from fangxian.leads.models import Lead
    from fangxian.leads.services import NewLead, create_leads
    from fangxian.people.documents import DocumentError, parse_document
    from fangxian.people.models import Person
    from fangxian.people.services import PersonRow, bulk_register_persons

    require_actor(actor)
    if not sightings:
        return 0
    if district is None:
        if actor.unit is None:
            raise PermissionDenied("该账号不属于任何单位，不能生成线索")
        district = actor.unit.district()
    require(actor, Capability.LEADS_IMPORT, district)
    first: dict[str, Sighting] = {}
    for sighting in sightings:
        first.setdefault(sighting.doc_number, sighting)
    known = {
        person.doc_number: person for person in Person.objects.filter(doc_number__in=list(first)).select_related("unit")
    }
    unknown, rows = [], []
    for doc, sighting in first.items():
        if doc in known or sighting.venue is None:
            continue
        try:
            document = parse_document(sighting.doc_type, doc)
        except DocumentError:
            continue  # checked when scanned; a rule changed since is left for a person to look at
        unknown.append(doc)
        rows.append(
            PersonRow(
                unit=sighting.venue.unit,
                name=sighting.name or "（扫码未留姓名）",
                document=document,
                phone=sighting.phone,
            )
        )
    ids = bulk_register_persons(actor=actor, rows=rows, reason=reason) if rows else []
    registered = Person.objects.filter(pk__in=ids).select_related("unit")
    known.update({person.doc_number: person for person in registered})
    wanted, seen = [], set()
    open_leads = set(
        Lead.objects.filter(status=LeadStatus.OPEN, person__doc_number__in=list(first)).values_list(
            "person_id", "category"
        )
    )
    for doc, sighting in first.items():
        person = known.get(doc)
        kind = sighting.category or category
        if person is None or (person.pk, kind) in open_leads or person.pk in seen:
            continue
        seen.add(person.pk)
        wanted.append(
            NewLead(
                person_id=person.pk,
                person_name=person.name,
                category=kind,
                unit_id=person.unit_id,
                pushed_data=sighting.detail,
            )
        )
    if not wanted:
        return 0
    return create_leads(actor=actor, leads=wanted, source=source, received_at=timezone.now(), reason=reason)
