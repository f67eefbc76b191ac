"""The leads in a person's file (一人一档), as the reader may see them."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fangxian.core.choices import Action
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import holds
from fangxian.leads.choices import LeadStatus
from fangxian.leads.models import Lead


def section(person, user) -> FileSection | None:
    if not holds(user, Action.VIEW, model=Lead):
        return None
    leads = Lead.objects.restrict(user).filter(person=person).select_related("unit__parent").order_by("-received_at")
    entries = [
        FileEntry(
            when=lead.received_at,
            title=f"{lead.get_category_display()} · {lead.get_status_display()}",
            detail=" · ".join(
                part
                for part in (lead.get_source_display(), lead.get_outcome_display(), lead.unit.label, lead.outcome_note)
                if part
            ),
            url=reverse("leads:detail", kwargs={"uuid": lead.uuid}),
            colour="orange" if lead.status == LeadStatus.OPEN else "green",
        )
        for lead in leads[:50]
    ]
    return FileSection(_("协查任务"), entries, "file-leads")
