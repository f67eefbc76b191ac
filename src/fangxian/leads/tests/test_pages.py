import datetime
import io
import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangxian.core.choices import AccessKind, JobStatus
from fangxian.core.models import AccessRecord, ChangeRecord, Job
from fangxian.leads.choices import LeadStatus, Outcome
from fangxian.leads.models import Handover, ImportBatch, Lead

from .conftest import PUSH_HEADER, resident_id
from .files import write_xlsx


def sheet(response):
    return CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()


def commit_through_the_worker(client, batch, capture, run_worker, **data):
    """Press the commit button, then let the real worker (django-tasks' database queue) run the job."""
    with capture(execute=True):
        response = client.post(reverse("leads:batch_commit", kwargs={"uuid": batch.uuid}), data)
    run_worker()
    return response


def upload(client, world, path, **extra):
    data = {"district": world["huiji"].pk, "source": "city_push", "pusher": "郑州市指挥部", "default_category": "other"}
    data["file"] = SimpleUploadedFile(path.name, path.read_bytes())
    return client.post(reverse("leads:upload"), {**data, **extra})


def test_upload_check_and_commit_through_the_pages(
    world, client_for, pushed_rows, tmp_path, django_capture_on_commit_callbacks, run_worker
):
    client = client_for("district")
    response = upload(client, world, write_xlsx(tmp_path / "push.xlsx", pushed_rows))
    batch = ImportBatch.objects.get(file_name="push.xlsx")
    assert response.url == reverse("leads:batch", kwargs={"uuid": batch.uuid})
    page = client.get(response.url).content.decode()
    assert "全部导入" in page and Lead.objects.filter(batch=batch).count() == 0
    commit_through_the_worker(client, batch, django_capture_on_commit_callbacks, run_worker)
    batch.refresh_from_db()
    assert batch.status == "committed" and Lead.objects.filter(batch=batch).count() == 2
    job = Job.objects.get(kind="lead_import", arguments__batch=batch.pk)
    assert job.status == JobStatus.DONE and job.result["leads"] == 2 and "生成协查任务" in job.log
    assert ChangeRecord.objects.filter(job_id=str(job.uuid), model="leads.lead").count() == 2
    page = client.get(reverse("leads:batch", kwargs={"uuid": batch.uuid})).content.decode()
    assert "已完成" in page and "导出核查反馈" in page


def test_the_batch_page_masks_numbers_and_the_error_file_names_each_problem(world, client_for, tmp_path):
    good = resident_id("41010819900101001")
    bad = good[:-1] + ("1" if good[-1] == "0" else "0")
    rows = [PUSH_HEADER, [1, "错号", bad], [2, "好人", resident_id("41010819900101013")]]
    client = client_for("district")
    response = upload(client, world, write_xlsx(tmp_path / "bad.xlsx", rows, merge_title=False))
    page = client.get(response.url).content.decode()
    assert "校验位" in page and bad not in page
    assert "仅导入 1 条有效行" in page
    batch = ImportBatch.objects.get(file_name="bad.xlsx")
    returned = client.get(reverse("leads:batch_errors", kwargs={"uuid": batch.uuid}))
    errors = sheet(returned)
    # The file as it was, row for row (the page's row numbers are the sheet's), with an added column of problems.
    assert errors[0][1] == "姓名" and errors[0][-1] == "错误说明"
    assert re.search(r"<tr><td>2</td><td>[^<]*</td>", page)  # the page lists the bad row as row 2
    assert "校验位" in errors[1][-1] and errors[2][-1] == ""
    # The bad cell itself is marked (C2: the number of row 2), the good row's is not.
    import zipfile

    xml = zipfile.ZipFile(io.BytesIO(returned.content)).read("xl/worksheets/sheet1.xml").decode()
    assert re.search(r'<c r="C2" s="[1-9]', xml) and not re.search(r'<c r="C3" s="[1-9]', xml)
    assert AccessRecord.objects.filter(kind=AccessKind.EXPORT, detail__file="errors").exists()


def test_a_file_that_is_not_a_spreadsheet_is_refused_with_a_message(world, client_for):
    response = client_for("district").post(
        reverse("leads:upload"),
        {
            "district": world["huiji"].pk,
            "source": "city_push",
            "default_category": "other",
            "file": SimpleUploadedFile("名单.xlsx", b"PK\x03\x04 broken"),
        },
    )
    assert response.status_code == 400 and "无法读取" in response.content.decode()
    response = client_for("district").post(
        reverse("leads:upload"),
        {
            "district": world["huiji"].pk,
            "source": "city_push",
            "default_category": "other",
            "file": SimpleUploadedFile("名单.pdf", b"%PDF"),
        },
    )
    assert "不支持的文件类型" in response.content.decode()


def test_a_township_officer_cannot_upload_for_the_district(world, client_for, pushed_rows, tmp_path):
    response = upload(client_for("township_a"), world, write_xlsx(tmp_path / "push.xlsx", pushed_rows))
    assert response.status_code == 403 and not ImportBatch.objects.filter(file_name="push.xlsx").exists()


def test_the_grid_team_verifies_a_lead_and_it_is_audited(world, client_for):
    lead = world["xc_lead"]
    client = client_for("grid")
    page = client.get(reverse("leads:detail", kwargs={"uuid": lead.uuid})).content.decode()
    assert world["alice"].doc_number not in page  # the pushed row is shown masked
    client.post(
        reverse("leads:verify", kwargs={"uuid": lead.uuid}),
        {"outcome": Outcome.PLACED_UNDER_MEASURE, "outcome_note": "已转运集中隔离", "current_address": "金河社区1号楼"},
    )
    lead.refresh_from_db()
    assert lead.status == LeadStatus.CLOSED and lead.verified_by == world["grid"]
    record = ChangeRecord.objects.get(object_id=str(lead.uuid), reason="核查反馈")
    assert record.after["outcome"] == Outcome.PLACED_UNDER_MEASURE


def test_some_outcomes_need_a_note(world, client_for):
    lead = world["xc_lead"]
    client_for("grid").post(reverse("leads:verify", kwargs={"uuid": lead.uuid}), {"outcome": Outcome.NOT_IN_AREA})
    lead.refresh_from_db()
    assert lead.status == LeadStatus.OPEN


def test_the_read_only_clerk_cannot_verify(world, client_for):
    lead = world["xc_lead"]
    response = client_for("clerk").post(
        reverse("leads:verify", kwargs={"uuid": lead.uuid}), {"outcome": Outcome.NO_MEASURE_NEEDED}
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.status == LeadStatus.OPEN


def test_leads_are_handed_down_with_who_and_when(world, client_for):
    lead = world["xc_lead"]
    client_for("township_a").post(
        reverse("leads:handover"), {"lead": [str(lead.uuid)], "to_unit": world["xc_grid"].pk, "note": "请网格核查"}
    )
    lead.refresh_from_db()
    assert lead.unit == world["xc_grid"]
    handover = Handover.objects.filter(lead=lead).latest("id")
    assert (handover.from_unit, handover.to_unit, handover.by) == (
        world["xc_community"],
        world["xc_grid"],
        world["township_a"],
    )


def test_the_overdue_board_shows_late_leads_to_each_level_in_scope(world, client_for):
    lead = world["xc_lead"]
    Lead.objects.filter(pk=lead.pk).update(deadline=timezone.now() - datetime.timedelta(hours=3))
    assert "新城甲" in client_for("township_a").get(reverse("leads:overdue")).content.decode()
    assert "新城甲" in client_for("district").get(reverse("leads:overdue")).content.decode()
    assert "新城甲" not in client_for("township_b").get(reverse("leads:overdue")).content.decode()
    home = client_for("district").get(reverse("home"))
    assert home.context["overdue_leads"] == 1
    # The export is a worksheet to go and find them with: how to reach them, where, which township answers.
    sheet = client_for("township_a").get(reverse("leads:overdue"), {"export": "xlsx"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(sheet.content)).get_sheet_by_index(0).to_python()
    row = dict(zip(rows[0], rows[1], strict=True))
    alice = world["alice"]
    assert row["联系电话"] == alice.masked_phone and alice.phone not in str(rows)
    assert row["现住址"] == alice.address and row["镇/街道"] == "新城街道" and "小时" in row["已超时"]


def test_the_feedback_export_gives_the_pushers_rows_with_outcomes(
    world, client_for, pushed_rows, tmp_path, django_capture_on_commit_callbacks, run_worker
):
    client = client_for("district")
    upload(client, world, write_xlsx(tmp_path / "push.xlsx", pushed_rows))
    batch = ImportBatch.objects.get(file_name="push.xlsx")
    commit_through_the_worker(client, batch, django_capture_on_commit_callbacks, run_worker)
    lead = Lead.objects.get(batch=batch, person__name="王五")
    client_for("district").post(
        reverse("leads:verify", kwargs={"uuid": lead.uuid}), {"outcome": Outcome.NO_MEASURE_NEEDED}
    )
    rows = sheet(client.get(reverse("leads:batch_feedback", kwargs={"uuid": batch.uuid})))
    assert rows[0][:3] == ["序号", "姓名", "公民身份号码"] and "核查结果" in rows[0]
    by_name = {row[1]: row for row in rows[1:]}
    assert by_name["王五"][rows[0].index("核查结果")] == "已找到，无需管控"


def test_an_interrupted_import_left_nothing_and_can_be_run_again(
    world, client_for, pushed_rows, tmp_path, django_capture_on_commit_callbacks, run_worker
):
    client = client_for("district")
    upload(client, world, write_xlsx(tmp_path / "push.xlsx", pushed_rows))
    batch = ImportBatch.objects.get(file_name="push.xlsx")
    with django_capture_on_commit_callbacks(execute=False):
        client.post(reverse("leads:batch_commit", kwargs={"uuid": batch.uuid}))
    job = Job.objects.get(kind="lead_import", arguments__batch=batch.pk)
    # The worker took the job and its process was killed before it finished: the row stays "running".
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    from fangxian.core.jobs import sweep_stale_jobs

    assert sweep_stale_jobs() == 1
    batch.refresh_from_db()
    assert batch.status == "validated" and not Lead.objects.filter(batch=batch).exists()
    commit_through_the_worker(client, batch, django_capture_on_commit_callbacks, run_worker)
    assert Lead.objects.filter(batch=batch).count() == 2


def test_the_list_counts_down_to_each_deadline(world, client_for):
    page = client_for("township_a").get(reverse("leads:list")).content.decode()
    assert "剩余 7" in page and "小时" in page  # an 8-hour close-contact deadline, just received


def test_the_sweep_escalates_overdue_leads_one_level_per_step(world, client_for):
    from fangxian.core import services as core_services
    from fangxian.core.sweeps import run_all
    from fangxian.leads.services import ESCALATION_STEP, escalate_overdue

    lead = world["xc_lead"]
    deadline = timezone.now() - datetime.timedelta(minutes=5)
    Lead.objects.filter(pk=lead.pk).update(deadline=deadline)
    assert run_all()["escalate_overdue_leads"] == 1
    lead.refresh_from_db()
    assert lead.escalated_to == world["xincheng"] and lead.unit == world["xc_community"]
    system = core_services.service_account()
    assert escalate_overdue(actor=system) == 0  # nothing new until the next step
    later = deadline + ESCALATION_STEP + datetime.timedelta(minutes=1)
    assert escalate_overdue(actor=system, now=later) == 1
    lead.refresh_from_db()
    assert lead.escalated_to == world["huiji"]
    assert ChangeRecord.objects.filter(object_id=str(lead.uuid), reason__startswith="超时未办结").count() == 2
    assert "已升级至惠济区" in client_for("district").get(reverse("leads:overdue")).content.decode()


def test_a_mapping_the_system_could_not_guess_is_set_by_hand(world, client_for, tmp_path):
    rows = [["人员", "号码", "住在哪里"], ["张三", resident_id("41010819900101001"), "惠济区刘寨街道"]]
    client = client_for("district")
    response = upload(client, world, write_xlsx(tmp_path / "odd.xlsx", rows, merge_title=False))
    batch = ImportBatch.objects.get(file_name="odd.xlsx")
    assert "未找到表头" in client.get(response.url).content.decode()
    page = client.get(reverse("leads:batch_mapping", kwargs={"uuid": batch.uuid})).content.decode()
    assert "第2列 号码" in page
    client.post(
        reverse("leads:batch_mapping", kwargs={"uuid": batch.uuid}),
        {"header_row": 1, "name": "0", "doc_number": "1", "address": "2"},
    )
    batch.refresh_from_db()
    assert batch.summary["valid"] == 1 and batch.errors == [] and batch.mapping["columns"]["address"] == 2
    page = client.get(reverse("leads:batch", kwargs={"uuid": batch.uuid})).content.decode()
    assert "全部导入" in page


def test_two_fields_cannot_share_a_column(world, client_for, tmp_path):
    rows = [["人员", "号码"], ["张三", resident_id("41010819900101001")]]
    client = client_for("district")
    upload(client, world, write_xlsx(tmp_path / "odd.xlsx", rows, merge_title=False))
    batch = ImportBatch.objects.get(file_name="odd.xlsx")
    response = client.post(
        reverse("leads:batch_mapping", kwargs={"uuid": batch.uuid}), {"header_row": 1, "name": "0", "doc_number": "0"}
    )
    assert "同一列不能对应两个字段" in response.content.decode()


def test_only_who_may_hand_leads_over_gets_the_choice_boxes(world, client_for):
    """The list's column spec: the hand-over checkbox is a page-only column, shown where the role may assign."""
    office = client_for("township_a").get("/leads/").content.decode()
    grid = client_for("grid").get("/leads/").content.decode()
    assert 'name="lead"' in office and 'data-testid="lead-table"' in office
    assert 'name="lead"' not in grid and 'data-testid="lead-table"' in grid and "&lt;td" not in grid


def test_the_import_template_has_the_columns_the_intake_reads(world, client_for):
    from fangxian.leads import intake

    client = client_for("district")
    assert 'data-testid="import-template"' in client.get(reverse("leads:upload")).content.decode()
    template = client.get(reverse("leads:import_template"))
    rows = sheet(template)
    assert rows[0] == list(intake.FIELD_LABELS.values())
    assert client_for("grid").get(reverse("leads:import_template")).status_code == 403  # not an importer's role


def test_found_to_be_placed_goes_on_to_the_placement_and_stays_on_the_workbench_until_it_is_done(world, client_for):
    from fangxian.dashboard import workbench
    from fangxian.leads import services
    from fangxian.leads.services import NewLead
    from fangxian.people.choices import DocumentType
    from fangxian.people.services import register_person

    person = register_person(
        actor=world["system"],
        unit=world["xc_grid"],
        name="待落实",
        doc_type=DocumentType.RESIDENT_ID,
        doc_number=resident_id("41010819880808123"),
    )
    services.create_leads(
        actor=world["district"],
        leads=[NewLead(person.pk, person.name, "close_contact", world["xc_grid"].pk)],
        source="city_push",
        received_at=timezone.now(),
        reason="测试",
    )
    lead = Lead.objects.get(person=person)
    grid = client_for("grid")
    done = grid.post(reverse("leads:verify", kwargs={"uuid": lead.uuid}), {"outcome": Outcome.PLACED_UNDER_MEASURE})
    assert done.status_code == 302 and done.url == reverse("control:place", kwargs={"uuid": lead.uuid})
    form = grid.get(done.url).content.decode()
    assert f'value="{timezone.localdate().isoformat()}"' in form  # the date pickers are filled (ISO dates)

    def pending() -> int:
        return next(task.count for task in workbench.tasks(world["grid"]) if task.key == "task-placement")

    assert pending() == 1
    listed = grid.get(reverse("leads:list"), {"pending": "placement", "status": ""}).content.decode()
    assert "待落实" in listed
    placed = grid.post(
        done.url,
        {
            "subject": "close_contact",
            "anchor_date": (timezone.localdate() - datetime.timedelta(days=1)).isoformat(),
            "start_date": timezone.localdate().isoformat(),
        },
    )
    assert placed.status_code == 302
    assert lead.measures.exists() and pending() == 0
