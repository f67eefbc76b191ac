"""The door (电子卡口): a venue's staff type or scan a visitor's ID and the code colour the visitor shows; the
platform adds the 48-hour negative from testing and whether the person is under control here, decides, and
records the scan. Every lookup is logged: a door is a query of the registry by ID."""

import datetime
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from fangxian.core.audit import record_access, require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind
from fangxian.core.masking import mask_document, mask_name
from fangxian.core.models import User
from fangxian.core.notify import notify
from fangxian.core.scoping import require_row
from fangxian.people.choices import DocumentType
from fangxian.people.documents import DocumentError, parse_document
from fangxian.venues.choices import Answer, CodeColour, DoorDecision, ScanSource, VenueStatus
from fangxian.venues.models import Venue
from fangxian.venues.services.scans import frame, ingest_scans

NEGATIVE_HOURS = 48


@dataclass
class DoorCheck:
    masked_name: str
    masked_document: str
    colour: str
    negative: bool
    negative_sampled_at: datetime.datetime | None
    pending_since: datetime.datetime | None
    vaccinated: str
    decision: str
    reasons: list[str] = field(default_factory=list)
    recorded: bool = False
    masked_proxy: str = ""

    @property
    def decision_label(self) -> str:
        return str(DoorDecision(self.decision).label)


def door_check(
    *,
    actor: User,
    venue: Venue,
    doc_number: str,
    colour: str,
    doc_type: str = "",
    area: str = "",
    proxy_doc_number: str = "",
    now: datetime.datetime | None = None,
) -> DoorCheck:
    from fangxian.control.choices import MeasureStatus
    from fangxian.control.models import Measure
    from fangxian.people.models import Person
    from fangxian.testing.services import latest_negative
    from fangxian.vaccination.services.status import door_answer

    require_actor(actor)
    require_row(actor, Capability.DOOR_CHECK, venue)
    now = now or timezone.now()
    if venue.status != VenueStatus.ACTIVE:
        raise ValidationError(f"场所{venue.get_status_display()}，不能查验登记")
    if colour not in (CodeColour.GREEN, CodeColour.YELLOW, CodeColour.RED):
        raise ValidationError("请选择访客出示的健康码颜色")
    try:
        document = parse_document(doc_type or DocumentType.RESIDENT_ID, doc_number)
    except DocumentError as error:
        raise ValidationError(str(error)) from None
    if area and area not in venue.areas:
        raise ValidationError("该分区不属于本场所")
    person = Person.objects.filter(doc_type=document.doc_type, doc_number=document.number).first()
    test = latest_negative(doc_number=document.number, hours=NEGATIVE_HOURS, now=now)
    vaccinated = door_answer(person, timezone.localdate(now))
    reasons: list[str] = []
    decision = DoorDecision.PASS
    if colour == CodeColour.RED:
        decision = DoorDecision.DENY
        reasons.append("红码：禁止进入，请引导其联系属地社区")
    elif colour == CodeColour.YELLOW:
        decision = DoorDecision.LIMIT
        reasons.append("黄码：限制进入，登记后引导就近核酸检测")
    if venue.category.requires_negative and not test.negative_within:
        decision = DoorDecision.DENY
        reasons.append(f"本场所（{venue.category.name}）须查验 48 小时核酸阴性，未查到")
    measure = (
        Measure.objects.filter(person=person, status=MeasureStatus.ACTIVE).select_related("unit").first()
        if person
        else None
    )
    if person is not None and measure is not None:
        # The door is told no more than to turn the person back; the community is told where they are.
        decision = DoorDecision.DENY
        reasons.append("不予通行：请其留在原地，属地社区将核实")
        local = timezone.localtime(now)
        notify(
            unit=measure.unit,
            key=f"door:{measure.pk}:{local:%Y%m%d%H}",
            title=f"管控人员 {person.name} 出现在 {venue.name}（{local:%H:%M}），请立即核实",
            url=reverse("control:measure", kwargs={"uuid": measure.uuid}),
        )
    if decision == DoorDecision.PASS:
        reasons.append("绿码，准予通行" + ("，48 小时核酸阴性" if test.negative_within else ""))
    outcome = ingest_scans(
        actor=actor,
        scans=frame(
            [
                {
                    "venue_code": venue.code,
                    "area": area,
                    "doc_type": document.doc_type,
                    "doc_number": document.number,
                    "name": person.name if person else "",
                    "phone": "",
                    "proxy_doc_number": proxy_doc_number,
                    "scanned_at": now,
                    "code_colour": colour,
                    "vaccinated": vaccinated,
                    "negative": Answer.YES if test.negative_within else Answer.NO,
                    "device": f"door:{actor.username}"[:64],
                }
            ]
        ),
        source=ScanSource.DOOR,
        now=now,
    )
    if outcome.problems:
        raise ValidationError(outcome.problems[0].message)
    record_access(
        actor=actor,
        kind=AccessKind.SEARCH,
        unit=venue.unit,
        model="venues.scan",
        detail={"door": venue.code, "document": mask_document(document.number), "decision": decision},
    )
    return DoorCheck(
        masked_name=mask_name(person.name) if person else "（未登记人员）",
        masked_document=mask_document(document.number),
        colour=colour,
        negative=test.negative_within,
        negative_sampled_at=test.sampled_at,
        pending_since=test.pending_since,
        vaccinated=vaccinated,
        decision=decision,
        reasons=reasons,
        recorded=outcome.written + outcome.unchanged > 0,
        masked_proxy=mask_document(proxy_doc_number.strip().upper()) if proxy_doc_number.strip() else "",
    )
