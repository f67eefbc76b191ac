"""The rules that need no database: age bands at a reference date, a person's progress per product, the split of
a day's number among units."""

import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fangxian.vaccination import bands
from fangxian.vaccination.choices import DoseKind, Progress
from fangxian.vaccination.models import Product, Status
from fangxian.vaccination.services.status import DoseFact, derive, progress
from fangxian.vaccination.services.targets import apportion

D = datetime.date

INACTIVATED = Product(
    pk=1,
    code="bibp",
    name="灭活",
    platform="inactivated",
    series_doses=2,
    series_interval_days=21,
    booster_interval_days=90,
    min_age=3,
)
VECTOR = Product(
    pk=2,
    code="cansino",
    name="腺病毒",
    platform="adenovirus_vector",
    series_doses=1,
    series_interval_days=0,
    booster_interval_days=90,
    min_age=18,
)
PROTEIN = Product(
    pk=3,
    code="zf2001",
    name="重组蛋白",
    platform="recombinant_protein",
    series_doses=3,
    series_interval_days=28,
    booster_interval_days=90,
    min_age=18,
)
PRODUCTS = {product.pk: product for product in (INACTIVATED, VECTOR, PROTEIN)}


def test_age_counts_whole_years_and_a_birthday_makes_the_year():
    assert bands.age_on(D(2014, 6, 10), D(2026, 6, 9)) == 11
    assert bands.age_on(D(2014, 6, 10), D(2026, 6, 10)) == 12


def test_someone_born_on_29_february_is_a_year_older_on_1_march_in_a_common_year():
    born = D(2020, 2, 29)
    assert bands.age_on(born, D(2023, 2, 28)) == 2
    assert bands.age_on(born, D(2023, 3, 1)) == 3
    assert bands.band_of(born, D(2023, 2, 28)) is None  # below 3: not in any band
    assert bands.band_of(born, D(2023, 3, 1)).key == "3-11"


def test_the_default_bands_are_those_of_the_guidance():
    assert [band.key for band in bands.configured()] == ["3-11", "12-17", "18-59", "60-69", "70-79", "80+"]
    assert bands.band_of(D(1940, 1, 1), D(2026, 12, 6)).key == "80+"
    assert bands.band_of(None, D(2026, 12, 6)) is None


def test_bands_can_be_configured_and_must_follow_each_other():
    assert [b.key for b in bands.parse_bands(["3-17", "18-"])] == ["3-17", "18+"]
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        bands.parse_bands(["3-11", "13-17"])  # a gap at 12
    with pytest.raises(ImproperlyConfigured):
        bands.parse_bands(["3-", "18-59"])  # an open band that is not the last


@given(
    born=st.dates(min_value=D(1900, 1, 1), max_value=D(2030, 12, 31)),
    day=st.dates(min_value=D(2000, 1, 1), max_value=D(2040, 12, 31)),
)
def test_the_birth_date_thresholds_the_database_compares_agree_with_the_age(born, day):
    """Coverage counts bands in SQL from thresholds (born_by): they must give each person the band age_on gives."""
    expected = bands.band_of(born, day)
    found = None
    for band in bands.configured():
        after, latest = bands.birth_range(band, day)
        if born <= latest and (after is None or born > after):
            found = band
    assert found == expected


def status_of(doses, products=PRODUCTS):
    summary = derive([DoseFact(kind, product.pk, on) for kind, product, on in doses], products)
    return Status(**summary.__dict__) if summary else None


def test_two_inactivated_doses_are_the_full_series_and_the_booster_falls_due_three_months_later():
    status = status_of([(DoseKind.FIRST, INACTIVATED, D(2021, 5, 1)), (DoseKind.SECOND, INACTIVATED, D(2021, 5, 25))])
    assert status.full_on == D(2021, 5, 25)
    assert status.next_kind == DoseKind.BOOSTER
    assert status.next_due_on == D(2021, 5, 25) + datetime.timedelta(days=90)
    assert progress(status, D(2021, 5, 24)) == Progress.STARTED
    assert progress(status, D(2021, 5, 25)) == Progress.FULL
    assert progress(status, D(2021, 4, 30)) == Progress.NONE  # doses after the reference date do not count yet


def test_one_dose_of_the_adenovirus_vector_vaccine_is_the_full_series():
    status = status_of([(DoseKind.FIRST, VECTOR, D(2021, 8, 1))])
    assert status.full_on == D(2021, 8, 1)
    assert progress(status, D(2021, 8, 1)) == Progress.FULL


def test_the_recombinant_protein_vaccine_needs_three_doses():
    two = status_of([(DoseKind.FIRST, PROTEIN, D(2021, 6, 1)), (DoseKind.SECOND, PROTEIN, D(2021, 7, 1))])
    assert two.full_on is None and two.next_kind == DoseKind.THIRD
    assert two.next_due_on == D(2021, 7, 29)
    three = status_of(
        [
            (DoseKind.FIRST, PROTEIN, D(2021, 6, 1)),
            (DoseKind.SECOND, PROTEIN, D(2021, 7, 1)),
            (DoseKind.THIRD, PROTEIN, D(2021, 8, 1)),
        ]
    )
    assert three.full_on == D(2021, 8, 1)
    assert progress(three, D(2021, 9, 1)) == Progress.FULL


def test_a_booster_counts_once_the_series_is_complete():
    status = status_of(
        [
            (DoseKind.FIRST, INACTIVATED, D(2021, 5, 1)),
            (DoseKind.SECOND, INACTIVATED, D(2021, 5, 25)),
            (DoseKind.HETEROLOGOUS_BOOSTER, VECTOR, D(2022, 3, 1)),
        ]
    )
    assert status.boosted_on == D(2022, 3, 1)
    assert status.next_kind == "" and status.next_due_on is None
    assert progress(status, D(2022, 3, 1)) == Progress.BOOSTED


def test_nobody_without_a_dose_has_a_status_and_is_not_vaccinated():
    assert status_of([]) is None
    assert progress(None, D(2026, 1, 1)) == Progress.NONE


@given(total=st.integers(0, 5000), weights=st.lists(st.integers(0, 3000), min_size=1, max_size=30))
def test_a_day_split_adds_up_to_the_whole_and_asks_no_unit_for_more_than_it_has_left(total, weights):
    keyed = dict(enumerate(weights))
    shares = apportion(total, keyed)
    assert sum(shares.values()) == min(total, sum(weights))
    assert all(0 <= shares[key] <= keyed[key] for key in keyed)


def test_a_split_follows_the_people_left():
    assert apportion(10, {"a": 300, "b": 100, "c": 0}) == {"a": 8, "b": 2, "c": 0}
