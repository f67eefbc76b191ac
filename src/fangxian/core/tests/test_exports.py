"""Every list page exports what it shows: scoped, filtered, masked, logged; large lists through a job."""

import io

import pytest
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fangxian.core import exporting
from fangxian.core.choices import AccessKind
from fangxian.core.models import AccessRecord, Job

LIST_PAGES = {
    "leads": "leads:list",
    "overdue": "leads:overdue",
    "batches": "leads:batches",
    "riskareas": "leads:riskareas",
    "teams": "core:team_list",
    "users": "core:user_list",
    "changes": "core:change_list",
    "accesses": "core:access_list",
    "persons": "people:export",
    "units": "core:unit_tree",
    "coverage": "core:team_coverage",
    "jobs": "core:job_list",
    "notifications": "core:notifications",
    "report_forms": "reports:forms",
    "briefings": "reports:briefings",
    "measures": "control:measures",
    "board": "control:board",
    "venues": "venues:list",
    "cases": "cases:list",
    "vaccination-roster": "vaccination:roster",
    "sites": "sites:list",
    "recalls": "testing:recalls",
    "tubes": "testing:tubes",
    "key_group_overdue": "testing:key_groups",
    # Pages of one object: the route and its arguments from the world.
    "not_sampled": ("testing:not_sampled", lambda w: {"uuid": w["campaign"].uuid, "code": w["xincheng"].code}),
}


def page_url(key: str, world) -> str:
    target = LIST_PAGES[key]
    if isinstance(target, tuple):
        name, kwargs = target
        return reverse(name, kwargs=kwargs(world))
    return reverse(target)


def rows(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_every_exportable_list_is_tested_here():
    assert set(exporting.EXPORTABLE) == set(LIST_PAGES)


@pytest.mark.parametrize("key", sorted(LIST_PAGES))
def test_each_list_exports_a_workbook_and_logs_it(key, world, client_for):
    response = client_for("district").get(page_url(key, world), {"export": "xlsx"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats"), key
    assert len(rows(response.content)) >= 1
    assert AccessRecord.objects.filter(kind=AccessKind.EXPORT, model=exporting.EXPORTABLE[key].export_model).exists()


def test_the_lead_export_is_scoped_filtered_and_masked(world, client_for):
    lead = world["xc_lead"]
    mine = rows(client_for("township_a").get(reverse("leads:list"), {"export": "xlsx"}).content)
    assert [row[0] for row in mine[1:]] == [lead.person.name]
    assert lead.person.doc_number not in str(mine) and lead.person.masked_doc_number in str(mine)
    theirs = rows(client_for("township_b").get(reverse("leads:list"), {"export": "xlsx"}).content)
    assert len(theirs) == 1  # the header only


def test_a_user_without_the_export_right_is_refused(world, client_for):
    assert client_for("clerk").get(reverse("leads:list"), {"export": "xlsx"}).status_code == 403


def test_a_large_export_runs_as_a_job_whose_file_only_its_creator_gets(
    world, client_for, monkeypatch, django_capture_on_commit_callbacks, run_worker
):
    monkeypatch.setattr(exporting, "SYNC_ROWS", 0)
    client = client_for("township_a")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("people:export"))
    job = Job.objects.get(kind=exporting.EXPORT_JOB)
    assert response.status_code == 302 and response["Location"] == reverse("core:job_detail", kwargs={"uuid": job.uuid})
    run_worker()
    job.refresh_from_db()
    assert job.status == "done" and job.result == {"rows": 1}
    download = client.get(job.result_url)
    assert [row[0] for row in rows(download.content)[1:]] == [world["alice"].name]
    assert client_for("district").get(job.result_url).status_code == 404  # not its creator
    assert AccessRecord.objects.filter(kind=AccessKind.EXPORT, actor=world["township_a"]).count() == 2


def test_the_change_log_shows_records_whose_fields_are_a_reverse_relation(world, client_for):
    """A report form's creation records its "fields" (a reverse relation without a label): no 500."""
    page = client_for("district").get(reverse("core:change_list"))
    assert page.status_code == 200 and "填报项" in page.content.decode()


def test_the_report_board_and_the_month_export_too(world, client_for):
    form = world["report_form"]
    for url in (f"/reports/?form={form.uuid}&export=1", f"/reports/monthly/?form={form.uuid}&export=1"):
        response = client_for("district").get(url)
        assert response["Content-Type"].startswith("application/vnd.openxmlformats"), url
        assert "金河社区" in str(rows(response.content))
    assert AccessRecord.objects.filter(kind=AccessKind.EXPORT, model="reports.report").count() == 2


def test_an_export_holds_only_the_units_where_the_user_may_export(world, client_for):
    """A clerk of the district who is also 新城's officer sees the district's leads but takes away 新城's only."""
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant, User
    from fangxian.leads.models import Lead

    both = User.objects.create_user(username="both", password="x")
    Grant.objects.create(user=both, unit=world["huiji"], role=Role.CLERK)
    Grant.objects.create(user=both, unit=world["liuzhai"], role=Role.TOWNSHIP_OFFICE)
    assert Lead.objects.restrict(both).filter(unit__path__startswith=world["xincheng"].path).exists()
    client = client_for("district")
    client.force_login(both)
    exported = rows(client.get(reverse("leads:list"), {"export": "xlsx"}).content)
    assert world["xc_lead"].person.name not in str(exported)


@pytest.mark.parametrize("key", sorted(LIST_PAGES))
def test_each_list_s_background_export_holds_what_its_immediate_export_holds(
    key, world, client_for, monkeypatch, django_capture_on_commit_callbacks, run_worker
):
    """The worker builds the list from the job's user, filters and URL arguments alone (no request): the file it
    writes is the file the page gives at once."""
    from fangxian.core.views import FOCUS_SESSION_KEY

    client = client_for("district")
    session = client.session
    session[FOCUS_SESSION_KEY] = world["xincheng"].code  # the unit picked in the navigation counts too
    session.save()
    url = page_url(key, world)
    at_once = client.get(url, {"export": "xlsx"})
    assert at_once["Content-Type"].startswith("application/vnd.openxmlformats"), key
    monkeypatch.setattr(exporting, "SYNC_ROWS", -1)
    with django_capture_on_commit_callbacks(execute=True):
        queued = client.get(url, {"export": "xlsx", "page": "2"})
    assert queued.status_code == 302, key
    job = Job.objects.get(kind=exporting.EXPORT_JOB)
    assert "page" not in job.arguments["query"] and "export" not in job.arguments["query"]
    run_worker()
    job.refresh_from_db()
    assert job.status == "done", (key, job.log)
    later = client.get(job.result_url)
    assert rows(later.content) == rows(at_once.content), key


def test_a_repeated_background_export_joins_the_one_under_way_and_a_user_has_only_a_few(
    world, client_for, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(exporting, "SYNC_ROWS", -1)
    client = client_for("district")
    with django_capture_on_commit_callbacks(execute=True):
        first = client.get(reverse("people:export"))
        again = client.get(reverse("people:export"))
    assert first["Location"] == again["Location"] and Job.objects.filter(kind=exporting.EXPORT_JOB).count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        for category in ("registered", "floating"):
            client.get(reverse("people:export"), {"category": category})
        refused = client.get(reverse("people:export"), {"q": "新城"}, follow=True)
    assert Job.objects.filter(kind=exporting.EXPORT_JOB).count() == exporting.MAX_ACTIVE_EXPORTS
    assert "个导出在进行中" in refused.content.decode()
