"""Case investigation's rules: a case opens once and says where it was found, the itinerary comes from the
person's scans and samples, contacts are classified and pushed to their units with the district's deadlines."""

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangxian.cases import services
from fangxian.cases.choices import CaseClass, CaseStatus, ContactClass, EntrySource, FoundBy, FoundIn, Relation
from fangxian.cases.models import Case, CasePolicy, Contact
from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.core.models import ChangeRecord
from fangxian.leads.choices import LeadCategory, LeadSource, LeadStatus
from fangxian.leads.models import Lead
from fangxian.people.documents import check_char
from fangxian.people.models import Person
from fangxian.people.services import register_person
from fangxian.venues.services import scans as scan_service


def doc(n: int) -> str:
    first = f"4101081966{n % 12 + 1:02d}21{n % 1000:03d}"
    return first + check_char(first)


def hours_ago(hours: float) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=hours)).replace(microsecond=0)


def open_for(world, person, **extra):
    fields = {
        "actor": world["district"],
        "person": person,
        "classification": CaseClass.ASYMPTOMATIC,
        "found_by": FoundBy.FEVER_CLINIC,
        "first_positive_at": hours_ago(6),
        **extra,
    }
    return services.open_case(**fields)


def test_a_case_says_where_it_was_found_and_opens_once_per_person(world):
    bob_case = open_for(world, world["bob"])
    alice_case = open_for(world, world["alice"])  # under a measure since yesterday
    assert (bob_case.number, alice_case.number) == (1, 2)
    assert bob_case.found_in == FoundIn.COMMUNITY and alice_case.found_in == FoundIn.UNDER_CONTROL
    assert ChangeRecord.objects.filter(model="cases.case", object_id=str(bob_case.uuid)).exists()
    with pytest.raises(ValidationError, match="病例1"):
        open_for(world, world["bob"])
    assert Case.objects.count() == 2


def test_bad_times_are_refused_and_nothing_is_written(world):
    with pytest.raises(ValidationError) as refused:
        open_for(
            world,
            world["bob"],
            onset_date=timezone.localdate(),
            first_positive_at=hours_ago(72),
            confirmed_at=hours_ago(48),
        )
    assert "发病日期不能晚于确诊日期" in str(refused.value)
    with pytest.raises(ValidationError, match="不能晚于现在"):
        open_for(world, world["bob"], first_positive_at=timezone.now() + datetime.timedelta(hours=2))
    assert not Case.objects.exists()


def test_a_role_without_the_work_cannot_open_a_case(world):
    for username in ("clerk", "grid", "township_a", "lab", "venue"):
        with pytest.raises(PermissionDenied):
            open_for(world, world["bob"], actor=world[username])
    assert not Case.objects.exists()


def test_reclassification_keeps_the_earlier_class(world):
    case = open_for(world, world["bob"])
    services.reclassify(actor=world["district"], case=case, to_class=CaseClass.CONFIRMED, note="出现症状")
    case.refresh_from_db()
    assert case.classification == CaseClass.CONFIRMED
    assert list(case.reclassifications.values_list("from_class", "to_class")) == [
        (CaseClass.ASYMPTOMATIC, CaseClass.CONFIRMED)
    ]


def test_a_source_that_would_close_a_loop_is_refused(world):
    first = open_for(world, world["bob"])
    second = open_for(world, world["alice"])
    services.set_source(actor=world["district"], case=second, source=first)
    with pytest.raises(ValidationError, match="不能互为来源"):
        services.set_source(actor=world["district"], case=first, source=second)
    with pytest.raises(ValidationError, match="不能互为来源"):
        services.set_source(actor=world["district"], case=first, source=first)
    first.refresh_from_db()
    assert first.source_case is None


def test_countdowns_follow_the_districts_targets(world):
    CasePolicy.objects.create(district=world["huiji"], core_hours=2, report_hours=12, changed_by=world["district"])
    case = open_for(world, world["bob"])
    core, report = services.countdowns(case)
    assert core.due == case.reported_at + datetime.timedelta(hours=2)
    assert report.due == case.reported_at + datetime.timedelta(hours=12)
    assert not core.overdue(case.reported_at + datetime.timedelta(hours=2))
    assert core.overdue(case.reported_at + datetime.timedelta(hours=2, seconds=1))
    services.mark_done(actor=world["district"], case=case, step="report")
    case.refresh_from_db()
    assert case.status == CaseStatus.REPORTED and case.core_done_at == case.report_done_at
    services.mark_done(actor=world["district"], case=case, step="close")
    with pytest.raises(ValidationError, match="已结案"):
        services.add_entry(actor=world["district"], case=case, start=hours_ago(30), end=hours_ago(29), place="超市")


def test_the_itinerary_comes_from_scans_and_samples_once(world):
    officer, venue = world["district"], world["xc_venue"]
    # Alice was sampled into XC000001 (the world's tube) and scanned at the supermarket.
    scan_service.ingest_scans(
        actor=officer,
        scans=scan_service.frame([{"venue_code": venue.code, "doc_number": ALICE_DOC, "scanned_at": hours_ago(20)}]),
        source="gateway",
    )
    case = open_for(world, world["alice"], first_positive_at=timezone.now().replace(microsecond=0))
    assert services.prefill_itinerary(actor=officer, case=case) == 2
    sources = sorted(case.itinerary.values_list("source", flat=True))
    assert sources == [EntrySource.SAMPLING, EntrySource.SCAN]
    at_venue = case.itinerary.get(source=EntrySource.SCAN)
    assert at_venue.venue == venue and at_venue.end - at_venue.start == datetime.timedelta(minutes=60)
    assert services.prefill_itinerary(actor=officer, case=case) == 0  # again: nothing new


def test_an_entry_ending_before_it_starts_or_outside_the_window_is_refused(world):
    case = open_for(world, world["bob"])
    officer = world["district"]
    with pytest.raises(ValidationError, match="结束时间早于开始时间"):
        services.add_entry(actor=officer, case=case, start=hours_ago(10), end=hours_ago(11), place="超市")
    with pytest.raises(ValidationError, match="不在追溯时段内"):
        services.add_entry(actor=officer, case=case, start=hours_ago(24 * 20), end=hours_ago(24 * 20 - 1), place="超市")
    entry = services.add_entry(actor=officer, case=case, start=hours_ago(30), end=hours_ago(29), place="菜市场")
    services.remove_entry(actor=officer, entry=entry)
    assert not case.itinerary.exists()
    assert ChangeRecord.objects.filter(model="cases.itineraryentry", kind="delete").count() == 1


def contact(world, case, number, **extra):
    fields = {
        "actor": world["district"],
        "case": case,
        "doc_type": "resident_id",
        "doc_number": number,
        "name": "",
        "relation": Relation.WORK,
        "classification": ContactClass.CLOSE,
        "exposed_at": hours_ago(30),
        **extra,
    }
    return services.add_contact(**fields)


def test_the_case_is_not_its_own_contact_nor_anyone_twice(world):
    case = open_for(world, world["bob"])
    with pytest.raises(ValidationError, match="病例本人"):
        contact(world, case, BOB_DOC)
    contact(world, case, ALICE_DOC)
    with pytest.raises(ValidationError, match="已是病例1的密切接触者"):
        contact(world, case, ALICE_DOC, classification=ContactClass.GENERAL)
    with pytest.raises(ValidationError, match="请填写姓名"):
        contact(world, case, doc(1))  # not in the registry, and no name given
    assert case.contacts.count() == 1


def test_a_close_contacts_household_become_secondary_contacts(world):
    case = open_for(world, world["bob"])
    alice = world["alice"]
    spouse = register_person(
        actor=world["district"],
        unit=alice.unit,
        name="新城丙",
        doc_type="resident_id",
        doc_number=doc(2),
        address=alice.address,
    )
    close = contact(world, case, ALICE_DOC)
    assert services.household_secondaries(actor=world["district"], contact=close) == 1
    secondary = case.contacts.get(doc_number=spouse.doc_number)
    assert secondary.classification == ContactClass.SECONDARY and secondary.via == close
    assert services.household_secondaries(actor=world["district"], contact=close) == 0  # nobody twice


def test_contacts_become_leads_with_the_districts_deadlines_never_twice(world):
    CasePolicy.objects.create(
        district=world["huiji"], close_contact_hours=6, secondary_contact_hours=10, changed_by=world["district"]
    )
    case = open_for(world, world["bob"])
    exposed = hours_ago(26)
    contact(world, case, ALICE_DOC, exposed_at=exposed)  # already has an open close-contact lead (the world's)
    stranger = contact(world, case, doc(3), name="外来丁", phone="13700000003", exposed_at=exposed)
    contact(world, case, doc(4), name="次密戊", classification=ContactClass.SECONDARY, exposed_at=exposed)
    contact(world, case, doc(5), name="外区己", home_region="金水区")
    contact(world, case, doc(6), name="一般庚", classification=ContactClass.GENERAL)
    now = timezone.now()
    pushed = services.push_contacts(actor=world["district"], case=case, now=now)
    assert (pushed.leads, pushed.linked, pushed.outbound) == (2, 1, 1)
    made = Lead.objects.filter(source=LeadSource.CASE_TRACING)
    assert made.count() == 2
    close = made.get(category=LeadCategory.CLOSE_CONTACT)
    assert close.deadline == now + datetime.timedelta(hours=6) and close.exposed_at == exposed
    assert made.get(category=LeadCategory.SECONDARY_CONTACT).deadline == now + datetime.timedelta(hours=10)
    # The stranger was registered where the case lives, and their lead goes to that unit.
    stranger.refresh_from_db()
    assert stranger.person.unit == case.unit and close.person == stranger.person
    assert Contact.objects.get(doc_number=ALICE_DOC).lead == world["xc_lead"]
    again = services.push_contacts(actor=world["district"], case=case)
    assert (again.leads, again.linked) == (0, 0)
    assert Lead.objects.filter(status=LeadStatus.OPEN, person=world["alice"]).count() == 1


def test_the_outbound_file_reads_back_as_a_pushed_list(world):
    from fangxian.cases.tables import outbound_columns
    from fangxian.core.exports import xlsx_bytes
    from fangxian.leads import intake

    case = open_for(world, world["bob"])
    contact(world, case, doc(7), name="外区辛", phone="13700000007", home_region="金水区", address="金水区某路1号")
    content, written = xlsx_bytes(title="协查函", columns=outbound_columns(case), rows=case.contacts.all())
    rows = CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()
    assert written == 1
    columns = intake.detect_columns([[str(cell) for cell in row] for row in rows])
    assert columns is not None  # the receiving district's import finds its columns
    assert doc(7) in [str(cell) for cell in rows[1]] and "密切接触者" in rows[1]


def test_positives_from_testing_and_control_open_their_cases_once(world):
    from fangxian.control.services import record_test

    measure = world["xc_measure"]
    test = measure.tests.order_by("day").first()
    test.day = timezone.localdate()
    test.save(update_fields=["day"])
    record_test(actor=world["district"], test=test, result="positive")
    assert services.open_cases_from_positives(actor=world["system"]) == 1
    assert services.open_cases_from_positives(actor=world["system"]) == 0
    case = Case.objects.get()
    assert case.person == world["alice"] and case.found_by == FoundBy.UNDER_MEASURE
    assert case.found_in == FoundIn.UNDER_CONTROL and case.opened_from == f"measure:{measure.pk}"


def test_cases_are_seen_only_where_the_work_allows(world):
    case = open_for(world, world["bob"])  # in 刘寨
    assert Case.objects.restrict(world["township_b"]).filter(pk=case.pk).exists()
    for username in ("township_a", "clerk", "grid", "lab", "site", "venue"):
        assert not Case.objects.restrict(world[username]).exists(), username
    assert not Person.objects.filter(name="").exists()


def test_co_visitors_join_as_contacts_in_one_click_each_once_and_recorded(world):
    officer, venue = world["district"], world["xc_venue"]
    rows = [
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": hours_ago(20)},
        {"venue_code": venue.code, "doc_number": doc(8), "name": "扫码庚", "scanned_at": hours_ago(20.2)},
        {"venue_code": venue.code, "doc_number": doc(9), "scanned_at": hours_ago(26)},  # hours apart: not met
    ]
    scan_service.ingest_scans(actor=officer, scans=scan_service.frame(rows), source="gateway")
    case = open_for(world, world["bob"])
    scan_service.ingest_scans(
        actor=officer,
        scans=scan_service.frame([{"venue_code": venue.code, "doc_number": ALICE_DOC, "scanned_at": hours_ago(19.9)}]),
        source="gateway",
    )
    assert services.contacts_from_covisit(actor=officer, case=case) == 2
    added = {contact.doc_number: contact for contact in case.contacts.all()}
    assert set(added) == {ALICE_DOC, doc(8)}
    assert added[ALICE_DOC].person == world["alice"] and added[doc(8)].person is None
    assert added[doc(8)].name == "扫码庚" and added[ALICE_DOC].relation == Relation.COVISIT
    assert added[ALICE_DOC].exposed_at <= timezone.now()
    assert ChangeRecord.objects.filter(model="cases.contact").count() == 2
    assert services.contacts_from_covisit(actor=officer, case=case) == 0  # again: nobody twice


def test_one_push_for_the_whole_district_pushes_each_cases_contacts_once(world):
    first = open_for(world, world["bob"])
    second = open_for(world, world["alice"])
    contact(world, first, doc(11), name="密接甲")
    contact(world, first, doc(12), name="密接乙", classification=ContactClass.SECONDARY)
    contact(world, second, doc(11), name="密接甲")  # the same person named by both cases
    pushed = services.push_all_contacts(actor=world["district"], district=world["huiji"])
    assert (pushed.leads, pushed.linked) == (2, 0)
    linked = Contact.objects.filter(doc_number=doc(11)).values_list("lead", flat=True)
    assert len(set(linked)) == 1 and None not in linked  # one lead, both contacts linked to it
    assert services.push_all_contacts(actor=world["district"], district=world["huiji"]).leads == 0
    with pytest.raises(PermissionDenied):
        services.push_all_contacts(actor=world["township_a"], district=world["huiji"])


def test_dates_far_out_and_a_closed_case_are_refused(world):
    with pytest.raises(ValidationError, match="30 天以上"):
        open_for(world, world["bob"], onset_date=datetime.date(1, 1, 1))
    with pytest.raises(ValidationError, match="不能早于 2019-12-01"):
        open_for(world, world["bob"], first_positive_at=timezone.make_aware(datetime.datetime(2000, 1, 1)))
    case = open_for(world, world["bob"])
    with pytest.raises(ValidationError, match="远早于"):
        contact(world, case, ALICE_DOC, exposed_at=hours_ago(24 * 400))
    services.mark_done(actor=world["district"], case=case, step="report")
    services.mark_done(actor=world["district"], case=case, step="close")
    case.refresh_from_db()
    with pytest.raises(ValidationError, match="已结案"):
        services.push_contacts(actor=world["district"], case=case)


def test_one_refused_positive_does_not_hold_back_the_sweep(world):
    from fangxian.cases.tests.factories import positive_recall
    from fangxian.control.services import record_test

    recall = positive_recall(world, "bob")
    recall.tube.sampled_at = timezone.make_aware(datetime.datetime(2000, 1, 1))  # a wrong clock: refused
    recall.tube.save(update_fields=["sampled_at"])
    test = world["xc_measure"].tests.order_by("day").first()
    test.day = timezone.localdate()
    test.save(update_fields=["day"])
    record_test(actor=world["district"], test=test, result="positive")
    assert services.open_cases_from_positives(actor=world["system"]) == 1  # alice's, despite bob's refusal
    assert list(Case.objects.values_list("person", flat=True)) == [world["alice"].pk]
