"""Departments (区直部门) and working groups (指挥部专班) beside the territory: units too, whose reach is a function
over the district — a department its sector's rows, a working group its domain's — never a territory."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangxian.core import services
from fangxian.core.choices import Role, Sector, UnitLevel
from fangxian.core.models import ChangeRecord, Grant, Unit, User
from fangxian.core.scoping import scope_paths


@pytest.fixture
def bodies(world):
    services.load_standard_bodies(actor=world["system"], district=world["huiji"])
    units = {unit.name: unit for unit in Unit.objects.filter(level__in=[UnitLevel.DEPARTMENT, UnitLevel.WORKING_GROUP])}

    def member(username: str, role: str, unit_name: str) -> User:
        user = User.objects.create_user(username=username, password="x" * 12, unit=units[unit_name])
        Grant.objects.create(user=user, role=role, unit=units[unit_name])
        world[username] = user
        return user

    member("edu", Role.DEPARTMENT_STAFF, "区教育局")
    member("health", Role.DEPARTMENT_STAFF, "区卫生健康委员会")
    member("testing_group", Role.TASK_FORCE, "核酸检测专班")
    member("isolation_group", Role.TASK_FORCE, "隔离管控专班")
    return units


def test_the_standard_bodies_load_once_as_units_of_the_district(world, bodies):
    assert len(bodies) == 18 and all(unit.parent_id == world["huiji"].pk for unit in bodies.values())
    assert bodies["区教育局"].sector == Sector.EDUCATION and bodies["核酸检测专班"].domain == "testing"
    records = ChangeRecord.objects.count()
    assert services.load_standard_bodies(actor=world["system"], district=world["huiji"]) == 0
    assert ChangeRecord.objects.count() == records  # nothing changed, nothing recorded


def test_a_body_needs_its_sector_or_domain_and_stands_under_a_district(world):
    with pytest.raises(ValidationError):
        services.save_body(
            actor=world["district"], district=world["huiji"], level=UnitLevel.DEPARTMENT, number=20, name="无行业"
        )
    with pytest.raises(ValidationError):
        services.save_body(
            actor=world["district"], district=world["xincheng"], level=UnitLevel.WORKING_GROUP, number=1, name="x"
        )
    with pytest.raises(PermissionDenied):  # units are the district's to manage
        services.save_body(
            actor=world["township_a"],
            district=world["huiji"],
            level=UnitLevel.WORKING_GROUP,
            number=9,
            name="越权专班",
            domain="testing",
        )


def test_a_working_group_reaches_its_domain_across_the_district_and_nothing_else(world, bodies):
    from fangxian.control.models import Measure
    from fangxian.leads.models import Lead
    from fangxian.people.models import Person
    from fangxian.testing.models import SamplingPoint, Tube

    testing = world["testing_group"]
    assert scope_paths(testing, "testing.view") == [world["huiji"].path]
    assert Tube.objects.restrict(testing).filter(code="XC000001").exists()
    assert SamplingPoint.objects.restrict(testing).exists()
    for model in (Person, Lead, Measure):
        assert not model.objects.restrict(testing).exists(), model
    isolation = world["isolation_group"]
    assert Measure.objects.restrict(isolation).filter(pk=world["xc_measure"].pk).exists()
    assert Measure.objects.restrict(isolation, "measures.release").exists()
    assert not Tube.objects.restrict(isolation).exists() and not Lead.objects.restrict(isolation).exists()


def test_a_department_sees_its_sector_s_key_groups_district_wide_and_no_one_else_s(world, bodies):
    from fangxian.people.models import Person
    from fangxian.testing.models import KeyGroup, KeyGroupMember, Tube

    teachers = KeyGroup.objects.create(
        district=world["huiji"], name="中小学教职工", interval_days=7, sector="education"
    )
    doctors = KeyGroup.objects.create(district=world["huiji"], name="医务人员", interval_days=3, sector="health")
    KeyGroupMember.objects.create(group=teachers, person=world["alice"], unit=world["xc_community"])
    KeyGroupMember.objects.create(group=doctors, person=world["bob"], unit=world["lz_community"])
    edu = world["edu"]
    assert list(KeyGroup.objects.restrict(edu)) == [teachers]
    assert [m.person_id for m in KeyGroupMember.objects.restrict(edu)] == [world["alice"].pk]
    assert [m.person_id for m in KeyGroupMember.objects.restrict(world["health"])] == [world["bob"].pk]
    assert not KeyGroupMember.objects.restrict(edu, "change").exists()  # watches, does not manage
    assert not Person.objects.restrict(edu).exists() and not Tube.objects.restrict(edu).exists()
    page = _client(edu).get(reverse("testing:key_groups")).content.decode()
    assert "中小学教职工" in page and "医务人员" not in page


def test_the_new_roles_are_granted_only_on_their_kind_of_unit(world, bodies):
    account = User.objects.create_user(username="someone", password="x" * 12, unit=world["huiji"])
    district = world["district"]
    with pytest.raises(ValidationError):
        services.grant_role(actor=district, user=account, role=Role.DEPARTMENT_STAFF, unit=world["xincheng"])
    with pytest.raises(ValidationError):
        services.grant_role(actor=district, user=account, role=Role.CLERK, unit=bodies["区教育局"])
    with pytest.raises(ValidationError):
        services.grant_role(actor=district, user=account, role=Role.TASK_FORCE, unit=bodies["区教育局"])
    assert services.grant_role(actor=district, user=account, role=Role.TASK_FORCE, unit=bodies["流调溯源专班"])


def test_a_working_group_member_holds_only_its_domain_when_handing_rights_on(world, bodies):
    assert services.capabilities_over(world["testing_group"], world["xc_community"]) >= {"testing.view"}
    assert "persons.view" not in services.capabilities_over(world["testing_group"], world["xc_community"])
    assert "users.manage" not in services.capabilities_over(world["testing_group"], world["huiji"])


def test_the_dashboard_lists_the_territory_below_a_district_not_its_bodies(world, bodies, client_for):
    from fangxian.reports.situation import snapshot

    names = {child["name"] for child in snapshot(unit=world["huiji"])["children"]}
    assert "新城街道" in names and "区教育局" not in names and "核酸检测专班" not in names


def test_bodies_members_reach_their_pages_and_are_refused_the_rest(world, bodies):
    testing, edu = _client(world["testing_group"]), _client(world["edu"])
    assert testing.get(reverse("testing:tubes")).status_code == 200
    assert testing.get(reverse("people:list")).status_code == 403
    assert testing.get(reverse("leads:list")).status_code == 403
    assert edu.get(reverse("testing:tubes")).status_code == 403
    assert edu.get(reverse("control:measures")).status_code == 403
    assert edu.get(reverse("home")).status_code == 200


def _client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def test_menus_and_forms_show_only_what_the_reach_carries(world, bodies):
    """A working group's role carries every domain's capabilities; its menus show only its own group's."""
    home = _client(world["testing_group"]).get(reverse("home")).content.decode()
    assert f'href="{reverse("testing:tubes")}"' in home or f'href="{reverse("testing:campaigns")}"' in home
    assert f'href="{reverse("people:list")}"' not in home and f'href="{reverse("leads:list")}"' not in home
    page = _client(world["edu"]).get(reverse("testing:key_groups")).content.decode()
    assert 'data-testid="members-form"' not in page and 'data-testid="group-form"' not in page
    manager = _client(world["district"]).get(reverse("testing:key_groups")).content.decode()
    assert 'data-testid="members-form"' in manager and 'data-testid="group-form"' in manager
