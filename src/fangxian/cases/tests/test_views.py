"""The cases' pages, API, chains and command figures as the people who use them meet them."""

import datetime

from django.urls import reverse
from django.utils import timezone

from fangxian.cases import chains, command, services
from fangxian.cases.choices import CaseClass, ContactClass, FoundBy, Relation
from fangxian.cases.models import Case, CasePolicy
from fangxian.cases.tests.factories import positive_recall, world_case
from fangxian.conftest import BOB_DOC
from fangxian.core.models import AccessRecord, Unit
from fangxian.leads.models import Lead, RiskArea


def hours_ago(hours: float) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(hours=hours)).replace(microsecond=0)


def test_a_positive_re_test_opens_its_case_from_the_persons_file(world, client_for):
    recall = positive_recall(world)
    client = client_for("district")
    page = client.get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid})).content.decode()
    assert reverse("cases:from_recall", kwargs={"uuid": recall.uuid}) in page
    response = client.post(reverse("cases:from_recall", kwargs={"uuid": recall.uuid}))
    case = Case.objects.get()
    assert response.url == case.get_absolute_url()
    assert case.opened_from == f"recall:{recall.pk}" and case.found_by == FoundBy.POOL_RETEST
    again = client.post(reverse("cases:from_recall", kwargs={"uuid": recall.uuid}), follow=True)
    assert "已由该复核阳性建立病例1" in again.content.decode() and Case.objects.count() == 1
    assert services.open_cases_from_positives(actor=world["system"]) == 0  # the sweep does not open it again


def test_the_case_page_is_logged_and_masks_its_contacts(world, client_for):
    case = world_case(world)
    page = client_for("township_a").get(case.get_absolute_url()).content.decode()
    assert "刘寨乙" in page and BOB_DOC not in page and world["bob"].masked_doc_number in page
    assert AccessRecord.objects.filter(model="cases.case", kind="detail", actor=world["township_a"]).exists()
    assert client_for("township_b").get(case.get_absolute_url()).status_code == 404


def test_a_bad_entry_comes_back_with_its_values_and_nothing_written(world, client_for):
    case = world_case(world)
    before = case.itinerary.count()
    response = client_for("district").post(
        reverse("cases:entry_create", kwargs={"uuid": case.uuid}),
        {
            "start": timezone.localtime(hours_ago(5)).strftime("%Y-%m-%dT%H:%M"),
            "end": timezone.localtime(hours_ago(6)).strftime("%Y-%m-%dT%H:%M"),
            "place": "金河菜市场",
        },
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "结束时间早于开始时间" in page and "金河菜市场" in page
    assert case.itinerary.count() == before


def test_the_chains_find_a_cluster_and_the_curve_counts_by_onset_and_report(world):
    officer = world["district"]
    first = services.open_case(
        actor=officer,
        person=world["bob"],
        classification=CaseClass.CONFIRMED,
        found_by=FoundBy.FEVER_CLINIC,
        first_positive_at=hours_ago(30),
        onset_date=timezone.localdate(hours_ago(48)),
    )
    services.add_contact(
        actor=officer,
        case=first,
        doc_type="resident_id",
        doc_number=world["alice"].doc_number,
        name="",
        relation=Relation.WORK,
        classification=ContactClass.CLOSE,
        exposed_at=hours_ago(40),
    )
    second = services.open_case(
        actor=officer,
        person=world["alice"],
        classification=CaseClass.ASYMPTOMATIC,
        found_by=FoundBy.UNDER_MEASURE,
        first_positive_at=hours_ago(2),
    )
    data = chains.chains(Case.objects.all())
    assert [(a, b, how) for a, b, how in data.links] == [(first.pk, second.pk, Relation.WORK)]
    assert len(data.clusters) == 1 and data.clusters[0].setting == "工作单位/学校聚集"
    graph = chains.graph(data)
    assert {node["id"] for node in graph["nodes"]} == {f"c{first.pk}", f"c{second.pk}"}  # alice is a case now
    curve = chains.curve(Case.objects.all())
    assert sum(curve["onset_community"]) + sum(curve["onset_control"]) == 1
    assert sum(curve["report_community"]) + sum(curve["report_control"]) == 2


def test_the_command_figures_count_cases_and_contacts_placed_in_time(world):
    case = world_case(world)  # alice, under a measure: found under control
    services.push_contacts(actor=world["district"], case=case)
    lead = Lead.objects.get(source="case_tracing")
    ids = list(Unit.objects.filter(path__startswith=world["huiji"].path).values_list("pk", flat=True))
    data = command.figures(ids, world["huiji"])
    assert (data["today"], data["today_control"], data["today_community"]) == (1, 1, 0)
    assert (data["close_met"], data["close_due"]) == (0, 0)  # pushed, not due yet
    lead.verified_at = lead.received_at + datetime.timedelta(hours=2)
    lead.save(update_fields=["verified_at"])
    data = command.figures(ids, world["huiji"])
    assert (data["close_met"], data["close_due"]) == (1, 1)
    assert "密接 8 小时内落实管控率 100%" in command.briefing_text(data)


def test_the_home_of_a_case_is_proposed_as_an_area_and_the_district_declares_it(world, client_for):
    case = world_case(world)
    proposals = services.proposed_areas(case)
    assert proposals[0].key == "home" and proposals[0].residents == 1
    client = client_for("district")
    client.post(reverse("cases:action", kwargs={"uuid": case.uuid, "operation": "declare"}), {"area": "home"})
    area = RiskArea.objects.get(name__contains=world["alice"].address)
    assert area.level == "high" and area.region_code == world["xc_community"].code
    again = client.post(
        reverse("cases:action", kwargs={"uuid": case.uuid, "operation": "declare"}), {"area": "home"}, follow=True
    )
    assert "已划定为风险区" in again.content.decode()


def test_the_api_answers_as_the_page_masked_and_scoped(world, client_for):
    case = world_case(world)
    client = client_for("township_a")
    listed = client.get("/api/cases/").json()
    assert [row["number"] for row in listed["results"]] == [case.number]
    detail = client.get(f"/api/cases/{case.uuid}/").json()
    assert detail["contacts"][0]["doc_number"] == world["bob"].masked_doc_number
    assert client_for("township_b").get(f"/api/cases/{case.uuid}/").status_code == 404
    # Reading is not investigating: a township may not add contacts.
    refused = client.post(f"/api/cases/{case.uuid}/contacts/", {}, content_type="application/json")
    assert refused.status_code == 403
    district = client_for("district")
    bad = district.post(
        f"/api/cases/{case.uuid}/contacts/",
        {
            "doc_number": world["alice"].doc_number,
            "relation": "work",
            "classification": "close",
            "exposed_at": hours_ago(3).isoformat(),
        },
        content_type="application/json",
    )
    assert bad.status_code == 400 and "病例本人" in bad.content.decode()
    pushed = district.post(f"/api/cases/{case.uuid}/push/", content_type="application/json").json()
    assert pushed == {"leads": 1, "linked": 0, "outbound": 0}


def test_the_district_sets_its_targets_and_the_next_push_uses_them(world, client_for):
    client = client_for("district")
    response = client.post(
        reverse("cases:policy"),
        {"core_hours": 3, "report_hours": 20, "close_contact_hours": 6, "secondary_contact_hours": 0},
    )
    assert response.status_code == 400  # zero hours refused, nothing saved
    assert not CasePolicy.objects.exists()
    client.post(
        reverse("cases:policy"),
        {"core_hours": 3, "report_hours": 20, "close_contact_hours": 6, "secondary_contact_hours": 10},
    )
    case = world_case(world)
    core, report = services.countdowns(case)
    assert core.due - case.reported_at == datetime.timedelta(hours=3)
    services.push_contacts(actor=world["district"], case=case)
    lead = Lead.objects.get(source="case_tracing")
    assert lead.deadline - lead.received_at == datetime.timedelta(hours=6)
    assert client_for("township_a").get(reverse("cases:policy")).status_code == 403


def test_the_chains_api_names_cases_by_number_only(world, client_for):
    world_case(world)
    data = client_for("township_a").get("/api/cases/chains/").json()
    assert [node["name"] for node in data["graph"]["nodes"] if node["id"].startswith("c")] == ["病例1"]
    assert world["alice"].name not in str(data)


def test_beyond_the_drawable_contacts_each_case_draws_one_counted_node(world, monkeypatch):
    case = world_case(world)  # bob its close contact
    monkeypatch.setattr(chains, "CONTACT_NODES", 0)
    graph = chains.graph(chains.chains(Case.objects.all()))
    assert [node["name"] for node in graph["nodes"] if node["id"].startswith("k")] == ["密接 1 人"]
    assert {"source": f"c{case.pk}", "target": f"k{case.pk}"} in graph["links"]


def test_full_numbers_leave_only_with_export_and_reveal_over_the_cases_own_unit(world, client_for):
    """An office of 新城 (export and reveal there) who also sits in the medical group (cases seen district-wide)
    reads 刘寨's case, but may not take its contacts' full numbers away."""
    from fangxian.core import services as core_services
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant

    core_services.load_standard_bodies(actor=world["system"], district=world["huiji"])
    officer = world["township_a"]
    Grant.objects.create(user=officer, role=Role.TASK_FORCE, unit=Unit.objects.get(name="医疗救治专班"))
    case = services.open_case(
        actor=world["district"],
        person=world["bob"],
        classification=CaseClass.CONFIRMED,
        found_by=FoundBy.FEVER_CLINIC,
        first_positive_at=hours_ago(10),
    )
    client = client_for("township_a")
    page = client.get(case.get_absolute_url())
    assert (
        page.status_code == 200 and reverse("cases:outbound", kwargs={"uuid": case.uuid}) not in page.content.decode()
    )
    assert client.get(reverse("cases:outbound", kwargs={"uuid": case.uuid})).status_code == 403
    assert client_for("district").get(reverse("cases:outbound", kwargs={"uuid": case.uuid})).status_code == 200


def test_the_case_page_filters_its_contacts_by_classification(world, client_for):
    case = world_case(world)  # bob, a close contact
    client = client_for("district")
    assert "刘寨乙" in client.get(case.get_absolute_url() + "?contacts=close").content.decode()
    assert "刘寨乙" not in client.get(case.get_absolute_url() + "?contacts=general").content.decode()
    assert client.get(case.get_absolute_url() + "?contacts=bad").status_code == 200  # unknown: all of them
