"""The vaccination pages as their users meet them: figures for the command office, the roster and a person's page
for the grid team, the import in two steps, targets and population figures; and who may not."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.core.models import AccessRecord
from fangxian.vaccination.choices import DoseKind, Outcome, Standing
from fangxian.vaccination.models import Attempt, Dose, DoseImport, Eligibility, Population, Quota, Target
from fangxian.vaccination.tests.factories import give, person_born

D = datetime.date
pytestmark = pytest.mark.django_db


def test_the_coverage_page_shows_the_district_by_township_and_band(world, client_for):
    give(world, world["alice"], DoseKind.FIRST, "bibp", D(2021, 5, 1), today=timezone.localdate())
    response = client_for("district").get(reverse("vaccination:coverage"))
    assert response.status_code == 200
    text = response.content.decode()
    assert 'data-unit="410108001" data-band="18-59"' in text
    assert "新城街道" in text and "刘寨街道" in text
    export = client_for("district").get(reverse("vaccination:coverage") + "?export=xlsx")
    assert export["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_township_sees_its_own_units_and_the_clerk_cannot_export(world, client_for):
    page = client_for("township_a").get(reverse("vaccination:coverage") + "?unit=410108002")
    assert page.status_code == 200
    assert 'data-unit="410108002"' not in page.content.decode()  # another township asked for: its own shown
    assert client_for("clerk").get(reverse("vaccination:coverage") + "?export=xlsx").status_code == 403


@pytest.mark.parametrize("name", ["site", "lab", "venue"])
def test_roles_without_vaccination_work_are_refused(world, client_for, name):
    client = client_for(name)
    for route in ("coverage", "roster", "targets", "populations", "import"):
        assert client.get(reverse(f"vaccination:{route}")).status_code == 403


def test_the_grid_team_finds_the_unvaccinated_on_its_roster_and_records_a_contact(world, client_for):
    elder = person_born(world, D(1945, 4, 4), name="金河老人")
    client = client_for("grid")
    roster = client.get(reverse("vaccination:roster"))
    assert roster.status_code == 200 and "金河老人" in roster.content.decode()
    assert AccessRecord.objects.filter(actor=world["grid"], model="people.person", kind="list").exists()
    page = client.get(reverse("vaccination:person", kwargs={"uuid": elder.uuid}))
    assert page.status_code == 200 and 'data-testid="attempt-form"' in page.content.decode()
    assert 'data-testid="dose-form"' not in page.content.decode()  # the team records contacts, not doses
    url = reverse("vaccination:person_action", kwargs={"uuid": elder.uuid, "operation": "attempt"})
    client.post(url, {"channel": "visit", "outcome": Outcome.REFUSED, "reason": ""})
    assert not Attempt.objects.filter(person=elder).exists()  # a refusal without its reason is refused
    client.post(url, {"channel": "visit", "outcome": Outcome.REFUSED, "reason": "子女不同意"})
    assert Eligibility.objects.get(person=elder).standing == Standing.REFUSED
    assert "金河老人" not in client.get(reverse("vaccination:roster")).content.decode()


def test_the_grid_team_cannot_record_a_dose_and_another_township_cannot_open_the_person(world, client_for):
    elder = person_born(world, D(1945, 4, 4))
    url = reverse("vaccination:person_action", kwargs={"uuid": elder.uuid, "operation": "dose"})
    client_for("grid").post(url, {"kind": "first", "product": 1, "given_on": "2021-05-01"})
    assert not Dose.objects.filter(person=elder).exists()
    other = client_for("township_b")
    assert other.get(reverse("vaccination:person", kwargs={"uuid": elder.uuid})).status_code == 404
    assert (
        other.post(url.replace("/dose/", "/attempt/"), {"channel": "visit", "outcome": "no_answer"}).status_code == 404
    )


def test_a_township_records_a_dose_on_the_persons_page(world, client_for):
    from fangxian.vaccination.models import Product

    elder = person_born(world, D(1945, 4, 4))
    url = reverse("vaccination:person_action", kwargs={"uuid": elder.uuid, "operation": "dose"})
    client_for("township_a").post(
        url, {"kind": "first", "product": Product.objects.get(code="sinovac").pk, "given_on": "2021-05-01"}
    )
    assert Dose.objects.get(person=elder).kind == DoseKind.FIRST


def test_a_file_is_checked_then_imported_from_the_page(world, client_for):
    client = client_for("district")
    content = (
        "姓名,身份证号,接种日期,剂次,生产企业\n"
        f"新城甲,{ALICE_DOC},2021-05-01,第1剂,北京生物\n"
        f"刘寨乙,{BOB_DOC},2021-05-01,第1剂,北京生物\n"
        f"刘寨乙,{BOB_DOC},2021-05-09,第2剂,北京生物\n"  # 8 days after the first: below 21, bob's rows wait
    )
    upload = SimpleUploadedFile("接种.csv", content.encode("gbk"), content_type="text/csv")
    response = client.post(reverse("vaccination:import"), {"file": upload, "person_unit": world["xc_community"].pk})
    assert response.status_code == 302
    batch = DoseImport.objects.get()
    page = client.get(response["Location"])
    assert 'data-testid="summary-conflicts">2<' in page.content.decode()
    client.post(response["Location"], {})
    assert not Dose.objects.exists()  # refused whole: a conflict and no choice of the valid rows
    client.post(response["Location"], {"valid_only": "on"})
    assert Dose.objects.filter(person=world["alice"]).count() == 1
    batch.refresh_from_db()
    assert batch.status == "committed" and batch.written == 1


def test_a_target_is_set_and_its_day_is_issued(world, client_for):
    person_born(world, D(1950, 1, 1))
    today = timezone.localdate()
    response = client_for("district").post(
        reverse("vaccination:targets"),
        {
            "title": "老年人首针",
            "bands": ["60-69", "70-79", "80+"],
            "milestone": "started",
            "rate": "90",
            "source": "registered",
            "starts_on": today.isoformat(),
            "due_on": (today + datetime.timedelta(days=6)).isoformat(),
        },
    )
    assert response.status_code == 302
    target = Target.objects.get()
    assert Quota.objects.filter(target=target, day=today).exists()
    page = client_for("township_a").get(target.get_absolute_url())
    assert page.status_code == 200 and "新城街道" in page.content.decode() and "刘寨街道" not in page.content.decode()
    past = client_for("district").post(
        reverse("vaccination:targets"),
        {
            "title": "x",
            "bands": ["80+"],
            "milestone": "full",
            "rate": "50",
            "source": "registered",
            "starts_on": "2020-01-01",
            "due_on": "2020-02-01",
        },
    )
    assert past.status_code == 400 and "已过" in past.content.decode()
    assert client_for("grid").post(reverse("vaccination:targets"), {}).status_code == 403


def test_a_township_records_its_headcount_and_the_clerk_may_not(world, client_for):
    data = {"unit": world["xincheng"].pk, "band": "80+", "source": "headcount", "count": "1200", "as_of": "2026-11-01"}
    assert client_for("township_a").post(reverse("vaccination:populations"), data).status_code == 302
    assert Population.objects.get().count == 1200
    assert client_for("clerk").post(reverse("vaccination:populations"), data).status_code == 403
    other = {**data, "unit": world["liuzhai"].pk}
    assert client_for("township_a").post(reverse("vaccination:populations"), other).status_code == 400


def test_the_dashboard_and_a_daily_report_carry_the_vaccination_figures(world, client_for):
    from fangxian.reports.figures import live_values
    from fangxian.vaccination.tests.factories import world_target

    today = timezone.localdate()
    give(world, world["alice"], DoseKind.FIRST, "bibp", today, today=today)
    world_target(world)
    page = client_for("district").get(reverse("dashboard:board")).content.decode()
    assert 'data-testid="dashboard-vaccination"' in page and 'data-testid="dashboard-target"' in page
    values = live_values(
        world["xincheng"], today, ["vaccination_doses", "vaccination_first_doses", "vaccination_roster"]
    )
    assert values == {"vaccination_doses": 1, "vaccination_first_doses": 1, "vaccination_roster": 0}
    assert live_values(world["liuzhai"], today, ["vaccination_roster"]) == {"vaccination_roster": 1}  # bob


def test_a_large_file_is_imported_by_the_worker(
    world, client_for, run_worker, monkeypatch, django_capture_on_commit_callbacks
):
    from fangxian.core.models import Job
    from fangxian.vaccination import views

    monkeypatch.setattr(views, "PAGE_COMMIT_ROWS", 1)
    client = client_for("district")
    content = f"姓名,身份证号,接种日期,剂次,生产企业\n新城甲,{ALICE_DOC},2021-05-01,第1剂,北京生物\n新城甲,{ALICE_DOC},2021-06-01,第2剂,北京生物\n"
    upload = SimpleUploadedFile("接种.csv", content.encode("gbk"), content_type="text/csv")
    batch_url = client.post(reverse("vaccination:import"), {"file": upload, "person_unit": world["xc_community"].pk})[
        "Location"
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(batch_url, {})
    job = Job.objects.get(kind="vaccination_import")
    assert response["Location"] == reverse("core:job_detail", kwargs={"uuid": job.uuid})
    assert client.post(batch_url, {}).status_code == 302 and Job.objects.filter(kind="vaccination_import").count() == 1
    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.result["doses"] == 2
    assert Dose.objects.filter(person=world["alice"]).count() == 2


def test_the_clerk_sees_the_roster_masked_and_without_the_teams_members(world, client_for):
    page = client_for("clerk").get(reverse("vaccination:roster")).content.decode()
    assert "新城甲" in page and ALICE_DOC not in page and "动员人" not in page
    assert "动员人" in client_for("grid").get(reverse("vaccination:roster")).content.decode()
