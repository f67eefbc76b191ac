import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangxian.control import services
from fangxian.control.services import CheckEntry
from fangxian.control.tests.conftest import board_rows
from fangxian.core.models import Notification

DAY = datetime.timedelta(days=1)


def at(day, hour):
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def isolated(world):
    """alice, exposed three days ago, placed two days ago: centralised isolation, two checks a day."""
    today = timezone.localdate()
    return services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject="close_contact",
        anchor_date=today - 3 * DAY,
        start_date=today - 2 * DAY,
    )


def test_missed_checks_are_counted_up_to_now(world, isolated):
    today = timezone.localdate()
    assert services.missed_checks([isolated], now=at(today, 9)) == {isolated.pk: 4}  # two days, two a day
    assert services.missed_checks([isolated], now=at(today, 15)) == {isolated.pk: 5}  # and this morning's
    for day in (today - 2 * DAY, today - DAY):
        for slot in (1, 2):
            services.record_checks(
                actor=world["grid"], day=day, slot=slot, entries=[CheckEntry(isolated, "36.5")], now=at(today, 15)
            )
    assert services.missed_checks([isolated], now=at(today, 9)) == {}


def test_a_fever_alerts_the_responsible_unit_once(world, isolated):
    today = timezone.localdate()
    saved, problems = services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, "37.8", "咳嗽")], now=at(today, 9)
    )
    assert len(saved) == 1 and problems == {}
    alert = Notification.objects.get(key__startswith=f"fever:{isolated.pk}:")
    assert alert.unit == world["xc_community"] and "37.8" in alert.title and "咳嗽" in alert.body
    services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, "37.9")], now=at(today, 10)
    )
    assert Notification.objects.filter(key__startswith=f"fever:{isolated.pk}:").count() == 1


def test_bad_rows_come_back_with_their_reason_and_the_rest_are_saved(world, isolated):
    today = timezone.localdate()
    saved, problems = services.record_checks(
        actor=world["township_b"], day=today, slot=1, entries=[CheckEntry(isolated, "36.6")], now=at(today, 9)
    )
    assert saved == [] and "管辖" in problems[isolated.pk]
    _, problems = services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, "3.65")], now=at(today, 9)
    )
    assert "34.0" in problems[isolated.pk]
    with pytest.raises(ValidationError, match="以后日期"):
        services.record_checks(actor=world["grid"], day=today + DAY, slot=1, entries=[], now=at(today, 9))


@pytest.mark.parametrize("typed", ["NaN", "sNaN", "Infinity", "36.5.1", ""])
def test_temperatures_that_are_not_numbers_come_back_as_problems(typed, world, isolated):
    today = timezone.localdate()
    saved, problems = services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, typed)], now=at(today, 9)
    )
    assert saved == [] and isolated.pk in problems


def test_a_check_is_kept_to_a_tenth_of_a_degree_and_leaves_a_change_record(world, isolated):
    from fangxian.core.models import ChangeRecord

    today = timezone.localdate()
    saved, _ = services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, "36.55")], now=at(today, 9)
    )
    saved[0].refresh_from_db()
    assert str(saved[0].temperature) == "36.6"
    record = ChangeRecord.objects.filter(object_id=str(isolated.uuid), reason="健康监测").get()
    assert record.after == {"day": today.isoformat(), "slot": 1, "temperature": "36.6", "symptoms": ""}


def test_a_fever_opens_one_follow_up_task_that_the_community_must_close(world, isolated, client_for):
    from fangxian.control.models import FollowUp

    today = timezone.localdate()
    for hour in (9, 10):  # the same round entered twice: one task
        services.record_checks(
            actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, "38.1")], now=at(today, hour)
        )
    task = FollowUp.objects.get(measure=isolated)
    assert task.unit == world["xc_community"] and task.due_at == at(today, 11) and "38.1" in task.detail
    board = client_for("township_a").get("/control/board/").content.decode()
    assert any(world["alice"].name in row for row in board_rows(board, "报警"))
    outsider = client_for("township_b").post(
        f"/control/{isolated.uuid}/follow_up/", {"follow_up": task.pk, "outcome": "sampled"}
    )
    assert outsider.status_code == 404
    client = client_for("township_a")
    client.post(f"/control/{isolated.uuid}/follow_up/", {"follow_up": task.pk, "outcome": "sampled", "note": "已采样"})
    task.refresh_from_db()
    assert task.outcome == "sampled" and task.handled_by == world["township_a"] and task.note == "已采样"
    board = client.get("/control/board/").content.decode()
    assert not any(world["alice"].name in row for row in board_rows(board, "报警"))
    with pytest.raises(ValidationError, match="已处置"):
        services.close_follow_up(actor=world["township_a"], follow_up=task, outcome="cleared")
    task.refresh_from_db()
    assert task.outcome == "sampled"  # the first answer stands


def test_a_normal_check_opens_no_task(world, isolated):
    from fangxian.control.models import FollowUp

    today = timezone.localdate()
    services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, "36.9")], now=at(today, 9)
    )
    assert not FollowUp.objects.exists()


def test_a_once_a_day_person_not_checked_in_the_morning_is_in_the_afternoon_round(world, client_for):
    today = timezone.localdate()
    # Monitoring at home: one check a day (the low-risk protocol's whole period).
    measure = services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject="low_risk_area",
        anchor_date=today - DAY,
        start_date=today - DAY,
    )
    assert measure.phase_on(today)["checks_per_day"] == 1
    client = client_for("township_a")
    afternoon = client.get("/control/checks/", {"slot": "2"}).content.decode()
    assert f'name="t-1-{measure.uuid}"' in afternoon and "每日一次，今日未测" in afternoon
    client.post("/control/checks/", {"slot": "2", f"t-1-{measure.uuid}": "36.7"})
    assert measure.checks.get(day=today).slot == 1
    afternoon = client.get("/control/checks/", {"slot": "2"}).content.decode()
    assert f"t-1-{measure.uuid}" not in afternoon  # done for today
    morning = client.get("/control/checks/", {"slot": "1"}).content.decode()
    assert 'data-testid="saved">已登记 36.7 ℃' in morning and 'value="36.7"' not in morning


@pytest.mark.parametrize("typed", ["1e30", "-1e30", "43.05", "33.94"])
def test_a_temperature_out_of_range_is_refused_with_its_reason_never_a_500(world, isolated, client_for, typed):
    today = timezone.localdate()
    saved, problems = services.record_checks(
        actor=world["grid"], day=today, slot=1, entries=[CheckEntry(isolated, typed)], now=at(today, 9)
    )
    assert saved == [] and "34.0–43.0" in problems[isolated.pk]
    response = client_for("grid").post("/control/checks/?slot=1", {"slot": "1", f"t-1-{isolated.uuid}": typed})
    assert response.status_code == 400 and not isolated.checks.exists()
