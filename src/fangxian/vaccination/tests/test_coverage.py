"""Coverage counted by hand on a small district: people, never doses over people, against each population source."""

import datetime

import pytest

from fangxian.vaccination.choices import DoseKind, Milestone, PopulationSource, Standing
from fangxian.vaccination.models import Population
from fangxian.vaccination.services import coverage, roster
from fangxian.vaccination.tests.factories import give, person_born

D = datetime.date
DAY = D(2026, 12, 1)
pytestmark = pytest.mark.django_db


def scope(world):
    from fangxian.core.models import Unit

    return list(Unit.objects.filter(path__startswith=world["huiji"].path).values_list("id", flat=True))


def rows_by(world, units, day=DAY):
    return {(row.unit.pk, row.band): row for row in coverage.table(units=units, scope_unit_ids=scope(world), day=day)}


def test_coverage_counts_people_by_band_at_the_reference_date(world):
    old = [person_born(world, D(1940, 5, 5)) for _ in range(3)]  # 86: 80+
    child = person_born(world, D(2018, 12, 2))  # 7 on DAY
    turning = person_born(world, D(2014, 12, 1), unit=world["lz_community"])  # 12 on DAY: 12-17
    give(world, old[0], DoseKind.FIRST, "bibp", D(2021, 5, 1))
    give(world, old[0], DoseKind.SECOND, "bibp", D(2021, 6, 1))  # two doses, one person
    give(world, old[1], DoseKind.FIRST, "sinovac", D(2021, 5, 1))
    give(world, child, DoseKind.FIRST, "bibp", D(2022, 1, 10))
    roster.set_standing(actor=world["district"], person=old[2], standing=Standing.CONTRAINDICATED, reason="严重过敏史")
    table = rows_by(world, [world["huiji"], world["xincheng"], world["liuzhai"]])
    eighty = table[(world["xincheng"].pk, "80+")]
    assert (eighty.counts.people, eighty.counts.eligible, eighty.counts.started, eighty.counts.full) == (3, 2, 2, 1)
    assert eighty.rate(Milestone.STARTED) == 100  # against the eligible: the contraindicated one is out
    assert table[(world["xincheng"].pk, "3-11")].counts.started == 1
    assert table[(world["huiji"].pk, "12-17")].counts.people == 1
    assert table[(world["xincheng"].pk, "12-17")].counts.people == 0
    assert table[(world["liuzhai"].pk, "12-17")].counts.people == 1  # turned 12 that day, in 刘寨
    assert turning.unit.parent == world["liuzhai"]
    a_day_before = rows_by(world, [world["huiji"]], day=D(2026, 11, 30))
    assert a_day_before[(world["huiji"].pk, "3-11")].counts.people == 2  # still 11 the day before the birthday


def test_each_population_source_gives_its_own_rate_and_the_latest_figure_counts(world):
    officer = world["district"]
    people = [person_born(world, D(1950, 1, 1)) for _ in range(4)]
    for person in people[:3]:
        give(world, person, DoseKind.FIRST, "bibp", D(2021, 5, 1))
    for source, count, as_of in [
        (PopulationSource.REGISTERED, 10, D(2021, 1, 1)),
        (PopulationSource.REGISTERED, 6, D(2022, 1, 1)),
        (PopulationSource.HEADCOUNT, 2, D(2022, 6, 1)),
    ]:
        Population.objects.create(
            unit=world["xc_community"], band="70-79", source=source, count=count, as_of=as_of, recorded_by=officer
        )
    row = rows_by(world, [world["xincheng"]])[(world["xincheng"].pk, "70-79")]
    assert row.populations[PopulationSource.REGISTERED] == 6  # the township's figure is its communities'
    assert row.rate(Milestone.STARTED, PopulationSource.REGISTERED) == 50
    assert row.rate(Milestone.STARTED, PopulationSource.HEADCOUNT) == 150  # shown, not capped
    assert row.over_full(PopulationSource.HEADCOUNT)
    assert row.populations[PopulationSource.RESIDENT] is None
    assert row.rate(Milestone.STARTED) == 75  # 3 of the 4 eligible in the registry


def test_people_outside_every_band_are_counted_apart(world):
    person_born(world, D(2025, 1, 1))
    result = coverage.unbanded(scope_unit_ids=scope(world), day=DAY)
    assert result[coverage.UNDER_AGE] >= 1


def test_a_figure_recorded_for_part_of_a_unit_is_not_passed_off_as_the_whole(world):
    """Only 新城 has an 80+ headcount: the district shows none rather than 新城's figure over the district's
    people, and the total over the bands is none while some band has no figure."""
    person_born(world, D(1940, 1, 1))
    person_born(world, D(1940, 1, 1), unit=world["lz_community"])
    Population.objects.create(
        unit=world["xincheng"],
        band="80+",
        source=PopulationSource.HEADCOUNT,
        count=1,
        as_of=D(2026, 1, 1),
        recorded_by=world["district"],
    )
    table = rows_by(world, [world["huiji"], world["xincheng"]])
    assert table[(world["xincheng"].pk, "80+")].populations[PopulationSource.HEADCOUNT] == 1
    assert table[(world["huiji"].pk, "80+")].populations[PopulationSource.HEADCOUNT] is None
    assert table[(world["xincheng"].pk, "")].populations[PopulationSource.HEADCOUNT] is None
    only_80 = {
        (row.unit.pk, row.band): row
        for row in coverage.table(units=[world["xincheng"]], scope_unit_ids=scope(world), day=DAY, bands=["80+"])
    }
    assert only_80[(world["xincheng"].pk, "")].populations[PopulationSource.HEADCOUNT] == 1


def test_the_pages_read_the_workers_count_while_it_is_fresh_and_count_again_after(world):
    from django.db import transaction
    from django.utils import timezone

    today = timezone.localdate()
    person = person_born(world, D(1950, 1, 1))
    with transaction.atomic():
        coverage.rebuild_snapshot()
    ids = scope(world)
    assert coverage.counts(ids, today) == coverage.counts_by_unit(ids, today)
    give(world, person, DoseKind.FIRST, "bibp", today, today=today)
    key = (person.unit_id, "70-79")
    assert coverage.counts(ids, today)[key].started == 0  # the count of the last minute
    later = timezone.now() + datetime.timedelta(seconds=coverage.SNAPSHOT_SECONDS + 1)
    assert coverage.counts(ids, today, now=later)[key].started == 1  # too old: counted again
    assert coverage.reached_on(ids, bands=["70-79"], milestone=Milestone.STARTED, day=today, age_day=today) == {
        person.unit_id: 1
    }
