"""Fixtures of the core tests shared by the role walk and the probes built on its matrix."""

import pytest


@pytest.fixture
def walk_world(world):
    from fangxian.core.exporting import export_path
    from fangxian.core.exports import Column, xlsx_bytes
    from fangxian.people.choices import DocumentType
    from fangxian.people.documents import check_char
    from fangxian.people.services import register_person
    from fangxian.sites.choices import RoomStatus
    from fangxian.sites.models import Room

    # The file 新城's export job wrote for its creator.
    content, _ = xlsx_bytes(title="导出", columns=[Column("单位", lambda row: row)], rows=["新城街道"])
    export_path(world["xc_job"]).parent.mkdir(parents=True, exist_ok=True)
    export_path(world["xc_job"]).write_bytes(content)
    world["xc_site"].staff.add(world["site"])  # the site staff work at 金河宾馆, where alice stays
    world["cleaning_room"] = Room.objects.create(
        site=world["xc_site"], floor=2, number="203", status=RoomStatus.CLEANING
    )
    # Beside the territory: 教育局's liaison (its sector: the teachers' key group, where alice is a member) and
    # a member of the testing working group (testing, district-wide).
    from fangxian.core import services as core_services
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant, Unit, User
    from fangxian.testing.models import KeyGroup, KeyGroupMember

    core_services.load_standard_bodies(actor=world["system"], district=world["huiji"])
    for name, role, unit_name in [
        ("dept", Role.DEPARTMENT_STAFF, "区教育局"),
        ("group", Role.TASK_FORCE, "核酸检测专班"),
    ]:
        unit = Unit.objects.get(name=unit_name)
        world[name] = User.objects.create_user(username=name, password="x" * 12, unit=unit)
        Grant.objects.create(user=world[name], role=role, unit=unit)
    teachers = KeyGroup.objects.create(
        district=world["huiji"], name="中小学教职工", interval_days=7, sector="education"
    )
    KeyGroupMember.objects.create(group=teachers, person=world["alice"], unit=world["xc_community"])
    world["carol"] = register_person(
        actor=world["system"],
        unit=world["xc_grid"],
        name="新城丙",
        doc_type=DocumentType.RESIDENT_ID,
        doc_number="41010819800101002" + check_char("41010819800101002"),
        address="金河社区3号楼",
    )
    # dora left 金河宾馆 an hour ago: a check-out the district may still take back.
    world["dora"] = register_person(
        actor=world["system"],
        unit=world["xc_grid"],
        name="新城丁",
        doc_type=DocumentType.RESIDENT_ID,
        doc_number="41010819800101003" + check_char("41010819800101003"),
    )
    import datetime

    from django.utils import timezone

    from fangxian.sites.models import Stay

    dora_room = Room.objects.create(site=world["xc_site"], floor=2, number="204", status=RoomStatus.CLEANING)
    world["dora_stay"] = Stay.objects.create(
        person=world["dora"],
        site=world["xc_site"],
        room=dora_room,
        checked_in_by=world["district"],
        checked_out_at=timezone.now() - datetime.timedelta(hours=1),
        checkout_reason="hospital",
    )
    # Alice's case (an itinerary entry, bob as a close contact), made here rather than by the first request: each
    # request runs in a savepoint rolled back after it.
    from fangxian.cases.tests.factories import positive_recall, world_case

    world_case(world)
    # carol's single-tube re-test came back positive: her case is to open (the recall names her document only, so
    # that the walk may still delete her record).
    positive_recall(world, "carol", linked=False)
    # A vaccination target of the district (its day issued), and a dose file 新城 has checked but not imported.
    from fangxian.vaccination.tests.factories import world_dose_import, world_target

    world_target(world)
    world_dose_import(world)
    return world
