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
    client.post(f"/sites/{site.uuid}/check_out/", {"stay": stay.uuid})
    assert Room.objects.get(pk=stay.room.pk).status == RoomStatus.CLEANING
    listing = client.get("/sites/").content.decode()
    assert "金河宾馆" in listing and "金河宾馆" not in client_for("township_b").get("/sites/").content.decode()
