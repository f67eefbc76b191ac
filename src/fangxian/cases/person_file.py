"""A person's cases and the cases they are a contact of, in their file (一人一档), for those who may read cases."""

from django.urls import reverse
from django.utils.translation import gettext as _

from fangxian.cases.models import Case, Contact
from fangxian.core.capabilities import Capability
from fangxian.core.registry import FileEntry, FileSection
from fangxian.core.scoping import holds


def cases(person, user) -> FileSection | None:
    if not holds(user, Capability.CASES_VIEW):
        return None
    own = Case.objects.restrict(user).filter(person=person)
    met = Contact.objects.restrict(user).filter(doc_number=person.doc_number).select_related("case")
    entries = [
        FileEntry(
            when=case.reported_at,
            title=f"{case} {case.get_classification_display()}（{case.get_status_display()}）",
            detail=case.get_found_in_display(),
            url=case.get_absolute_url(),
            colour="red",
        )
        for case in own
    ]
    entries += [
        FileEntry(
            when=contact.exposed_at,
            title=_("%(case)s的%(kind)s") % {"case": contact.case, "kind": contact.get_classification_display()},
            detail=contact.get_relation_display(),
            url=contact.case.get_absolute_url(),
            colour="orange",
        )
        for contact in met
    ]
    if holds(user, Capability.CASES_INVESTIGATE) and not any(case.status != "closed" for case in own):
        # A positive re-test whose case the worker has not opened yet: the investigator opens it now.
        from fangxian.testing.models import Recall

        opened = set(Case.objects.exclude(opened_from="").values_list("opened_from", flat=True))
        for recall in Recall.objects.restrict(user, Capability.CASES_INVESTIGATE).filter(
            doc_number=person.doc_number, status="positive"
        ):
            if f"recall:{recall.pk}" not in opened:
                entries.insert(
                    0,
                    FileEntry(
                        when=recall.closed_at,
                        title=_("单采复核阳性，尚未建立病例：建立病例"),
                        url=reverse("cases:from_recall", kwargs={"uuid": recall.uuid}),
                        colour="red",
                    ),
                )
    return FileSection(_("病例与密接"), entries, "file-cases") if entries else None
