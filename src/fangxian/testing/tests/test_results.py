import datetime

from django.utils import timezone

from fangxian.core.models import Notification
from fangxian.leads.models import Lead
from fangxian.people.models import Person
from fangxian.testing import services
from fangxian.testing.models import Recall, ResultSubmission, Tube
from fangxian.testing.tests.conftest import citizen_id


def test_the_first_final_result_stands_and_a_different_one_is_kept_as_a_conflict(register, results):
    register({"T0001": [1, 2], "T0002": [3]})
    first = results(
        [
            {"tube_code": "T0001", "result": "阴性", "ct_orf": "", "ct_n": ""},
            {"tube_code": "T0001", "result": "negative"},
            {"tube_code": "T0002", "result": "阴性", "ct_orf": "38.2"},
            {"tube_code": "NOPE-1", "result": "阴性"},
        ]
    )
    assert (first.accepted, first.repeated, first.conflicts, first.unknown) == (2, 1, 0, 1)
    assert "未登记" in first.problems[0].message
    later = results([{"tube_code": "T0001", "result": "阳性"}])
    assert later.conflicts == 1 and later.recalled_people == 0
    tube = Tube.objects.get(code="T0001")
    assert tube.result == "negative" and tube.status == "done"
    outcomes = sorted(ResultSubmission.objects.filter(tube_code="T0001").values_list("outcome", flat=True))
    assert outcomes == ["accepted", "conflict", "repeated"]
    assert str(ResultSubmission.objects.get(tube_code="T0002").ct_orf) == "38.2"
    assert ResultSubmission.objects.get(tube_code="NOPE-1").tube_id is None  # kept, not lost
    from fangxian.core.models import ChangeRecord

    records = ChangeRecord.objects.filter(reason="检测结果").order_by("id")
    assert [record.after["accepted"] for record in records] == [2, 0]  # one record a lab file, who and what


def test_bad_rows_are_listed_and_the_rest_is_processed_unless_the_user_wants_all_or_nothing(register, results):
    register({"T0001": [1], "T0002": [2]})
    rows = [
        {"tube_code": "T0001", "result": "阴性"},
        {"tube_code": "T0002", "result": "可能阳"},
        {"tube_code": "T0002", "result": "阴性", "ct_n": "abc"},
    ]
    strict = results(rows, valid_only=False)
    assert [problem.row for problem in strict.problems] == [2, 3] and not ResultSubmission.objects.exists()
    lenient = results(rows)
    assert lenient.accepted == 1 and Tube.objects.get(code="T0001").result == "negative"
    assert Tube.objects.get(code="T0002").result == ""


def test_a_tube_outside_the_labs_units_is_unknown_to_it(world, register, results):
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant, User

    register({"T0001": [1]})
    lab_elsewhere = User.objects.create_user(username="lab_b", password="x" * 12, unit=world["liuzhai"])
    Grant.objects.create(user=lab_elsewhere, role=Role.SAMPLING_LAB, unit=world["liuzhai"])
    outcome = results([{"tube_code": "T0001", "result": "阳性"}], actor=lab_elsewhere)
    assert outcome.unknown == 1 and Tube.objects.get(code="T0001").result == ""


def test_a_positive_pool_holds_every_member_and_single_retests_release_or_confirm_them(world, register, results):
    register({"T0001": list(range(10)), "T0002": [20, 21]})
    outcome = results([{"tube_code": "T0001", "result": "阳性"}, {"tube_code": "T0002", "result": "阴性"}])
    assert (outcome.recalled_tubes, outcome.recalled_people) == (1, 10)
    held = Recall.objects.filter(status="held")
    assert held.count() == 10 and {r.unit for r in held} == {world["xc_community"]}
    assert Notification.objects.filter(title__startswith="混管阳性").count() == 1
    assert results([{"tube_code": "T0001", "result": "阳性"}]).recalled_people == 0  # once
    leads = services.raise_recall_leads(actor=world["system"])
    assert leads == 10 and Lead.objects.filter(category="positive_pool").count() == 10
    assert Person.objects.filter(doc_number=citizen_id(3)).exists()
    assert services.raise_recall_leads(actor=world["system"]) == 0
    register({"R0001": [3]}, pool_size=1)
    register({"R0002": [4]}, pool_size=1)
    settled = results([{"tube_code": "R0001", "result": "阴性"}, {"tube_code": "R0002", "result": "阳性"}])
    assert (settled.released, settled.retest_positive) == (1, 1)
    assert Recall.objects.get(doc_number=citizen_id(3)).status == "released"
    confirmed = Recall.objects.get(doc_number=citizen_id(4))
    assert confirmed.status == "positive" and confirmed.retest_tube.code == "R0002"
    assert Notification.objects.filter(title__startswith="单采复核阳性").exists()


def test_a_recalled_member_known_to_the_registry_is_held_by_their_own_unit(world, register, results):
    """alice lives in 金河社区's grid; she was sampled at the 金河 point with a stranger."""
    from fangxian.testing import members as member_checks
    from fangxian.testing.models import SamplingPoint

    point = SamplingPoint.objects.get()
    rows = [
        {"tube_code": "T0300", "doc_number": world["alice"].doc_number, "name": world["alice"].name},
        {"tube_code": "T0300", "doc_number": citizen_id(5), "name": "外来人员"},
    ]
    services.register_tubes(
        actor=world["township_a"], point=point, tubes=[services.NewTube("T0300", 5)], members=member_checks.frame(rows)
    )
    results([{"tube_code": "T0300", "result": "无效"}])
    alice = Recall.objects.get(doc_number=world["alice"].doc_number)
    assert alice.person == world["alice"] and alice.unit == world["xc_grid"]


def test_the_48_hour_lookup_counts_from_sampling_and_says_what_is_pending(world, register, results):
    now = timezone.now()
    register({"T0001": [1]}, now=now - datetime.timedelta(hours=50))
    results([{"tube_code": "T0001", "result": "阴性"}])
    assert not services.latest_negative(doc_number=citizen_id(1), now=now).negative_within
    assert services.latest_negative(doc_number=citizen_id(1), hours=72, now=now).negative_within
    register({"T0002": [1]}, now=now - datetime.timedelta(hours=3))
    answer = services.latest_negative(doc_number=citizen_id(1), now=now)
    assert not answer.negative_within and answer.pending_since is not None
    results([{"tube_code": "T0002", "result": "阴性"}])
    answer = services.latest_negative(doc_number=citizen_id(1), now=now)
    assert answer.negative_within and answer.sampled_at == now - datetime.timedelta(hours=3)
    assert not services.latest_negative(doc_number=citizen_id(2), now=now).negative_within


def test_key_group_members_not_sampled_within_their_interval_are_overdue(world, register):
    from fangxian.testing.models import KeyGroup, KeyGroupMember

    today = timezone.localdate()
    medical = KeyGroup.objects.create(district=world["huiji"], name="医务人员", interval_days=3)
    carol = Person.objects.create(name="医生丙", doc_number=citizen_id(8), unit=world["xc_grid"])
    KeyGroupMember.objects.create(group=medical, person=world["alice"], unit=world["xc_community"])
    KeyGroupMember.objects.create(group=medical, person=carol, unit=world["xc_community"])
    register({"T0001": [8]}, pool_size=1, now=timezone.now() - datetime.timedelta(days=2))
    overdue = services.key_group_overdue(memberships=KeyGroupMember.objects.all(), today=today)
    assert [(m.person, seen) for m, seen in overdue] == [(world["alice"], None)]
    later = services.key_group_overdue(
        memberships=KeyGroupMember.objects.all(), today=today + datetime.timedelta(days=1)
    )
    assert {m.person for m, _ in later} == {world["alice"], carol}


def test_a_round_expects_neither_infants_nor_the_isolated_nor_key_groups_unless_told_to(world):
    from fangxian.control import services as control
    from fangxian.testing.models import KeyGroup, KeyGroupMember

    def round_(**exclusions):
        now = timezone.now()
        campaign = services.create_campaign(
            actor=world["district"],
            district=world["huiji"],
            name="第三轮全员核酸",
            starts_at=now - datetime.timedelta(hours=1),
            ends_at=now + datetime.timedelta(hours=12),
            zones=[(world["xc_community"], "pool_10", None)],
            **exclusions,
        )
        people = Person.objects.filter(unit__path__startswith=world["xc_community"].path)
        expected = services.campaign_progress(campaign)[0].target
        return expected, set(services.not_sampled(campaign, people).values_list("name", flat=True))

    everyone = set(
        Person.objects.filter(unit__path__startswith=world["xc_community"].path).values_list("name", flat=True)
    )
    baby = Person.objects.create(
        name="婴儿甲",
        doc_number=citizen_id(21, birth=f"{timezone.localdate().year - 1}0101"),
        birth_date=datetime.date(timezone.localdate().year - 1, 1, 1),
        unit=world["xc_grid"],
    )
    nurse = Person.objects.create(name="护士乙", doc_number=citizen_id(22), unit=world["xc_grid"])
    KeyGroupMember.objects.create(
        group=KeyGroup.objects.create(district=world["huiji"], name="医务人员", interval_days=3),
        person=nurse,
        unit=world["xc_community"],
    )
    isolated = Person.objects.create(name="隔离丙", doc_number=citizen_id(23), unit=world["xc_grid"])
    control.place_under_measure(
        actor=world["township_a"],
        person=isolated,
        subject="secondary_contact",
        anchor_date=timezone.localdate() - datetime.timedelta(days=1),
    )
    under_measures = {world["alice"].name, isolated.name}  # alice: the shared world's measure
    all_people = everyone | {baby.name, nurse.name, isolated.name}
    expected, missing = round_()
    assert missing == all_people - under_measures - {baby.name, nurse.name} and expected == len(missing)
    expected, missing = round_(exclude_under_2=False, exclude_isolated=False, exclude_key_groups=False)
    assert missing == all_people and expected == len(all_people)
    expected, missing = round_(exclude_key_groups=False)
    assert missing == all_people - under_measures - {baby.name} and expected == len(missing)


def test_under_2_counts_calendar_years_not_730_days(world):
    from fangxian.testing.models import Campaign

    start = timezone.make_aware(datetime.datetime(2025, 6, 1, 8, 0))  # two years back span 29 Feb 2024
    campaign = Campaign(district=world["huiji"], starts_at=start, exclude_isolated=False, exclude_key_groups=False)
    two = Person.objects.create(
        name="两岁", doc_number=citizen_id(31, "20230601"), birth_date=datetime.date(2023, 6, 1), unit=world["xc_grid"]
    )
    young = Person.objects.create(
        name="未满两岁",
        doc_number=citizen_id(32, "20230602"),
        birth_date=datetime.date(2023, 6, 2),
        unit=world["xc_grid"],
    )
    expected = set(services.expected_people(campaign, Person.objects.filter(pk__in=[two.pk, young.pk])))
    assert expected == {two}


def test_every_unknown_code_is_a_problem_with_its_row_and_a_flood_of_bad_rows_is_counted_not_kept(
    register, results, settings
):
    register({"T0001": [1]})
    rows = [{"tube_code": "T0001", "result": "阴性"}]
    rows += [{"tube_code": f"NOPE-{i:04d}", "result": "阴性"} for i in range(150)]  # registered nowhere
    summary = results([{**row, "row": number} for number, row in enumerate(rows, start=2)])
    unknown = [problem for problem in summary.problems if "未登记" in problem.message]
    assert summary.unknown == 150 and len(unknown) == 150  # all of them, not the first 100
    assert [problem.row for problem in unknown] == list(range(3, 153))  # each at its row in the file

    settings.PROBLEM_ROWS_KEPT = 40
    flood = [{"tube_code": "T0001", "result": "阴性"}] + [{"tube_code": "?", "result": "x"} for _ in range(500)]
    summary = results(flood)
    assert len(summary.problems) == 40 and summary.problem_count == 500 and summary.problems_not_kept == 460
    assert summary.repeated == 1  # the good row was still taken
    summary.prepend_problems([services.ResultProblem(1, "", "该行编码无法识别")] * 5, 7)
    assert len(summary.problems) == 40 and summary.problem_count == 512
