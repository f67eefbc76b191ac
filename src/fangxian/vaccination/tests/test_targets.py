"""Targets and their daily shares: the parts add up to the whole, a share is issued once, the day's work is counted
from the doses, and a unit that missed its day is shown."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from fangxian.core.models import Unit
from fangxian.vaccination.choices import DoseKind, Milestone, PopulationSource
from fangxian.vaccination.models import Population, Quota
from fangxian.vaccination.services import targets
from fangxian.vaccination.tests.factories import give, person_born

D = datetime.date
DAY = D(2026, 12, 1)
pytestmark = pytest.mark.django_db


def elders(world, unit, count):
    return [person_born(world, D(1950, 6, 1), unit=unit) for _ in range(count)]


def target(world, **extra):
    values = {
        "actor": world["district"],
        "district": world["huiji"],
        "title": "60 岁以上首针攻坚",
        "bands": ["60-69", "70-79", "80+"],
        "milestone": Milestone.STARTED,
        "rate": "90",
        "due_on": DAY + datetime.timedelta(days=4),
        "today": DAY,
    }
    return targets.set_target(**{**values, **extra})


def test_a_target_date_in_the_past_or_a_rate_out_of_range_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        target(world, due_on=DAY - datetime.timedelta(days=1), rate="120")
    assert set(refused.value.message_dict) == {"due_on", "rate"}
    with pytest.raises(PermissionDenied):
        target(world, actor=world["grid"])


def test_the_day_shares_add_up_to_the_district_number_at_every_level(world):
    xc = elders(world, world["xc_community"], 30)
    elders(world, world["lz_community"], 10)
    give(world, xc[0], DoseKind.FIRST, "bibp", D(2026, 11, 1))
    goal = target(world)
    written = targets.issue(target=goal, day=DAY)
    assert written > 0
    shares = {quota.unit_id: quota.quota for quota in Quota.objects.filter(target=goal, day=DAY)}
    district = shares[world["huiji"].pk]
    # 40 registered, 90 % is 36, 1 reached: 35 over 5 days is 7 today.
    assert district == 7
    townships = Unit.objects.filter(parent=world["huiji"], level="township")
    assert sum(shares[t.pk] for t in townships) == district
    for township in townships:
        communities = Unit.objects.filter(parent=township, level="community")
        assert sum(shares[c.pk] for c in communities) == shares[township.pk]
    assert shares[world["xincheng"].pk] > shares[world["liuzhai"].pk]  # by the people each still has to vaccinate
    assert targets.issue(target=goal, day=DAY) == 0  # issued once


def test_the_denominator_is_the_population_figure_when_there_is_one(world):
    elders(world, world["xc_community"], 10)
    for band in ("60-69", "70-79", "80+"):
        Population.objects.create(
            unit=world["huiji"],
            band=band,
            source=PopulationSource.REGISTERED,
            count=20,
            as_of=D(2026, 1, 1),
            recorded_by=world["district"],
        )
    goal = target(world, rate=Decimal("50"), due_on=DAY)
    targets.issue(target=goal, day=DAY)
    # 60 registered by the figure, half is 30 on the last day, but only 10 are left to vaccinate: never more.
    assert Quota.objects.get(target=goal, day=DAY, unit=world["huiji"]).quota == 10


def test_the_board_counts_the_day_from_the_doses_and_shows_who_missed_yesterday(world):
    xc = elders(world, world["xc_community"], 10)
    goal = target(world, starts_on=DAY)
    targets.issue(target=goal, day=DAY)
    share = Quota.objects.get(target=goal, day=DAY, unit=world["xc_community"]).quota
    assert share > 1
    give(world, xc[0], DoseKind.FIRST, "bibp", DAY, today=DAY)
    ids = list(Unit.objects.filter(path__startswith=world["huiji"].path).values_list("id", flat=True))
    line = {line.unit.pk: line for line in targets.board(target=goal, day=DAY, unit_ids=ids)}[world["xc_community"].pk]
    assert (line.quota, line.done, line.missed) == (share, 1, True)
    tomorrow = DAY + datetime.timedelta(days=1)
    targets.issue(target=goal, day=tomorrow)
    line = {line.unit.pk: line for line in targets.board(target=goal, day=tomorrow, unit_ids=ids)}[
        world["xc_community"].pk
    ]
    assert line.shortfall_yesterday == share - 1


def test_a_target_is_ended_once(world):
    goal = target(world)
    targets.end_target(actor=world["district"], target=goal, reason="阶段任务完成")
    with pytest.raises(ValidationError, match="已停止"):
        targets.end_target(actor=world["district"], target=goal, reason="再次停止")
    assert targets.issue(target=goal, day=DAY) == 0  # an ended target issues nothing
