"""Co-visit tracing (时空伴随): who was at a case's venues while the case was there.

A scan records an arrival only. A stay runs from a scan to the person's next scan elsewhere, capped by the
venue category's usual stay; scans at the same venue and sub-area in a row are one stay. Everyone whose stay at
the same venue (the same sub-area where both scans name one) meets the case's stay widened by the category's
margin is a co-visitor: meeting at the very edge counts (arriving exactly N minutes after the case left), one
second later does not. A scan made for someone else (代扫) puts both of them there.
"""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from fangxian.core.masking import mask_document_text
from fangxian.venues.models import Scan, Venue, VenueCode

DEFAULT_LOOKBACK_DAYS = 4
UNREGISTERED_STAY_MINUTES = 60
UNREGISTERED_MARGIN_MINUTES = 30


@dataclass(frozen=True)
class Place:
    """Where a scan was: a registered venue (all its codes) or, for a code nobody registered, the code alone."""

    key: str
    name: str
    codes: tuple[str, ...]
    stay: datetime.timedelta
    margin: datetime.timedelta
    close_contact: datetime.timedelta | None
    venue_id: int | None = None


@dataclass
class Stay:
    doc_number: str
    place: Place
    area: str
    start: datetime.datetime
    end: datetime.datetime


@dataclass
class Encounter:
    place: Place
    area: str
    case_doc: str
    case_start: datetime.datetime
    case_end: datetime.datetime
    start: datetime.datetime
    end: datetime.datetime
    overlap: datetime.timedelta

    @property
    def overlap_minutes(self) -> int:
        return int(self.overlap.total_seconds() // 60)


@dataclass
class CoVisitor:
    doc_type: str
    doc_number: str
    name: str
    phone: str
    proxy_for: str = ""  # the document of whom this person scanned for (they were there as the scanner)
    encounters: list[Encounter] = field(default_factory=list)

    @property
    def overlap(self) -> datetime.timedelta:
        return max((item.overlap for item in self.encounters), default=datetime.timedelta(0))

    @property
    def overlap_minutes(self) -> int:
        return int(self.overlap.total_seconds() // 60)

    @property
    def close_contact(self) -> bool:
        return any(
            item.place.close_contact is not None and item.overlap >= item.place.close_contact
            for item in self.encounters
        )


@dataclass
class Tracing:
    cases: list[str]
    since: datetime.datetime
    until: datetime.datetime
    stays: list[Stay]
    covisitors: list[CoVisitor]
    cases_without_scans: list[str]

    def venue_hours(self) -> list[tuple[Place, datetime.datetime, int]]:
        """(place, local hour, how many of the cases were there): where cases met shows first."""
        seen: dict[tuple[str, datetime.datetime], set[str]] = defaultdict(set)
        places = {}
        for stay in self.stays:
            hour = timezone.localtime(stay.start).replace(minute=0, second=0, microsecond=0)
            while hour < stay.end:
                seen[(stay.place.key, hour)].add(stay.doc_number)
                places[stay.place.key] = stay.place
                hour += datetime.timedelta(hours=1)
        rows = [(places[key], hour, len(docs)) for (key, hour), docs in seen.items()]
        return sorted(rows, key=lambda row: (-row[2], row[1]))


def _days(since: datetime.datetime, until: datetime.datetime) -> list[datetime.date]:
    first, last = timezone.localtime(since).date(), timezone.localtime(until).date()
    return [first + datetime.timedelta(days=n) for n in range((last - first).days + 1)]


class Places:
    """Codes → places, read once per tracing: every code of a venue (its own, revoked and provincial) and the
    category's stay and margin."""

    def __init__(self, codes: Iterable[str]):
        codes = set(codes)
        self.by_code: dict[str, Place] = {}
        # Every code of every venue one of `codes` names, with the venue's name and its category's minutes: one
        # statement, only the columns a place needs.
        named = (
            VenueCode.objects.filter(venue__codes__code__in=codes)
            .values_list(
                "venue_id",
                "code",
                "venue__name",
                "venue__category__default_stay_minutes",
                "venue__category__covisit_margin_minutes",
                "venue__category__close_contact_minutes",
            )
            .distinct()
        )
        venues: dict[int, tuple] = {}
        all_codes: dict[int, list[str]] = defaultdict(list)
        for venue_id, code, *venue in named:
            venues[venue_id] = tuple(venue)
            all_codes[venue_id].append(code)
        for venue_id, (name, stay, margin, close_contact) in venues.items():
            place = Place(
                key=f"venue:{venue_id}",
                name=name,
                codes=tuple(sorted(all_codes[venue_id])),
                stay=datetime.timedelta(minutes=stay),
                margin=datetime.timedelta(minutes=margin),
                close_contact=datetime.timedelta(minutes=close_contact) if close_contact else None,
                venue_id=venue_id,
            )
            for code in place.codes:
                self.by_code[code] = place
        for code in codes - set(self.by_code):
            self.by_code[code] = Place(
                key=f"code:{code}",
                name=f"未登记场所码 {code}",
                codes=(code,),
                stay=datetime.timedelta(minutes=UNREGISTERED_STAY_MINUTES),
                margin=datetime.timedelta(minutes=UNREGISTERED_MARGIN_MINUTES),
                close_contact=None,
            )

    def __getitem__(self, code: str) -> Place:
        return self.by_code[code]


def stays_of(scans: list[tuple[str, datetime.datetime, str, str]], places: Places) -> list[Stay]:
    """One person's stays from their scans (doc, time, code, area), in time order."""
    scans = sorted(scans, key=lambda scan: scan[1])
    stays: list[Stay] = []
    for index, (doc, moment, code, area) in enumerate(scans):
        place = places[code]
        following = scans[index + 1] if index + 1 < len(scans) else None
        if stays and stays[-1].place.key == place.key and stays[-1].area == area and stays[-1].end >= moment:
            stay = stays[-1]  # still there: the stay runs on from this scan
        else:
            stay = Stay(doc, place, area, moment, moment)
            stays.append(stay)
        end = moment + place.stay
        if following is not None:
            end = min(end, following[1])
        stay.end = max(stay.end, end)
    return stays


def trace(*, cases: list[str], since: datetime.datetime, until: datetime.datetime, with_names: bool = True) -> Tracing:
    """Co-visitors of the cases (normalised document numbers) between `since` and `until`."""
    cases = list(dict.fromkeys(cases))
    days = _days(since, until)
    own = []
    # A case who scanned for a child was there too: one statement finds both (two index scans, OR'd).
    rows = Scan.objects.filter(
        Q(doc_number__in=cases) | Q(proxy_doc_number__in=cases),
        day__in=days,
        scanned_at__gte=since,
        scanned_at__lte=until,
    ).values_list("doc_number", "proxy_doc_number", "scanned_at", "venue_code", "area")
    wanted = set(cases)
    for doc, proxy, moment, code, area in rows:
        if doc in wanted:
            own.append((doc, moment, code, area))
        if proxy in wanted:
            own.append((proxy, moment, code, area))
    places = Places({row[2] for row in own})
    by_case: dict[str, list] = defaultdict(list)
    for row in own:
        by_case[row[0]].append(row)
    stays = [stay for doc in cases for stay in stays_of(by_case.get(doc, []), places)]
    covisitors = _covisitors(stays, cases=set(cases)) if stays else []
    return Tracing(
        cases=cases,
        since=since,
        until=until,
        stays=stays,
        covisitors=covisitors,
        cases_without_scans=[doc for doc in cases if doc not in by_case],
    )


def _meetings(stays: list[Stay]) -> list[tuple]:
    """Every scan at the case's places that may meet one of their stays, with the end of that visitor's stay:
    (stay index, doc_type, doc_number, name, phone, proxy, arrived, left, area). On PostgreSQL one statement: the
    windows as arrays joined to the scans (an index probe each), and each visitor's next scan elsewhere found by
    a probe of the unique index (person, time) — no row leaves the database that cannot meet a stay."""
    if connection.vendor == "postgresql":
        return _meetings_postgresql(stays)
    return _meetings_python(stays)


def _windows(stays: list[Stay]):
    """(stay index, place number, code, widened start, widened end, usual stay) per code of each stay's place."""
    numbers: dict[str, int] = {}
    windows: list[tuple[int, int, str, datetime.datetime, datetime.datetime, datetime.timedelta]] = []
    for index, stay in enumerate(stays):
        place = stay.place
        number = numbers.setdefault(place.key, len(numbers))
        lo, hi = stay.start - place.margin, stay.end + place.margin
        windows.extend((index, number, code, lo, hi, place.stay) for code in place.codes)
    codes = {(numbers[stay.place.key], code) for stay in stays for code in stay.place.codes}
    return windows, sorted(codes)


# The windows of the stays as arrays, and the codes of each place (a next scan at one of them is not "elsewhere").
_WINDOWS_SQL = """
    WITH w(i, p, code, lo, hi, stay) AS (
        SELECT * FROM unnest(%s::int[], %s::int[], %s::text[], %s::timestamptz[], %s::timestamptz[], %s::interval[])
    ), pc(p, code) AS (SELECT * FROM unnest(%s::int[], %s::text[]))
"""
# One case: each scan in a window, its visitor's next scan elsewhere found by a probe of the (person, time) index.
_ONE_CASE_SQL = """
    SELECT w.i, s.doc_type, s.doc_number, s.name, s.phone, s.proxy_doc_number, s.scanned_at,
           LEAST(s.scanned_at + w.stay, n.next_at), s.area
    FROM w
    JOIN venues_scan s ON s.venue_code = w.code AND s.scanned_at BETWEEN w.lo - w.stay AND w.hi AND s.day IN ({days})
    LEFT JOIN LATERAL (
        SELECT min(n.scanned_at) AS next_at FROM venues_scan n
        WHERE n.doc_number = s.doc_number AND n.day IN (s.day, s.day + 1) AND n.day IN ({next_days})
          AND n.scanned_at > s.scanned_at AND n.scanned_at < s.scanned_at + w.stay
          AND NOT EXISTS (SELECT 1 FROM pc WHERE pc.p = w.p AND pc.code = n.venue_code)
    ) n ON true
    WHERE LEAST(s.scanned_at + w.stay, n.next_at) >= w.lo
"""
# Many cases: their windows overlap at busy venues, so each scan is probed once and then matched to its windows
# (twice as fast for a thousand cases, a few milliseconds slower for one).
_MANY_CASES_SQL = """
    , candidate AS MATERIALIZED (
        SELECT DISTINCT s.doc_type, s.doc_number, s.name, s.phone, s.proxy_doc_number, s.scanned_at, s.venue_code,
               s.area, s.day, w.p, w.stay
        FROM w JOIN venues_scan s ON s.venue_code = w.code AND s.scanned_at BETWEEN w.lo - w.stay AND w.hi
                                 AND s.day IN ({days})
    ), ended AS MATERIALIZED (
        SELECT c.*, LEAST(c.scanned_at + c.stay, n.next_at) AS ends FROM candidate c
        LEFT JOIN LATERAL (
            SELECT min(n.scanned_at) AS next_at FROM venues_scan n
            WHERE n.doc_number = c.doc_number AND n.day IN (c.day, c.day + 1) AND n.day IN ({next_days})
              AND n.scanned_at > c.scanned_at AND n.scanned_at < c.scanned_at + c.stay
              AND NOT EXISTS (SELECT 1 FROM pc WHERE pc.p = c.p AND pc.code = n.venue_code)
        ) n ON true
    )
    SELECT w.i, e.doc_type, e.doc_number, e.name, e.phone, e.proxy_doc_number, e.scanned_at, e.ends, e.area
    FROM ended e JOIN w ON w.code = e.venue_code AND w.p = e.p AND e.scanned_at BETWEEN w.lo - w.stay AND w.hi
                       AND e.ends >= w.lo
"""


def _meetings_postgresql(stays: list[Stay]) -> list[tuple]:
    windows, codes = _windows(stays)
    days = sorted({day for *_, lo, hi, stay in windows for day in _days(lo - stay, hi)})
    # Literal days: the partitions are pruned at planning, for the window's scans and for the visitors' next
    # scans (their day or the next), so the plan names a few partitions instead of every kept day.
    next_days = sorted(set(days) | {day + datetime.timedelta(days=1) for day in days})
    many = len({stay.doc_number for stay in stays}) > 1
    query = _WINDOWS_SQL + (_MANY_CASES_SQL if many else _ONE_CASE_SQL).format(
        days=_literal(days), next_days=_literal(next_days)
    )
    columns = list(zip(*windows, strict=True))
    place_codes = list(zip(*codes, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(query, [list(column) for column in columns] + [list(column) for column in place_codes])
        return cursor.fetchall()


def _literal(days: list[datetime.date]) -> str:
    return ", ".join(f"'{day.isoformat()}'::date" for day in days)


def _meetings_python(stays: list[Stay]) -> list[tuple]:
    """The same on SQLite: the scans in each window, then each candidate's own scans to end their stays."""
    windows, _codes = _windows(stays)
    columns = "s.doc_type, s.doc_number, s.name, s.phone, s.proxy_doc_number, s.scanned_at, s.venue_code, s.area"
    found: list[tuple] = []
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        for index, _number, code, lo, hi, stay in windows:
            cursor.execute(
                f"SELECT {columns} FROM venues_scan s WHERE s.venue_code = %s AND s.scanned_at BETWEEN %s AND %s",
                [code, adapt(lo - stay), adapt(hi)],
            )
            found.extend((index, *row[:5], _aware(row[5]), *row[6:]) for row in cursor.fetchall())
    if not found:
        return []
    first = min(row[6] for row in found)
    last = max(row[6] + stays[row[0]].place.stay for row in found)
    later = _next_scans(sorted({row[2] for row in found}), first, last)
    meetings = []
    for index, doc_type, doc, name, phone, proxy, moment, _code, area in found:
        place = stays[index].place
        end = moment + place.stay
        for other_moment, other_code in later.get(doc, []):
            if other_moment > moment and other_code not in place.codes:
                end = min(end, other_moment)
        if end >= stays[index].start - place.margin:
            meetings.append((index, doc_type, doc, name, phone, proxy, moment, end, area))
    return meetings


def _aware(value) -> datetime.datetime:
    if isinstance(value, str):
        value = datetime.datetime.fromisoformat(value)
    return value if timezone.is_aware(value) else timezone.make_aware(value, datetime.UTC)


def _next_scans(docs: list[str], since: datetime.datetime, until: datetime.datetime) -> dict[str, list]:
    """Each candidate's own scans near the window, to end their stays at their next scan elsewhere."""
    found: dict[str, list] = defaultdict(list)
    days = _days(since, until)
    for start in range(0, len(docs), 5000):
        rows = Scan.objects.filter(
            day__in=days, doc_number__in=docs[start : start + 5000], scanned_at__gte=since, scanned_at__lte=until
        ).values_list("doc_number", "scanned_at", "venue_code")
        for doc, moment, code in rows:
            found[doc].append((moment, code))
    return found


def _covisitors(stays: list[Stay], *, cases: set[str]) -> list[CoVisitor]:
    people: dict[str, CoVisitor] = {}
    seen: set[tuple] = set()
    for index, doc_type, doc, name, phone, proxy, moment, end, area in _meetings(stays):
        stay = stays[index]
        if stay.area and area and stay.area != area:
            continue
        place = stay.place
        lo_case, hi_case = stay.start - place.margin, stay.end + place.margin
        if moment > hi_case or end < lo_case or (index, doc, moment) in seen:
            continue
        seen.add((index, doc, moment))  # a venue's two codes may list one scan for one stay once each
        overlap = max(datetime.timedelta(0), min(end, hi_case) - max(moment, lo_case))
        encounter = Encounter(place, area or stay.area, stay.doc_number, stay.start, stay.end, moment, end, overlap)
        present = [(doc, doc_type, name, phone, "")]
        if proxy:
            present.append((proxy, "", "", "", doc))  # the one who scanned for them was there as well
        for who, who_type, who_name, who_phone, proxy_for in present:
            if who in cases:
                continue
            person = people.setdefault(who, CoVisitor(who_type, who, who_name, who_phone, proxy_for))
            person.encounters.append(encounter)
    ranked = sorted(people.values(), key=lambda person: (-person.overlap, person.doc_number))
    for person in ranked:
        person.encounters.sort(key=lambda item: item.start)
    return ranked


def default_lookback_days(user) -> int:
    """The protocol's look-back (密接追溯天数) of the user's district, counted back from now by default."""
    from fangxian.control.services import protocol_for

    if not user.unit_id:
        return DEFAULT_LOOKBACK_DAYS
    return protocol_for(user.unit.district()).lookback_days or DEFAULT_LOOKBACK_DAYS


def trace_for(
    *,
    user,
    cases: list[str],
    since: datetime.datetime | None = None,
    until: datetime.datetime | None = None,
    lookback_days: int | None = None,
) -> tuple[Tracing, list[str]]:
    """trace() as a tracer asks it: documents typed or pasted (normalised, the bad ones named), the window by
    default the protocol's look-back before now, the capability checked and the query logged (it names people)."""
    from fangxian.core.audit import record_access, require_actor
    from fangxian.core.capabilities import Capability
    from fangxian.core.choices import AccessKind
    from fangxian.core.scoping import require
    from fangxian.people.choices import DocumentType
    from fangxian.people.documents import DocumentError, parse_document

    require_actor(user)
    district = user.unit.district() if user.unit_id else None
    require(user, Capability.COVISIT_TRACE, district)
    now = timezone.now()
    until = until or now
    # Scans older than the retention are gone: a window wholly before it (or before any scan could exist) is a
    # typing error, said as such rather than answered with nobody.
    kept_from = now - datetime.timedelta(days=settings.SCAN_RETENTION_DAYS + 1)
    if until < kept_from:
        raise ValidationError(f"结束时间早于扫码记录的保留期限（{settings.SCAN_RETENTION_DAYS} 天），该时段已无记录")
    since = since or until - datetime.timedelta(days=lookback_days or default_lookback_days(user))
    if since >= until:
        raise ValidationError("开始时间应早于结束时间")
    if until - since > datetime.timedelta(days=31):
        raise ValidationError("排查时段最长 31 天")
    docs, problems = [], []
    for raw in cases:
        text = str(raw).strip()
        if not text:
            continue
        try:
            docs.append(parse_document(DocumentType.RESIDENT_ID, text).number)
        except DocumentError as error:
            problems.append(f"{mask_document_text(text)}：{error}")
    if not docs:
        # Nothing to trace is not "nobody met them": say which numbers could not be read.
        raise ValidationError("；".join(problems) if problems else "请填写病例的证件号码")
    tracing = trace(cases=docs, since=since, until=until)
    record_access(
        actor=user,
        kind=AccessKind.SEARCH,
        unit=district or user.unit,
        model="venues.scan",
        detail={
            "covisit": len(docs),
            "since": since.isoformat(),
            "until": until.isoformat(),
            "found": len(tracing.covisitors),
        },
    )
    return tracing, problems


def covisit_leads(*, actor, tracing: Tracing) -> int:
    """The co-visitors as leads (时空伴随; a close contact where the overlap reached the category's threshold),
    each routed to their own unit with the category's deadline."""
    from fangxian.leads.choices import LeadCategory, LeadSource
    from fangxian.venues.services.leads import Sighting, leads_for_sightings

    venue_ids = {item.place.venue_id for person in tracing.covisitors for item in person.encounters}
    venues = Venue.objects.select_related("unit").in_bulk([pk for pk in venue_ids if pk is not None])
    sightings = []
    for person in tracing.covisitors:
        first = person.encounters[0]
        # The first registered venue they met a case at: a lead is registered in its community when the
        # registry does not know the person.
        venue_id = next((item.place.venue_id for item in person.encounters if item.place.venue_id), None)
        sightings.append(
            Sighting(
                doc_type=person.doc_type,
                doc_number=person.doc_number,
                name=person.name,
                phone=person.phone,
                venue=venues.get(venue_id) if venue_id else None,
                detail={
                    "场所": first.place.name,
                    "到达时间": timezone.localtime(first.start).strftime("%Y-%m-%d %H:%M"),
                    "重叠分钟": person.overlap_minutes,
                },
                category=LeadCategory.CLOSE_CONTACT if person.close_contact else LeadCategory.COMPANION,
            )
        )
    return leads_for_sightings(
        actor=actor,
        sightings=sightings,
        category=LeadCategory.COMPANION,
        source=LeadSource.COMPANION,
        reason="时空伴随排查",
    )
