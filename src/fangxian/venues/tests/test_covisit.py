"""Co-visit tracing on hand-built stays: the edges are where a tracer's list is wrong, so they are tested exactly."""

import datetime

from django.utils import timezone

from fangxian.conftest import ALICE_DOC
from fangxian.people.documents import check_char
from fangxian.venues import services
from fangxian.venues.models import VenueCategory
from fangxian.venues.services import scans as scan_service

CASE = ALICE_DOC


def doc(n: int) -> str:
    first = f"4101081985{n % 12 + 1:02d}20{n % 1000:03d}"
    return first + check_char(first)


def local(day_offset: int, hour: int, minute: int = 0, second: int = 0) -> datetime.datetime:
    day = timezone.localdate() - datetime.timedelta(days=day_offset)
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute, second)))


def venue(world, name: str, category: str, areas=()):
    return services.register_venue(
        actor=world["district"],
        name=name,
        category=VenueCategory.objects.get(code=category),
        unit=world["xc_community"],
        address=f"{name}地址",
        areas=list(areas),
    )


def scan(world, place, who: str, when: datetime.datetime, area: str = "", proxy: str = "") -> None:
    row = {"venue_code": place.code, "doc_number": who, "scanned_at": when, "area": area, "proxy_doc_number": proxy}
    outcome = scan_service.ingest_scans(actor=world["district"], scans=scan_service.frame([row]), source="gateway")
    assert outcome.written == 1, outcome.problems


def traced(since=None, until=None, cases=(CASE,)):
    return services.trace(cases=list(cases), since=since or local(3, 0), until=until or timezone.now())


def found(tracing) -> dict[str, int]:
    return {person.doc_number: person.overlap_minutes for person in tracing.covisitors}


def test_arriving_exactly_the_margin_after_the_case_left_counts_and_a_second_later_does_not(world):
    shop = venue(world, "金河药房", "pharmacy")  # a 15-minute stay, a 10-minute margin
    scan(world, shop, CASE, local(1, 10))
    scan(world, shop, doc(1), local(1, 10, 25))  # the case left at 10:15; 10:25 is the widened edge
    scan(world, shop, doc(2), local(1, 10, 25, 1))
    scan(world, shop, doc(3), local(1, 9, 35))  # left at 9:50, the widened start: meets it at the edge
    scan(world, shop, doc(4), local(1, 9, 34, 59))
    scan(world, shop, doc(5), local(1, 10, 5))  # in the shop with the case: 10:05–10:20 meets 9:50–10:25
    assert found(traced()) == {doc(5): 15, doc(1): 0, doc(3): 0}


def test_a_stay_ends_at_the_next_scan_elsewhere(world):
    restaurant, shop = venue(world, "金河饭店", "restaurant"), venue(world, "金河药房", "pharmacy")
    scan(world, restaurant, CASE, local(1, 12))
    scan(world, shop, CASE, local(1, 12, 20))  # left the restaurant at 12:20, not after 90 minutes
    scan(world, restaurant, doc(1), local(1, 13, 0))  # the margin is 30 minutes: 12:50 is the edge
    scan(world, restaurant, doc(2), local(1, 12, 45))
    tracing = traced()
    assert found(tracing) == {doc(2): 5}
    assert [(stay.place.name, stay.end) for stay in tracing.stays] == [
        ("金河饭店", local(1, 12, 20)),
        ("金河药房", local(1, 12, 35)),
    ]


def test_a_visitors_stay_also_ends_at_their_next_scan_elsewhere(world):
    restaurant, shop = venue(world, "金河饭店", "restaurant"), venue(world, "金河药房", "pharmacy")
    scan(world, restaurant, CASE, local(1, 14))
    scan(world, restaurant, doc(1), local(1, 12))  # would stay until 13:30, the widened start
    scan(world, shop, doc(1), local(1, 12, 30))  # but went to the shop at 12:30
    scan(world, restaurant, doc(2), local(1, 12))
    assert found(traced()) == {doc(2): 0}


def test_a_stay_across_midnight_and_a_day_partition(world):
    hotel = venue(world, "金河宾馆", "hotel")  # a 12-hour stay
    scan(world, hotel, CASE, local(2, 22))
    scan(world, hotel, doc(1), local(1, 6))  # the next morning, in the next day's partition
    scan(world, hotel, doc(2), local(1, 11))  # the case's stay ended 10:00, +30 minutes
    tracing = traced()
    assert found(tracing) == {doc(1): 270}
    assert tracing.stays[0].end == local(1, 10)


def test_sub_areas_keep_apart_when_both_name_one(world):
    school = venue(world, "金河小学", "school", areas=["一年级", "二年级"])
    scan(world, school, CASE, local(1, 8), area="一年级")
    scan(world, school, doc(1), local(1, 8), area="二年级")
    scan(world, school, doc(2), local(1, 8, 10), area="一年级")
    scan(world, school, doc(3), local(1, 8, 20))  # no area: may have been anywhere in the school
    result = traced()
    assert set(found(result)) == {doc(2), doc(3)}
    assert result.covisitors[0].close_contact  # hours in one classroom: a school's close-contact threshold


def test_a_child_scanned_by_a_parent_brings_both_and_the_case_leaves_itself_out(world):
    shop = venue(world, "金河超市二店", "supermarket")
    scan(world, shop, CASE, local(1, 9))
    scan(world, shop, CASE, local(1, 9, 20))  # the case's own second scan: one stay, never a co-visitor
    scan(world, shop, doc(7), local(1, 9, 30), proxy=doc(8))  # doc(8) scanned for the child doc(7)
    tracing = traced()
    assert set(found(tracing)) == {doc(7), doc(8)}
    parent = next(person for person in tracing.covisitors if person.doc_number == doc(8))
    assert parent.proxy_for == doc(7)
    assert len(tracing.stays) == 1


def test_a_case_scanned_for_by_someone_else_was_there_too(world):
    shop = venue(world, "金河超市二店", "supermarket")
    scan(world, shop, doc(9), local(1, 9), proxy=CASE)  # the case scanned for their child doc(9)
    scan(world, shop, doc(10), local(1, 9, 30))
    assert set(found(traced())) == {doc(9), doc(10)}


def test_a_case_with_no_scans_is_named_and_the_window_is_kept(world):
    shop = venue(world, "金河药房", "pharmacy")
    scan(world, shop, CASE, local(3, 10))
    scan(world, shop, doc(1), local(3, 10, 5))
    tracing = traced(since=local(2, 0), cases=(CASE, doc(99)))
    assert tracing.covisitors == [] and tracing.cases_without_scans == [CASE, doc(99)]


def test_venue_hours_count_the_cases_that_were_there(world):
    shop = venue(world, "金河药房", "pharmacy")
    scan(world, shop, CASE, local(1, 10, 5))
    scan(world, shop, doc(1), local(1, 10, 30))
    hours = traced(cases=(CASE, doc(1))).venue_hours()
    assert hours[0][0].name == "金河药房" and hours[0][1] == timezone.localtime(local(1, 10)) and hours[0][2] == 2


def test_tracing_cases_together_finds_what_tracing_them_one_by_one_finds(world):
    shop, restaurant = venue(world, "金河药房", "pharmacy"), venue(world, "金河饭店", "restaurant")
    second = doc(50)
    scan(world, shop, CASE, local(1, 10))
    scan(world, restaurant, second, local(1, 12))
    scan(world, shop, second, local(1, 10, 20))  # both cases at the shop: their windows overlap
    for n, (place, hour, minute) in enumerate(
        [(shop, 10, 5), (shop, 10, 30), (restaurant, 12, 40), (restaurant, 11, 0)]
    ):
        scan(world, place, doc(n + 1), local(1, hour, minute))
    together = found(traced(cases=(CASE, second)))
    apart: dict[str, int] = {}
    for case in (CASE, second):
        for who, minutes in found(traced(cases=(case,))).items():
            if who not in (CASE, second):
                apart[who] = max(apart.get(who, 0), minutes)
    assert together == apart and len(together) == 4
