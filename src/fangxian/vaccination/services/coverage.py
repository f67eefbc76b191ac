"""Coverage (接种率): people, never doses over people. Per unit and age band at a reference date: how many people
the registry holds, how many of them are to be vaccinated (not excluded by a contraindication, a refusal, being
unreachable, or a deferral still running), how many have at least one dose, the full series, a booster, and how
many are due a dose. Each is measured against every population source side by side (户籍, 常住, 专项摸底) and
against the eligible people: the registry is one count among several, and a rate over 100 % is shown, not hidden
(it means a denominator to correct)."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, CharField, Count, Q, Value, When
from django.utils import timezone

from fangxian.core.choices import TERRITORIAL_LEVELS
from fangxian.core.models import Unit
from fangxian.people.models import Person
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import EXCLUDED, Milestone, PopulationSource, Standing
from fangxian.vaccination.models import CoverageCell, CoverageSnapshot, Population, Status

UNDER_AGE = "under"
UNKNOWN_AGE = "unknown"


@dataclass
class Counts:
    people: int = 0
    excluded: int = 0  # not to be vaccinated and not started: out of the eligible denominator
    started: int = 0
    full: int = 0
    boosted: int = 0
    due: int = 0

    def add(self, other: "Counts") -> None:
        for name in ("people", "excluded", "started", "full", "boosted", "due"):
            setattr(self, name, getattr(self, name) + getattr(other, name))

    @property
    def eligible(self) -> int:
        return self.people - self.excluded

    def reached(self, milestone: str) -> int:
        figures: dict[str, int] = {
            Milestone.STARTED: self.started,
            Milestone.FULL: self.full,
            Milestone.BOOSTED: self.boosted,
        }
        return figures[milestone]


def band_expression(day: datetime.date, *, prefix: str = "") -> Case:
    """The band of each person at `day`, computed by the database from birth-date thresholds (`prefix`: the path
    to the person, for a query over another model)."""
    whens = []
    for band in reversed(band_rules.configured()):
        whens.append(When(**{f"{prefix}birth_date__lte": band_rules.born_by(day, band.low)}, then=Value(band.key)))
    return Case(
        *whens,
        When(**{f"{prefix}birth_date__isnull": True}, then=Value(UNKNOWN_AGE)),
        default=Value(UNDER_AGE),
        output_field=CharField(),
    )


def standing_out_q(day: datetime.date) -> Q:
    """Not to be vaccinated at `day`. Written with positive conditions only: a negated condition over the optional
    eligibility row would drop the persons who have none."""
    return Q(eligibility__standing__in=list(EXCLUDED)) | Q(
        eligibility__standing=Standing.DEFERRED, eligibility__review_on__gt=day
    )


def _excluded_q(day: datetime.date) -> Q:
    not_started = Q(vaccination__first_on__isnull=True) | Q(vaccination__first_on__gt=day)
    return standing_out_q(day) & not_started


def counts_by_unit(
    unit_ids: list[int], day: datetime.date, *, reached_by: datetime.date | None = None
) -> dict[tuple[int, str], Counts]:
    """(person's unit id, band key) → counts, for the persons registered in `unit_ids` (their own units): bands at
    `day`, doses given up to `reached_by` (`day` unless told; a morning's share counts what was done by last night)."""
    if not unit_ids:
        return {}
    reached = reached_by or day
    due = Q(vaccination__next_due_on__lte=day)
    rows = (
        Person.objects.filter(unit_id__in=unit_ids)
        .annotate(band=band_expression(day))
        .values("unit_id", "band")
        .annotate(
            people=Count("id"),
            excluded=Count("id", filter=_excluded_q(day)),
            started=Count("id", filter=Q(vaccination__first_on__lte=reached)),
            full=Count("id", filter=Q(vaccination__full_on__lte=reached)),
            boosted=Count("id", filter=Q(vaccination__boosted_on__lte=reached)),
            due=Count("id", filter=due),
            due_out=Count("id", filter=due & standing_out_q(day)),
        )
        .order_by()
    )
    return {
        (row["unit_id"], row["band"]): Counts(
            people=row["people"],
            excluded=row["excluded"],
            started=row["started"],
            full=row["full"],
            boosted=row["boosted"],
            due=row["due"] - row["due_out"],
        )
        for row in rows
    }


# How old the worker's counts may be and still be read (its sweep runs every minute).
SNAPSHOT_SECONDS = 90


def counts(
    unit_ids: list[int], day: datetime.date, *, now: datetime.datetime | None = None
) -> dict[tuple[int, str], Counts]:
    """counts_by_unit() as the worker last counted it when that is fresh (today's, counted in the last minute and a
    half), else counted now. The one way pages, the dashboard and targets read coverage."""
    now = now or timezone.now()
    if day == timezone.localdate(now):
        snapshot = CoverageSnapshot.objects.filter(day=day).first()
        if snapshot is not None and (now - snapshot.built_at).total_seconds() <= SNAPSHOT_SECONDS:
            return _cells(unit_ids, day)
    return counts_by_unit(unit_ids, day)


def _cells(unit_ids: list[int], day: datetime.date) -> dict[tuple[int, str], Counts]:
    wanted = set(unit_ids)
    return {
        (unit_id, band): Counts(people=people, excluded=excluded, started=started, full=full, boosted=boosted, due=due)
        for unit_id, band, people, excluded, started, full, boosted, due in CoverageCell.objects.filter(
            day=day
        ).values_list("unit_id", "band", "people", "excluded", "started", "full", "boosted", "due")
        if unit_id in wanted
    }


def rebuild_snapshot(*, now: datetime.datetime | None = None) -> int:
    """Count today's coverage of every unit again and keep it (the worker, every minute; callers own the
    transaction). Returns the cells written."""
    now = now or timezone.now()
    day = timezone.localdate(now)
    CoverageSnapshot.objects.select_for_update().filter(day=day).first()  # one rebuild at a time
    counted = counts_by_unit(list(Unit.objects.values_list("id", flat=True)), day)
    CoverageCell.objects.filter(day__lte=day).delete()
    CoverageCell.objects.bulk_create(
        [
            CoverageCell(day=day, unit_id=unit_id, band=band, **value.__dict__)
            for (unit_id, band), value in counted.items()
        ],
        batch_size=2000,
    )
    CoverageSnapshot.objects.filter(day__lt=day).delete()
    CoverageSnapshot.objects.update_or_create(day=day, defaults={"built_at": now})
    return len(counted)


MILESTONE_FIELDS: dict[str, str] = {
    Milestone.STARTED: "first_on",
    Milestone.FULL: "full_on",
    Milestone.BOOSTED: "boosted_on",
}


def reached_on(
    unit_ids: list[int], *, bands: list[str], milestone: str, day: datetime.date, age_day: datetime.date
) -> dict[int, int]:
    """Person's unit id → how many of its people in `bands` (ages at `age_day`) reached `milestone` on `day`: a
    day's work on a target, found through the index on the milestone's date."""
    field = MILESTONE_FIELDS[milestone]
    rows = (
        Status.objects.filter(**{field: day}, person__unit_id__in=unit_ids)
        .annotate(band=band_expression(age_day, prefix="person__"))
        .filter(band__in=bands)
        .values("person__unit_id")
        .annotate(n=Count("person_id"))
        .order_by()
    )
    return {row["person__unit_id"]: row["n"] for row in rows}


@dataclass
class Row:
    """One unit (and band, or all bands together) of a coverage table."""

    unit: Unit
    band: str  # a band key, or "" for the bands together
    counts: Counts = field(default_factory=Counts)
    populations: dict[str, int | None] = field(default_factory=dict)  # source → figure (None: none recorded)

    def rate(self, milestone: str, source: str | None = None) -> Decimal | None:
        """Reached over the population of `source`, or over the eligible people when no source is named."""
        denominator = self.counts.eligible if source is None else self.populations.get(source)
        if not denominator:
            return None
        return (Decimal(self.counts.reached(milestone) * 100) / Decimal(denominator)).quantize(Decimal("0.1"))

    def over_full(self, source: str) -> bool:
        """The vaccinated outnumber the population figure: the figure is wrong (or out of date)."""
        figure = self.populations.get(source)
        return figure is not None and self.counts.started > figure


def latest_populations(units: list[Unit], day: datetime.date) -> dict[tuple[int, str, str], int]:
    """(unit id, band, source) → the latest figure recorded on or before `day`, for these units and every unit
    below them (a township without its own figure is the sum of its communities')."""
    paths = [unit.path for unit in units]
    condition = Q(pk__in=[])
    for path in paths:
        condition |= Q(unit__path__startswith=path)
    latest: dict[tuple[int, str, str], tuple[datetime.date, int, int]] = {}
    for unit_id, band, source, count, as_of, pk in Population.objects.filter(condition, as_of__lte=day).values_list(
        "unit_id", "band", "source", "count", "as_of", "id"
    ):
        key = (unit_id, band, source)
        if key not in latest or (as_of, pk) > latest[key][:2]:
            latest[key] = (as_of, pk, count)
    return {key: value[2] for key, value in latest.items()}


def figure_of(unit: Unit, band: str, source: str, figures: dict, children: dict[int, list[Unit]]) -> int | None:
    """A unit's population figure: its own latest, else the sum of its children's when every child has one (a sum
    over some of them would pass a part for the whole), else None."""
    own = figures.get((unit.pk, band, source))
    if own is not None:
        return own
    below = [figure_of(child, band, source, figures, children) for child in children.get(unit.pk, [])]
    if not below or any(figure is None for figure in below):
        return None
    return sum(below)  # type: ignore[arg-type]


def children_of(units: list[Unit]) -> dict[int, list[Unit]]:
    """The territorial units below `units`, by parent (for figure_of)."""
    children: dict[int, list[Unit]] = {}
    for unit in Unit.objects.filter(_below(units), is_active=True, level__in=list(TERRITORIAL_LEVELS)).only(
        "id", "path", "parent_id"
    ):
        if unit.parent_id is not None:
            children.setdefault(unit.parent_id, []).append(unit)
    return children


def table(
    *, units: list[Unit], scope_unit_ids: list[int], day: datetime.date, bands: list[str] | None = None
) -> list[Row]:
    """A row per unit in `units` and band (`bands`, all by default), plus one per unit for those bands together:
    the persons counted are those of each unit's subtree that lie in `scope_unit_ids` (the reader's scope)."""
    subtree = {unit.pk: unit for unit in Unit.objects.filter(pk__in=scope_unit_ids).only("id", "path", "parent_id")}
    counted = counts(list(subtree), day)
    figures = latest_populations(units, day)
    children = children_of(units)
    keys = bands or [band.key for band in band_rules.configured()]
    rows: list[Row] = []
    for unit in units:
        by_band = {key: Row(unit, key) for key in keys}
        for (unit_id, band), value in counted.items():
            if band in by_band and subtree[unit_id].path.startswith(unit.path):
                by_band[band].counts.add(value)
        together = Row(unit, "")
        for key, row in by_band.items():
            for source in PopulationSource.values:
                row.populations[source] = figure_of(unit, key, source, figures, children)
            together.counts.add(row.counts)
        for source in PopulationSource.values:
            known = [row.populations[source] for row in by_band.values()]
            # Only when every band has a figure: a total over some bands would pass a part for the whole.
            together.populations[source] = None if None in known else sum(known)  # type: ignore[arg-type]
        rows.extend([*by_band.values(), together])
    return rows


def _below(units: list[Unit]) -> Q:
    condition = Q(pk__in=[])
    for unit in units:
        condition |= Q(path__startswith=unit.path)
    return condition


def unbanded(*, scope_unit_ids: list[int], day: datetime.date) -> dict[str, int]:
    """People outside every band: below the youngest band's age, and with no birth date (a data gap to fill)."""
    result = {UNDER_AGE: 0, UNKNOWN_AGE: 0}
    for (_unit_id, band), value in counts(scope_unit_ids, day).items():
        if band in result:
            result[band] += value.people
    return result
