"""Figures the system already knows, by unit (and everything below it) and day, for pre-filling reports and for
the dashboard. Each module adds its own as it lands; a form field names one by its key."""

import datetime
from collections.abc import Callable
from dataclasses import dataclass

from django.utils import timezone

from fangxian.core.models import Unit


@dataclass(frozen=True)
class Figure:
    label: str
    count: Callable[[list[int], datetime.date], int]  # (unit ids of the subtree, day) -> figure


FIGURES: dict[str, Figure] = {}


def figure(key: str, label: str):
    def register(function: Callable[[list[int], datetime.date], int]):
        FIGURES[key] = Figure(label, function)
        return function

    return register


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The local day as an aware [start, end) range: comparisons on an indexed column, not a date cast per row."""
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time()))
    return start, start + datetime.timedelta(days=1)


def subtree_ids(unit: Unit) -> list[int]:
    return list(Unit.objects.filter(path__startswith=unit.path).values_list("id", flat=True))


def live_values(unit: Unit, day: datetime.date, keys) -> dict[str, int]:
    ids = subtree_ids(unit)
    return {key: FIGURES[key].count(ids, day) for key in keys if key in FIGURES}


def choices() -> list[tuple[str, str]]:
    return [("", "—")] + [(key, item.label) for key, item in FIGURES.items()]


@figure("persons_registered", "登记人员数")
def _persons(ids, day):
    from fangxian.people.models import Person

    return Person.objects.filter(unit_id__in=ids).count()


@figure("leads_received", "当日接收协查任务")
def _leads_received(ids, day):
    from fangxian.leads.models import Lead

    start, end = day_bounds(day)
    return Lead.objects.filter(unit_id__in=ids, received_at__gte=start, received_at__lt=end).count()


@figure("leads_verified", "当日核查办结")
def _leads_verified(ids, day):
    from fangxian.leads.models import Lead

    start, end = day_bounds(day)
    return Lead.objects.filter(unit_id__in=ids, verified_at__gte=start, verified_at__lt=end).count()


@figure("leads_open", "在办协查任务")
def _leads_open(ids, day):
    from fangxian.leads.choices import LeadStatus
    from fangxian.leads.models import Lead

    return Lead.objects.filter(unit_id__in=ids, status=LeadStatus.OPEN).count()


@figure("leads_overdue", "超时未核查（失管漏管）")
def _leads_overdue(ids, day):
    from fangxian.leads.models import Lead

    return Lead.objects.filter(Lead.overdue_q(timezone.now()), unit_id__in=ids).count()


@figure("vaccination_doses", "当日接种剂次")
def _vaccination_doses(ids, day):
    from fangxian.vaccination.models import Dose

    return Dose.objects.filter(person__unit_id__in=ids, given_on=day).count()


@figure("vaccination_first_doses", "当日首剂接种人数")
def _vaccination_first_doses(ids, day):
    from fangxian.vaccination.choices import DoseKind
    from fangxian.vaccination.models import Dose

    return Dose.objects.filter(person__unit_id__in=ids, given_on=day, kind=DoseKind.FIRST).count()


@figure("vaccination_boosters", "当日加强免疫人数")
def _vaccination_boosters(ids, day):
    from fangxian.vaccination.choices import BOOSTER_KINDS
    from fangxian.vaccination.models import Dose

    return Dose.objects.filter(person__unit_id__in=ids, given_on=day, kind__in=list(BOOSTER_KINDS)).count()


@figure("vaccination_roster", "待接种（动员名单）人数")
def _vaccination_roster(ids, day):
    from fangxian.people.models import Person
    from fangxian.vaccination.services.roster import roster

    return roster(Person.objects.filter(unit_id__in=ids), day=day).count()
