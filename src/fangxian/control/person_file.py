"""A person's measures, their scheduled tests and their health checks in the person's file (一人一档)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fangxian.control.choices import MeasureStatus, SampleResult
from fangxian.control.models import HealthCheck, Measure, ScheduledTest
from fangxian.control.services import FEVER
from fangxian.core.choices import Action
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import holds


def _measures(person, user):
    return Measure.objects.restrict(user).filter(person=person)


def measures(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Measure):
        return None
    entries = [
        FileEntry(
            when=measure.start_date,
            title=f"{measure.get_subject_display()} · {measure.get_status_display()}",
            detail=f"{measure.start_date:%m-%d}–{measure.end_date:%m-%d} · {measure.unit.label}"
            + (f" · {measure.get_end_reason_display()}" if measure.end_reason else ""),
            url=reverse("control:measure", kwargs={"uuid": measure.uuid}),
            colour="red" if measure.status == MeasureStatus.ACTIVE else "secondary",
        )
        for measure in _measures(person, user).select_related("unit__parent").order_by("-start_date")[:20]
    ]
    return FileSection(_("管控措施"), entries, "file-measures")


def tests(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Measure):
        return None
    colours = {SampleResult.POSITIVE: "red", SampleResult.NEGATIVE: "green"}
    rows = (
        ScheduledTest.objects.filter(measure__in=_measures(person, user))
        .select_related("measure")
        .order_by("-day")[:30]
    )
    entries = [
        FileEntry(
            when=test.day,
            title=_("管控第 %(n)s 天核酸") % {"n": test.plan_day},
            detail=test.get_result_display() + (f" · {test.reason}" if test.reason else ""),
            url=reverse("control:measure", kwargs={"uuid": test.measure.uuid}),
            colour=colours.get(test.result, "secondary"),
        )
        for test in rows
    ]
    return FileSection(_("管控期间核酸"), entries, "file-tests")


def checks(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Measure):
        return None
    rows = (
        HealthCheck.objects.filter(measure__in=_measures(person, user))
        .select_related("measure")
        .order_by("-day", "-slot")[:30]
    )
    entries = [
        FileEntry(
            when=check.day,
            title=_("第 %(slot)s 次 %(t)s ℃") % {"slot": check.slot, "t": check.temperature},
            detail=check.symptoms,
            url=reverse("control:measure", kwargs={"uuid": check.measure.uuid}),
            colour="red" if check.temperature >= FEVER or check.symptoms else "green",
        )
        for check in rows
    ]
    return FileSection(_("健康监测"), entries, "file-checks")
