"""The situation in figures (疫情防控态势) for one unit and the units directly below it, from aggregate queries:
what the command dashboard shows and the evening briefing reports.

Person counts per unit are one GROUP BY over the district, kept for a few minutes (the registry moves slowly and a
count over 10⁶ rows is the one expensive figure); everything else is read live."""

import datetime
from collections import defaultdict

from django.core.cache import cache
from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from fangxian.core.choices import TERRITORIAL_LEVELS
from fangxian.core.models import Unit
from fangxian.leads.choices import LeadStatus
from fangxian.leads.models import Lead, RiskArea
from fangxian.people.models import Person
from fangxian.reports import services as report_services
from fangxian.reports.choices import Filing
from fangxian.reports.figures import day_bounds

PERSON_COUNT_SECONDS = 300
TREND_DAYS = 14
PHASE_FIGURES = {
    "centralised": "under_centralised",
    "home_isolation": "under_home_isolation",
    "home_monitoring": "under_monitoring",
    "community_monitoring": "under_monitoring",
}


def person_counts(district: Unit) -> dict[int, int]:
    key = f"dashboard:persons:{district.pk}"
    counts = cache.get(key)
    if counts is None:
        # The whole table grouped by unit answers from the (unit, category) index alone (COUNT(*), no id and no
        # join to units): three times faster than counting only this district's ids.
        inside = set(Unit.objects.filter(path__startswith=district.path).values_list("id", flat=True))
        rows = Person.objects.order_by().values_list("unit_id").annotate(n=Count("*"))
        counts = {unit_id: n for unit_id, n in rows if unit_id in inside}
        cache.set(key, counts, PERSON_COUNT_SECONDS)
    return counts


def _lead_counts(ids: list[int], now: datetime.datetime) -> dict[int, dict[str, int]]:
    start, end = day_bounds(timezone.localdate(now))
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    open_rows = (
        Lead.objects.filter(unit_id__in=ids, status=LeadStatus.OPEN)
        .values_list("unit_id")
        .annotate(n=Count("*"), late=Count("deadline", filter=Lead.overdue_q(now)))
    )
    for unit_id, n, late in open_rows:
        counts[unit_id]["open"], counts[unit_id]["overdue"] = n, late
    # A lead received today has its deadline after the start of today: the deadline index bounds the scan.
    received = Lead.objects.filter(unit_id__in=ids, deadline__gte=start, received_at__gte=start, received_at__lt=end)
    # Of today's, those still open: received today = closed since + still open, by construction and by test.
    for unit_id, n, still_open in received.values_list("unit_id").annotate(
        n=Count("*"), still_open=Count("id", filter=Q(status=LeadStatus.OPEN))
    ):
        counts[unit_id]["received_today"] = n
        counts[unit_id]["received_today_open"] = still_open
    verified = Lead.objects.filter(unit_id__in=ids, verified_at__gte=start, verified_at__lt=end)
    for unit_id, n in verified.values_list("unit_id").annotate(n=Count("*")):
        counts[unit_id]["verified_today"] = n
    return counts


def _measure_counts(ids: list[int], now: datetime.datetime) -> dict[int, dict[str, int]]:
    """People under each kind of measure today, per unit: the phase is read from each active measure's plan."""
    from fangxian.control.choices import MeasureStatus
    from fangxian.control.models import Measure

    today = timezone.localdate(now).isoformat()
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = Measure.objects.filter(unit_id__in=ids, status=MeasureStatus.ACTIVE).values_list(
        "unit_id", "plan", "end_date"
    )
    for unit_id, plan, end_date in rows:
        phase = next((item for item in plan if item["start"] <= today <= item["end"]), None)
        if phase is not None:
            counts[unit_id][PHASE_FIGURES[phase["kind"]]] += 1
        elif end_date.isoformat() < today:
            counts[unit_id]["release_overdue"] += 1
    return counts


def _trend(ids: list[int], now: datetime.datetime) -> list[dict]:
    today = timezone.localdate(now)
    first = today - datetime.timedelta(days=TREND_DAYS - 1)
    start, _ = day_bounds(first)
    rows = (
        Lead.objects.filter(unit_id__in=ids, deadline__gte=start, received_at__gte=start)
        .annotate(day=TruncDate("received_at", tzinfo=timezone.get_current_timezone()))
        .values_list("day")
        .annotate(n=Count("*"))
    )
    by_day = dict(rows)
    return [
        {
            "day": (first + datetime.timedelta(days=i)).isoformat(),
            "leads_received": by_day.get(first + datetime.timedelta(days=i), 0),
        }
        for i in range(TREND_DAYS)
    ]


def _reports(unit: Unit, district: Unit, now: datetime.datetime) -> list[dict]:
    today = timezone.localdate(now)
    result = []
    for form in report_services.forms_for_district(district):
        units = report_services.reporting_units(form).filter(path__startswith=unit.path)
        rows = report_services.completeness(form=form, day=today, units=units, now=now)
        tally = {value: 0 for value in Filing.values}
        for row in rows:
            tally[row.filing] += 1
        result.append({"form": form.name, "uuid": str(form.uuid), "units": len(rows), **tally})
    return result


def snapshot(*, unit: Unit, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    district = unit.district()
    units = list(Unit.objects.filter(path__startswith=unit.path, is_active=True).values("id", "path", "parent_id"))
    ids = [row["id"] for row in units]
    children = list(
        Unit.objects.filter(parent=unit, is_active=True, level__in=TERRITORIAL_LEVELS).order_by("code")
    )  # the territory: departments and working groups have no figures of their own
    people = person_counts(district)
    leads = _lead_counts(ids, now)
    measures = _measure_counts(ids, now)

    def total(paths_prefix: str) -> dict[str, int]:
        inside = [row["id"] for row in units if row["path"].startswith(paths_prefix)]
        figures = {"persons": sum(people.get(i, 0) for i in inside)}
        for name in ("received_today", "received_today_open", "verified_today", "open", "overdue"):
            figures[f"leads_{name}"] = sum(leads[i][name] for i in inside if i in leads)
        figures["leads_received_today_closed"] = figures["leads_received_today"] - figures["leads_received_today_open"]
        for name in (*dict.fromkeys(PHASE_FIGURES.values()), "release_overdue"):
            figures[name] = sum(measures[i][name] for i in inside if i in measures)
        return figures

    from fangxian.sites.models import Site
    from fangxian.sites.services import occupancy

    rooms = occupancy(Site.objects.filter(unit__path__startswith=unit.path))
    areas = RiskArea.objects.filter(district=district, declared_at__lte=now).filter(
        Q(lifted_at__isnull=True) | Q(lifted_at__gt=now)
    )
    parent = unit.parent if unit != district else None
    totals = total(unit.path)
    rows = [{"code": child.code, "name": child.name, "level": child.level, **total(child.path)} for child in children]
    # What the unit holds itself (a lead kept at the district, people registered to the township office):
    # its own row, so that the rows of a table always add up to its totals.
    own = {name: value - sum(row[name] for row in rows) for name, value in totals.items()}
    return {
        "unit": {"code": unit.code, "name": unit.name, "level": unit.level},
        "parent": {"code": parent.code, "name": parent.name} if parent is not None else None,
        "at": now.isoformat(),
        "totals": totals,
        "children": rows,
        "own": {"name": f"{unit.name}本级", **own} if any(own.values()) else None,
        "rooms": {
            "used": rooms.occupied,
            "free": rooms.available,
            "cleaning": rooms.cleaning,
            "reserve": rooms.reserve_rooms,
        },
        "trend": _trend(ids, now),
        "reports": _reports(unit, district, now),
        "risk_areas": [
            {"name": area.name, "level": area.level, "level_label": str(area.get_level_display())}
            for area in areas.order_by("level", "name")
        ],
        "testing": _testing(ids, now),
        "venues": _venues(ids, now),
        "cases": _cases(ids, district, now),
        "vaccination": _vaccination(ids, unit, now),
    }


def _vaccination(ids: list[int], unit: Unit, now: datetime.datetime) -> dict:
    """Coverage in the unit and below (by band and for 一老一小), today's doses and the targets' day."""
    from fangxian.vaccination.command import figures

    return figures(ids, unit, timezone.localdate(now))


def _cases(ids: list[int], district: Unit, now: datetime.datetime) -> dict[str, int]:
    """Case investigation in the unit and below: today's cases (社会面 / 管控中发现), open and late investigations,
    contacts found today and whether pushed contacts were placed under control in time."""
    from fangxian.cases.command import figures

    return figures(ids, district, now)


def _testing(ids: list[int], now: datetime.datetime) -> dict[str, int]:
    """Today's sampling in the unit and below (from the (unit, sampled on) index of tubes) and the people held
    by positive pools."""
    from fangxian.testing.choices import RECALLING_RESULTS, RecallStatus
    from fangxian.testing.models import Recall, Tube

    today = timezone.localdate(now)
    tubes = Tube.objects.filter(unit_id__in=ids, sampled_on=today).aggregate(
        tubes=Count("id"),
        people=Sum("member_count"),
        pending=Count("id", filter=Q(result="")),
        recalling=Count("id", filter=Q(result__in=RECALLING_RESULTS, pool_size__gt=1)),
    )
    held = Recall.objects.filter(unit_id__in=ids, status=RecallStatus.HELD).count()
    return {
        "sampled_today": tubes["people"] or 0,
        "tubes_today": tubes["tubes"],
        "tubes_pending": tubes["pending"],
        "positive_pools_today": tubes["recalling"],
        "held": held,
    }


def _venues(ids: list[int], now: datetime.datetime) -> dict[str, int]:
    """Today's scans at the venues of the unit and below: how many, how many yellow or red, and the active venues
    whose code nobody scanned today (沉睡场所码)."""
    from fangxian.venues.choices import VenueStatus
    from fangxian.venues.models import Venue, VenueCode
    from fangxian.venues.services import figures

    today = timezone.localdate(now)
    venues = Venue.objects.filter(unit_id__in=ids)
    code_venue = dict(VenueCode.objects.filter(venue__in=venues.values("pk")).values_list("code", "venue_id"))
    # The day figures the ingestion keeps: no count over the day's scans.
    scanned, scans, abnormal = set(), 0, 0
    for code, counts in figures.for_day(today, code_venue).items():
        if counts.scans:
            scanned.add(code_venue[code])
        scans += counts.scans
        abnormal += counts.abnormal
    active = set(venues.filter(status=VenueStatus.ACTIVE).values_list("pk", flat=True))
    return {"scans_today": scans, "abnormal_today": abnormal, "sleeping": len(active - scanned), "active": len(active)}
