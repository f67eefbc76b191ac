import datetime

from django.utils import timezone

from fangxian.core.models import Notification
from fangxian.reports.models import Report


def test_the_board_shows_each_unit_of_the_users_scope_and_its_standing(world, client_for):
    form = world["report_form"]
    day = timezone.localdate() - datetime.timedelta(days=1)
    page = client_for("township_a").get(f"/reports/?form={form.uuid}&day={day.isoformat()}").content.decode()
    assert 'data-testid="board-row-410108001001" data-filing="on_time"' in page  # 金河社区 filed yesterday
    assert 'data-testid="board-row-410108001" data-filing="missing"' in page  # 新城街道 did not
    assert "银湾社区" not in page  # another township's community
    district = client_for("district").get(f"/reports/?form={form.uuid}&day={day.isoformat()}").content.decode()
    assert "银湾社区" in district and "金河社区" in district


def test_a_zero_report_from_the_page_turns_the_units_row_green(world, client_for, daily):
    client = client_for("township_a")
    page = client.get(f"/reports/file/?form={daily.uuid}&unit=410108001")
    assert page.status_code == 200 and "零报告" in page.content.decode()
    Report.objects.filter(form=daily).delete()
    # 新城街道 has an open lead: the system refuses its zero report, with the reason.
    refused = client.post("/reports/file/", {"form": daily.uuid, "unit": "410108001", "zero": "1"})
    assert refused.status_code == 400 and "不能零报告" in refused.content.decode()
    client_for("district").post("/reports/file/", {"form": daily.uuid, "unit": "410108003", "zero": "1"})
    board = client_for("district").get(f"/reports/?form={daily.uuid}").content.decode()
    assert 'data-testid="board-row-410108003" data-filing="on_time"' in board or (
        'data-testid="board-row-410108003" data-filing="late"' in board and timezone.localtime().hour >= 17
    )


def test_filing_for_another_townships_unit_is_404(world, client_for, daily):
    intruder = client_for("township_b")
    assert intruder.get(f"/reports/file/?form={daily.uuid}&unit=410108001").status_code == 404
    assert intruder.post("/reports/file/", {"form": daily.uuid, "unit": "410108001", "zero": "1"}).status_code == 404
    assert not Report.objects.filter(form=daily, unit=world["xincheng"]).exists()


def test_values_are_filed_and_errors_are_shown_on_the_form(world, client_for, daily):
    client = client_for("township_a")
    bad = client.post("/reports/file/", {"form": daily.uuid, "unit": "410108001", "leads_open": "x", "inspections": ""})
    assert bad.status_code == 400 and "开展检查次数" in bad.content.decode()
    good = client.post(
        "/reports/file/", {"form": daily.uuid, "unit": "410108001", "leads_open": "1", "inspections": "3"}
    )
    assert good.status_code == 302
    assert Report.objects.get(form=daily, unit=world["xincheng"]).values["inspections"] == 3


def test_a_district_officer_defines_a_form_from_the_page(world, client_for):
    data = {
        "name": "隔离点日报",
        "due_time": "16:00",
        "levels": ["township"],
        "field-TOTAL_FORMS": "8",
        "field-INITIAL_FORMS": "0",
        "field-0-label": "在办协查任务",
        "field-0-kind": "integer",
        "field-0-figure": "leads_open",
        "field-0-locked": "on",
        "field-0-required": "on",
        "field-1-label": "有无异常",
        "field-1-kind": "choice",
        "field-1-choices": "无、有",
        "field-1-required": "on",
    }
    for index in range(2, 8):
        data[f"field-{index}-kind"] = "integer"
    response = client_for("district").post("/reports/forms/new/", data)
    assert response.status_code == 302
    assert client_for("township_a").get("/reports/forms/new/").status_code == 404
    listed = client_for("township_a").get("/reports/forms/").content.decode()
    assert "隔离点日报" in listed


def test_the_export_lists_the_units_and_their_values(world, client_for):
    form = world["report_form"]
    day = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    response = client_for("township_a").get(f"/reports/?form={form.uuid}&day={day}&export=1")
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for("clerk").get(f"/reports/?form={form.uuid}&day={day}&export=1").status_code == 403


def test_notifications_reach_the_units_own_people_and_are_marked_read(world, client_for):
    grid = client_for("grid")
    assert "金河社区：日报待报送" in grid.get("/notifications/").content.decode()
    assert "金河社区：日报待报送" not in client_for("township_b").get("/notifications/").content.decode()
    grid.post("/notifications/")
    assert Notification.objects.get(key="walk").read_at is not None


def test_the_month_page_ranks_the_units(world, client_for, daily):
    page = client_for("district").get(f"/reports/monthly/?form={daily.uuid}")
    assert page.status_code == 200 and "按时率" in page.content.decode()


def test_a_nul_character_in_a_posted_form_is_a_400_not_a_500(world, client_for, daily):
    response = client_for("township_a").post(
        "/reports/file/",
        {"form": daily.uuid, "unit": "410108001", "leads_open": "1", "inspections": "1", "remark": "无\x00异常"},
    )
    assert response.status_code == 400
    assert not daily.reports.exists()
