"""The roster (动员名单) and the imports: page and spreadsheet columns."""

from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from fangxian.core.exports import Column
from fangxian.vaccination.choices import DoseKind, Progress
from fangxian.vaccination.services.status import progress


def _stage(person) -> str:
    return str(Progress(progress(getattr(person, "vaccination", None), timezone.localdate())).label)


def _next(person) -> str:
    status = getattr(person, "vaccination", None)
    if status is None or not status.next_due_on:
        return ""
    return f"{DoseKind(status.next_kind).label} {status.next_due_on:%Y-%m-%d}" if status.next_kind else ""


def _member(person) -> str:
    assignment = getattr(person, "roster_assignment", None)
    return str(assignment.member) if assignment else ""


def _last(person) -> str:
    attempts = getattr(person, "recent_attempts", None)
    if not attempts:
        return ""
    last = attempts[0]
    return f"{timezone.localtime(last.at):%m-%d} {last.get_outcome_display()}"


def roster_columns(*, show_team: bool) -> list[Column]:
    """The roster's columns; who in the team goes to each person only for those who may see the teams."""

    def name(person):
        return format_html(
            '<a class="tap-target" href="{}">{}</a>',
            reverse("vaccination:person", kwargs={"uuid": person.uuid}),
            person.name,
        )

    return [
        Column("姓名", lambda p: p.name, 10, cell=name, heading=True),
        Column("证件号码", lambda p: p.masked_doc_number, 20, css="masked"),
        Column("年龄段", lambda p: p.age_band, 10),
        Column("属地", lambda p: p.unit.label, 20),
        Column("住址", lambda p: p.address, 30),
        Column("接种进度", _stage, 12),
        Column("下一剂", _next, 18),
        Column("最近动员", _last, 14),
        *([Column("动员人", _member, 14)] if show_team else []),
    ]
