"""转运安排: the township sends a person to a site; the site's staff see them coming and check them in."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangxian.core.choices import Action
from fangxian.core.models import ChangeRecord
from fangxian.sites import services
from fangxian.sites.models import Arrival, Stay
from fangxian.sites.tests.test_rooms import make_site


@pytest.fixture
def hotel(world):
    site = make_site(world["xincheng"], rooms=2)
    site.staff.add(world["site"])
    return site


@pytest.fixture
def measure(world):
    """alice's measure from the shared world (her stay there is gone: sites/tests/conftest.py)."""
    return world["xc_measure"]


def test_the_hotel_staff_see_the_person_the_township_sent_and_check_them_in(world, client_for, hotel, measure):
    staff = client_for("site")
    assert world["alice"].name not in staff.get(f"/sites/{hotel.uuid}/").content.decode()
    township = client_for("township_a")
    page = township.get(f"/control/{measure.uuid}/").content.decode()
    assert 'data-testid="send-to-site"' in page and 'data-testid="to-site"' not in page  # the township arranges
    township.post(f"/control/{measure.uuid}/send/", {"site": hotel.uuid})
    arrival = Arrival.objects.get(person=world["alice"])
    assert arrival.site == hotel and arrival.sent_by == world["township_a"]
    assert ChangeRecord.objects.filter(object_id=str(arrival.uuid), reason="安排转运至隔离点").exists()
    assert "pending-site" in township.get(f"/control/{measure.uuid}/").content.decode()

    page = staff.get(f"/sites/{hotel.uuid}/").content.decode()
    arrivals = page.split('data-testid="arrivals"')[1].split("</table>")[0]
    assert world["alice"].name in arrivals and 'data-testid="check-in"' in arrivals
    assert 'data-testid="arrival-count">1<' in page
    staff.post(f"/sites/{hotel.uuid}/check_in/", {"measure": measure.uuid})
    stay = Stay.objects.get(person=world["alice"], checked_out_at__isnull=True)
    assert stay.site == hotel and stay.checked_in_by == world["site"]
    arrival.refresh_from_db()
    assert arrival.stay == stay
    page = staff.get(f"/sites/{hotel.uuid}/").content.decode()
    assert world["alice"].name not in page.split('data-testid="arrivals"')[1].split("</table>")[0]


def test_staff_of_another_site_see_nobody_sent_elsewhere_and_cannot_check_them_in(world, client_for, measure):
    hotel = make_site(world["xincheng"], rooms=1)
    other = make_site(world["xincheng"], rooms=1)
    other.staff.add(world["site"])
    services.send_to_site(actor=world["township_a"], site=hotel, measure=measure)
    staff = client_for("site")
    assert world["alice"].name not in staff.get(f"/sites/{other.uuid}/").content.decode()
    assert not Arrival.objects.restrict(world["site"]).exists()
    assert staff.post(f"/sites/{other.uuid}/check_in/", {"measure": measure.uuid}).status_code == 404
    assert not Stay.objects.filter(person=world["alice"]).exists()


def test_a_person_is_sent_to_one_site_at_a_time_and_the_sender_may_take_it_back(world, hotel, measure):
    from fangxian.control.models import Measure

    services.send_to_site(actor=world["township_a"], site=hotel, measure=measure)
    other = make_site(world["xincheng"], rooms=1)
    with pytest.raises(ValidationError, match="已安排转运至"):
        services.send_to_site(actor=world["township_a"], site=other, measure=measure)
    with pytest.raises(PermissionDenied):  # another township may not touch it, nor the site it was sent to
        services.cancel_arrival(actor=world["township_b"], arrival=Arrival.objects.get())
    with pytest.raises(PermissionDenied):
        services.cancel_arrival(actor=world["site"], arrival=Arrival.objects.get())
    services.cancel_arrival(actor=world["township_a"], arrival=Arrival.objects.get())
    with pytest.raises(ValidationError, match="已入住或已撤回"):
        services.cancel_arrival(actor=world["township_a"], arrival=Arrival.objects.get())
    assert not Measure.objects.restrict(world["site"], Action.VIEW).exists()  # taken back: the staff lose sight
    services.send_to_site(actor=world["township_a"], site=other, measure=measure)
    assert Arrival.objects.filter(stay__isnull=True, cancelled_at__isnull=True).get().site == other


def test_the_township_of_another_person_cannot_send_them(world, hotel, measure):
    with pytest.raises(PermissionDenied):
        services.send_to_site(actor=world["township_b"], site=hotel, measure=measure)
    assert not Arrival.objects.exists()


def test_the_hotel_takes_a_person_in_but_may_not_release_or_end_them_before_they_arrive(world, client_for, hotel):
    from fangxian.control import services as control
    from fangxian.control.models import Measure

    measure = world["xc_measure"]
    services.send_to_site(actor=world["township_a"], site=hotel, measure=measure)
    staff = world["site"]
    assert Measure.objects.restrict(staff, Action.VIEW).filter(pk=measure.pk).exists()
    assert Measure.objects.restrict(staff, Action.CHANGE).filter(pk=measure.pk).exists()  # to check them in
    with pytest.raises(PermissionDenied):
        control.end_measure(actor=staff, measure=measure, reason="wrongly_identified")
    page = client_for("site").get(f"/control/{measure.uuid}/").content.decode()
    assert "pending-site" in page and "cancel-send" not in page  # the hotel cannot take the transfer back
    assert "cancel-send" in client_for("township_a").get(f"/control/{measure.uuid}/").content.decode()


def test_a_person_not_in_centralised_isolation_today_is_not_sent_to_a_site(world, client_for, hotel):
    import datetime

    from django.utils import timezone

    from fangxian.control import services as control
    from fangxian.control.models import Measure

    Measure.objects.all().delete()
    today = timezone.localdate()
    at_home = control.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject="low_risk_area",
        anchor_date=today - datetime.timedelta(days=1),
    )
    page = client_for("township_a").get(f"/control/{at_home.uuid}/").content.decode()
    assert "send-to-site" not in page
    with pytest.raises(ValidationError, match="不在集中隔离阶段"):
        services.send_to_site(actor=world["township_a"], site=hotel, measure=at_home)
    Measure.objects.filter(pk=at_home.pk).update(end_date=today - datetime.timedelta(days=2))
    page = client_for("township_a").get(f"/control/{at_home.uuid}/").content.decode()
    assert 'data-testid="release-overdue"' in page and "已超时 2 天" in page
