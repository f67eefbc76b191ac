"""Every figure of the briefing, recomputed by hand from the raw rows: one definition per figure, and figures
that add up (today's leads = closed + open; the units due = on time + late + missing + not yet due)."""

import datetime

from django.utils import timezone

from fangxian.control.choices import MeasureStatus
from fangxian.control.models import Measure
from fangxian.core.models import Unit
from fangxian.leads import services as leads
from fangxian.leads.choices import LeadStatus
from fangxian.leads.models import Lead
from fangxian.leads.services import NewLead
from fangxian.people.choices import DocumentType
from fangxian.people.documents import check_char
from fangxian.people.services import register_person
from fangxian.reports import briefings
from fangxian.reports import services as reports
from fangxian.reports.models import Report


def _people(world, count: int) -> list:
    made = []
    for serial in range(count):
        first17 = f"41010819800101{serial + 100:03d}"
        made.append(
            register_person(
                actor=world["system"],
                unit=world["xc_grid"] if serial % 2 else world["lz_grid"],
                name=f"核对{serial}",
                doc_type=DocumentType.RESIDENT_ID,
                doc_number=first17 + check_char(first17),
            )
        )
    return made


def test_every_briefing_figure_is_what_the_raw_rows_say(world, daily):
    now = timezone.now().replace(microsecond=0)
    today = timezone.localdate(now)
    yesterday = now - datetime.timedelta(days=1)
    people = _people(world, 8)
    for person, received in zip(people, [now, now, now, now, now, yesterday, yesterday, yesterday], strict=True):
        leads.create_leads(
            actor=world["district"],
            leads=[NewLead(person.pk, person.name, "close_contact", person.unit_id)],
            source="province",
            received_at=received - datetime.timedelta(minutes=5),
            reason="核对",
        )
    mine = Lead.objects.filter(person__in=people)
    for lead in [*mine.filter(received_at__date__lt=today)[:2], *mine.filter(received_at__date=today)[:3]]:
        leads.verify_lead(actor=world["district"], lead=lead, outcome="no_measure_needed")
    reports.file_report(actor=world["district"], form=daily, unit=world["jiangshan"], day=today, zero=True, now=now)

    briefing = briefings.draft_briefing(actor=world["district"], district=world["huiji"], now=now)
    figures, totals = briefing.figures, briefing.figures["totals"]

    # Leads, by hand.
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    district_leads = Lead.objects.filter(unit__path__startswith=world["huiji"].path)
    received = district_leads.filter(received_at__gte=start, received_at__lt=start + datetime.timedelta(days=1))
    assert totals["leads_received_today"] == received.count()
    assert totals["leads_received_today_open"] == received.filter(status=LeadStatus.OPEN).count()
    assert totals["leads_received_today_closed"] == received.exclude(status=LeadStatus.OPEN).count()
    assert totals["leads_received_today"] == totals["leads_received_today_open"] + totals["leads_received_today_closed"]
    assert totals["leads_verified_today"] == district_leads.filter(verified_at__gte=start).count()
    assert totals["leads_open"] == district_leads.filter(status=LeadStatus.OPEN).count()
    assert totals["leads_overdue"] == district_leads.filter(Lead.overdue_q(now), status=LeadStatus.OPEN).count()
    assert totals["leads_verified_today"] == 5 + sum(
        1 for lead in district_leads.filter(verified_at__gte=start) if lead.person not in people
    )

    # Control: each active measure by today's phase, or past its end.
    phases = {"centralised": 0, "home_isolation": 0, "monitoring": 0, "release_overdue": 0}
    for measure in Measure.objects.filter(status=MeasureStatus.ACTIVE, unit__path__startswith=world["huiji"].path):
        phase = measure.phase_on(today)
        if phase is None:
            phases["release_overdue"] += measure.end_date < today
        elif phase["kind"] in ("home_monitoring", "community_monitoring"):
            phases["monitoring"] += 1
        else:
            phases[phase["kind"]] += 1
    assert (totals["under_centralised"], totals["under_home_isolation"], totals["under_monitoring"]) == (
        phases["centralised"],
        phases["home_isolation"],
        phases["monitoring"],
    )
    assert totals["release_overdue"] == phases["release_overdue"]

    # Reports: every township of the district, by its own filing and the due time.
    due = reports.due_at(daily, today)
    townships = Unit.objects.filter(parent=world["huiji"], level="township", is_active=True)
    filed = {row.unit_id: row for row in Report.objects.filter(form=daily, day=today)}
    expected = {"on_time": 0, "late": 0, "missing": 0, "due": 0}
    for township in townships:
        report = filed.get(township.pk)
        if report is not None:
            expected["late" if report.late else "on_time"] += 1
        else:
            expected["missing" if now > due else "due"] += 1
    line = next(item for item in figures["reports"] if item["form"] == daily.name)
    assert {key: line[key] for key in expected} == expected and sum(expected.values()) == townships.count()

    # The words say the same numbers, and add up.
    text = briefing.texts["overall"] + figures["leads_text"]
    assert f"当日接收协查任务 {received.count()} 条，其中已核查办结 {totals['leads_received_today_closed']} 条" in text
    assert f"在办 {totals['leads_received_today_open']} 条" in text
    assert f"目前在办共 {totals['leads_open']} 条，其中超过核查时限 {totals['leads_overdue']} 条" in text
    counted = f"应报 {townships.count()} 个单位，按时 {expected['on_time']} 个、迟报 {expected['late']} 个"
    assert counted in figures["reports_text"]
    if expected["due"]:
        assert f"未到报送时间 {expected['due']} 个" in figures["reports_text"]

    # One moment: the text's 截至, the page's 数据截至 and the figures' own time.
    local = timezone.localtime(now)
    assert briefing.texts["overall"].startswith(f"截至{local.month}月{local.day}日{local.hour}时")
    assert briefing.drafted_at == now and figures["at"] == local.isoformat()


def test_a_month_with_no_day_past_its_due_time_has_no_rate_and_a_form_never_filed_is_zero(world, daily):
    today = timezone.localdate()
    before_due = timezone.make_aware(datetime.datetime.combine(today, datetime.time(9)))
    rows = reports.monthly_record(form=daily, year=today.year, month=today.month, now=before_due)
    assert rows and all(row["rate"] is None for row in rows)  # created today, nothing due yet: not 100 %
    after_due = timezone.make_aware(datetime.datetime.combine(today, datetime.time(20)))
    rows = reports.monthly_record(form=daily, year=today.year, month=today.month, now=after_due)
    assert all(row["rate"] == 0 and row["missing"] == 1 for row in rows)  # nobody filed: 未报, 0 %


def test_the_rows_of_the_dashboard_and_the_briefing_add_up_to_their_totals(world, daily):
    from fangxian.reports.situation import snapshot

    # A lead the district keeps itself (not handed to any township): it belongs to the district's own row.
    person = _people(world, 1)[0]
    leads.create_leads(
        actor=world["district"],
        leads=[NewLead(person.pk, person.name, "close_contact", world["huiji"].pk)],
        source="province",
        received_at=timezone.now(),
        reason="核对",
    )
    data = snapshot(unit=world["huiji"])
    rows = data["children"] + [data["own"]]
    for figure, total in data["totals"].items():
        assert sum(row[figure] for row in rows) == total, figure
    assert data["own"]["leads_received_today"] >= 1 and data["own"]["name"] == "惠济区本级"
    briefing = briefings.draft_briefing(actor=world["district"], district=world["huiji"])
    table = briefing.figures["children"]
    assert sum(row["leads_open"] for row in table) == briefing.figures["totals"]["leads_open"]
