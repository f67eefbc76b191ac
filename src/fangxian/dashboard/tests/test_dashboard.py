import datetime

from django.utils import timezone

from fangxian.dashboard import services
from fangxian.leads.models import Lead, RiskArea
from fangxian.people.models import Person


def test_totals_are_the_sums_of_the_unit_and_everything_below(world):
    data = services.snapshot(unit=world["xincheng"])
    below = Person.objects.filter(unit__path__startswith=world["xincheng"].path).count()
    assert data["totals"]["persons"] == below
    open_leads = Lead.objects.filter(unit__path__startswith=world["xincheng"].path, status="open")
    assert data["totals"]["leads_open"] == open_leads.count() >= 1
    assert data["totals"]["leads_received_today"] == open_leads.filter(received_at__date=timezone.localdate()).count()
    assert [child["code"] for child in data["children"]] == ["410108001001"]
    assert data["children"][0]["leads_open"] == data["totals"]["leads_open"]  # the lead is in 金河社区


def test_overdue_verified_and_the_trend_follow_the_leads(world):
    lead = world["xc_lead"]
    Lead.objects.filter(pk=lead.pk).update(deadline=timezone.now() - datetime.timedelta(hours=1))
    data = services.snapshot(unit=world["huiji"])
    assert data["totals"]["leads_overdue"] >= 1
    Lead.objects.filter(pk=lead.pk).update(status="closed", verified_at=timezone.now())
    after = services.snapshot(unit=world["huiji"])
    assert after["totals"]["leads_overdue"] == data["totals"]["leads_overdue"] - 1
    assert after["totals"]["leads_verified_today"] == data["totals"]["leads_verified_today"] + 1
    assert len(after["trend"]) == services.TREND_DAYS and after["trend"][-1]["leads_received"] >= 1


def test_reports_and_risk_areas_in_force_are_counted(world):
    data = services.snapshot(unit=world["huiji"])
    form = next(item for item in data["reports"] if item["form"] == "社区日报")
    assert form["units"] == 8 + 2  # the townships and the two communities of the world
    assert [area["name"] for area in data["risk_areas"]] == ["上海市浦东新区"]
    RiskArea.objects.update(lifted_at=timezone.now() - datetime.timedelta(minutes=1))
    assert services.snapshot(unit=world["huiji"])["risk_areas"] == []


def test_the_page_drills_down_from_the_district_to_a_township(world, client_for):
    client = client_for("district")
    page = client.get("/dashboard/").content.decode()
    assert "惠济区" in page and 'data-testid="drill-410108001"' in page
    township = client.get("/dashboard/?unit=410108001").content.decode()
    assert "新城街道 · 疫情防控指挥大屏" in township and "金河社区" in township and "返回惠济区" in township
    screen = client.get("/dashboard/?unit=410108001&screen=1").content.decode()
    # Full screen on a session hides the menus but does not refresh: a session is not kept alive by a screen
    # (big screens use a display link, test_displays.py).
    assert "fangxianRefresh" not in screen and 'data-testid="user-menu"' not in screen


def test_a_township_officer_sees_their_township_and_not_the_way_up(world, client_for):
    client = client_for("township_b")
    page = client.get("/dashboard/").content.decode()
    assert "刘寨街道 · 疫情防控指挥大屏" in page and "返回惠济区" not in page and "金河社区" not in page
    assert client.get("/dashboard/?unit=410108001").status_code == 404
    assert client.get("/api/dashboard/410108001/").status_code == 404


def test_the_api_gives_the_same_figures_as_json(world, client_for):
    response = client_for("township_a").get("/api/dashboard/410108001/")
    assert response.status_code == 200
    body = response.json()
    assert body["unit"]["name"] == "新城街道"
    assert body["totals"] == services.snapshot(unit=world["xincheng"])["totals"]


def test_people_under_measures_are_counted_by_todays_phase(world):
    data = services.snapshot(unit=world["xincheng"])
    assert data["totals"]["under_centralised"] == 1  # alice, exposed yesterday: day 1 of 7 centralised
    assert data["totals"]["under_home_isolation"] == 0 and data["totals"]["under_monitoring"] == 0
    assert data["children"][0]["under_centralised"] == 1


def test_todays_sampling_and_the_people_held_by_positive_pools_are_counted(world):
    """The world's tube XC000001 holds alice, sampled today at the 金河 point; the lab reports it positive."""
    from django.db import transaction

    from fangxian.testing import services as testing

    xincheng = services.snapshot(unit=world["xincheng"])["testing"]
    assert (xincheng["sampled_today"], xincheng["tubes_pending"], xincheng["held"]) == (1, 1, 0)
    with transaction.atomic():
        testing.ingest_results(
            actor=world["district"],
            lab="金域",
            rows=testing.result_frame([{"tube_code": "XC000001", "result": "阳性"}]),
        )
    xincheng = services.snapshot(unit=world["xincheng"])["testing"]
    assert (xincheng["tubes_pending"], xincheng["positive_pools_today"], xincheng["held"]) == (0, 1, 1)
    assert services.snapshot(unit=world["liuzhai"])["testing"] == {
        "sampled_today": 0,
        "tubes_today": 0,
        "tubes_pending": 0,
        "positive_pools_today": 0,
        "held": 0,
    }
