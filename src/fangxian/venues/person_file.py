"""A person's venue scans in their file (一人一档), for the tracing roles only (where someone went is for tracing),
with the co-visit query one click away."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangxian.core.capabilities import Capability
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import holds
from fangxian.venues.models import Scan
from fangxian.venues.services.covisit import Places

_COLOURS = {"red": "red", "yellow": "yellow", "green": "green"}


def scans(person, user) -> FileSection | None:
    if not holds(user, Capability.COVISIT_TRACE):
        return None
    rows = list(
        Scan.objects.filter(doc_number=person.doc_number)
        .order_by("-scanned_at")[:30]
        .values_list("scanned_at", "venue_code", "area", "code_colour")
    )
    places = Places({row[1] for row in rows})
    entries = (
        [
            FileEntry(
                when=None,
                title=_("时空伴随排查（以此人为病例）"),
                url=f"{reverse('venues:covisit')}?{urlencode({'person': person.uuid})}",
                colour="red",
            )
        ]
        if rows
        else []
    )
    labels = {"red": _("红码"), "yellow": _("黄码"), "green": _("绿码")}
    entries += [
        FileEntry(
            when=moment,
            title=places[code].name,
            detail=" · ".join(part for part in (area, labels.get(colour, "")) if part),
            colour=_COLOURS.get(colour, "secondary"),
        )
        for moment, code, area, colour in rows
    ]
    return FileSection(_("场所扫码"), entries, "file-scans")
