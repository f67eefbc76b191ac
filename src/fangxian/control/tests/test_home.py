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
