"""The mobilisation roster: a person leaves it only by a dose or a recorded reason."""

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangxian.people.models import Person
from fangxian.vaccination.choices import Channel, DoseKind, Outcome, Standing
from fangxian.vaccination.models import Attempt, Eligibility
from fangxian.vaccination.services import roster
from fangxian.vaccination.tests.factories import give, person_born

D = datetime.date
TODAY = D(2026, 12, 1)
pytestmark = pytest.mark.django_db


def on_roster(world, person, day=TODAY) -> bool:
    return roster.roster(Person.objects.filter(unit=world["xc_community"]), day=day).filter(pk=person.pk).exists()


def attempt(world, person, outcome, **extra):
    return roster.record_attempt(
        actor=world["grid"], person=person, channel=Channel.VISIT, outcome=outcome, today=TODAY, **extra
    )


def test_someone_without_a_dose_is_on_the_roster_and_a_dose_takes_them_off(world):
    person = person_born(world, D(1950, 3, 3))
    assert on_roster(world, person)
    give(world, person, DoseKind.FIRST, "bibp", D(2026, 11, 20))
    assert not on_roster(world, person)
    assert on_roster(world, person, day=D(2026, 12, 11))  # the second dose is due after 21 days


def test_a_child_below_three_is_not_on_the_roster(world):
    assert not on_roster(world, person_born(world, D(2024, 6, 1)))


def test_no_answer_and_a_booking_keep_the_person_on_the_roster(world):
    person = person_born(world, D(1950, 3, 3))
    attempt(world, person, Outcome.NO_ANSWER)
    attempt(world, person, Outcome.BOOKED, until=D(2026, 12, 3))
    assert on_roster(world, person)
    assert Attempt.objects.filter(person=person).count() == 2


def test_a_refusal_takes_the_person_off_only_with_its_reason(world):
    person = person_born(world, D(1950, 3, 3))
    with pytest.raises(ValidationError):
        attempt(world, person, Outcome.REFUSED)
    assert not Attempt.objects.filter(person=person).exists()  # nothing half-written
    attempt(world, person, Outcome.REFUSED, reason="担心不良反应")
    assert not on_roster(world, person)
    assert Eligibility.objects.get(person=person).standing == Standing.REFUSED


def test_a_deferral_holds_until_its_review_date(world):
    person = person_born(world, D(1950, 3, 3))
    with pytest.raises(ValidationError):
        attempt(world, person, Outcome.DEFERRED, until=TODAY)
    attempt(world, person, Outcome.DEFERRED, until=D(2026, 12, 20), reason="近期手术")
    assert not on_roster(world, person)
    assert on_roster(world, person, day=D(2026, 12, 20))


def test_eligible_again_puts_the_person_back(world):
    person = person_born(world, D(1950, 3, 3))
    attempt(world, person, Outcome.MOVED)
    assert not on_roster(world, person)
    roster.set_standing(actor=world["grid"], person=person, standing=Standing.ELIGIBLE, reason="已迁回")
    assert on_roster(world, person)


def test_another_township_cannot_record_a_contact(world):
    person = person_born(world, D(1950, 3, 3))
    with pytest.raises(PermissionDenied):
        roster.record_attempt(
            actor=world["township_b"], person=person, channel=Channel.PHONE, outcome=Outcome.NO_ANSWER
        )


def test_a_person_is_given_to_a_member_of_the_team_that_serves_them(world):
    person = person_born(world, D(1950, 3, 3))
    member = world["xc_team"].members.first()
    roster.assign(actor=world["grid"], persons=[person], member=member)
    from fangxian.vaccination.models import Assignment

    assert Assignment.objects.get(person=person).member == member
    elsewhere = person_born(world, D(1950, 3, 3), unit=world["lz_community"])
    with pytest.raises(PermissionDenied):
        roster.assign(actor=world["grid"], persons=[elsewhere], member=member)


def test_someone_without_a_birth_date_stays_on_the_roster_until_a_dose_or_a_reason(world):
    from fangxian.people.services import register_person

    visitor = register_person(
        actor=world["system"],
        unit=world["xc_community"],
        name="护照持有人",
        doc_type="passport",
        doc_number="E12345678",
    )
    assert visitor.birth_date is None and on_roster(world, visitor)
