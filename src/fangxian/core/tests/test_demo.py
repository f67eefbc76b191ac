import random

from fangxian import demo
from fangxian.core.models import Grant, Unit, User
from fangxian.people.documents import parse_resident_id
from fangxian.people.models import Person


def test_the_demo_district_has_its_real_streets_communities_grids_and_users(db):
    summary = demo.build(persons=400)
    assert (summary.townships, summary.communities, summary.grids, summary.persons) == (8, 96, 384, 400)
    assert Unit.objects.get(code="410108001").name == "新城街道"
    assert set(User.objects.filter(username__in=summary.users).values_list("username", flat=True)) == {
        "district",
        "xincheng",
        "liuzhai",
        "grid",
        "site",
        "clerk",
        "lab",
        "jiaoyu",
        "hesuan",
        "venue",
    }
    assert Grant.objects.get(user__username="xincheng").unit.code == "410108001"
    # Beside the territory: the department and the working group the two last demo users belong to.
    assert Grant.objects.get(user__username="jiaoyu").unit.name == "区教育局"
    assert Grant.objects.get(user__username="hesuan").unit.get_level_display() == "指挥部专班"
    from fangxian.testing.models import KeyGroup

    jiaoyu = User.objects.get(username="jiaoyu")
    assert list(KeyGroup.objects.restrict(jiaoyu).values_list("name", flat=True)) == ["中小学教职工"]
    assert Grant.objects.get(user__username="grid").unit.code.startswith("410108001")
    for person in Person.objects.all()[:100]:
        assert parse_resident_id(person.doc_number).birth_date == person.birth_date


def test_the_same_seed_gives_the_same_people(db):
    demo.build(persons=10)
    grids = list(Unit.objects.filter(level="grid").order_by("code"))
    first = [
        (row.name, row.document.number, row.uuid, row.unit.code) for row in demo._persons(random.Random(7), grids, 50)
    ]
    second = [
        (row.name, row.document.number, row.uuid, row.unit.code) for row in demo._persons(random.Random(7), grids, 50)
    ]
    other = [row.document.number for row in demo._persons(random.Random(8), grids, 50)]
    assert first == second and [row[1] for row in first] != other


def test_demo_users_sign_in_with_the_published_password(db, client, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo.build(persons=10)
    response = client.post("/login/", {"username": "xincheng", "password": "fangxian-demo"})
    assert response.status_code == 302


def test_the_demo_has_pushed_lists_with_verified_open_and_overdue_leads(db):
    from django.utils import timezone

    from fangxian.leads.models import ImportBatch, Lead

    demo.build(persons=400)
    assert ImportBatch.objects.filter(status="committed").count() == 2
    leads = Lead.objects.all()
    assert leads.filter(status="closed").exists() and leads.filter(status="open").exists()
    assert leads.filter(status="open", deadline__lt=timezone.now()).exists()
    from fangxian.leads.models import RiskArea
    from fangxian.leads.services import exposed_persons

    assert exposed_persons(RiskArea.objects.get())  # the declared area has people to screen


def test_the_demo_has_weeks_of_daily_reports_and_xincheng_can_file_todays_zero_report(db):
    from django.utils import timezone

    from fangxian.reports import services
    from fangxian.reports.choices import Filing
    from fangxian.reports.models import ReportForm

    demo.build(persons=400)
    daily = ReportForm.objects.get(name="疫情防控日报")
    past = [timezone.localdate() - timezone.timedelta(days=days) for days in range(1, demo.REPORT_HISTORY_DAYS + 1)]
    standings = {row.filing for day in past for row in services.completeness(form=daily, day=day)}
    assert standings == {Filing.ON_TIME, Filing.LATE, Filing.MISSING}
    xincheng = Unit.objects.get(code="410108001")
    assert not daily.reports.filter(unit=xincheng, day=timezone.localdate()).exists()
    officer = User.objects.get(username="xincheng")
    report = services.file_report(actor=officer, form=daily, unit=xincheng, day=timezone.localdate(), zero=True)
    assert report.is_zero


def test_the_demo_has_people_in_every_phase_of_control(db):
    from fangxian.dashboard.services import snapshot

    demo.build(persons=400)
    totals = snapshot(unit=Unit.objects.get(code="410108"))["totals"]
    for figure in ("under_centralised", "under_home_isolation", "under_monitoring", "release_overdue"):
        assert totals[figure] > 0, figure
    rooms = snapshot(unit=Unit.objects.get(code="410108"))["rooms"]
    from fangxian.sites.models import Arrival

    on_their_way = Arrival.objects.filter(Arrival.open_q()).count()  # sent to 黄河迎宾馆, not yet arrived
    assert on_their_way == 2
    assert rooms["used"] + on_their_way == totals["under_centralised"] and rooms["free"] > 0 and rooms["reserve"] > 0
    from fangxian.control.models import FollowUp

    assert sorted(FollowUp.objects.filter(handled_at__isnull=True).values_list("kind", flat=True)) == ["door", "fever"]


def test_the_demo_site_staff_see_their_hotel_and_its_residents_only(db):
    from fangxian.control.models import Measure
    from fangxian.sites.models import Site

    demo.build(persons=400)
    staff = User.objects.get(username="site")
    assert [site.name for site in Site.objects.restrict(staff)] == ["黄河迎宾馆（集中隔离点）"]
    measures = Measure.objects.restrict(staff)
    assert measures.exists()
    # Their residents, and the people sent to them who have not arrived yet: nobody else.
    assert all(
        m.person.stays.filter(site__name="黄河迎宾馆（集中隔离点）", checked_out_at__isnull=True).exists()
        or m.person.arrivals.filter(site__name="黄河迎宾馆（集中隔离点）", stay__isnull=True).exists()
        for m in measures
    )
    assert sum(1 for m in measures if not m.person.stays.filter(checked_out_at__isnull=True).exists()) == 2


def test_the_demo_has_a_round_of_testing_under_way_with_positive_pools_held_and_a_cluster_of_cases(db):
    from fangxian.testing import services as testing
    from fangxian.testing.models import Campaign, KeyGroupMember, Recall, SamplingPoint, Tube

    demo.build(persons=3000)
    campaign = Campaign.objects.get(status="running")
    progress = testing.campaign_progress(campaign)
    assert len(progress) == 8 and all(0 < zone.sampled < zone.target for zone in progress)
    assert SamplingPoint.objects.filter(campaign=campaign).count() == 16
    statuses = set(Tube.objects.values_list("status", flat=True))
    assert statuses == {"closed", "shipped", "done"}
    assert Recall.objects.filter(status="held").count() > 0 and Recall.objects.filter(status="released").count() == 4
    assert Recall.objects.filter(status="held", person__isnull=True).count() == 0  # the registry knows them
    assert testing.key_group_overdue(memberships=KeyGroupMember.objects.all())
    # The cluster: a case from a pool's re-test (社会面), one found under a measure and one from the fever clinic,
    # both infected by the first; contacts pushed, one placed under a measure, one written to another district.
    from fangxian.cases.models import Case, Contact

    first, second, third = Case.objects.order_by("number")
    assert (first.found_by, first.found_in) == ("pool_retest", "community")
    assert (second.found_in, second.source_case, third.source_case) == ("under_control", first, first)
    assert first.itinerary.filter(source="scan").exists() and first.itinerary.filter(source="sampling").exists()
    contacts = Contact.objects.filter(case=first)
    assert {"close", "secondary", "general"} <= set(contacts.values_list("classification", flat=True))
    assert contacts.filter(lead__status="open").exists() and contacts.filter(lead__status="closed").exists()
    assert contacts.filter(home_region="金水区", outbound_sent_at__isnull=False).count() == 1
    assert third.status == "reported"
