"""The vaccination API: scoped and masked like the pages, doses recorded through the same checks."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.core.models import AccessRecord
from fangxian.vaccination.choices import DoseKind
from fangxian.vaccination.models import Attempt, Dose
from fangxian.vaccination.tests.factories import give, world_target

pytestmark = pytest.mark.django_db


def post(client, url, data):
    return client.post(url, data, content_type="application/json")


def test_a_batch_of_doses_names_each_ones_outcome_and_a_refusal_stops_no_other(world, client_for):
    doses = [
        {"doc_number": ALICE_DOC, "kind": "first", "product": "bibp", "given_on": "2021-05-01"},
        {"doc_number": ALICE_DOC, "kind": "second", "product": "bibp", "given_on": "2021-05-05"},  # 4 days
        {"doc_number": ALICE_DOC, "kind": "first", "product": "bibp", "given_on": "2021-05-01"},  # again
        {"doc_number": BOB_DOC, "kind": "first", "product": "bibp", "given_on": "2021-05-01"},  # 刘寨: not theirs
    ]
    response = post(client_for("township_a"), reverse("vaccination-dose-list"), {"doses": doses})
    assert response.status_code == 200
    outcomes = [item["outcome"] for item in response.json()["doses"]]
    assert outcomes == ["recorded", "refused", "unchanged", "refused"]
    assert "短于" in response.json()["doses"][1]["reasons"][0]
    assert Dose.objects.filter(person=world["alice"], source="api").count() == 1
    assert not Dose.objects.filter(person=world["bob"]).exists()


def test_roles_without_dose_work_cannot_post_doses_and_lists_are_masked_and_scoped(world, client_for):
    give(world, world["alice"], DoseKind.FIRST, "bibp", datetime.date(2021, 5, 1))
    dose = {"doc_number": ALICE_DOC, "kind": "second", "product": "bibp", "given_on": "2021-06-01"}
    assert post(client_for("grid"), reverse("vaccination-dose-list"), {"doses": [dose]}).status_code == 403
    listed = client_for("township_a").get(reverse("vaccination-dose-list")).json()["results"]
    assert len(listed) == 1 and listed[0]["doc_number"] != ALICE_DOC and "*" in listed[0]["doc_number"]
    assert client_for("township_b").get(reverse("vaccination-dose-list")).json()["results"] == []
    assert client_for("venue").get(reverse("vaccination-dose-list")).status_code == 403
    assert AccessRecord.objects.filter(actor=world["township_a"], model="vaccination.dose").exists()


def test_the_roster_and_a_persons_progress_and_a_contact_by_api(world, client_for):
    client = client_for("grid")
    names = [row["name"] for row in client.get(reverse("vaccination-person-list")).json()["results"]]
    assert names == ["新城甲"]  # bob lives in 刘寨
    url = reverse("vaccination-person-detail", kwargs={"uuid": world["alice"].uuid})
    detail = client.get(url).json()
    assert detail["progress"] == "none" and detail["standing"] == "eligible" and detail["doses"] == []
    attempt = post(
        client,
        url + "attempts/",
        {
            "channel": "phone",
            "outcome": "booked",
            "until": (timezone.localdate() + datetime.timedelta(days=1)).isoformat(),
        },
    )
    assert attempt.status_code == 201 and Attempt.objects.filter(person=world["alice"]).count() == 1
    refused = post(client, url + "attempts/", {"channel": "phone", "outcome": "refused"})
    assert refused.status_code == 400  # a refusal needs its reason
    assert client_for("township_b").get(url).status_code == 404


def test_coverage_and_a_targets_day_by_api(world, client_for):
    give(world, world["alice"], DoseKind.FIRST, "bibp", datetime.date(2021, 5, 1))
    data = client_for("township_a").get(reverse("api-vaccination-coverage")).json()
    assert data["unit"] == "410108001"
    total = next(row for row in data["rows"] if row["unit"] == "410108001" and row["band"] == "all")
    assert (total["people"], total["started"]) == (1, 1)
    assert client_for("township_a").get(reverse("api-vaccination-coverage") + "?unit=410108002").status_code == 404
    assert client_for("township_a").get(reverse("api-vaccination-coverage") + "?day=2099-01-01").status_code == 400
    target = world_target(world)
    day = client_for("township_a").get(reverse("vaccination-target-detail", kwargs={"uuid": target.uuid})).json()
    assert {line["unit"] for line in day["units"]} == {"410108001", "410108001001"}


def test_impossible_dates_are_a_400_not_a_500(world, client_for):
    client = client_for("district")
    for url in (
        reverse("api-vaccination-coverage") + "?day=2022-02-30",
        reverse("api-vaccination-coverage") + "?day=0050-01-01",
        reverse("vaccination-dose-list") + "?given_on=2022-02-30",
        reverse("vaccination-target-detail", kwargs={"uuid": world_target(world).uuid}) + "?day=2022-13-01",
    ):
        assert client.get(url).status_code == 400, url
    assert client.get(reverse("vaccination:coverage") + "?day=2022-02-30").status_code == 200
    nul = post(
        client,
        reverse("vaccination-dose-list"),
        {"doses": [{"doc_number": ALICE_DOC, "kind": "first", "product": "x\u0000", "given_on": "2021-05-01"}]},
    )
    assert nul.status_code == 400


def test_a_batch_with_nothing_taken_is_refused_whole(world, client_for):
    dose = {"doc_number": BOB_DOC, "kind": "first", "product": "bibp", "given_on": "2021-05-01"}
    response = post(client_for("township_a"), reverse("vaccination-dose-list"), {"doses": [dose]})
    assert response.status_code == 400 and response.json()["doses"][0]["outcome"] == "refused"
    roster = client_for("township_b").get(reverse("vaccination-person-list") + "?unit=410108001001")
    assert roster.status_code == 404  # another township's community: not found, nothing listed
