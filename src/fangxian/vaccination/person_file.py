"""A person's vaccination in their file (一人一档): doses, standing and the mobilisation contacts, for those who may
read vaccination."""

from django.utils import timezone
from django.utils.translation import gettext as _

from fangxian.core.capabilities import Capability
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import can_row
from fangxian.vaccination.choices import PROGRESS_COLOURS, Progress
from fangxian.vaccination.models import Attempt, Dose, Eligibility, Status
from fangxian.vaccination.services.status import progress


def vaccination(person, user) -> FileSection | None:
    if not can_row(user, Capability.VACCINATION_VIEW, person):
        return None
    today = timezone.localdate()
    status = Status.objects.filter(person=person).first()
    stage = progress(status, today)
    entries = [
        FileEntry(
            when=today,
            title=_("接种进度：%(stage)s") % {"stage": Progress(stage).label},
            detail=(_("下一剂可接种日期 %(day)s") % {"day": status.next_due_on})
            if status and status.next_due_on
            else "",
            colour=PROGRESS_COLOURS.get(stage, "secondary"),
        )
    ]
    standing = Eligibility.objects.filter(person=person).first()
    if standing is not None:
        entries.append(
            FileEntry(
                when=standing.set_at,
                title=standing.get_standing_display(),
                detail=standing.reason + (f"（至 {standing.review_on}）" if standing.review_on else ""),
            )
        )
    entries += [
        FileEntry(
            when=dose.given_on,
            title=f"{dose.get_kind_display()} {dose.product.name}",
            detail=dose.site_name,
            colour="teal",
        )
        for dose in Dose.objects.filter(person=person).select_related("product").order_by("given_on")
    ]
    entries += [
        FileEntry(
            when=attempt.at,
            title=_("动员：%(outcome)s") % {"outcome": attempt.get_outcome_display()},
            detail=attempt.reason,
        )
        for attempt in Attempt.objects.filter(person=person)[:20]
    ]
    return FileSection(_("疫苗接种"), entries, "file-vaccination")
