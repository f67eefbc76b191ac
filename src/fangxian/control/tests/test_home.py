import datetime

from django.utils import timezone

from fangxian.control import services
from fangxian.core.models import Notification

DAY = datetime.timedelta(days=1)


def place_at_home(world):
    return services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject="secondary_contact",
        anchor_date=timezone.localdate() - DAY,
    )


def test_the_team_of_the_persons_area_answers_for_them_at_home(world):
    measure = place_at_home(world)
    assert measure.team == world["xc_team"]  # 金河社区's team, alice lives in its first grid
    measure.team = None
    measure.save()
    assert services.without_team([measure], today=timezone.localdate()) == [measure]


def test_a_door_sensor_event_alerts_the_community_once_a_minute_and_only_for_the_gateways_scope(world, client_for):
    measure = place_at_home(world)
    services.set_door_sensor(actor=world["township_a"], measure=measure, device="DOOR-9")
    intruder = client_for("township_b").post("/api/door-events/", {"device": "DOOR-9"}, content_type="application/json")
    assert intruder.status_code == 404 and not Notification.objects.filter(key__startswith="door:").exists()
    gateway = client_for("township_a")
    at = timezone.now().isoformat()
    for _ in range(2):
        response = gateway.post("/api/door-events/", {"device": "DOOR-9", "at": at}, content_type="application/json")
        assert response.status_code == 202
    alert = Notification.objects.get(key__startswith="door:DOOR-9:")
    assert alert.unit == world["xc_community"] and "门磁报警" in alert.title


def test_a_door_alert_opens_a_half_hour_follow_up_task(world):
    from fangxian.control.models import FollowUp, Measure

    measure = place_at_home(world)
    services.set_door_sensor(actor=world["township_a"], measure=measure, device="DOOR-7")
    now = timezone.now()
    services.door_alert(actor=world["township_a"], measures=Measure.objects.all(), device="DOOR-7", at=now)
    task = FollowUp.objects.get(measure=measure)
    assert task.kind == "door" and task.due_at == now + datetime.timedelta(minutes=30) and "DOOR-7" in task.detail


def test_home_isolation_moves_to_a_site_in_one_action_from_the_measure_page(world, client_for):
    from fangxian.sites.models import Stay

    measure = place_at_home(world)
    site = world["xc_site"]
    client = client_for("district")
    page = client.get(f"/control/{measure.uuid}/").content.decode()
    assert "居家" in page.split('data-testid="measure-place"')[1].split("</p>")[0]
    assert client_for("township_b").post(f"/control/{measure.uuid}/to_site/", {"site": site.uuid}).status_code == 404
    client.post(f"/control/{measure.uuid}/to_site/", {"site": site.uuid})
    stay = Stay.objects.get(person=world["alice"], checked_out_at__isnull=True)
    assert stay.measure == measure and stay.site == site
    page = client.get(f"/control/{measure.uuid}/").content.decode()
    assert f"金河宾馆 {stay.room.number}" in page.split('data-testid="measure-place"')[1].split("</p>")[0]
