"""工作台: what this user must do now, most urgent first, each a count that links to exactly that list.

A task is offered by the capability its work needs, never by the role's name, so a role sees the tasks of the
work it may do (the capability matrix) and nothing else; each count is taken over the user's own scope, through
the same definitions the linked list uses (one definition per figure)."""

from dataclasses import dataclass

from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangxian.control import services as control_services
from fangxian.control.choices import BoardItemKind, MeasureStatus
from fangxian.control.models import Measure, ScheduledTest
from fangxian.core.capabilities import Capability as C
from fangxian.core.models import Unit
from fangxian.core.scoping import holds
from fangxian.leads import services as lead_services
from fangxian.leads.choices import LeadStatus
from fangxian.leads.models import Lead
from fangxian.reports import services as report_services
from fangxian.reports.choices import Filing
from fangxian.sites.choices import RoomStatus
from fangxian.sites.models import Arrival, Room, Site
from fangxian.testing.choices import RecallStatus, TubeStatus
from fangxian.testing.models import Recall, Tube
from fangxian.venues.services import registers as venue_registers


@dataclass(frozen=True)
class Task:
    key: str  # the test id of its card
    title: str
    count: int
    url: str
    urgent: bool = False  # red while not zero: past a deadline, or people waiting on it
    note: str = ""

    @property
    def open(self) -> bool:
        return self.count > 0


def _link(name: str, **query) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(query)}" if query else url


def tasks(user, *, loop=None, now=None) -> list["Task"]:
    """The user's tasks: the open ones first (urgent before the rest), then those already at zero.
    `loop`: the closed loop of the measures in scope, when the caller has it already."""
    now = now or timezone.now()
    found: list[Task] = []
    for provider in (_leads, _measures, _sites, _testing, _venues, _reports):
        found.extend(provider(user, now=now, loop=loop))
    return sorted(found, key=lambda task: (not task.open, not task.urgent))


def _leads(user, *, now, loop):
    if not holds(user, C.LEADS_VERIFY):
        return []
    leads = Lead.objects.restrict(user, C.LEADS_VERIFY)
    return [
        Task(
            "task-overdue-leads",
            _("超时未核查的协查任务"),
            lead_services.overdue(leads).count(),
            _link("leads:list", status=LeadStatus.OPEN, overdue="1"),
            urgent=True,
        ),
        Task(
            "task-open-leads",
            _("待核查的协查任务"),
            leads.filter(status=LeadStatus.OPEN).count(),
            _link("leads:list", status=LeadStatus.OPEN),
        ),
        *(
            [
                Task(
                    "task-placement",
                    _("已核查、待落实管控"),
                    Lead.awaiting_placement(leads).count(),
                    _link("leads:list", pending="placement", status=""),
                    urgent=True,
                )
            ]
            if holds(user, C.MEASURES_CHANGE)
            else []
        ),
    ]


def _measures(user, *, now, loop):
    if not holds(user, C.MEASURES_CHANGE):
        return []
    measures = Measure.objects.restrict(user, C.MEASURES_CHANGE).filter(status=MeasureStatus.ACTIVE)
    loop = loop or control_services.closed_loop(measures, now=now)
    today = timezone.localdate(now)
    slot = 1 if timezone.localtime(now).time() < control_services.EVENING_FROM else 2
    late = sum(1 for item in loop.follow_ups if item.due_at < now)
    found = [
        Task(
            "task-alarms-late",
            _("报警超时未处置"),
            late,
            _link("control:board", kind=BoardItemKind.ALARM_LATE),
            urgent=True,
        ),
        Task(
            "task-alarms",
            _("报警待处置（未超时）"),
            len(loop.follow_ups) - late,
            _link("control:board", kind=BoardItemKind.ALARM),
            urgent=True,
        ),
        Task(
            "task-checks",
            _("本轮健康监测待登记（第 %(slot)s 次）") % {"slot": slot},
            control_services.checks_due(measures, day=today, slot=slot),
            _link("control:checks", slot=slot),
        ),
        Task(
            "task-tests",
            _("今日应检核酸待登记结果"),
            ScheduledTest.objects.filter(measure__in=measures, day__lte=today, result="").count(),
            _link("control:tests_due"),
        ),
    ]
    if holds(user, C.MEASURES_RELEASE):
        found.append(
            Task(
                "task-release",
                _("期满待解除"),
                len(loop.release_overdue),
                _link("control:board", kind=BoardItemKind.RELEASE_OVERDUE),
                urgent=True,
            )
        )
    return found


def _sites(user, *, now, loop):
    if not holds(user, C.SITES_OPERATE):
        return []
    sites = Site.objects.restrict(user, C.SITES_OPERATE)
    staffed = list(sites.filter(staff=user)[:2])
    # A site's staff go to their hotel; the district to the list of sites.
    where = reverse("sites:detail", kwargs={"uuid": staffed[0].uuid}) if len(staffed) == 1 else reverse("sites:list")
    return [
        Task(
            "task-arrivals",
            _("已安排转运、待入住"),
            Arrival.objects.restrict(user).filter(Arrival.open_q(), site__in=sites).count(),
            where,
            urgent=True,
        ),
        Task(
            "task-cleaning",
            _("待消杀的房间"),
            Room.objects.filter(site__in=sites, status=RoomStatus.CLEANING).count(),
            where,
        ),
    ]


def _testing(user, *, now, loop):
    found = []
    if holds(user, C.TUBES_REGISTER):
        tubes = Tube.objects.restrict(user, C.TUBES_REGISTER)
        found.append(
            Task(
                "task-tubes-closed",
                _("已封管待送检"),
                tubes.filter(status=TubeStatus.CLOSED).count(),
                _link("testing:tubes", status=TubeStatus.CLOSED),
            )
        )
    if holds(user, C.RESULTS_REPORT):
        tubes = Tube.objects.restrict(user, C.RESULTS_REPORT)
        found.append(
            Task(
                "task-tubes-shipped",
                _("已送检待出结果"),
                tubes.filter(status=TubeStatus.SHIPPED).count(),
                _link("testing:tubes", status=TubeStatus.SHIPPED),
            )
        )
    # Held members are work for who controls people or organises the re-test, not for who only reads the list.
    if holds(user, C.RECALLS_VIEW) and (holds(user, C.MEASURES_CHANGE) or holds(user, C.CAMPAIGNS_MANAGE)):
        found.append(
            Task(
                "task-recalls",
                _("混管阳性待单采复核"),
                Recall.objects.restrict(user, C.RECALLS_VIEW).filter(status=RecallStatus.HELD).count(),
                _link("testing:recalls", status=RecallStatus.HELD),
                urgent=True,
            )
        )
    return found


def _venues(user, *, now, loop):
    """Today's abnormal-code visitors of the user's venues: the register goes to the regulator and the township,
    so it is a task of those who report it (a venue's staff, the offices that file reports, the district), not of
    a role that only reads."""
    if not holds(user, C.VENUE_SCANS_VIEW) or not any(
        holds(user, work) for work in (C.DOOR_CHECK, C.REPORTS_FILE, C.LEADS_IMPORT)
    ):
        return []
    count = venue_registers.abnormal_today(user=user, day=timezone.localdate(now))
    return [
        Task(
            "task-venue-abnormal",
            _("今日场所扫码异常（黄码、红码）人次"),
            count,
            _link("venues:register", only="abnormal"),
        )
    ]


def _reports(user, *, now, loop):
    if not holds(user, C.REPORTS_FILE):
        return []
    today = timezone.localdate(now)
    units = Unit.objects.restrict(user, C.REPORTS_FILE).filter(is_active=True)
    standings = []
    for form in report_services.forms_for(user, C.REPORTS_FILE):
        mine = units.filter(pk__in=report_services.reporting_units(form))
        standings.extend(report_services.completeness(form=form, day=today, units=mine, now=now))
    if not standings:
        return []  # nothing for this user's units to file (a grid team files no township form)
    missing = sum(1 for row in standings if row.filing == Filing.MISSING)
    due = sum(1 for row in standings if row.filing == Filing.DUE)
    return [
        Task(
            "task-reports",
            _("今日日报未报送"),
            missing + due,
            reverse("reports:file"),
            urgent=missing > 0,
            note=_("已过报送时间") if missing else "",
        )
    ]
