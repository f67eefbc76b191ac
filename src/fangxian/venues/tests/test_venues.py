"""The venue registry: a community's venues with their codes, registered by the offices that hold the ground."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangxian.core.models import ChangeRecord
from fangxian.venues import services
from fangxian.venues.choices import VenueStatus
from fangxian.venues.models import Venue, VenueCategory


def category(code: str = "restaurant") -> VenueCategory:
    return VenueCategory.objects.get(code=code)


def test_the_district_starts_with_categories_of_their_stay_and_regulator(db):
    school = category("school")
    assert school.regulator == "教育局" and school.requires_negative and school.default_stay_minutes == 480
    assert not category("supermarket").requires_negative and VenueCategory.objects.count() >= 15


def test_a_township_registers_a_venue_in_its_community_and_gets_a_code(world, client_for):
    client = client_for("township_a")
    response = client.post(
        "/venues/new/",
        {
            "name": "金河饭店",
            "category": category().pk,
            "unit": world["xc_community"].pk,
            "address": "金河社区3号",
            "areas": "一楼大厅\n二楼包间\n一楼大厅",
        },
    )
    venue = Venue.objects.get(name="金河饭店")
    assert response.status_code == 302 and response.url == f"/venues/{venue.uuid}/"
    assert venue.code.startswith("V") and len(venue.code) == 13 and venue.areas == ["一楼大厅", "二楼包间"]
    assert ChangeRecord.objects.filter(object_id=str(venue.uuid), reason="登记场所").exists()
    assert venue.code in client.get(f"/venues/{venue.uuid}/").content.decode()
    listed = client.get("/venues/", {"q": venue.code}).content.decode()
    assert "金河饭店" in listed and "金河超市" not in listed


def test_another_township_neither_sees_nor_registers_in_it(world, client_for):
    venue = world["xc_venue"]
    other = client_for("township_b")
    assert "金河超市" not in other.get("/venues/").content.decode()
    assert other.get(f"/venues/{venue.uuid}/").status_code == 404
    refused = other.post(
        "/venues/new/",
        {"name": "越界", "category": category().pk, "unit": world["xc_community"].pk, "address": "x"},
    )
    assert refused.status_code == 400 and not Venue.objects.filter(name="越界").exists()
    with pytest.raises(PermissionDenied):
        services.register_venue(
            actor=world["township_b"], name="越界", category=category(), unit=world["xc_community"], address="x"
        )
    assert client_for("lab").get("/venues/").status_code == 403  # a lab's work is tubes
    assert client_for("site").get("/venues/").status_code == 403


def test_a_venue_is_registered_in_a_community_not_a_township(world):
    with pytest.raises(ValidationError, match="村/社区"):
        services.register_venue(
            actor=world["district"], name="街道大楼", category=category("office"), unit=world["xincheng"], address="x"
        )


def test_the_provincial_code_names_one_venue_only(world):
    services.register_venue(
        actor=world["district"],
        name="甲",
        category=category(),
        unit=world["xc_community"],
        address="x",
        external_code="41010800001",
    )
    with pytest.raises(ValidationError, match="外部场所码"):
        services.register_venue(
            actor=world["district"],
            name="乙",
            category=category(),
            unit=world["xc_community"],
            address="y",
            external_code="41010800001",
        )


def test_regenerating_the_code_revokes_the_old_one_and_a_closed_venue_gets_none(world, client_for):
    venue = world["xc_venue"]
    old = venue.code
    client_for("grid").post(f"/venues/{venue.uuid}/regenerate/")
    venue.refresh_from_db()
    assert venue.code != old and not Venue.objects.filter(code=old).exists()
    record = ChangeRecord.objects.filter(object_id=str(venue.uuid), reason__startswith="重新生成").get()
    assert record.before == {"code": old} and record.actor == world["grid"]
    assert client_for("clerk").post(f"/venues/{venue.uuid}/regenerate/").status_code == 403
    Venue.objects.filter(pk=venue.pk).update(status=VenueStatus.CLOSED)
    venue.refresh_from_db()
    with pytest.raises(ValidationError, match="已关闭"):
        services.regenerate_code(actor=world["district"], venue=venue)
