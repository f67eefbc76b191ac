"""A person's progress from their doses: when they started, completed the full series of their product and were
boosted, and which dose falls due when. One function decides it (derive); refresh() writes its result for the
persons whose doses changed, and progress() reads it at any reference date."""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection

from fangxian.core.bulk import RowWriter
from fangxian.vaccination.choices import BOOSTER_KINDS, SERIES_ORDER, DoseKind, Progress
from fangxian.vaccination.models import Dose, Product, Status


@dataclass(frozen=True)
class DoseFact:
    kind: str
    product_id: int
    given_on: datetime.date


@dataclass(frozen=True)
class Summary:
    doses: int
    product_id: int
    first_on: datetime.date
    full_on: datetime.date | None
    boosted_on: datetime.date | None
    last_on: datetime.date
    next_kind: str
    next_due_on: datetime.date | None


def series_of(doses: Iterable[DoseFact]) -> list[DoseFact]:
    return sorted(
        (dose for dose in doses if dose.kind in SERIES_ORDER), key=lambda d: (d.given_on, SERIES_ORDER[d.kind])
    )


def boosters_of(doses: Iterable[DoseFact]) -> list[DoseFact]:
    return sorted((dose for dose in doses if dose.kind in BOOSTER_KINDS), key=lambda d: d.given_on)


def derive(doses: list[DoseFact], products: dict[int, Product]) -> Summary | None:
    """The full series is the number of doses the first dose's product needs (two of an inactivated vaccine, one
    of the adenovirus-vector vaccine, three of the recombinant-protein vaccine); a booster counts once the series
    is complete. The next dose is due after the product's shortest interval."""
    if not doses:
        return None
    series = series_of(doses)
    boosters = boosters_of(doses)
    product = products[(series or boosters)[0].product_id]
    full_on = series[product.series_doses - 1].given_on if len(series) >= product.series_doses else None
    boosted_on = next((dose.given_on for dose in boosters if full_on and dose.given_on >= full_on), None)
    next_kind, next_due_on = "", None
    if full_on is None and series and len(series) < len(SERIES_ORDER):
        next_kind = list(SERIES_ORDER)[len(series)]
        next_due_on = series[-1].given_on + datetime.timedelta(days=product.series_interval_days)
    elif full_on is not None and boosted_on is None:
        next_kind = DoseKind.BOOSTER
        next_due_on = full_on + datetime.timedelta(days=product.booster_interval_days)
    return Summary(
        doses=len(doses),
        product_id=product.pk,
        first_on=min(dose.given_on for dose in doses),
        full_on=full_on,
        boosted_on=boosted_on,
        last_on=max(dose.given_on for dose in doses),
        next_kind=next_kind,
        next_due_on=next_due_on,
    )


def progress(status: Status | None, day: datetime.date) -> str:
    """Where someone stood on `day`: doses given after it do not count yet."""
    if status is None or status.first_on is None or status.first_on > day:
        return Progress.NONE
    if status.boosted_on and status.boosted_on <= day:
        return Progress.BOOSTED
    if status.full_on and status.full_on <= day:
        return Progress.FULL
    return Progress.STARTED


def products_by_id() -> dict[int, Product]:
    return {product.pk: product for product in Product.objects.all()}


REFRESH_CHUNK = 20_000


def doses_of(person_ids: list[int]):
    """(person_id, kind, product_id, given_on) of these persons' doses: on PostgreSQL the ids as one array (an IN
    list of 10⁴ placeholders costs more to build than to run)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT person_id, kind, product_id, given_on FROM vaccination_dose WHERE person_id = ANY(%s::bigint[])",
                [person_ids],
            )
            return cursor.fetchall()
    return list(
        Dose.objects.filter(person_id__in=person_ids).values_list("person_id", "kind", "product_id", "given_on")
    )


def _delete_statuses(person_ids: list[int]) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM vaccination_status WHERE person_id = ANY(%s::bigint[])", [person_ids])
        return
    Status.objects.filter(person_id__in=person_ids).delete()


def refresh(person_ids: Iterable[int]) -> int:
    """Rewrite the status rows of these persons from their doses (no doses: no row). Callers own the transaction."""
    ids = sorted(set(person_ids))
    products = products_by_id()
    writer = RowWriter(Status, with_pk=True)
    written = 0
    for start in range(0, len(ids), REFRESH_CHUNK):
        chunk = ids[start : start + REFRESH_CHUNK]
        doses: dict[int, list[DoseFact]] = {}
        for person_id, kind, product_id, given_on in doses_of(chunk):
            doses.setdefault(person_id, []).append(DoseFact(kind, product_id, given_on))
        _delete_statuses(chunk)
        rows = []
        for person_id, facts in doses.items():
            summary = derive(facts, products)
            if summary is not None:
                rows.append(writer.values(person_id=person_id, **summary.__dict__))
        writer.insert(rows)
        written += len(rows)
    return written


def door_answer(person, day: datetime.date) -> str:
    """What a venue's door is told (yes / no / unknown, venues.choices.Answer's values): someone the registry does
    not hold is unknown, never unvaccinated; a registered person with no dose recorded is "no" (the district's
    doses come from the immunisation system), which the door shows as "no record found"."""
    if person is None:
        return "unknown"
    status = Status.objects.filter(person=person).first()
    return "yes" if status is not None and status.first_on is not None and status.first_on <= day else "no"
