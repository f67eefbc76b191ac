"""Scans in: checked as columns, bad rows named, the rest written once however often the batch comes."""

import datetime

import pytest
from django.conf import settings
from django.test import override_settings
from django.utils import timezone

from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.core.models import ChangeRecord, User
from fangxian.people.documents import check_char
from fangxian.venues import services
from fangxian.venues.models import Scan, VenueCategory
from fangxian.venues.services import scans as scan_service


def doc(n: int) -> str:
    first = f"4101081990{n % 12 + 1:02d}15{n % 1000:03d}"
    return first + check_char(first)


def at(hours_ago: float) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=hours_ago)).replace(microsecond=0)


def ingest(actor, rows, source="gateway", **kwargs):
    return scan_service.ingest_scans(actor=actor, scans=scan_service.frame(rows), source=source, **kwargs)


def test_a_batch_is_written_once_and_a_resend_changes_nothing(world):
    officer, venue = world["district"], world["xc_venue"]
    rows = [
        {
            "venue_code": venue.code,
            "doc_number": ALICE_DOC,
            "name": "新城甲",
            "scanned_at": at(2),
            "code_colour": "绿码",
        },
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": at(1.5), "code_colour": "yellow"},
    ]
    first = ingest(officer, rows)
    assert (first.written, first.unchanged, first.problems) == (2, 0, [])
    again = ingest(officer, rows)
    assert (again.written, again.unchanged) == (0, 2)
    # Part of it again with a new row: only the new one is written.
    third = ingest(officer, [rows[0], {**rows[1], "scanned_at": at(1)}])
    assert (third.written, third.unchanged) == (1, 1)
    assert Scan.objects.count() == 3
    stored = Scan.objects.get(doc_number=BOB_DOC, scanned_at=at(1.5))
    assert stored.code_colour == "yellow" and stored.vaccinated == "unknown" and stored.source == "gateway"
    assert ChangeRecord.objects.filter(model="venues.scan", reason="扫码记录写入").count() == 2


def test_bad_rows_come_back_with_their_reason_and_the_rest_is_written(world):
    officer, venue = world["district"], world["xc_venue"]
    rows = [
        {"venue_code": venue.code, "doc_number": ALICE_DOC, "scanned_at": at(1)},
        {
            "venue_code": venue.code,
            "doc_number": ALICE_DOC[:-1] + ("0" if ALICE_DOC[-1] != "0" else "1"),
            "scanned_at": at(1),
        },
        {"venue_code": venue.code, "doc_number": "4.10108199003071E+17", "scanned_at": at(1)},
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": at(-2)},
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": at(24 * 40)},
        {"venue_code": "", "doc_number": BOB_DOC, "scanned_at": at(1)},
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": "昨天"},
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": at(1), "code_colour": "紫码"},
        {"venue_code": venue.code, "doc_number": doc(5), "scanned_at": at(1), "proxy_doc_number": "123"},
        {"venue_code": "PROV\n7", "doc_number": doc(6), "scanned_at": at(1)},  # the day figures' separator
    ]
    outcome = ingest(officer, rows)
    reasons = {problem.row: problem.message for problem in outcome.problems}
    assert outcome.written == 1 and sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9, 10]
    assert "控制字符" in reasons[10]
    assert "校验位" in reasons[2] and "未来" in reasons[4] and "保留期限" in reasons[5] and "场所码为空" in reasons[6]
    assert "无法识别" in reasons[7] and "健康码" in reasons[8] and reasons[9].startswith("代扫人证件号")


def test_scans_at_an_unregistered_code_are_kept_and_attach_when_it_is_registered(world):
    officer = world["district"]
    outcome = ingest(officer, [{"venue_code": "PROV-0001", "doc_number": ALICE_DOC, "scanned_at": at(3)}])
    assert outcome.written == 1 and outcome.unregistered == 1
    venue = services.register_venue(
        actor=officer,
        name="金河药店",
        category=VenueCategory.objects.get(code="pharmacy"),
        unit=world["xc_community"],
        address="金河社区5号",
        external_code="PROV-0001",
    )
    tracing = services.trace(cases=[ALICE_DOC], since=at(10), until=at(0))
    assert [stay.place.venue_id for stay in tracing.stays] == [venue.pk]


def test_a_revoked_code_keeps_its_past_scans_and_refuses_new_ones(world):
    officer, venue = world["district"], world["xc_venue"]
    old = venue.code
    ingest(officer, [{"venue_code": old, "doc_number": ALICE_DOC, "scanned_at": at(3)}])
    services.regenerate_code(actor=officer, venue=venue)
    late = ingest(officer, [{"venue_code": old, "doc_number": BOB_DOC, "scanned_at": timezone.now()}])
    assert late.written == 0 and "已作废" in late.problems[0].message
    assert services.trace(cases=[ALICE_DOC], since=at(10), until=at(0)).stays[0].place.venue_id == venue.pk


def test_a_venues_staff_send_scans_for_their_own_venue_only(world):
    staff = User.objects.get(username="venue")
    own = ingest(staff, [{"venue_code": world["xc_venue"].code, "doc_number": ALICE_DOC, "scanned_at": at(1)}])
    elsewhere = ingest(staff, [{"venue_code": "PROV-9", "doc_number": ALICE_DOC, "scanned_at": at(1)}])
    assert own.written == 1 and elsewhere.written == 0 and "不是您所在场所" in elsewhere.problems[0].message


def test_a_batch_over_the_limit_is_refused_whole(world):
    rows = [{"venue_code": "X", "doc_number": ALICE_DOC, "scanned_at": at(1)}] * 3
    with pytest.raises(scan_service.BatchTooLarge):
        ingest(world["district"], rows, limit=2)
    assert Scan.objects.count() == 0


def test_retention_drops_whole_days(world):
    from fangxian.venues import jobs

    officer, venue = world["district"], world["xc_venue"]
    ingest(officer, [{"venue_code": venue.code, "doc_number": ALICE_DOC, "scanned_at": at(24 * 20)}])
    ingest(officer, [{"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": at(1)}])
    with override_settings(SCAN_RETENTION_DAYS=10):
        jobs.drop_expired_scans()
    assert list(Scan.objects.values_list("doc_number", flat=True)) == [BOB_DOC]


def _counted_from_scans() -> dict:
    from django.db.models import Count, Q

    return {
        (row.pop("day"), row.pop("venue_code")): row
        for row in Scan.objects.values("day", "venue_code").annotate(
            scans=Count("id"),
            abnormal=Count("id", filter=Q(code_colour__in=["yellow", "red"])),
            unvaccinated=Count("id", filter=Q(vaccinated="no")),
            without_negative=Count("id", filter=Q(negative="no")),
        )
    }


def _kept_figures() -> dict:
    """The figures as readers see them (folded or not)."""
    from fangxian.venues.services import figures

    kept = {}
    for day in set(Scan.objects.values_list("day", flat=True)):
        for code, counts in figures.for_day(day, Scan.objects.values_list("venue_code", flat=True)).items():
            kept[(day, code)] = {
                name: getattr(counts, name) for name in ("scans", "abnormal", "unvaccinated", "without_negative")
            }
    return kept


def test_the_day_figures_count_each_new_scan_once_whatever_is_resent(world):
    from fangxian.venues.models import VenueDay, VenueDayDelta
    from fangxian.venues.services import figures

    officer, venue = world["district"], world["xc_venue"]
    rows = [
        {"venue_code": venue.code, "doc_number": ALICE_DOC, "scanned_at": at(3), "code_colour": "red"},
        {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": at(3), "vaccinated": "no"},
        {"venue_code": "PROV-5", "doc_number": BOB_DOC, "scanned_at": at(2), "negative": "no"},
    ]
    ingest(officer, rows)
    ingest(officer, rows)  # the same batch again
    ingest(officer, [rows[0], {**rows[1], "scanned_at": at(1)}])  # part again, with one new scan
    expected = _counted_from_scans()
    assert len(expected) >= 2 and sum(item["scans"] for item in expected.values()) == 4
    assert _kept_figures() == expected  # before the worker folds the batches' additions
    figures.fold()
    assert not VenueDayDelta.objects.exists()
    assert _kept_figures() == expected  # and after
    assert sum(VenueDay.objects.values_list("scans", flat=True)) == 4
    ingest(officer, [{**rows[0], "scanned_at": at(0.5)}])  # folded figures and a new addition together
    expected = _counted_from_scans()
    assert _kept_figures() == expected


@pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"),
    reason="batches and folds at once need PostgreSQL (SQLite counts again in the batch); its leg runs it",
)
@pytest.mark.django_db(transaction=True)
def test_batches_and_folds_at_once_count_every_scan_once():
    # Its own small world: transactional tests run last, after another one's flush took the migrations' data.
    import threading

    from django.db import close_old_connections, connection, transaction

    from fangxian.core import services as core_services
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant
    from fangxian.venues.models import VenueDay
    from fangxian.venues.services import figures

    district, _ = core_services.load_county(code="410108")
    officer = User.objects.create_user(username="officer", password="x", unit=district)
    Grant.objects.create(user=officer, unit=district, role=Role.DISTRICT_COMMAND)
    code = "PROV-CONCURRENT"  # a provincial code nobody registered: its scans are kept and counted all the same
    people = [doc(n) for n in range(40)]
    moment = at(2)
    barrier = threading.Barrier(4)
    failures = []

    def send(part: int):
        try:
            barrier.wait(timeout=10)
            for person in people[part::2]:
                with transaction.atomic():
                    ingest(officer, [{"venue_code": code, "doc_number": person, "scanned_at": moment}])
        except Exception as error:  # noqa: BLE001 - reported below, with the thread's failure
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    def fold_often():
        try:
            barrier.wait(timeout=10)
            for _ in range(20):
                with transaction.atomic():
                    figures.fold()
        except Exception as error:  # noqa: BLE001
            failures.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    threads += [threading.Thread(target=fold_often) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    written = Scan.objects.count()
    assert written > 0
    assert sum(counts.scans for counts in figures.for_day(timezone.localdate(moment), [code]).values()) == written
    figures.fold()
    assert sum(VenueDay.objects.values_list("scans", flat=True)) == written
