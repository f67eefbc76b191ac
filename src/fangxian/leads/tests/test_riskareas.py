import datetime

from django.urls import reverse
from django.utils import timezone

from fangxian.leads.choices import LeadCategory, LeadSource, LeadStatus
from fangxian.leads.models import Lead, RiskArea
from fangxian.leads.services import create_leads_for_area, exposed_persons


def travelled(world, person, *, place, left_at):
    """A closed earlier lead carrying the person's travel history."""
    return Lead.objects.create(
        person=person,
        category=LeadCategory.OTHER,
        source=LeadSource.CITY_PUSH,
        deadline=timezone.now(),
        unit=world["lz_community"] if person == world["bob"] else world["xc_community"],
        status=LeadStatus.CLOSED,
        risk_area=place,
        left_risk_area_at=left_at,
    )


def test_declaring_an_area_lists_everyone_whose_travel_touches_its_window(world, client_for):
    declared = timezone.now()
    travelled(world, world["bob"], place="上海市浦东新区某街道", left_at=declared - datetime.timedelta(days=3))
    travelled(world, world["alice"], place="上海市浦东新区", left_at=declared - datetime.timedelta(days=20))
    client = client_for("district")
    response = client.post(
        reverse("leads:riskarea_create"),
        {
            "district": world["huiji"].pk,
            "name": "浦东新区",
            "level": "medium",
            "declared_at": declared.strftime("%Y-%m-%dT%H:%M"),
        },
    )
    area = RiskArea.objects.get(name="浦东新区")
    page = client.get(response.url).content.decode()
    assert "刘寨乙" in page and "新城甲" not in page  # 新城甲 left 20 days before: outside the window
    assert world["bob"].doc_number not in page and world["bob"].masked_doc_number in page
    client.post(reverse("leads:riskarea_leads", kwargs={"uuid": area.uuid}))
    lead = Lead.objects.get(person=world["bob"], category=LeadCategory.MEDIUM_RISK_AREA)
    assert (
        lead.status == LeadStatus.OPEN and lead.unit == world["lz_community"] and lead.source == "risk_area_screening"
    )
    assert create_leads_for_area(actor=world["district"], area=area) == 0  # once is enough


def test_a_departure_after_the_area_was_lifted_does_not_count(world):
    declared = timezone.now() - datetime.timedelta(days=10)
    area = RiskArea.objects.create(
        district=world["huiji"],
        name="某区",
        level="high",
        declared_at=declared,
        lifted_at=declared + datetime.timedelta(days=2),
        created_by=world["district"],
    )
    travelled(world, world["bob"], place="某区", left_at=declared + datetime.timedelta(days=5))
    assert exposed_persons(area) == []


def test_township_officers_do_not_see_the_district_register(world, client_for):
    assert (
        client_for("township_a").get(reverse("leads:riskarea", kwargs={"uuid": world["area"].uuid})).status_code == 404
    )
