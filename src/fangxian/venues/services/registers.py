"""The daily registers (每日登记): per venue, the visitors with an abnormal code, unvaccinated, or without a
48-hour negative; boards by township (属地) and by regulating department; venues whose code nobody scanned
(沉睡场所码); and the red- and yellow-code visitors turned into leads."""

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone

from fangxian.core.audit import record_access, record_change, require_actor
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, ChangeKind, UnitLevel
from fangxian.core.models import Unit, User
from fangxian.core.scoping import require, within
from fangxian.venues.choices import Answer, CodeColour, VenueStatus
from fangxian.venues.models import Scan, Venue, VenueCode, VenuePolicy
from fangxian.venues.services import figures

ABNORMAL = (CodeColour.YELLOW, CodeColour.RED)
VISITORS_SHOWN = 500
_NOTABLE = Q(code_colour__in=ABNORMAL) | Q(vaccinated=Answer.NO) | Q(negative=Answer.NO)
# The register's lines of one kind (?only=): its condition and the day figure that counts it.
KINDS = {
    "abnormal": (Q(code_colour__in=ABNORMAL), "abnormal"),
    "unvaccinated": (Q(vaccinated=Answer.NO), "unvaccinated"),
    "without_negative": (Q(negative=Answer.NO), "without_negative"),
}


@dataclass(frozen=True)
class VenueRef:
    """What a register says of a venue (a township's register lists thousands: no model instance each)."""

    pk: int
    uuid: object
    name: str
    status: str
    regulator: str
    unit_code: str
    township: str


@dataclass
class RegisterRow:
    venue: VenueRef
    scans: int = 0
    abnormal: int = 0
    unvaccinated: int = 0
    without_negative: int = 0


@dataclass
class Visitor:
    venue: VenueRef
    scanned_at: datetime.datetime
    doc_type: str
    doc_number: str
    name: str
    phone: str
    area: str
    code_colour: str
    vaccinated: str
    negative: str


@dataclass
class Register:
    day: datetime.date
    rows: list[RegisterRow]
    visitors: list[Visitor]
    visitors_total: int

    @property
    def sleeping(self) -> list[VenueRef]:
        return [row.venue for row in self.rows if row.scans == 0 and row.venue.status == VenueStatus.ACTIVE]

    def totals(self) -> RegisterRow:
        total = RegisterRow(venue=None)  # type: ignore[arg-type]
        for row in self.rows:
            total.scans += row.scans
            total.abnormal += row.abnormal
            total.unvaccinated += row.unvaccinated
            total.without_negative += row.without_negative
        return total

    def board(self, key) -> list[tuple[str, RegisterRow, int]]:
        """(label, summed row, venues) per township or per regulator (`key`: venue → label)."""
        groups: dict[str, RegisterRow] = {}
        counts: dict[str, int] = defaultdict(int)
        for row in self.rows:
            label = key(row.venue)
            total = groups.setdefault(label, RegisterRow(venue=None))  # type: ignore[arg-type]
            total.scans += row.scans
            total.abnormal += row.abnormal
            total.unvaccinated += row.unvaccinated
            total.without_negative += row.without_negative
            counts[label] += 1
        return sorted(
            ((label, row, counts[label]) for label, row in groups.items()), key=lambda item: -item[1].abnormal
        )


def venues_for(user: User, unit: Unit | None = None):
    venues = Venue.objects.restrict(user, Capability.VENUE_SCANS_VIEW)
    if unit is not None:
        venues = within(venues, unit)
    return venues


def venue_refs(venues) -> dict[int, VenueRef]:
    townships = dict(Unit.objects.filter(level=UnitLevel.TOWNSHIP).values_list("code", "name"))
    rows = venues.values_list(
        "pk", "uuid", "name", "status", "category__regulator", "unit__code", "unit__path"
    ).order_by()
    refs = {}
    for pk, uuid, name, status, regulator, unit_code, path in rows:
        parts = path.strip("/").split("/")
        township = townships.get(parts[1], "") if len(parts) > 1 else ""
        refs[pk] = VenueRef(pk, uuid, name, status, regulator, unit_code, township)
    return refs


def day_register(
    *,
    user: User,
    day: datetime.date,
    unit: Unit | None = None,
    venues=None,
    log: bool = True,
    visitors: bool = True,
    only: str = "",
) -> Register:
    """The register of `day` over the venues the user may see (within `unit`): counts per venue (from the day
    figures the ingestion keeps), and the notable visitors of the venues with the most of them first (up to
    VISITORS_SHOWN, in time order; the export has them all). Reading it is logged: it names people."""
    require_actor(user)
    scope = venues if venues is not None else venues_for(user, unit)
    by_id = venue_refs(scope)
    rows = {pk: RegisterRow(ref) for pk, ref in by_id.items()}
    code_venue: dict[str, int] = {}
    notable_by_code: dict[str, int] = {}
    # The day's figures of every code of the venues in scope (the scope runs inside the statement).
    counted = figures.for_day(day, VenueCode.objects.filter(venue__in=scope).values("code"))
    # Every code of the venues in scope (a few thousand rows): cheaper than naming the counted codes in an IN list.
    codes = dict(VenueCode.objects.filter(venue__in=scope).values_list("code", "venue_id")) if counted else {}
    condition, figure = KINDS.get(only, (_NOTABLE, "notable"))
    for code, counts in counted.items():
        if code not in codes:
            continue
        notable = getattr(counts, figure)
        code_venue[code] = codes[code]
        row = rows[codes[code]]
        row.scans += counts.scans
        row.abnormal += counts.abnormal
        row.unvaccinated += counts.unvaccinated
        row.without_negative += counts.without_negative
        if notable:
            notable_by_code[code] = notable
    total = sum(notable_by_code.values())
    ordered = sorted(rows.values(), key=lambda row: (-row.abnormal, -row.unvaccinated, row.venue.name))
    listed: list[Visitor] = []
    if visitors and total:
        # The codes of the venues with the most to register, until they hold a page of visitors: the listing
        # reads those venues' scans only (by the code + time index), not the whole day of the unit.
        wanted, enough = [], 0
        for code, count in sorted(notable_by_code.items(), key=lambda item: -item[1]):
            wanted.append(code)
            enough += count
            if enough >= VISITORS_SHOWN:
                break
        found = (
            Scan.objects.filter(day=day, venue_code__in=wanted)
            .filter(condition)
            .order_by("scanned_at")
            .values_list(
                "venue_code",
                "scanned_at",
                "doc_type",
                "doc_number",
                "name",
                "phone",
                "area",
                "code_colour",
                "vaccinated",
                "negative",
            )
        )
        listed = [Visitor(by_id[code_venue[row[0]]], *row[1:]) for row in found[:VISITORS_SHOWN]]
        # Red and yellow codes first (what the door and the township act on), each part in time order.
        listed.sort(key=lambda visitor: (visitor.code_colour not in ABNORMAL, visitor.scanned_at))
    where = unit or user.unit
    if log and where is not None:
        record_access(
            actor=user,
            kind=AccessKind.LIST,
            unit=where,
            model="venues.scan",
            detail={"register": day.isoformat(), "venues": len(by_id), "visitors": len(listed)},
        )
    return Register(day=day, rows=ordered, visitors=listed, visitors_total=total)


def abnormal_today(*, user: User, day: datetime.date) -> int:
    """Yellow- and red-code scans of `day` at the user's venues (the workbench's count; the register's total)."""
    codes = VenueCode.objects.filter(venue__in=venues_for(user).values("pk")).values("code")
    return sum(counts.abnormal for counts in figures.for_day(day, codes, abnormal_only=True).values())


def notable_scans(*, user: User, day: datetime.date, unit: Unit | None = None):
    """Every notable scan of the day in the venues the user may export (a user may see more than they may take
    away): (venue, scan values)."""
    exportable = Venue.objects.restrict(user, Capability.EXPORT).values("pk")
    scope = venues_for(user, unit).filter(pk__in=exportable).select_related("category")
    venues = {venue.pk: venue for venue in scope}
    code_venue = dict(VenueCode.objects.filter(venue_id__in=list(venues)).values_list("code", "venue_id"))
    rows = Scan.objects.filter(day=day, venue_code__in=list(code_venue)).filter(_NOTABLE).order_by("scanned_at")
    for scan in rows.iterator(chunk_size=5000):
        yield venues[code_venue[scan.venue_code]], scan


def abnormal_code_leads(*, actor: User, day: datetime.date, unit: Unit | None = None) -> int:
    """Red- and yellow-code visitors of the day in the actor's venues become leads (异常扫码, source 场所扫码),
    each routed to the person's own unit; a person with an open lead of that kind is not given another."""
    from fangxian.leads.choices import LeadCategory, LeadSource
    from fangxian.venues.services.leads import Sighting, leads_for_sightings

    require_actor(actor)
    scope = venues_for(actor, unit)
    # Only the codes whose day figures hold a yellow or red code: the day's other scans are not read.
    flagged = figures.for_day(day, VenueCode.objects.filter(venue__in=scope).values("code"), abnormal_only=True)
    code_venue = dict(VenueCode.objects.filter(code__in=list(flagged)).values_list("code", "venue_id"))
    venues = {venue.pk: venue for venue in Venue.objects.filter(pk__in=set(code_venue.values())).select_related("unit")}
    scans = Scan.objects.filter(day=day, venue_code__in=list(code_venue), code_colour__in=ABNORMAL).order_by(
        "scanned_at"
    )
    sightings = [
        Sighting(
            doc_type=scan.doc_type,
            doc_number=scan.doc_number,
            name=scan.name,
            phone=scan.phone,
            venue=venues[code_venue[scan.venue_code]],
            detail={
                "场所": venues[code_venue[scan.venue_code]].name,
                "扫码时间": timezone.localtime(scan.scanned_at).strftime("%Y-%m-%d %H:%M"),
                "健康码": scan.get_code_colour_display(),
            },
        )
        for scan in scans
    ]
    return leads_for_sightings(
        actor=actor,
        sightings=sightings,
        category=LeadCategory.ABNORMAL_SCAN,
        source=LeadSource.VENUE_SCAN,
        reason="场所扫码异常：红黄码人员",
        district=unit.district() if unit is not None else None,
    )


def set_policy(*, actor: User, district: Unit, abnormal_leads_auto: bool) -> VenuePolicy:
    """Turn the automatic red/yellow-code leads on or off for the district (recorded)."""
    require_actor(actor)
    require(actor, Capability.LEADS_IMPORT, district)
    policy = VenuePolicy.objects.filter(district=district).first()
    before = {"abnormal_leads_auto": policy.abnormal_leads_auto if policy else False}
    policy, _ = VenuePolicy.objects.update_or_create(
        district=district,
        defaults={"abnormal_leads_auto": abnormal_leads_auto, "changed_by": actor, "changed_at": timezone.now()},
    )
    record_change(
        actor=actor,
        kind=ChangeKind.UPDATE,
        instance=policy,
        unit=district,
        before=before,
        after={"abnormal_leads_auto": abnormal_leads_auto},
        reason="红黄码人员自动生成线索：" + ("开启" if abnormal_leads_auto else "关闭"),
    )
    return policy


def automatic_abnormal_leads(*, actor: User, now: datetime.datetime | None = None) -> int:
    """The worker's minute: today's red- and yellow-code visitors made leads in every district that wants it."""
    day = timezone.localdate(now)
    made = 0
    for policy in VenuePolicy.objects.filter(abnormal_leads_auto=True).select_related("district"):
        made += abnormal_code_leads(actor=actor, day=day, unit=policy.district)
    return made
