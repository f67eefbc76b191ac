import datetime
import threading

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import close_old_connections, connection, transaction

from fangxian.core.models import Unit, User
from fangxian.people.models import Person
from fangxian.sites import services
from fangxian.sites.choices import ZONE_CHECKLIST, RoomStatus, SiteStatus
from fangxian.sites.models import Room, Site, Stay

ALL_ZONES = {key: True for key in ZONE_CHECKLIST}


def make_site(unit, *, rooms=3, status=SiteStatus.ACTIVE, zones=None):
    site = Site.objects.create(
        name="如家酒店（隔离点）", address="惠济区某路1号", unit=unit, status=status, zones=zones or ALL_ZONES
    )
    for index in range(rooms):
        Room.objects.create(site=site, floor=2 + index // 2, number=f"{2 + index // 2}0{index % 2 + 1}")
    return site


def test_check_in_takes_the_lowest_free_room_and_check_out_sends_it_to_cleaning(world):
    site = make_site(world["xincheng"])
    stay = services.check_in(actor=world["district"], site=site, person=world["alice"])
    assert stay.room.number == "201" and Room.objects.get(pk=stay.room.pk).status == RoomStatus.OCCUPIED
    assert services.occupancy(Site.objects.all()).occupied == 1
    services.check_out(actor=world["district"], stay=stay, reason="released")
    room = Room.objects.get(pk=stay.room.pk)
    assert room.status == RoomStatus.CLEANING
    services.room_cleaned(actor=world["district"], room=room)
    assert Room.objects.get(pk=room.pk).status == RoomStatus.AVAILABLE


def test_a_stay_is_checked_out_once_even_from_a_stale_copy(world):
    site = make_site(world["xincheng"])
    stay = services.check_in(actor=world["district"], site=site, person=world["alice"])
    stale = Stay.objects.get(pk=stay.pk)
    services.check_out(actor=world["district"], stay=stay, reason="hospital", note="市六院")
    with pytest.raises(ValidationError, match="已办理离开"):
        services.check_out(actor=world["district"], stay=stale, reason="released")
    assert Stay.objects.get(pk=stay.pk).checkout_reason == "hospital"


def test_a_full_site_a_reserve_site_and_another_townships_site_are_refused(world):
    site = make_site(world["xincheng"], rooms=1)
    services.check_in(actor=world["district"], site=site, person=world["alice"])
    with pytest.raises(ValidationError, match="无空闲"):
        services.check_in(actor=world["district"], site=site, person=world["bob"])
    reserve = make_site(world["xincheng"], status=SiteStatus.RESERVE, zones={"clean_zone": True})
    with pytest.raises(ValidationError, match="未启用"):
        services.check_in(actor=world["district"], site=reserve, person=world["bob"])
    with pytest.raises(ValidationError, match="缓冲区"):
        services.activate(actor=world["district"], site=reserve)
    assert services.occupancy(Site.objects.all()).reserve_rooms == 3
    with pytest.raises(PermissionDenied):
        services.check_in(actor=world["township_b"], site=make_site(world["xincheng"]), person=world["bob"])


def test_a_room_taken_since_it_was_offered_is_refused_cleanly(world):
    """The second officer was offered the same room a moment before the first took it."""
    site = make_site(world["xincheng"], rooms=1)
    offered = services.suggest_room(site)
    services.check_in(actor=world["district"], site=site, person=world["alice"], room=offered)
    with pytest.raises(ValidationError, match="刚被占用"):
        services.check_in(actor=world["district"], site=site, person=world["bob"], room=offered)
    assert Stay.objects.count() == 1 and Room.objects.get(pk=offered.pk).status == RoomStatus.OCCUPIED


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="two concurrent writers need PostgreSQL (SQLite runs one writer at a time); the PostgreSQL leg runs it",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_check_ins_to_the_last_free_room_give_one_stay():
    """Two officers, two connections, the same last room at the same moment: one stay, one clear refusal."""
    from fangxian.core import services as core_services
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant
    from fangxian.people.documents import parse_resident_id
    from fangxian.people.services import PersonRow, bulk_register_persons

    district, _ = core_services.load_county(code="410108")
    xincheng = Unit.objects.get(code="410108001")
    officer = User.objects.create_user(username="officer", password="x")
    Grant.objects.create(user=officer, unit=district, role=Role.DISTRICT_COMMAND)  # sites are operated by the district
    documents = [parse_resident_id(f"11010119900307{n}") for n in ("4477", "002X")]
    rows = [PersonRow(unit=xincheng, name=f"隔离{i}", document=doc) for i, doc in enumerate(documents)]
    with transaction.atomic():
        bulk_register_persons(actor=officer, rows=rows, reason="test")
    site = make_site(xincheng, rooms=1)
    room = services.suggest_room(site)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(person_id):
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                services.check_in(
                    actor=User.objects.get(pk=officer.pk),
                    site=Site.objects.get(pk=site.pk),
                    person=Person.objects.get(pk=person_id),
                    room=room,
                )
            outcomes.append("stay")
        except ValidationError as error:
            outcomes.append(error.messages[0])
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=attempt, args=(pk,)) for pk in Person.objects.values_list("pk", flat=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == sorted(["stay", f"房间 {room.number} 刚被占用，请重新选择"]), outcomes
    assert Stay.objects.count() == 1


@pytest.mark.parametrize("code", ["ed8", "ed9"])
def test_a_positive_in_a_site_restarts_the_floor_and_the_floors_next_to_it_when_the_protocol_says_so(code, world):
    from django.utils import timezone

    from fangxian.control import services as control
    from fangxian.control.models import Measure, Protocol
    from fangxian.people.documents import parse_resident_id
    from fangxian.people.services import PersonRow, bulk_register_persons

    Measure.objects.all().delete()
    today = timezone.localdate()
    site = Site.objects.create(name="八版隔离点", address="x", unit=world["xincheng"], zones=ALL_ZONES)
    rooms = {f"{floor}01": Room.objects.create(site=site, floor=floor, number=f"{floor}01") for floor in (2, 3, 4, 5)}
    numbers = ["4477", "002X", "0046", "0062"]
    documents = [parse_resident_id(f"11010119900307{n}") for n in numbers]
    rows = [PersonRow(unit=world["xincheng"], name=f"住客{i}", document=d) for i, d in enumerate(documents)]
    ids = bulk_register_persons(actor=world["district"], rows=rows, reason="test")
    protocol = Protocol.objects.get(code=code)  # the 8th edition keeps the floor rule, the 9th does not
    measures = {}
    for pk, number in zip(ids, rooms, strict=True):
        person = Person.objects.get(pk=pk)
        measure = control.place_under_measure(
            actor=world["district"],
            person=person,
            subject="close_contact",
            anchor_date=today - datetime.timedelta(days=5),
            protocol=protocol,
        )
        services.check_in(actor=world["district"], site=site, person=person, measure=measure, room=rooms[number])
        measures[number] = measure
    positive_test = measures["301"].tests.filter(day__lte=today).first() or measures["301"].tests.first()
    positive_test.day = today
    positive_test.save()
    control.record_test(actor=world["district"], test=positive_test, result="positive")
    for measure in measures.values():
        measure.refresh_from_db()
    assert measures["301"].status == "ended"
    if code == "ed9":
        assert {m.anchor_date for m in measures.values()} == {today - datetime.timedelta(days=5)}
        return
    assert measures["201"].anchor_date == today and measures["401"].anchor_date == today  # below and above
    assert measures["501"].anchor_date == today - datetime.timedelta(days=5)  # two floors up: unchanged
    assert measures["201"].end_date == today + datetime.timedelta(days=21)  # 14 + 7 from the new exposure


def test_a_transfer_moves_the_stay_or_leaves_the_person_where_they_were(world):
    first, second = make_site(world["xincheng"], rooms=1), make_site(world["xincheng"], rooms=1)
    stay = services.check_in(actor=world["district"], site=first, person=world["alice"])
    moved = services.transfer(actor=world["district"], stay=stay, to_site=second)
    assert moved.site == second and Room.objects.get(pk=stay.room.pk).status == RoomStatus.CLEANING
    full = make_site(world["xincheng"], rooms=0)
    with pytest.raises(ValidationError, match="无空闲"):
        services.transfer(actor=world["district"], stay=moved, to_site=full)
    moved.refresh_from_db()
    assert moved.checked_out_at is None and Room.objects.get(pk=moved.room.pk).status == RoomStatus.OCCUPIED


def test_a_positive_goes_to_hospital_and_its_floor_mates_get_close_contact_leads(world):
    from django.utils import timezone

    from fangxian.control import services as control
    from fangxian.control.models import Measure
    from fangxian.leads.models import Lead

    Measure.objects.all().delete()
    today = timezone.localdate()
    site = make_site(world["xincheng"], rooms=2)  # rooms 201 and 202, the same floor
    measures = []
    for person in (world["alice"], world["bob"]):
        measure = control.place_under_measure(
            actor=world["district"],
            person=person,
            subject="close_contact",
            anchor_date=today - datetime.timedelta(days=1),
        )
        services.check_in(actor=world["district"], site=site, person=person, measure=measure)
        measures.append(measure)
    positive = measures[0]
    control.record_test(actor=world["district"], test=positive.tests.get(day=today), result="positive")
    positive.refresh_from_db()
    with pytest.raises(ValidationError, match="定点医院"):
        control.transfer_to_hospital(actor=world["district"], measure=positive, hospital=" ")
    control.transfer_to_hospital(actor=world["district"], measure=positive, hospital="郑州市第六人民医院")
    assert positive.case_transfer.hospital == "郑州市第六人民医院"
    before = Lead.objects.count()
    assert control.contact_leads(actor=world["district"], measure=positive) == 1
    lead = Lead.objects.order_by("-id").first()
    assert Lead.objects.count() == before + 1 and lead.person == world["bob"] and lead.category == "close_contact"
    assert control.contact_leads(actor=world["district"], measure=positive) == 0  # once


def test_a_household_shares_a_multi_bed_room_up_to_its_beds(world):
    site = make_site(world["xincheng"], rooms=1)
    family = Room.objects.create(site=site, floor=3, number="310", kind="multi", beds=2)
    first = services.check_in(actor=world["district"], site=site, person=world["alice"], room=family)
    assert services.household_rooms(site) == [first]
    second = services.check_in(actor=world["district"], site=site, person=world["bob"], join=first)
    assert second.room == family and services.household_rooms(site) == []
    third = Person.objects.create(name="新城丙", doc_number="410108199001011239", unit=world["xc_grid"])
    with pytest.raises(ValidationError, match="已满"):
        services.check_in(actor=world["district"], site=site, person=third, join=first)
    # A single room is not shared, whoever asks.
    services.check_out(actor=world["district"], stay=second, reason="released")
    single = services.check_in(actor=world["district"], site=site, person=world["bob"])
    with pytest.raises(ValidationError, match="不是多人间"):
        services.check_in(actor=world["district"], site=site, person=third, join=single)
    assert Stay.objects.filter(person=third).count() == 0
    # The room goes to cleaning only when its last occupant leaves.
    services.check_out(actor=world["district"], stay=first, reason="released")
    assert Room.objects.get(pk=family.pk).status == RoomStatus.CLEANING
