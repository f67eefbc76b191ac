import pytest
from django.core.exceptions import PermissionDenied

from fangxian.testing.models import Sample, Tube
from fangxian.testing.tests.conftest import citizen_id


def test_a_pool_of_ten_is_registered_with_its_members_and_sent_again_changes_nothing(register):
    first = register({"T0001": list(range(10)), "T0002": [10, 11]})
    assert (first.created, first.members, first.problems) == (2, 12, [])
    tube = Tube.objects.get(code="T0001")
    assert tube.member_count == 10 and tube.mode == "pool_10" and tube.status == "closed"
    assert Sample.objects.filter(tube=tube).count() == 10
    again = register({"T0001": list(range(10)), "T0002": [10, 11]})
    assert (again.created, again.unchanged, again.problems) == (0, 2, [])
    assert Sample.objects.count() == 12


def test_bad_tubes_are_left_out_whole_with_their_reason_and_the_others_are_written(register):
    outcome = register({"T0001": list(range(11)), "T0002": [1, 2], "bad code!": [3], "T0003": [4]}, pool_size=10)
    reasons = {problem.tube_code: problem.message for problem in outcome.problems}
    assert "超过混采上限" in reasons["T0001"] and "管码" in reasons["bad code!"]
    assert set(Tube.objects.values_list("code", flat=True)) == {"T0002", "T0003"}
    assert Sample.objects.count() == 3


def test_a_member_with_a_wrong_check_digit_keeps_their_whole_tube_out(world, point):
    from fangxian.testing import members as member_checks
    from fangxian.testing import services

    wrong = citizen_id(7)[:-1] + ("0" if citizen_id(7)[-1] != "0" else "1")
    rows = [
        {"tube_code": "T0009", "doc_number": citizen_id(1), "name": "甲"},
        {"tube_code": "T0009", "doc_number": wrong, "name": "乙"},
        {"tube_code": "T0010", "doc_number": "４１０１０８" + citizen_id(2)[6:], "name": "丙"},  # full-width
    ]
    outcome = services.register_tubes(
        actor=world["township_a"],
        point=point,
        tubes=[services.NewTube("T0009", 5), services.NewTube("T0010", 5)],
        members=member_checks.frame(rows),
    )
    assert [p.tube_code for p in outcome.problems] == ["T0009"] and "校验位" in outcome.problems[0].message
    assert list(Sample.objects.values_list("doc_number", flat=True)) == [citizen_id(2)]


def test_an_open_tube_takes_members_up_to_its_size_and_a_shipped_one_takes_none(world, register):
    from fangxian.testing import services

    register({"T0100": [1, 2]}, pool_size=5, close=False)
    added = register({"T0100": [1, 2, 3]}, pool_size=5, close=False)
    assert added.added_members == 1 and Tube.objects.get(code="T0100").member_count == 3
    over = register({"T0100": [1, 2, 3, 4, 5, 6]}, pool_size=5, close=False)
    assert "超过混采上限" in over.problems[0].message and Sample.objects.count() == 3
    register({"T0100": [1, 2, 3]}, pool_size=5, close=True)
    services.ship(actor=world["township_a"], tubes=Tube.objects.all(), box="BOX-1")
    late = register({"T0100": [1, 2, 3, 4]}, pool_size=5)
    assert "已送检" in late.problems[0].message and Sample.objects.count() == 3


def test_a_point_outside_the_users_scope_is_refused(world, register):
    with pytest.raises(PermissionDenied):
        register({"T0200": [1]}, actor=world["township_b"])
    assert not Tube.objects.exists()


def test_a_tube_keeps_the_time_of_each_step_closed_shipped_and_resulted(world, register, results):
    import datetime

    from django.db import IntegrityError, transaction
    from django.utils import timezone

    from fangxian.testing import services

    sampled = timezone.now().replace(microsecond=0) - datetime.timedelta(hours=2)
    register({"T0300": [1, 2]}, pool_size=5, close=False, now=sampled)
    tube = Tube.objects.get(code="T0300")
    assert tube.status == "open" and tube.closed_at is None
    closed = register({"T0300": [1, 2, 3]}, pool_size=5, now=sampled + datetime.timedelta(minutes=20))
    assert closed.added_members == 1
    tube.refresh_from_db()
    assert tube.status == "closed" and tube.closed_at == sampled + datetime.timedelta(minutes=20)
    services.ship(actor=world["township_a"], tubes=Tube.objects.all(), box="BOX-7")
    results([{"tube_code": "T0300", "result": "阴性"}])
    tube.refresh_from_db()
    assert tube.status == "done" and tube.closed_at <= tube.shipped_at <= tube.result_at
    with pytest.raises(IntegrityError), transaction.atomic():  # the code is unique in the database itself
        Tube.objects.create(
            **{f.attname: getattr(tube, f.attname) for f in Tube._meta.concrete_fields if f.attname != "id"}
        )


def test_closing_an_open_tube_by_hand_stamps_its_time(world, register):
    from fangxian.testing import services

    register({"T0301": [1]}, pool_size=5, close=False)
    tube = services.close_tube(actor=world["township_a"], tube=Tube.objects.get(code="T0301"))
    assert Tube.objects.get(pk=tube.pk).closed_at is not None
    from fangxian.core.models import ChangeRecord

    assert ChangeRecord.objects.filter(actor=world["township_a"], reason="封管").count() == 1
    assert services.ship(actor=world["township_a"], tubes=Tube.objects.all(), box="BOX-3") == 1
    shipped = ChangeRecord.objects.get(actor=world["township_a"], reason="装箱送检")
    assert shipped.after["box"] == "BOX-3" and shipped.after["tubes"] == ["T0301"]
    assert services.ship(actor=world["township_a"], tubes=Tube.objects.all(), box="BOX-4") == 0  # none left


def test_a_tube_sampled_after_midnight_local_time_is_on_the_local_day(register):
    import datetime

    from django.utils import timezone

    local = timezone.get_current_timezone()
    after_midnight = timezone.localtime(timezone.now(), local).replace(hour=0, minute=30, second=0, microsecond=0)
    if after_midnight > timezone.now():  # run between 00:00 and 00:30: yesterday's
        after_midnight -= datetime.timedelta(days=1)
    register({"T0400": [1]}, now=after_midnight.astimezone(datetime.UTC))  # 16:30 the day before, in UTC
    tube = Tube.objects.get(code="T0400")
    assert tube.sampled_on == after_midnight.date() and tube.sampled_at == after_midnight
    assert Sample.objects.get(tube=tube).day == after_midnight.date()
