"""Recording a dose: every check refuses with its reason, and nothing is half-written."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangxian.core.models import ChangeRecord
from fangxian.vaccination.choices import DoseKind, Progress
from fangxian.vaccination.models import Dose, Status
from fangxian.vaccination.services.doses import remove_dose
from fangxian.vaccination.services.status import progress
from fangxian.vaccination.tests.factories import give, person_born

D = datetime.date
pytestmark = pytest.mark.django_db


def messages_of(error: ValidationError) -> str:
    return " ".join(error.messages)


def test_a_dose_is_recorded_with_a_change_record_and_the_status_follows(world):
    person = person_born(world, D(1980, 1, 1))
    dose = give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    assert ChangeRecord.objects.filter(model="vaccination.dose", object_id=str(dose.uuid), kind="create").exists()
    assert progress(Status.objects.get(person=person), D(2021, 5, 2)) == Progress.STARTED
    give(world, person, DoseKind.SECOND, "bibp", D(2021, 5, 25))
    assert Status.objects.get(person=person).full_on == D(2021, 5, 25)


def test_a_dose_in_the_future_or_before_birth_is_refused(world):
    person = person_born(world, D(2021, 3, 1))
    with pytest.raises(ValidationError, match="晚于今天"):
        give(world, person, DoseKind.FIRST, "bibp", D(2026, 12, 2))
    with pytest.raises(ValidationError, match="早于出生日期"):
        give(world, person, DoseKind.FIRST, "bibp", D(2021, 2, 1))
    assert not Dose.objects.filter(person=person).exists()


def test_the_same_dose_with_another_date_is_a_conflict_not_a_second_record(world):
    person = person_born(world, D(1980, 1, 1))
    give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    with pytest.raises(ValidationError, match="已有第1剂"):
        give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 3))
    with pytest.raises(ValidationError, match="已登记"):
        give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    assert Dose.objects.filter(person=person).count() == 1


def test_a_second_dose_before_the_first_or_too_soon_after_it_is_a_conflict(world):
    person = person_born(world, D(1980, 1, 1))
    give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 10))
    with pytest.raises(ValidationError, match="早于第1剂"):
        give(world, person, DoseKind.SECOND, "bibp", D(2021, 5, 1))
    with pytest.raises(ValidationError, match="间隔 14 天，短于.*21 天"):
        give(world, person, DoseKind.SECOND, "bibp", D(2021, 5, 24))


def test_a_booster_needs_the_series_complete_and_its_interval(world):
    person = person_born(world, D(1980, 1, 1))
    give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    with pytest.raises(ValidationError, match="未完成基础免疫"):
        give(world, person, DoseKind.BOOSTER, "bibp", D(2021, 12, 1))
    give(world, person, DoseKind.SECOND, "bibp", D(2021, 6, 1))
    with pytest.raises(ValidationError, match="短于加强免疫最短间隔"):
        give(world, person, DoseKind.BOOSTER, "bibp", D(2021, 7, 1))
    with pytest.raises(ValidationError, match="不同技术路线"):
        give(world, person, DoseKind.HETEROLOGOUS_BOOSTER, "sinovac", D(2022, 1, 1))
    give(world, person, DoseKind.HETEROLOGOUS_BOOSTER, "cansino", D(2022, 1, 1))
    assert Status.objects.get(person=person).boosted_on == D(2022, 1, 1)


def test_a_dose_outside_the_product_ages_needs_the_recorder_to_confirm_it(world):
    child = person_born(world, D(2012, 1, 1))
    with pytest.raises(ValidationError) as refused:
        give(world, child, DoseKind.FIRST, "cansino", D(2022, 1, 1))  # licensed from 18
    assert "超出" in messages_of(refused.value)
    dose = give(world, child, DoseKind.FIRST, "cansino", D(2022, 1, 1), confirm_ages=True)
    assert dose.outside_ages
    record = ChangeRecord.objects.get(model="vaccination.dose", object_id=str(dose.uuid))
    assert "已确认" in record.reason


def test_a_role_without_the_work_cannot_record_a_dose(world):
    from fangxian.vaccination.models import Product
    from fangxian.vaccination.services.doses import record_dose

    person = person_born(world, D(1980, 1, 1))
    for name in ("grid", "clerk", "venue", "lab", "township_b"):
        with pytest.raises(PermissionDenied):
            record_dose(
                actor=world[name],
                person=person,
                kind=DoseKind.FIRST,
                product=Product.objects.get(code="bibp"),
                given_on=D(2021, 5, 1),
            )


def test_a_dose_taken_back_needs_a_reason_and_the_status_follows(world):
    person = person_born(world, D(1980, 1, 1))
    dose = give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    with pytest.raises(ValidationError):
        remove_dose(actor=world["district"], dose=dose, reason=" ")
    remove_dose(actor=world["district"], dose=dose, reason="与免疫规划系统核对为重复录入")
    assert not Status.objects.filter(person=person).exists()
    assert ChangeRecord.objects.filter(model="vaccination.dose", kind="delete").exists()


def test_the_same_dose_on_the_same_day_of_another_vaccine_is_a_conflict(world):
    person = person_born(world, D(1980, 1, 1))
    give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    with pytest.raises(ValidationError, match="疫苗为.*与本条不同"):
        give(world, person, DoseKind.FIRST, "sinovac", D(2021, 5, 1))


def test_a_second_dose_without_the_first_on_record_is_a_conflict(world):
    person = person_born(world, D(1980, 1, 1))
    with pytest.raises(ValidationError, match="缺少第1剂的记录"):
        give(world, person, DoseKind.SECOND, "bibp", D(2021, 5, 25))


def test_a_dose_taken_back_twice_is_refused_the_second_time_and_recorded_once(world):
    person = person_born(world, D(1980, 1, 1))
    dose = give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    remove_dose(actor=world["district"], dose=dose, reason="重复录入")
    with pytest.raises(ValidationError, match="已被删除"):
        remove_dose(actor=world["district"], dose=dose, reason="重复录入")
    assert ChangeRecord.objects.filter(model="vaccination.dose", kind="delete").count() == 1
