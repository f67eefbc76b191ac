import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from fangxian.core.models import ChangeRecord, Notification
from fangxian.leads.models import Lead
from fangxian.reports import services
from fangxian.reports.choices import Filing


def at(day: datetime.date, hour: int, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def test_every_township_of_the_district_must_file(daily, world):
    units = list(services.reporting_units(daily))
    assert world["xincheng"] in units and world["liuzhai"] in units
    assert all(unit.level == "township" for unit in units) and len(units) == 8


def test_live_figures_are_prefilled_for_the_unit_and_everything_below(daily, world):
    today = timezone.localdate()
    values = services.prefill(form=daily, unit=world["xincheng"], day=today)
    open_below = Lead.objects.filter(unit__path__startswith=world["xincheng"].path, status="open").count()
    assert values["leads_open"] == open_below >= 1
    assert services.prefill(form=daily, unit=world["jiangshan"], day=today)["leads_open"] == 0


def test_a_locked_figure_takes_the_live_value_whatever_is_typed(daily, world):
    today = timezone.localdate()
    report = services.file_report(
        actor=world["township_a"],
        form=daily,
        unit=world["xincheng"],
        day=today,
        values={"leads_received": "999", "leads_open": "3", "inspections": "2"},
        now=at(today, 9),
    )
    live = services.prefill(form=daily, unit=world["xincheng"], day=today)["leads_received"]
    assert report.values["leads_received"] == live != 999
    assert report.values["leads_open"] == 3 and report.values["remark"] == "" and not report.late


def test_bad_values_are_all_reported_and_nothing_is_filed(daily, world):
    with pytest.raises(ValidationError) as raised:
        services.file_report(
            actor=world["township_a"],
            form=daily,
            unit=world["xincheng"],
            day=timezone.localdate(),
            values={"leads_open": "-1", "inspections": ""},
        )
    assert set(raised.value.message_dict) == {"leads_open", "inspections"}
    assert not daily.reports.exists()


def test_a_zero_report_is_one_call_and_refused_when_the_system_knows_of_something(daily, world):
    today = timezone.localdate()
    zero = services.file_report(actor=world["district"], form=daily, unit=world["jiangshan"], day=today, zero=True)
    assert zero.is_zero and set(zero.values.values()) <= {0, ""}
    with pytest.raises(ValidationError, match="不能零报告"):
        services.file_report(actor=world["township_a"], form=daily, unit=world["xincheng"], day=today, zero=True)


def test_standing_is_on_time_late_missing_or_still_due(daily, world):
    day = timezone.localdate() - datetime.timedelta(days=1)
    services.file_report(
        actor=world["district"], form=daily, unit=world["jiangshan"], day=day, zero=True, now=at(day, 16)
    )
    services.file_report(
        actor=world["township_b"], form=daily, unit=world["liuzhai"], day=day, zero=True, now=at(day, 18)
    )
    rows = {row.unit.code: row.filing for row in services.completeness(form=daily, day=day, now=at(day, 20))}
    assert rows["410108003"] == Filing.ON_TIME and rows["410108002"] == Filing.LATE
    assert rows["410108001"] == Filing.MISSING
    before_due = {row.unit.code: row.filing for row in services.completeness(form=daily, day=day, now=at(day, 12))}
    assert before_due["410108001"] == Filing.DUE


def test_an_amendment_keeps_the_first_filing_time_and_is_logged(daily, world):
    day = timezone.localdate() - datetime.timedelta(days=1)
    first = services.file_report(
        actor=world["district"], form=daily, unit=world["jiangshan"], day=day, zero=True, now=at(day, 16)
    )
    amended = services.file_report(
        actor=world["district"],
        form=daily,
        unit=world["jiangshan"],
        day=day,
        values={"leads_open": "0", "inspections": "4"},
        now=at(day, 21),
    )
    assert amended.pk == first.pk and not amended.late and amended.values["inspections"] == 4
    update = ChangeRecord.objects.get(object_id=str(first.uuid), kind="update")
    assert update.before["is_zero"] is True and update.after["values"]["inspections"] == 4


def test_a_unit_outside_the_forms_levels_or_a_future_day_is_refused(daily, world):
    with pytest.raises(ValidationError, match="不需要报送"):
        services.file_report(
            actor=world["grid"], form=daily, unit=world["xc_community"], day=timezone.localdate(), zero=True
        )
    with pytest.raises(ValidationError, match="提前"):
        services.file_report(
            actor=world["district"],
            form=daily,
            unit=world["jiangshan"],
            day=timezone.localdate() + datetime.timedelta(days=1),
            zero=True,
        )


def test_units_that_have_not_filed_are_reminded_once_in_the_hour_before_the_due_time(daily, world):
    today = timezone.localdate()
    services.file_report(
        actor=world["district"], form=daily, unit=world["jiangshan"], day=today, zero=True, now=at(today, 9)
    )
    reminders = Notification.objects.filter(key__startswith=f"report-due:{daily.pk}:")
    services.remind_due(now=at(today, 15))
    assert reminders.count() == 0  # too early
    services.remind_due(now=at(today, 16, 10))
    assert reminders.count() == 7  # every township but the one that filed
    services.remind_due(now=at(today, 16, 40))
    assert reminders.count() == 7  # once
    note = reminders.get(unit=world["xincheng"])
    assert "疫情防控日报" in note.title and "零报告" in note.body


def test_the_month_ranks_units_by_days_on_time(daily, world):
    last_month_end = timezone.localdate().replace(day=1) - datetime.timedelta(days=1)
    first = last_month_end.replace(day=1)
    type(daily).objects.filter(pk=daily.pk).update(created_at=at(first, 0))
    daily.refresh_from_db()
    for day in (first, last_month_end):
        services.file_report(
            actor=world["district"], form=daily, unit=world["jiangshan"], day=day, zero=True, now=at(day, 9)
        )
    services.file_report(
        actor=world["township_b"], form=daily, unit=world["liuzhai"], day=first, zero=True, now=at(first, 20)
    )
    rows = services.monthly_record(form=daily, year=first.year, month=first.month)
    by_unit = {row["unit"].code: row for row in rows}
    assert rows[0]["unit"] == world["jiangshan"] and by_unit["410108003"]["on_time"] == 2
    assert by_unit["410108002"]["late"] == 1 and by_unit["410108002"]["missing"] == last_month_end.day - 1
    assert by_unit["410108001"]["missing"] == last_month_end.day and by_unit["410108001"]["rate"] == 0
