"""The vaccination figures of the command office (dashboard, big screen, briefing): coverage over the people to
be vaccinated, by band and for 一老一小, today's doses, and each active target's day at the unit. One definition:
the same counts as the coverage page (coverage.counts_by_unit)."""

import datetime

from django.db.models import Count, Q

from fangxian.core.models import Unit
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.models import Dose, Quota, Target
from fangxian.vaccination.services import targets
from fangxian.vaccination.services.coverage import Counts, counts


def _rate(counts: Counts, reached: int) -> float | None:
    return round(reached * 100 / counts.eligible, 1) if counts.eligible else None


def _summary(counts: Counts) -> dict:
    return {
        "people": counts.people,
        "eligible": counts.eligible,
        "started": counts.started,
        "full": counts.full,
        "boosted": counts.boosted,
        "due": counts.due,
        "rate_started": _rate(counts, counts.started),
        "rate_full": _rate(counts, counts.full),
        "rate_boosted": _rate(counts, counts.boosted),
    }


def figures(ids: list[int], unit: Unit, day: datetime.date) -> dict:
    """The unit's subtree (`ids`) at `day`. Figures only: nobody by name."""
    configured = band_rules.configured()
    by_band = {band.key: Counts() for band in configured}
    for (_unit_id, key), value in counts(ids, day).items():
        if key in by_band:
            by_band[key].add(value)
    total, elderly, children = Counts(), Counts(), Counts()
    for band in configured:
        total.add(by_band[band.key])
        if band.low >= 60:
            elderly.add(by_band[band.key])
        if band.high is not None and band.high <= 11:
            children.add(by_band[band.key])
    oldest = by_band[configured[-1].key]
    today = Dose.objects.filter(person__unit_id__in=ids, given_on=day).aggregate(
        doses=Count("id"), first=Count("id", filter=Q(kind="first"))
    )
    return {
        **_summary(total),
        "bands": [{"key": band.key, "label": band.label, **_summary(by_band[band.key])} for band in configured],
        "elderly": _summary(elderly),
        "oldest": {"label": configured[-1].label, **_summary(oldest)},
        "children": _summary(children),
        "doses_today": today["doses"],
        "first_doses_today": today["first"],
        "targets": _targets(unit, day),
    }


def _targets(unit: Unit, day: datetime.date) -> list[dict]:
    """Each active target's day at this unit: its share, what it has done, and progress towards the rate."""
    lines = []
    district_path = "/" + unit.path.strip("/").split("/")[0] + "/"
    for target in Target.objects.filter(
        is_active=True, district__path=district_path, starts_on__lte=day, due_on__gte=day
    ):
        if not Quota.objects.filter(target=target, day=day, unit=unit).exists():
            continue
        line = targets.board(target=target, day=day, unit_ids=[unit.pk])[0]
        lines.append(
            {
                "title": target.title,
                "quota": line.quota,
                "done": line.done,
                "reached": line.reached,
                "population": line.population,
                "rate": float(line.rate()) if line.rate() is not None else None,
                "goal": float(target.rate),
                "due_on": target.due_on.isoformat(),
            }
        )
    return lines


def briefing_text(data: dict) -> str:
    """The briefing's paragraph: coverage over the people to be vaccinated, 一老一小, today's doses and targets."""

    def pct(value) -> str:
        return "—" if value is None else f"{value}%"

    text = (
        f"应接种 {data['eligible']:,} 人，至少接种 1 剂 {data['started']:,} 人（{pct(data['rate_started'])}）、全程接种 "
        f"{data['full']:,} 人（{pct(data['rate_full'])}）、加强免疫 {data['boosted']:,} 人（{pct(data['rate_boosted'])}）。"
        f"60 岁以上至少 1 剂 {pct(data['elderly']['rate_started'])}、加强 {pct(data['elderly']['rate_boosted'])}，其中"
        f"{data['oldest']['label']}至少 1 剂 {pct(data['oldest']['rate_started'])}；3–11 岁至少 1 剂 "
        f"{pct(data['children']['rate_started'])}。当日接种 {data['doses_today']:,} 剂次（首剂 {data['first_doses_today']:,} 人）。"
    )
    for line in data["targets"]:
        text += (
            f"“{line['title']}”当日任务 {line['quota']:,} 人、已完成 {line['done']:,} 人，累计 {pct(line['rate'])}"
            f"（目标 {line['goal']}%，{line['due_on']} 前完成）。"
        )
    return text
