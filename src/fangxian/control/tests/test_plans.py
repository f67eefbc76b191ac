import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from fangxian.control import services
from fangxian.control.choices import MeasureStatus, SampleResult, Subject
from fangxian.control.models import Measure, Protocol
from fangxian.core.models import ChangeRecord

DAY = datetime.timedelta(days=1)


def days_after(anchor, measure):
    return [(test.day - anchor).days for test in measure.tests.all()]


def test_a_close_contact_verified_today_gets_the_9th_edition_plan(world):
    today = timezone.localdate()
    anchor = today - DAY  # exposed yesterday
    measure = services.place_from_lead(actor=world["township_a"], lead=world["xc_lead"], anchor_date=anchor)
    assert measure.protocol.code == "ed9" and measure.subject == Subject.CLOSE_CONTACT
    assert [phase["kind"] for phase in measure.plan] == ["centralised", "home_monitoring"]
    assert measure.plan[0]["start"] == today.isoformat() and measure.plan[0]["end"] == (anchor + 7 * DAY).isoformat()
    assert days_after(anchor, measure) == [1, 2, 3, 5, 7, 10]  # home monitoring day 3 = day 10
    assert measure.end_date == anchor + 10 * DAY  # 7 + 3
    assert ChangeRecord.objects.filter(object_id=str(measure.uuid), kind="create").exists()


def test_days_already_spent_elsewhere_count(world):
    today = timezone.localdate()
    anchor = today - 4 * DAY  # four days have passed since the exposure
    measure = services.place_under_measure(
        actor=world["township_a"], person=world["alice"], subject=Subject.CLOSE_CONTACT, anchor_date=anchor
    )
    assert measure.end_date == anchor + 10 * DAY  # 缺几天补几天: not 10 days from today
    assert days_after(anchor, measure) == [5, 7, 10]  # the tests of days 1–3 were before the placement


def test_switching_to_the_20_measures_applies_to_the_next_measure_only(world):
    today = timezone.localdate()
    first = services.place_under_measure(
        actor=world["district"], person=world["alice"], subject=Subject.CLOSE_CONTACT, anchor_date=today - DAY
    )
    services.choose_protocol(
        actor=world["district"], district=world["huiji"], protocol=Protocol.objects.get(code="measures20")
    )
    second = services.place_under_measure(
        actor=world["district"], person=world["bob"], subject=Subject.CLOSE_CONTACT, anchor_date=today - DAY
    )
    first.refresh_from_db()
    assert first.protocol.code == "ed9" and first.end_date == today - DAY + 10 * DAY
    assert second.protocol.code == "measures20" and second.end_date == today - DAY + 8 * DAY  # 5 + 3
    assert days_after(today - DAY, second) == [1, 2, 3, 5, 6, 8]


def test_a_local_variant_shortens_the_8th_editions_14_plus_7(world):
    ed8 = Protocol.objects.get(code="ed8")
    variant = services.copy_protocol(
        actor=world["district"],
        district=world["huiji"],
        source=ed8,
        code="huiji-7-7",
        name="惠济区 7+7",
        changes={
            "close_contact": [
                {"kind": "centralised", "days": 7, "tests": [1, 4, 7], "checks_per_day": 2},
                {"kind": "home_monitoring", "days": 7, "tests": [7], "checks_per_day": 1},
            ]
        },
    )
    rule = variant.rules.get(subject="close_contact")
    assert rule.describe() == "集中隔离 7 天 + 居家健康监测 7 天" and rule.double_sample  # 双采双检 kept
    plan = services.compute_plan(rule, anchor_date=timezone.localdate() - DAY, start_date=timezone.localdate())
    assert plan.tests[-1][2] is True  # the release test is a double sample


@pytest.mark.parametrize(
    "phases",
    [
        [],
        [{"kind": "centralised", "days": 7, "tests": [8], "checks_per_day": 2}],  # a test outside its phase
        [{"kind": "centralised", "days": 0, "tests": [], "checks_per_day": 2}],
        [{"kind": "somewhere", "days": 7, "tests": [], "checks_per_day": 2}],
        [{"kind": "centralised", "days": 7, "tests": [1, 1], "checks_per_day": 2}],
    ],
)
def test_a_variant_with_impossible_phases_is_refused(phases, world):
    with pytest.raises(ValidationError):
        services.copy_protocol(
            actor=world["district"],
            district=world["huiji"],
            source=Protocol.objects.get(code="ed9"),
            code="bad",
            name="bad",
            changes={"close_contact": phases},
        )
    assert not Protocol.objects.filter(code="bad").exists()


def test_release_needs_the_period_over_and_every_test_negative(world):
    today = timezone.localdate()
    anchor = today - 12 * DAY
    measure = services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject=Subject.SECONDARY_CONTACT,
        anchor_date=anchor,
        start_date=anchor + DAY,
    )
    with pytest.raises(ValidationError, match="未登记结果"):
        services.release(actor=world["township_a"], measure=measure)
    for test in measure.tests.all():
        services.record_test(actor=world["township_a"], test=test, result=SampleResult.NEGATIVE)
    services.release(actor=world["township_a"], measure=measure)
    assert Measure.objects.get(pk=measure.pk).status == MeasureStatus.RELEASED


def test_a_positive_test_ends_the_measure_as_positive(world):
    measure = services.place_under_measure(
        actor=world["township_a"],
        person=world["alice"],
        subject=Subject.CLOSE_CONTACT,
        anchor_date=timezone.localdate() - DAY,
    )
    services.record_test(actor=world["township_a"], test=measure.tests.first(), result=SampleResult.POSITIVE)
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.ENDED and measure.end_reason == "positive"


def test_impossible_dates_and_a_second_measure_are_refused(world):
    today = timezone.localdate()
    place = services.place_under_measure
    with pytest.raises(ValidationError, match="晚于今天"):
        place(actor=world["township_a"], person=world["alice"], subject="close_contact", anchor_date=today + DAY)
    with pytest.raises(ValidationError, match="期满"):
        place(actor=world["township_a"], person=world["alice"], subject="close_contact", anchor_date=today - 30 * DAY)
    place(actor=world["township_a"], person=world["alice"], subject="close_contact", anchor_date=today - DAY)
    with pytest.raises(ValidationError, match="已在管控中"):
        place(actor=world["township_a"], person=world["alice"], subject="close_contact", anchor_date=today - DAY)
    future = Measure.objects.get(person=world["alice"]).tests.order_by("-day").first()
    with pytest.raises(ValidationError, match="以后日期"):
        services.record_test(actor=world["township_a"], test=future, result=SampleResult.NEGATIVE)


def test_an_edition_without_a_rule_for_the_subject_says_so(world):
    with pytest.raises(ValidationError, match="未规定"):
        services.place_under_measure(
            actor=world["district"],
            person=world["alice"],
            subject=Subject.SECONDARY_CONTACT,
            anchor_date=timezone.localdate() - DAY,
            protocol=Protocol.objects.get(code="measures20"),
        )


def test_a_measure_on_a_person_outside_the_users_scope_is_refused(world):
    with pytest.raises(PermissionDenied):
        services.place_under_measure(
            actor=world["township_b"], person=world["alice"], subject="close_contact", anchor_date=timezone.localdate()
        )
    assert not Measure.objects.exists()


def test_replanning_under_another_version_keeps_recorded_results(world):
    today = timezone.localdate()
    measure = services.place_under_measure(
        actor=world["district"], person=world["alice"], subject="close_contact", anchor_date=today - DAY
    )
    services.record_test(actor=world["district"], test=measure.tests.first(), result=SampleResult.NEGATIVE)
    services.replan(
        actor=world["district"], measure=measure, protocol=Protocol.objects.get(code="measures20"), reason="方案调整"
    )
    measure.refresh_from_db()
    assert measure.end_date == today - DAY + 8 * DAY
    assert measure.tests.filter(result="negative").count() == 1 and measure.tests.count() == 6
