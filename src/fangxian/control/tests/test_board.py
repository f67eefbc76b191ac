"""The closed-loop board is one worklist: alarms past their time first, then by urgency; filtered by unit and
kind, paged, exported."""

import datetime
import io

from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangxian.control import services
from fangxian.control.models import FollowUp
from fangxian.control.services import CheckEntry
from fangxian.control.tests.conftest import board_rows

DAY = datetime.timedelta(days=1)


def _isolated(world, person, unit=None):
    today = timezone.localdate()
    return services.place_under_measure(
        actor=world["district"],
        person=person,
        subject="close_contact",
        anchor_date=today - 3 * DAY,
        start_date=today - 2 * DAY,
        unit=unit,
    )


def test_an_alarm_past_its_time_leads_the_board_above_any_number_of_missed_checks(world, client_for):
    _isolated(world, world["alice"])
    bob = _isolated(world, world["bob"])
    three_hours_ago = timezone.now() - datetime.timedelta(hours=3)
    services.record_checks(
        actor=world["district"],
        day=timezone.localdate(),
        slot=1,
        entries=[CheckEntry(bob, "38.4")],
        now=three_hours_ago,
    )
    assert FollowUp.objects.get(measure=bob).due_at < timezone.now()
    rows = board_rows(client_for("district").get("/control/board/").content.decode())
    assert "报警超时未处置" in rows[0] and world["bob"].name in rows[0] and "已超时" in rows[0]
    missed = board_rows(client_for("district").get("/control/board/").content.decode(), "漏测健康监测")
    assert any(world["alice"].name in row for row in missed)


def test_missed_checks_are_listed_most_missed_first(world):
    from fangxian.control.board import board_items

    today = timezone.localdate()
    alice = _isolated(world, world["alice"])
    bob = _isolated(world, world["bob"])
    services.record_checks(
        actor=world["district"], day=today - 2 * DAY, slot=1, entries=[CheckEntry(alice, "36.5")], now=timezone.now()
    )
    loop = services.closed_loop(type(alice).objects.filter(pk__in=[alice.pk, bob.pk]))
    checks = [item for item in board_items(loop, now=timezone.now()) if item.kind == "missed_checks"]
    assert [item.measure_id for item in checks] == [bob.pk, alice.pk] and checks[0].count == checks[1].count + 1


def test_the_unit_and_kind_filters_narrow_the_board_and_another_township_sees_nothing_of_it(world, client_for):
    _isolated(world, world["alice"])
    _isolated(world, world["bob"])
    client = client_for("district")
    xincheng = client.get("/control/board/", {"unit": world["xincheng"].code}).content.decode()
    assert any(world["alice"].name in row for row in board_rows(xincheng))
    assert not any(world["bob"].name in row for row in board_rows(xincheng))
    tests_only = client.get("/control/board/", {"kind": "missed_test"}).content.decode()
    assert board_rows(tests_only) and all("漏检核酸" in row for row in board_rows(tests_only))
    # a unit outside the officer's township is not a choice: the filter refuses it and shows nothing
    outside = client_for("township_a").get("/control/board/", {"unit": world["liuzhai"].code})
    assert outside.status_code == 200 and not board_rows(outside.content.decode())
    assert world["bob"].name not in client_for("township_a").get("/control/board/").content.decode()


def test_the_board_pages_and_exports_the_same_items_as_it_shows(world, client_for):
    from fangxian.control.views import BoardView

    _isolated(world, world["alice"])
    _isolated(world, world["bob"])
    client = client_for("district")
    page = board_rows(client.get("/control/board/").content.decode())
    assert len(page) >= 4  # missed checks and two missed tests each, at least
    BoardView.page_size = 2
    try:
        first = board_rows(client.get("/control/board/").content.decode())
        second = board_rows(client.get("/control/board/", {"page": 2}).content.decode())
    finally:
        BoardView.page_size = 50
    assert len(first) == 2 and len(second) == 2 and first != second
    exported = client.get("/control/board/", {"export": "xlsx"})
    values = CalamineWorkbook.from_filelike(io.BytesIO(exported.content)).get_sheet_by_index(0).to_python()
    assert values[0][:3] == ["姓名", "证件号码", "事项"] and len(values) - 1 == len(page)
    assert values[1][2] == "漏检核酸" or values[1][2].startswith("报警") or values[1][2] == "居家未落实包保小组"
    assert all("*" in row[1] for row in values[1:])  # numbers masked in the file as on the page
    assert client_for("clerk").get("/control/board/", {"export": "xlsx"}).status_code == 403
    assert "export-xlsx" not in client_for("clerk").get("/control/board/").content.decode()


def test_an_item_whose_measure_is_gone_by_the_time_the_page_is_drawn_is_left_out(world):
    from fangxian.control.board import board_items, with_people
    from fangxian.control.models import Measure

    alice = _isolated(world, world["alice"])
    items = board_items(services.closed_loop(Measure.objects.filter(pk=alice.pk)), now=timezone.now())
    assert items
    Measure.objects.filter(pk=alice.pk).delete()
    assert list(with_people(items)) == []
