"""A case in the test world, made the first time a test asks for it (the world itself carries none: most tests
never need one)."""

import datetime

from django.utils import timezone

from fangxian.conftest import BOB_DOC


def world_case(world):
    """Alice's case (新城, 金河社区): one itinerary entry, bob as a close contact."""
    from fangxian.cases import services
    from fangxian.cases.choices import CaseClass, ContactClass, FoundBy, Relation

    if "xc_case" not in world:
        now = timezone.now().replace(microsecond=0)
        officer = world["district"]
        case = services.open_case(
            actor=officer,
            person=world["alice"],
            classification=CaseClass.ASYMPTOMATIC,
            found_by=FoundBy.FEVER_CLINIC,
            first_positive_at=now - datetime.timedelta(hours=6),
        )
        world["xc_case"] = case
        world["xc_entry"] = services.add_entry(
            actor=officer,
            case=case,
            start=now - datetime.timedelta(hours=30),
            end=now - datetime.timedelta(hours=29),
            place="金河超市",
        )
        world["xc_contact"] = services.add_contact(
            actor=officer,
            case=case,
            doc_type="resident_id",
            doc_number=BOB_DOC,
            name="",
            relation=Relation.WORK,
            classification=ContactClass.CLOSE,
            exposed_at=now - datetime.timedelta(hours=29),
        )
    return world["xc_case"]


def by_case(key: str = "xc_case"):
    """URL kwargs of the world case (or its entry, its contact), made on first use."""

    def kwargs(world):
        world_case(world)
        return {"uuid": world[key].uuid}

    return kwargs


def positive_recall(world, person_key: str = "alice", *, linked: bool = True):
    """A positive single-tube re-test of a member of the world's pool (XC000001), told to 金河社区; `linked`:
    the recall names the person's record (else only their document, as when the registry learnt of them later)."""
    from fangxian.testing.models import Recall, Tube

    key = f"recall_{person_key}"
    if key not in world:
        person = world[person_key]
        now = timezone.now()
        world[key] = Recall.objects.create(
            tube=Tube.objects.get(code="XC000001"),
            doc_type=person.doc_type,
            doc_number=person.doc_number,
            name=person.name,
            person=person if linked else None,
            unit=world["xc_community"],
            status="positive",
            raised_at=now - datetime.timedelta(hours=3),
            closed_at=now,
        )
    return world[key]


def by_recall(person_key: str = "alice"):
    return lambda world: {"uuid": positive_recall(world, person_key).uuid}
