"""A person's stays in quarantine sites, and transfers arranged, in their file (一人一档)."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fangxian.core.choices import Action
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import holds
from fangxian.sites.models import Arrival, Stay


def stays(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Stay):
        return None
    entries = []
    for arrival in (
        Arrival.objects.restrict(user).filter(person=person).select_related("site").order_by("-sent_at")[:10]
    ):
        if arrival.stay_id is not None:
            continue  # shown as its stay
        state = _("已撤回") if arrival.cancelled_at else _("待入住")
        entries.append(
            FileEntry(
                when=arrival.sent_at,
                title=_("安排转运至%(site)s") % {"site": arrival.site.name},
                detail=state,
                url=reverse("sites:detail", kwargs={"uuid": arrival.site.uuid}),
                colour="secondary" if arrival.cancelled_at else "blue",
            )
        )
    for stay in Stay.objects.restrict(user).filter(person=person).select_related("site", "room")[:20]:
        left = (
            _("%(at)s 离开（%(reason)s）")
            % {"at": f"{stay.checked_out_at:%m-%d %H:%M}", "reason": stay.get_checkout_reason_display()}
            if stay.checked_out_at
            else _("在住")
        )
        entries.append(
            FileEntry(
                when=stay.checked_in_at,
                title=f"{stay.site.name} {stay.room.number}",
                detail=left + (f" · {stay.checkout_note}" if stay.checkout_note else ""),
                url=reverse("sites:detail", kwargs={"uuid": stay.site.uuid}),
                colour="secondary" if stay.checked_out_at else "blue",
            )
        )
    return FileSection(_("集中隔离"), entries, "file-stays")
