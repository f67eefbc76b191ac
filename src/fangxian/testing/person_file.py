"""A person's nucleic-acid tests (by document: the one matching key) and recalls in their file (一人一档)."""

from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from fangxian.core.choices import Action
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import holds
from fangxian.testing.choices import RecallStatus, TubeResult
from fangxian.testing.models import Recall, Sample

_COLOURS = {TubeResult.NEGATIVE: "green", TubeResult.POSITIVE: "red", TubeResult.INVALID: "orange"}


def samples(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Sample):
        return None
    rows = (
        Sample.objects.restrict(user)
        .filter(doc_number=person.doc_number)
        .select_related("tube__point")
        .order_by("-day", "-tube_id")[:30]
    )
    entries = [
        FileEntry(
            when=sample.tube.sampled_at,
            title=sample.tube.point.name,
            detail=" · ".join(
                part
                for part in (
                    _("%(n)s 人混管") % {"n": sample.tube.pool_size} if sample.tube.pool_size > 1 else _("单管"),
                    sample.tube.code,
                    sample.tube.get_result_display() or sample.tube.get_status_display(),
                )
                if part
            ),
            colour=_COLOURS.get(sample.tube.result, "secondary"),
        )
        for sample in rows
    ]
    return FileSection(_("核酸采样"), entries, "file-samples")


def recalls(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Recall):
        return None
    rows = Recall.objects.restrict(user).filter(doc_number=person.doc_number).select_related("tube")
    entries = [
        FileEntry(
            when=recall.tube.sampled_at,
            title=recall.get_status_display(),
            detail=_("混管 %(code)s") % {"code": recall.tube.code},
            url=f"{reverse('testing:recalls')}?{urlencode({'status': recall.status})}",
            colour="red" if recall.status != RecallStatus.RELEASED else "green",
        )
        for recall in rows.order_by("-id")[:20]
    ]
    return FileSection(_("混管阳性召回"), entries, "file-recalls")
