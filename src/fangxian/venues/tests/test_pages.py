"""The venues' pages, API and command: the door, the register, co-visit tracing and scan files, as the people
who use them meet them."""

import datetime
import io
import json

import pytest
import xlsxwriter
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.utils import timezone
from python_calamine import CalamineWorkbook

from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.core.models import AccessRecord, Notification, User
from fangxian.leads.models import Lead
from fangxian.people.documents import check_char
from fangxian.people.models import Person
from fangxian.venues import services
from fangxian.venues.models import Scan, VenueCategory
from fangxian.venues.services import scans as scan_service


def doc(n: int) -> str:
    first = f"4101081978{n % 12 + 1:02d}11{n % 1000:03d}"
    return first + check_char(first)


def ago(minutes: float) -> datetime.datetime:
    return (timezone.now() - datetime.timedelta(minutes=minutes)).replace(microsecond=0)


def earlier_today(minutes: float) -> datetime.datetime:
    """`minutes` ago, but never before today's local midnight: a register is a day's, and a test run at 00:10 must
    still put its scans into today."""
    now = timezone.now().replace(microsecond=0)
    midnight = timezone.make_aware(datetime.datetime.combine(timezone.localdate(now), datetime.time()))
    return max(now - datetime.timedelta(minutes=minutes), min(midnight + datetime.timedelta(seconds=1), now))


def door(client, venue, number, colour="green", **extra):
    return client.post(f"/venues/{venue.uuid}/door/", {"doc_number": number, "colour": colour, **extra})


def test_the_door_lets_a_green_code_in_records_the_scan_and_logs_the_lookup(world, client_for):
    venue = world["xc_venue"]
    response = door(client_for("venue"), venue, BOB_DOC.lower()[:-1] + BOB_DOC[-1], area="一楼")
    page = response.content.decode()
    assert response.status_code == 200 and 'data-decision="pass"' in page
    assert "刘*" in page and "刘寨乙" not in page and BOB_DOC not in page
    scan = Scan.objects.get(doc_number=BOB_DOC)
    assert (scan.venue_code, scan.area, scan.code_colour, scan.source) == (venue.code, "一楼", "green", "door")
    assert AccessRecord.objects.filter(actor__username="venue", model="venues.scan", detail__door=venue.code).exists()


def test_the_door_turns_back_a_red_code_and_holds_a_yellow_one(world, client_for):
    client = client_for("venue")
    assert 'data-decision="deny"' in door(client, world["xc_venue"], BOB_DOC, "red").content.decode()
    assert 'data-decision="limit"' in door(client, world["xc_venue"], doc(1), "yellow").content.decode()
    assert set(Scan.objects.values_list("code_colour", flat=True)) == {"red", "yellow"}


def test_a_school_door_asks_for_a_48_hour_negative(world, client_for):
    school = services.register_venue(
        actor=world["district"],
        name="金河小学",
        category=VenueCategory.objects.get(code="school"),
        unit=world["xc_community"],
        address="金河路1号",
    )
    school.staff.add(User.objects.get(username="venue"))
    page = door(client_for("venue"), school, BOB_DOC).content.decode()
    assert 'data-decision="deny"' in page and "48 小时核酸阴性" in page


def test_a_person_under_a_measure_is_turned_back_and_the_community_told(world, client_for):
    # alice is under a measure in 金河社区 (the world's xc_measure).
    page = door(client_for("venue"), world["xc_venue"], ALICE_DOC).content.decode()
    assert 'data-decision="deny"' in page and "管控" not in page.split("door-answer")[1].split("</div></div>")[0]
    assert Notification.objects.filter(unit=world["xc_measure"].unit, title__contains="金河超市").exists()


def test_a_venues_staff_cannot_work_another_venues_door(world, client_for):
    other = services.register_venue(
        actor=world["district"],
        name="银湾超市",
        category=VenueCategory.objects.get(code="supermarket"),
        unit=world["lz_community"],
        address="银湾1号",
    )
    assert door(client_for("venue"), other, BOB_DOC).status_code == 404
    assert Scan.objects.count() == 0


def test_a_bad_number_at_the_door_is_named_and_nothing_written(world, client_for):
    response = door(client_for("venue"), world["xc_venue"], "4.10108199003071E+17")
    assert response.status_code == 400 and "科学计数法" in response.content.decode()
    assert Scan.objects.count() == 0


def test_the_api_takes_a_full_batch_of_ten_thousand_and_a_resend_changes_nothing(world, client_for):
    venue = world["xc_venue"]
    start = timezone.now() - datetime.timedelta(hours=5)
    rows = [
        {
            "venue_code": venue.code,
            "doc_number": doc(n),
            "name": "访客",
            "scanned_at": (start + datetime.timedelta(seconds=n)).isoformat(),
            "code_colour": "green",
            "vaccinated": "yes",
            "negative": "unknown",
            "device": "SENTINEL-01",
        }
        for n in range(scan_service.MAX_BATCH)
    ]
    rows[3]["doc_number"] = "12345"
    client = client_for("district")
    body = {"source": "gateway", "scans": rows}
    first = client.post("/api/venues/scans/", body, content_type="application/json")
    assert first.status_code == 200, first.content[:300]
    answer = first.json()
    assert answer["written"] == answer["received"] - 1 == 9999 - 0 and answer["problems"][0]["row"] == 4
    again = client.post("/api/venues/scans/", body, content_type="application/json").json()
    assert (again["written"], again["unchanged"]) == (0, 9999)
    assert Scan.objects.count() == 9999


def test_the_api_refuses_an_oversized_batch_whole_and_in_json(world, client_for):
    rows = [{"venue_code": "X", "doc_number": ALICE_DOC, "scanned_at": ago(1).isoformat()}] * (
        scan_service.MAX_BATCH + 1
    )
    response = client_for("district").post("/api/venues/scans/", {"scans": rows}, content_type="application/json")
    assert response.status_code == 400 and "分批" in json.dumps(response.json(), ensure_ascii=False)
    assert Scan.objects.count() == 0


def scan_rows(world, rows):
    scan_service.ingest_scans(actor=world["district"], scans=scan_service.frame(rows), source="gateway")


def test_the_register_counts_lists_and_makes_leads_of_red_and_yellow_codes(world, client_for):
    venue = world["xc_venue"]
    scan_rows(
        world,
        [
            {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": earlier_today(30), "code_colour": "red"},
            {
                "venue_code": venue.code,
                "doc_number": doc(2),
                "name": "王五",
                "scanned_at": earlier_today(20),
                "code_colour": "yellow",
            },
            {"venue_code": venue.code, "doc_number": doc(3), "scanned_at": earlier_today(10), "vaccinated": "no"},
            {"venue_code": venue.code, "doc_number": doc(4), "scanned_at": earlier_today(5)},
        ],
    )
    page = client_for("township_a").get("/venues/register/").content.decode()
    assert 'data-testid="total-scans">4<' in page and 'data-testid="total-abnormal">2<' in page
    assert 'data-testid="total-unvaccinated">1<' in page and "商务局" in page and "新城街道" in page
    assert BOB_DOC not in page
    other = client_for("township_b").get("/venues/register/").content.decode()
    assert 'data-testid="total-scans">0<' in other and "金河超市" not in other
    response = client_for("district").post("/venues/register/")
    assert response.status_code == 302
    leads = Lead.objects.filter(source="venue_scan", category="abnormal_scan")
    assert leads.count() == 2
    # bob lives in 银湾社区: his lead goes there; 王五 was unknown and is registered where he was seen.
    assert leads.get(person__doc_number=BOB_DOC).unit == world["bob"].unit
    assert Person.objects.get(doc_number=doc(2)).unit == venue.unit
    client_for("district").post("/venues/register/")
    assert leads.count() == 2  # an open lead of the same kind is not given twice


def test_the_register_export_masks_numbers(world, client_for):
    scan_rows(
        world,
        [
            {
                "venue_code": world["xc_venue"].code,
                "doc_number": BOB_DOC,
                "scanned_at": earlier_today(3),
                "code_colour": "red",
            }
        ],
    )
    response = client_for("township_a").get("/venues/register/?export=xlsx")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == "金河超市" and rows[1][4] != BOB_DOC and rows[1][4].endswith(BOB_DOC[-2:])


def test_covisit_page_lists_exports_and_makes_leads_without_echoing_the_numbers(world, client_for):
    venue = world["xc_venue"]
    scan_rows(
        world,
        [
            {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": ago(60)},
            {"venue_code": venue.code, "doc_number": doc(5), "name": "赵六", "scanned_at": ago(50)},
        ],
    )
    client = client_for("district")
    page = client.post("/venues/covisit/", {"cases": BOB_DOC}).content.decode()
    assert "赵六" in page and doc(5) not in page and BOB_DOC not in page
    token = page.split('name="query" value="')[1].split('"')[0]
    export = client.post("/venues/covisit/", {"query": token, "op": "export"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(export.content)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == doc(5) and rows[1][3] >= 50  # the district may reveal: the tracing team's whole numbers
    client.post("/venues/covisit/", {"query": token, "op": "leads"})
    lead = Lead.objects.get(person__doc_number=doc(5))
    assert (lead.category, lead.source, lead.unit) == ("companion", "companion", venue.unit)
    expired = client.post("/venues/covisit/", {"query": "0" * 32, "op": "export"})
    assert expired.status_code == 400 and "过期" in expired.content.decode()


def test_covisit_api_matches_the_page(world, client_for):
    venue = world["xc_venue"]
    scan_rows(
        world,
        [
            {"venue_code": venue.code, "doc_number": BOB_DOC, "scanned_at": ago(60)},
            {"venue_code": venue.code, "doc_number": doc(6), "scanned_at": ago(55)},
        ],
    )
    answer = (
        client_for("district")
        .post("/api/venues/covisit/", {"cases": [BOB_DOC, "123"]}, content_type="application/json")
        .json()
    )
    # The case's stay: 60 minutes (a supermarket's usual) widened by 30; the visitor's from 55 minutes ago.
    assert [person["overlap_minutes"] for person in answer["covisitors"]] == [60]
    assert answer["problems"] and doc(6) not in json.dumps(answer)
    assert (
        client_for("township_a")
        .post("/api/venues/covisit/", {"cases": [BOB_DOC]}, content_type="application/json")
        .status_code
        == 403
    )


def gbk_csv(world, rows: list[str]) -> bytes:
    return ("场所码,身份证号,姓名,扫码时间,健康码状态,是否接种\n" + "\n".join(rows) + "\n").encode("gbk")


def test_the_upload_page_reads_a_gbk_csv_and_names_bad_rows_by_their_line(world, client_for):
    code = world["xc_venue"].code
    moment = timezone.localtime(ago(30)).strftime("%Y/%m/%d %H:%M:%S")
    content = gbk_csv(
        world,
        [
            f"{code},{BOB_DOC},刘寨乙,{moment},绿码,是",
            f"{code},123,某人,{moment},绿码,是",
            f"PROV-77,{doc(7)},,{moment},红码,否",
        ],
    )
    upload = SimpleUploadedFile("扫码.csv", content, content_type="text/csv")
    page = client_for("district").post("/venues/scans/upload/", {"file": upload}).content.decode()
    assert "新写入 2" in page and "有误 1" in page and "<td>3</td>" in page and "（已保留）1" in page
    assert Scan.objects.filter(venue_code="PROV-77").count() == 1


def test_the_command_imports_an_xlsx_twice_without_doubling(world, tmp_path, capsys):
    path = tmp_path / "扫码.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    sheet.write_row(0, 0, ["场所码", "证件号码", "扫码时间", "健康码"])
    sheet.write_row(1, 0, [world["xc_venue"].code, BOB_DOC])
    moment = timezone.localtime(ago(40)).replace(tzinfo=None)
    sheet.write_datetime(1, 2, moment, workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}))
    sheet.write_string(1, 3, "黄码")
    workbook.close()
    call_command("venues", "import-scans", str(path), "--json")
    first = json.loads(capsys.readouterr().out)
    call_command("venues", "import-scans", str(path), "--json")
    second = json.loads(capsys.readouterr().out)
    assert (first["written"], second["written"], second["unchanged"]) == (1, 0, 1)
    assert Scan.objects.get().code_colour == "yellow"


@pytest.mark.parametrize("username", ["grid", "clerk", "site", "lab"])
def test_roles_without_the_work_cannot_trace_or_send_scans(world, client_for, username):
    client = client_for(username)
    assert client.post("/venues/covisit/", {"cases": BOB_DOC}).status_code == 403
    assert client.post("/api/venues/scans/", {"scans": []}, content_type="application/json").status_code == 403


def test_the_poster_is_an_a4_pdf_with_the_name_code_and_a_qr_code(world, client_for, tmp_path):
    import shutil
    import subprocess

    venue = world["xc_venue"]
    response = client_for("venue").get(f"/venues/{venue.uuid}/poster.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert AccessRecord.objects.filter(detail__poster=venue.code).exists()
    if shutil.which("pdftotext") is None:
        pytest.fail("pdftotext (poppler-utils) is installed by scripts/ensure-system-packages")
    path = tmp_path / "poster.pdf"
    path.write_bytes(response.content)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    assert "金河超市" in text and venue.code in text and "商场超市" in text and "场所码" in text
    size = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    assert "(A4)" in size


def test_no_poster_for_a_closed_venue_nor_for_another_township(world, client_for):
    venue = world["xc_venue"]
    assert client_for("township_b").get(f"/venues/{venue.uuid}/poster.pdf").status_code == 404
    venue.status = "closed"
    venue.save(update_fields=["status"])
    response = client_for("district").get(f"/venues/{venue.uuid}/poster.pdf", follow=True)
    assert "已关闭" in response.content.decode()


def venue_csv(world, lines: list[str]) -> SimpleUploadedFile:
    text = "场所名称,类别,所属社区,地址,联系电话,外部场所码,分区\n" + "\n".join(lines) + "\n"
    return SimpleUploadedFile("场所.csv", text.encode("gbk"), content_type="text/csv")


def test_a_venue_list_is_checked_whole_then_registered_once(world, client_for):
    from fangxian.venues.models import Venue

    client = client_for("township_a")
    lines = [
        "金河饭店,餐饮,410108001001,金河路2号,0371-66668888,PROV-1,大厅、包间",
        "金河药房,药店,新城街道·金河社区,金河路3号,,,",
        "银湾超市,商场超市,410108002001,银湾1号,,,",  # 刘寨's community: not this office's
        "无名,游乐场,410108001001,金河路4号,,,",
        "金河饭店二店,餐饮,410108001001,,123,PROV-1,",
    ]
    page = client.post("/venues/import/", {"file": venue_csv(world, lines)}).content.decode()
    assert "可登记 2 个" in page and "有误 5 处" in page and Venue.objects.count() == 1
    for message in ("不是您可登记场所的村/社区", "类别不在场所类别表中", "地址为空", "电话号码格式不正确", "重复"):
        assert message in page
    token = page.split('name="token" value="')[1].split('"')[0]
    assert client.post("/venues/import/", {"token": token}).status_code == 302
    restaurant = Venue.objects.get(name="金河饭店")
    assert restaurant.external_code == "PROV-1" and restaurant.areas == ["大厅", "包间"]
    again = client.post("/venues/import/", {"file": venue_csv(world, lines[:2])}).content.decode()
    assert "可登记 0 个" in again and "已登记 2 个" in again


def test_scans_today_abnormal_codes_and_sleeping_codes_reach_the_dashboard_and_the_briefing(world, client_for):
    from fangxian.reports import briefings
    from fangxian.reports.situation import snapshot

    quiet = services.register_venue(
        actor=world["district"],
        name="金河菜市场",
        category=VenueCategory.objects.get(code="market"),
        unit=world["xc_community"],
        address="金河路8号",
    )
    code = world["xc_venue"].code
    scan_rows(
        world,
        [
            {"venue_code": code, "doc_number": BOB_DOC, "scanned_at": earlier_today(30), "code_colour": "red"},
            {"venue_code": code, "doc_number": doc(8), "scanned_at": earlier_today(20)},
            {"venue_code": code, "doc_number": doc(9), "scanned_at": ago(60 * 30)},  # yesterday: not today's
        ],
    )
    figures = snapshot(unit=world["huiji"])["venues"]
    assert figures == {"scans_today": 2, "abnormal_today": 1, "sleeping": 1, "active": 2}
    assert quiet.pk  # the one nobody scanned
    page = client_for("district").get("/dashboard/").content.decode()
    assert 'data-testid="dashboard-venues"' in page
    briefing = briefings.draft_briefing(actor=world["district"], district=world["huiji"])
    assert "当日扫码 2 人次，其中黄码、红码 1 人次" in briefing.figures["venues_text"]
    assert "沉睡场所码）1 个" in briefing.figures["venues_text"]


def test_a_visitor_with_two_flags_is_one_line_of_the_register(world):
    rows = [
        {
            "venue_code": world["xc_venue"].code,
            "doc_number": BOB_DOC,
            "scanned_at": earlier_today(9),
            "code_colour": "yellow",
            "vaccinated": "no",
        },
    ]
    scan_rows(world, rows)
    register = services.day_register(user=world["township_a"], day=timezone.localdate(), log=False)
    assert (register.totals().abnormal, register.totals().unvaccinated, register.visitors_total) == (1, 1, 1)
    assert len(register.visitors) == 1


def test_a_district_may_have_red_and_yellow_codes_made_leads_by_the_worker(world, client_for):
    from fangxian.core.models import ChangeRecord
    from fangxian.venues import jobs

    scan_rows(
        world,
        [
            {
                "venue_code": world["xc_venue"].code,
                "doc_number": BOB_DOC,
                "scanned_at": earlier_today(4),
                "code_colour": "red",
            }
        ],
    )
    assert jobs.abnormal_code_leads() == 0  # not chosen: nothing happens by itself
    assert client_for("township_a").post("/venues/register/", {"op": "policy", "auto": "on"}).status_code == 403
    client_for("district").post("/venues/register/", {"op": "policy", "auto": "on"})
    assert ChangeRecord.objects.filter(reason__contains="自动生成线索：开启").exists()
    assert jobs.abnormal_code_leads() == 1
    lead = Lead.objects.get(source="venue_scan")
    assert lead.unit == world["bob"].unit
    assert jobs.abnormal_code_leads() == 0  # once


def test_refusals_name_the_problem_and_never_echo_a_whole_number(world, client_for):
    district = client_for("district")
    ancient = district.post(
        "/api/venues/covisit/", {"cases": [BOB_DOC], "until": "0001-01-02T00:00:00Z"}, content_type="application/json"
    )
    assert ancient.status_code == 400 and "保留期限" in json.dumps(ancient.json(), ensure_ascii=False)
    page = district.post("/venues/covisit/", {"cases": BOB_DOC, "since": "2026-13-45"})
    assert page.status_code == 400 and BOB_DOC not in page.content.decode()
    wrong = door(client_for("venue"), world["xc_venue"], BOB_DOC, "purple")
    assert wrong.status_code == 400 and BOB_DOC not in wrong.content.decode()
    assert client_for("township_a").get("/api/venues/register/?unit=410108002").status_code == 404
    assert client_for("clerk").get(f"/venues/{world['xc_venue'].uuid}/poster.pdf").status_code == 403


def test_a_venue_list_with_a_nan_coordinate_is_told_so(world, client_for):
    upload = SimpleUploadedFile(
        "场所.csv",
        "场所名称,类别,所属社区,地址,纬度\n测试场所A,商场超市,410108001001,某地址,NaN\n".encode(),
        "text/csv",
    )
    page = client_for("township_a").post("/venues/import/", {"file": upload})
    assert page.status_code == 200 and "坐标无效" in page.content.decode()


def test_a_scan_file_without_its_columns_is_refused_by_name(world, client_for):
    headless = SimpleUploadedFile("扫码.csv", b"a,b,c\n1,2,3\n", "text/csv")
    page = client_for("district").post("/venues/scans/upload/", {"file": headless}).content.decode()
    assert "未找到表头" in page
    partial = SimpleUploadedFile("扫码.csv", "场所码,证件号码,姓名,健康码\nX,Y,Z,绿码\n".encode(), "text/csv")
    page = client_for("district").post("/venues/scans/upload/", {"file": partial}).content.decode()
    assert "缺少必需的列：扫码时间" in page
    assert Scan.objects.count() == 0


def test_the_venue_contact_phone_is_whole_for_its_managers_and_masked_for_readers(world, client_for):
    venue = world["xc_venue"]
    venue.phone = "13911112222"
    venue.save(update_fields=["phone"])
    assert "13911112222" in client_for("township_a").get(f"/venues/{venue.uuid}/").content.decode()
    for reader in ("clerk", "venue"):
        page = client_for(reader).get(f"/venues/{venue.uuid}/").content.decode()
        assert "13911112222" not in page and "2222" in page


def test_the_register_export_holds_only_the_venues_the_user_may_export(world, client_for):
    from fangxian.core.choices import Role
    from fangxian.core.models import Grant

    scan_rows(
        world,
        [
            {
                "venue_code": world["xc_venue"].code,
                "doc_number": BOB_DOC,
                "scanned_at": earlier_today(3),
                "code_colour": "red",
            }
        ],
    )
    # 刘寨's office also reads the whole district as a clerk: it sees 新城's register but may export only its own.
    Grant.objects.create(user=world["township_b"], role=Role.CLERK, unit=world["huiji"])
    client = client_for("township_b")
    assert 'data-testid="total-abnormal">1<' in client.get("/venues/register/").content.decode()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(client.get("/venues/register/?export=xlsx").content))
    assert len(rows.get_sheet_by_index(0).to_python()) == 1  # the header only
