"""The command office's view of case investigation, for a unit and its subtree: today's cases (社会面 vs 管控中),
open investigations and those past their targets, contacts found, and whether contacts were placed under
control in time (close contacts within their deadline, secondary contacts within theirs)."""

import datetime

from django.db.models import F, Q
from django.utils import timezone

from fangxian.cases.choices import CaseStatus, ContactClass, FoundIn
from fangxian.cases.models import Case, Contact
from fangxian.cases.services import policy_for


def _today(now: datetime.datetime) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def in_time(contacts, now: datetime.datetime) -> tuple[int, int]:
    """(placed in time, due): contacts whose lead's deadline has passed or who were verified before it."""
    pushed = contacts.filter(lead__isnull=False)
    due = pushed.filter(Q(lead__deadline__lte=now) | Q(lead__verified_at__isnull=False))
    met = due.filter(lead__verified_at__isnull=False, lead__verified_at__lte=F("lead__deadline"))
    return met.count(), due.count()


def figures(ids: list[int], district, now: datetime.datetime | None = None) -> dict:
    now = now or timezone.now()
    start, end = _today(now)
    cases = Case.objects.filter(unit_id__in=ids)
    today = cases.filter(reported_at__gte=start, reported_at__lt=end)
    policy = policy_for(district)
    open_cases = cases.exclude(status=CaseStatus.CLOSED)
    late_core = open_cases.filter(
        core_done_at__isnull=True, reported_at__lt=now - datetime.timedelta(hours=policy.core_hours)
    ).count()
    late_report = open_cases.filter(
        report_done_at__isnull=True, reported_at__lt=now - datetime.timedelta(hours=policy.report_hours)
    ).count()
    contacts = Contact.objects.filter(case__unit_id__in=ids)
    close_met, close_due = in_time(contacts.filter(classification=ContactClass.CLOSE), now)
    secondary_met, secondary_due = in_time(contacts.filter(classification=ContactClass.SECONDARY), now)
    return {
        "today": today.count(),
        "today_community": today.filter(found_in=FoundIn.COMMUNITY).count(),
        "today_control": today.filter(found_in=FoundIn.UNDER_CONTROL).count(),
        "investigating": open_cases.filter(report_done_at__isnull=True).count(),
        "late_core": late_core,
        "late_report": late_report,
        "contacts_today": contacts.filter(created_at__gte=start, created_at__lt=end).count(),
        "close_met": close_met,
        "close_due": close_due,
        "secondary_met": secondary_met,
        "secondary_due": secondary_due,
        "close_hours": policy.close_contact_hours,
        "secondary_hours": policy.secondary_contact_hours,
    }


def share(met: int, due: int) -> str:
    return f"{met / due:.0%}" if due else "—"


def briefing_text(data: dict) -> str:
    return (
        f"当日新增病例 {data['today']} 例（社会面 {data['today_community']} 例，管控中发现 {data['today_control']} 例）；"
        f"在查病例 {data['investigating']} 例，核心信息超时 {data['late_core']} 例、流调报告超时 {data['late_report']} 例；"
        f"当日新增接触人员 {data['contacts_today']} 人。密接 {data['close_hours']} 小时内落实管控率 "
        f"{share(data['close_met'], data['close_due'])}（{data['close_met']}/{data['close_due']}），"
        f"次密接 {data['secondary_hours']} 小时内落实管控率 {share(data['secondary_met'], data['secondary_due'])}"
        f"（{data['secondary_met']}/{data['secondary_due']}）。"
    )
