"""The statistical division codes shipped with the project (data/divisions, NBS 2023 edition)."""

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data" / "divisions"


@dataclass(frozen=True)
class Division:
    code: str
    name: str
    parent_code: str


def _read(name: str, parent_column: str) -> dict[str, Division]:
    with open(DATA_DIR / name, encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Division(code=row["code"], name=row["name"], parent_code=row[parent_column])
            for row in csv.DictReader(handle)
        }


@cache
def counties() -> dict[str, Division]:
    return _read("areas.csv", "cityCode")


@cache
def cities() -> dict[str, Division]:
    return _read("cities.csv", "provinceCode")


@cache
def provinces() -> dict[str, Division]:
    with open(DATA_DIR / "provinces.csv", encoding="utf-8", newline="") as handle:
        return {
            row["code"]: Division(code=row["code"], name=row["name"], parent_code="") for row in csv.DictReader(handle)
        }


@cache
def _streets_by_county() -> dict[str, list[Division]]:
    grouped: dict[str, list[Division]] = {}
    for street in _read("streets.csv", "areaCode").values():
        grouped.setdefault(street.parent_code, []).append(street)
    for streets in grouped.values():
        streets.sort(key=lambda division: division.code)
    return grouped


def streets_of(county_code: str) -> list[Division]:
    return list(_streets_by_county().get(county_code, []))


def region_name(county_code: str) -> str:
    """ "河南省郑州市惠济区" for 410108; the city part is left out where it is only 市辖区/县."""
    county = counties()[county_code]
    city = cities().get(county_code[:4])
    province = provinces().get(county_code[:2])
    parts = [province.name if province else "", city.name if city and city.name not in {"市辖区", "县"} else ""]
    return "".join(parts) + county.name
