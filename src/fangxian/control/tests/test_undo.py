"""A mistaken release, check-out or hand-over can be taken back by the district within a day, on the record;
nobody else may, and not after the day."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangxian.control import services
from fangxian.control.choices import MeasureStatus
from fangxian.control.models import Measure
from fangxian.core.models import ChangeRecord
from fangxian.leads import services as leads
from fangxian.sites import services as sites
from fangxian.sites.choices import RoomStatus
from fangxian.sites.models import Room, Stay
from fangxian.sites.tests.test_rooms import make_site

DAY = datetime.timedelta(days=1)


@pytest.fixture
def over(world):
    """alice's measure, its period over and every test negative: ready to release."""
    today = timezone.localdate()
    measure = services.place_under_measure(
        actor=world["district"],
        person=world["alice"],
        subject="low_risk_area",
        anchor_date=today - 20 * DAY,
        start_date=today - 20 * DAY,
    )
    measure.tests.update(result="negative")
    return measure


def test_the_district_takes_back_a_mistaken_release_within_a_day_and_only_the_district(world, client_for, over):
    services.release(actor=world["township_a"], measure=over)
    township = client_for("township_a")
    assert "undo-end" not in township.get(f"/control/{over.uuid}/").content.decode()
    township.post(f"/control/{over.uuid}/undo_end/")
    assert Measure.objects.get(pk=over.pk).status == MeasureStatus.RELEASED
    district = client_for("district")
    assert "undo-end" in district.get(f"/control/{over.uuid}/").content.decode()
    district.post(f"/control/{over.uuid}/undo_end/")
    over.refresh_from_db()
    assert over.status == MeasureStatus.ACTIVE and over.ended_at is None
    record = ChangeRecord.objects.filter(object_id=str(over.uuid)).first()
    assert record.reason == "撤销解除/终止（误操作）" and record.actor == world["district"]


def test_a_release_older_than_a_day_or_a_positive_end_is_not_taken_back(world, over):
    services.release(actor=world["district"], measure=over, now=timezone.now() - 2 * DAY)
    with pytest.raises(ValidationError, match="24 小时"):
        services.undo_end(actor=world["district"], measure=over)
    with pytest.raises(PermissionDenied):
        services.undo_end(actor=world["township_a"], measure=over)
    Measure.objects.filter(pk=over.pk).update(status="ended", end_reason="positive", ended_at=timezone.now())
    over.refresh_from_db()
    with pytest.raises(ValidationError, match="阳性"):
        services.undo_end(actor=world["district"], measure=over)


def test_a_mistaken_check_out_is_taken_back_into_the_same_room_unless_someone_has_it(world, client_for):
    Stay.objects.all().delete()
    site = make_site(world["xincheng"], rooms=2)
    stay = sites.check_in(actor=world["district"], site=site, person=world["alice"])
    sites.check_out(actor=world["district"], stay=stay, reason="hospital")
    page = client_for("district").get(f"/sites/{site.uuid}/").content.decode()
    assert 'data-testid="undo-check-out"' in page
    assert "undo-check-out" not in client_for("township_a").get(f"/sites/{site.uuid}/").content.decode()
    client_for("district").post(f"/sites/{site.uuid}/undo_check_out/", {"stay": stay.uuid})
    stay.refresh_from_db()
    assert stay.checked_out_at is None and Room.objects.get(pk=stay.room_id).status == RoomStatus.OCCUPIED

    sites.check_out(actor=world["district"], stay=stay, reason="hospital")
    Room.objects.filter(pk=stay.room_id).update(status=RoomStatus.AVAILABLE)
    sites.check_in(actor=world["district"], site=site, person=world["bob"], room=stay.room)
    stay.refresh_from_db()
    with pytest.raises(ValidationError, match="已另有人入住"):
        sites.undo_check_out(actor=world["district"], stay=stay)


def test_the_latest_hand_over_is_taken_back_as_a_new_hand_over_on_the_record(world, client_for):
    lead = world["xc_lead"]
    first_unit, before = lead.unit, lead.handovers.count()
    leads.hand_over(actor=world["district"], leads=[lead], to_unit=world["liuzhai"], note="误派")
    lead.refresh_from_db()
    assert lead.unit == world["liuzhai"]
    handover = lead.handovers.order_by("-at", "-id").first()
    page = client_for("district").get(f"/leads/{lead.uuid}/").content.decode()
    assert 'data-testid="undo-handover"' in page
    refused = client_for("township_b").post(f"/leads/{lead.uuid}/undo-handover/", {"handover": handover.pk})
    assert refused.status_code in (403, 404)
    client_for("district").post(f"/leads/{lead.uuid}/undo-handover/", {"handover": handover.pk})
    lead.refresh_from_db()
    assert lead.unit == first_unit and lead.handovers.count() == before + 2  # the way back is on the record too
    with pytest.raises(ValidationError, match="最近一次"):
        leads.undo_handover(actor=world["district"], handover=handover)
