import json

import pytest
import xlsxwriter
from django.core.management import CommandError, call_command
from django.urls import reverse

from fangxian.core import services
from fangxian.core.choices import UnitLevel
from fangxian.core.models import GridTeam, TeamMember, Unit

HUIJI_STREETS = ["新城街道", "刘寨街道", "江山路街道", "长兴路街道", "迎宾路街道", "大河路街道", "花园口镇", "古荥镇"]


def test_loading_a_county_creates_its_real_streets_and_towns(db):
    district, created = services.load_county(code="410108")
    assert district.name == "惠济区" and created == 8
    assert list(district.children.order_by("code").values_list("name", flat=True)) == HUIJI_STREETS


def test_loading_twice_changes_nothing(db):
    services.load_county(code="410104")
    _, created = services.load_county(code="410104")
    assert created == 0 and Unit.objects.filter(parent__code="410104").count() == 14


def test_the_units_command_loads_a_county(db, capsys):
    call_command("units", "load", "410106")
    assert "上街区" in capsys.readouterr().out
    assert Unit.objects.get(code="410106100").name == "峡窝镇"


def test_an_unknown_county_code_is_a_clear_error(db):
    with pytest.raises(CommandError, match="未找到区县代码"):
        call_command("units", "load", "999999")


def write_xlsx(path, rows):
    workbook = xlsxwriter.Workbook(path)
    sheet = workbook.add_worksheet()
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    workbook.close()


VILLAGES = [
    ["惠济区村/社区与网格清单"],
    ["代码", "名称", "上级代码"],
    ["410108001101", "清华园社区", ""],
    [410108002101, "天河社区", ""],  # a number cell, as Excel stores it
    ["01", "第1网格", "410108001101"],
    ["41010800210102", "第2网格", "410108002101"],
    [],
    ["制表人：张三"],
]


def test_villages_and_grids_import_from_xlsx_with_a_title_row(world, tmp_path):
    path = tmp_path / "villages.xlsx"
    write_xlsx(path, VILLAGES[:-1])
    call_command("units", "import", str(path), "--district", "410108", "--commit")
    assert Unit.objects.get(code="410108001101").parent.code == "410108001"
    assert Unit.objects.get(code="41010800110101").level == UnitLevel.GRID
    assert Unit.objects.get(code="41010800210102").parent.code == "410108002101"


def test_villages_import_from_gbk_csv(world, tmp_path):
    path = tmp_path / "villages.csv"
    path.write_bytes("代码,名称\n410108003101,江山社区\n".encode("gbk"))
    call_command("units", "import", str(path), "--district", "410108", "--commit")
    assert Unit.objects.get(code="410108003101").name == "江山社区"


def test_a_file_with_errors_writes_nothing_and_lists_every_error(world, tmp_path, capsys):
    path = tmp_path / "bad.csv"
    path.write_text(
        "代码,名称,上级代码\n410108001101,好社区,\n410104001101,外区社区,\n,无代码,\n02,孤儿网格,\n410108001101,重复,\n",
        encoding="utf-8",
    )
    before = Unit.objects.count()
    with pytest.raises(CommandError):
        call_command("units", "import", str(path), "--district", "410108", "--commit", "--json")
    summary = json.loads(capsys.readouterr().out)
    assert [error["row"] for error in summary["errors"]] == [3, 4, 5, 6]
    assert Unit.objects.count() == before


def test_the_import_page_shows_errors_and_writes_nothing(world, client_for, tmp_path):
    before = Unit.objects.count()
    response = client_for("district").post(
        reverse("core:unit_import"),
        {"district": world["huiji"].pk, "file": _upload("bad.csv", "代码,名称\n4101080011,短代码\n".encode())},
    )
    assert "发现 1 处错误" in response.content.decode()
    assert Unit.objects.count() == before


def test_a_township_officer_cannot_import_into_the_district(world, client_for):
    response = client_for("township_a").post(
        reverse("core:unit_import"),
        {"district": world["huiji"].pk, "file": _upload("ok.csv", "代码,名称\n410108001102,新社区\n".encode())},
    )
    assert response.status_code == 403  # managing units is the district's work (units.manage)
    assert not Unit.objects.filter(code="410108001102").exists()


def _upload(name, content):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_the_coverage_check_lists_communities_without_a_complete_team(world, client_for):
    template = services.default_team_template()
    complete = GridTeam.objects.create(unit=world["xc_community"], template=template, name="金河三人小组")
    for slot in template.slots.all():
        TeamMember.objects.create(team=complete, slot=slot, name=f"{slot.duty}甲")
    partial = GridTeam.objects.create(unit=world["lz_grid"], template=template, name="银湾三人小组")
    TeamMember.objects.create(team=partial, slot=template.slots.first(), name="干部乙")

    rows = {row["unit"].code: row for row in services.team_coverage(units=Unit.objects.all())}
    assert rows["410108001001"]["complete"] == 1
    assert rows["410108002001"] == {"unit": world["lz_community"], "teams": 1, "complete": 0}

    page = client_for("district").get(reverse("core:team_coverage")).content.decode()
    assert "银湾社区" in page and "金河社区" not in page


def test_a_team_template_is_configurable(world):
    template = services.default_team_template()
    assert [slot.duty for slot in template.slots.all()] == ["社区干部", "民警", "医生"]


def test_the_tree_page_counts_people_below_each_unit(world, client_for):
    page = client_for("district").get(reverse("core:unit_children", kwargs={"code": "410108"})).content.decode()
    assert "新城街道" in page and "古荥镇" in page


def test_a_township_officer_forms_a_team_and_fills_its_seats(world, client_for):
    from fangxian.core.models import ChangeRecord

    client = client_for("township_a")
    template = services.default_team_template()
    response = client.post(
        reverse("core:team_create"), {"unit": world["xc_grid"].pk, "template": template.pk, "name": "第1网格三人小组"}
    )
    team = GridTeam.objects.get(name="第1网格三人小组")
    assert response.url == reverse("core:team_detail", kwargs={"pk": team.pk})
    for slot in template.slots.all():
        client.post(
            reverse("core:team_action", kwargs={"pk": team.pk, "operation": "add"}),
            {"slot": slot.pk, "name": f"{slot.duty}丙", "phone": "13700000000"},
        )
    assert services.team_is_complete(team)
    member = team.members.first()
    client.post(reverse("core:team_action", kwargs={"pk": team.pk, "operation": "remove"}), {"member": member.pk})
    assert not services.team_is_complete(team)
    kinds = list(ChangeRecord.objects.filter(model="core.teammember").values_list("kind", flat=True))
    assert kinds.count("create") >= 3 and "delete" in kinds


def test_a_team_cannot_be_formed_in_another_township(world, client_for):
    template = services.default_team_template()
    response = client_for("township_b").post(
        reverse("core:team_create"), {"unit": world["xc_grid"].pk, "template": template.pk, "name": "越权小组"}
    )
    assert response.status_code == 400 and not GridTeam.objects.filter(name="越权小组").exists()


def test_a_seat_from_another_template_is_refused(world):
    five = services.default_team_template()
    other = type(five).objects.create(name="五包一")
    slot = other.slots.create(duty="志愿者")
    with pytest.raises(services.ValidationError):
        services.add_team_member(actor=world["district"], team=world["xc_team"], slot=slot, name="错位")
