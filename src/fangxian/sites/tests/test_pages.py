from fangxian.core.models import ChangeRecord
from fangxian.sites.choices import RoomStatus
from fangxian.sites.models import Room, Stay


def test_the_site_page_checks_a_waiting_person_into_a_room_and_out_again(world, client_for):
    site = world["xc_site"]
    Room.objects.create(site=site, floor=3, number="301")
    client = client_for("district")
    page = client.get(f"/sites/{site.uuid}/").content.decode()
    assert world["alice"].name in page.split('data-testid="waiting"')[1]
    client.post(f"/sites/{site.uuid}/check_in/", {"measure": world["xc_measure"].uuid})
    stay = Stay.objects.get(person=world["alice"], checked_out_at__isnull=True)
    assert stay.room.number == "301"
    client.post(f"/sites/{site.uuid}/check_out/", {"stay": stay.uuid, "reason": "hospital", "note": "市六院"})
    assert Room.objects.get(pk=stay.room.pk).status == RoomStatus.CLEANING
    stay.refresh_from_db()
    assert (stay.checkout_reason, stay.checkout_note) == ("hospital", "市六院")
    listing = client.get("/sites/").content.decode()
    assert "金河宾馆" in listing and "金河宾馆" not in client_for("township_b").get("/sites/").content.decode()


def test_check_out_asks_the_reason_and_refuses_one_the_plan_contradicts_unless_the_district_overrides(
    world, client_for
):
    site = world["xc_site"]
    Room.objects.create(site=site, floor=3, number="301")
    site.staff.add(world["site"])
    district, staff = client_for("district"), client_for("site")
    district.post(f"/sites/{site.uuid}/check_in/", {"measure": world["xc_measure"].uuid})
    stay = Stay.objects.get(person=world["alice"], checked_out_at__isnull=True)
    page = staff.get(f"/sites/{site.uuid}/").content.decode()
    assert 'name="reason"' in page and "集中隔离至" in page and 'name="override"' not in page

    for client, data in (
        (staff, {}),  # no reason
        (staff, {"reason": "other"}),  # other without a word
        (staff, {"reason": "released"}),  # the plan still has her in centralised isolation
        (staff, {"reason": "released", "override": "1"}),  # only the command office overrides
        (district, {"reason": "released"}),  # the district too must say it overrides
    ):
        response = client.post(f"/sites/{site.uuid}/check_out/", {"stay": stay.uuid, **data}, follow=True)
        assert response.status_code == 200
        stay.refresh_from_db()
        assert stay.checked_out_at is None, data
    assert "不能以“解除隔离”离开" in response.content.decode()

    assert 'name="override"' in district.get(f"/sites/{site.uuid}/").content.decode()
    district.post(f"/sites/{site.uuid}/check_out/", {"stay": stay.uuid, "reason": "released", "override": "1"})
    stay.refresh_from_db()
    assert stay.checked_out_at is not None and stay.checkout_reason == "released"
    change = ChangeRecord.objects.filter(reason__contains="越过管控计划").get()
    assert change.after["override"] is True
