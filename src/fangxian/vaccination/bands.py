"""Age at a reference date and the bands coverage is counted in (3–11, 12–17, 18–59, 60–69, 70–79, 80+ unless
configured otherwise). Age is whole years (周岁): someone born on 29 February is a year older on 1 March in a
year without one, which is what comparing (month, day) pairs gives."""

import datetime
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@dataclass(frozen=True)
class Band:
    key: str  # "3-11", "80+"
    low: int
    high: int | None  # None: open above

    @property
    def label(self) -> str:
        return f"{self.low}–{self.high} 岁" if self.high is not None else f"{self.low} 岁以上"

    def holds(self, age: int) -> bool:
        return age >= self.low and (self.high is None or age <= self.high)


def parse_bands(texts: list[str]) -> list[Band]:
    bands: list[Band] = []
    for text in texts:
        low_text, _, high_text = text.replace("+", "-").partition("-")
        try:
            low = int(low_text)
            high = int(high_text) if high_text.strip() else None
        except ValueError:
            raise ImproperlyConfigured(f"年龄段 {text!r} 应写作 3-11 或 80-") from None
        if high is not None and high < low:
            raise ImproperlyConfigured(f"年龄段 {text!r} 的上限小于下限")
        if bands and (bands[-1].high is None or low != bands[-1].high + 1):
            raise ImproperlyConfigured(f"年龄段 {text!r} 应紧接上一段，且只有最后一段可不设上限")
        bands.append(Band(f"{low}-{high}" if high is not None else f"{low}+", low, high))
    if not bands:
        raise ImproperlyConfigured("至少需要一个年龄段")
    return bands


def configured() -> list[Band]:
    return parse_bands(settings.VACCINATION_BANDS)


def by_key(key: str) -> Band:
    for band in configured():
        if band.key == key:
            return band
    raise KeyError(key)


def age_on(birth_date: datetime.date, day: datetime.date) -> int:
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def band_of(birth_date: datetime.date | None, day: datetime.date) -> Band | None:
    """The band of someone born on `birth_date` at `day`; None below the first band (or the birth date unknown)."""
    if birth_date is None:
        return None
    age = age_on(birth_date, day)
    return next((band for band in configured() if band.holds(age)), None)


def born_by(day: datetime.date, years: int) -> datetime.date:
    """The latest birth date of someone at least `years` old on `day` (29 February falls back to the 28th): the
    threshold a query compares birth dates with, so bands are counted in the database."""
    year = day.year - years
    try:
        return day.replace(year=year)
    except ValueError:
        return datetime.date(year, 2, 28)


def birth_range(band: Band, day: datetime.date) -> tuple[datetime.date | None, datetime.date]:
    """Birth dates (after, up to and including) of the people in `band` on `day`."""
    latest = born_by(day, band.low)
    after = born_by(day, band.high + 1) if band.high is not None else None
    return after, latest
