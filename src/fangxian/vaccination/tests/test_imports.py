"""Importing the immunisation system's dose files: every problem listed, conflicts never merged, the commit all or
(if chosen) only the valid rows, a second import of the same file writing nothing."""

import datetime
import io

import pytest
import xlsxwriter
from django.core.exceptions import ValidationError
from django.db import transaction

from fangxian.conftest import ALICE_DOC, BOB_DOC
from fangxian.core.models import ChangeRecord
from fangxian.people.models import Person
from fangxian.vaccination.choices import DoseKind
from fangxian.vaccination.models import Dose, Status
from fangxian.vaccination.services import imports
from fangxian.vaccination.tests.factories import resident_id

D = datetime.date
TODAY = D(2026, 12, 1)
pytestmark = pytest.mark.django_db

NEW_SINOVAC = resident_id(D(1960, 2, 2), serial=11)
NEW_PROTEIN = resident_id(D(1970, 7, 7), serial=13)
CHILD = resident_id(D(2015, 3, 3), serial=15)
HEADER = ["姓名", "身份证号", "接种日期", "剂次", "疫苗名称", "生产企业", "疫苗批号", "接种单位"]
ROWS = [
    [
        "新城甲",
        ALICE_DOC,
        "2021-05-01",
        "第1剂",
        "新型冠状病毒灭活疫苗（Vero细胞）",
        "北京生物",
        "202104001",
        "新城社区卫生服务中心",
    ],
    [
        "新城甲",
        ALICE_DOC,
        "2021/5/25",
        "第2剂次",
        "新型冠状病毒灭活疫苗（Vero细胞）",
        "北京生物",
        "202105002",
        "新城社区卫生服务中心",
    ],
    [
        "新城甲",
        ALICE_DOC,
        "2021-05-03",
        "第1剂",
        "新型冠状病毒灭活疫苗（Vero细胞）",
        "北京生物",
        "",
        "",
    ],  # a second first dose
    ["科兴新", NEW_SINOVAC, "2021-04-01", "第一剂", "", "北京科兴中维生物技术有限公司", "", ""],
    ["科兴新", NEW_SINOVAC, "2021-03-20", "第二剂", "", "科兴", "", ""],  # before the first
    ["智飞新", NEW_PROTEIN, "2021-06-01", "1", "重组新型冠状病毒蛋白疫苗（CHO细胞）", "智飞龙科马", "", ""],
    ["智飞新", NEW_PROTEIN, "2021-07-01", "2", "", "智飞", "", ""],
    ["智飞新", NEW_PROTEIN, "2021-08-01", "3", "", "智飞", "", ""],  # the third of a three-dose series
    ["智飞新", NEW_PROTEIN, "2022-03-01", "4", "", "康希诺", "", ""],  # then a booster of another kind
    ["坏号码", "410108199001011234", "2021-05-01", "第1剂", "", "北京生物", "", ""],
    ["无疫苗", resident_id(D(1980, 1, 1), serial=17), "2021-05-01", "第1剂", "某某疫苗", "某某公司", "", ""],
    ["儿童", CHILD, "2022-01-05", "第1剂", "", "康希诺", "", ""],  # licensed from 18
    ["刘寨乙", BOB_DOC, "2021-05-01", "第1剂", "", "武汉生物", "", ""],
]


def write_csv(path, rows, encoding="gbk"):
    path.write_bytes("\n".join(",".join(row) for row in [HEADER, *rows]).encode(encoding))
    return path


def check(world, path, actor="district", unit="huiji", person_unit="xc_community"):
    with transaction.atomic():
        return imports.check_file(
            actor=world[actor], path=path, file_name=path.name, unit=world[unit], person_unit=world[person_unit]
        )


def commit(world, batch, actor="district", **choices):
    with transaction.atomic():
        return imports.commit(actor=world[actor], batch=batch, today=TODAY, **choices)


def test_the_check_lists_every_error_conflict_and_age_warning_and_writes_nothing(world, tmp_path):
    batch, plan = check(world, write_csv(tmp_path / "接种.csv", ROWS))
    assert {error.row for error in plan.errors} == {11, 12}
    assert "早于第1剂" in [c.message for c in plan.conflicts if c.row == 6][0]
    assert "已有第1剂" in [c.message for c in plan.conflicts if c.row == 4][0]
    # A person's rows go together: alice's and the sinovac person's good rows wait for their conflicts.
    assert {conflict.row for conflict in plan.conflicts} == {2, 3, 4, 5, 6}
    assert "同一人员第 4 行" in [c.message for c in plan.conflicts if c.row == 2][0]
    assert [warning.row for warning in plan.warnings] == [13]
    assert "说明书年龄范围" in plan.warnings[0].message
    assert len(plan.doses) == 6  # the protein series 3 and its booster, the child, bob
    assert set(plan.new_persons) >= {("resident_id", NEW_PROTEIN), ("resident_id", CHILD)}
    assert not Dose.objects.exists() and not Person.objects.filter(doc_number=NEW_PROTEIN).exists()


def test_with_problems_the_commit_is_refused_unless_only_the_valid_rows_are_chosen(world, tmp_path):
    batch, _plan = check(world, write_csv(tmp_path / "接种.csv", ROWS))
    with pytest.raises(ValidationError, match="只导入无误的行"):
        commit(world, batch)
    assert not Dose.objects.exists()
    commit(world, batch, valid_only=True)
    protein = Person.objects.get(doc_number=NEW_PROTEIN)
    kinds = list(Dose.objects.filter(person=protein).order_by("given_on").values_list("kind", flat=True))
    assert kinds == [DoseKind.FIRST, DoseKind.SECOND, DoseKind.THIRD, DoseKind.HETEROLOGOUS_BOOSTER]
    assert Status.objects.get(person=protein).boosted_on == D(2022, 3, 1)
    assert not Dose.objects.filter(person__doc_number=ALICE_DOC).exists()  # her conflict is to resolve first
    assert not Person.objects.filter(doc_number=CHILD).exists()  # outside the ages, not confirmed: not written
    assert ChangeRecord.objects.filter(model="vaccination.dose").count() == Dose.objects.count()
    assert ChangeRecord.objects.filter(model="people.person", after__name="智飞新").exists()


def test_confirmed_ages_write_the_child_and_a_second_import_of_the_file_writes_nothing(world, tmp_path):
    path = write_csv(tmp_path / "接种.csv", ROWS)
    batch, _plan = check(world, path)
    commit(world, batch, valid_only=True, confirm_ages=True)
    child = Dose.objects.get(person__doc_number=CHILD)
    assert child.outside_ages
    doses = Dose.objects.count()
    again, plan = check(world, path)
    assert plan.doses == [] and plan.unchanged == doses
    commit(world, again, valid_only=True, confirm_ages=True)
    assert Dose.objects.count() == doses
    with pytest.raises(ValidationError, match="已导入"):
        commit(world, again, valid_only=True)


def test_a_township_cannot_import_doses_of_another_townships_people(world, tmp_path):
    _batch, plan = check(world, write_csv(tmp_path / "接种.csv", ROWS), actor="township_a", unit="xincheng")
    bob = [error for error in plan.errors if error.row == 14]
    assert bob and "不在您可导入的范围内" in bob[0].message and bob[0].value == ""  # the number is not echoed


def test_an_xlsx_export_with_a_title_row_and_excel_dates_is_read(world, tmp_path):
    path = tmp_path / "接种.xlsx"
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet()
    dates = workbook.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, ["惠济区新冠疫苗接种明细（导出）"])
    sheet.write_row(1, 0, HEADER)
    sheet.write_row(2, 0, ROWS[0][:2])
    sheet.write_datetime(2, 2, datetime.datetime(2021, 5, 1), dates)
    sheet.write_row(2, 3, ROWS[0][3:])
    workbook.close()
    batch, plan = check(world, path)
    assert not plan.errors and len(plan.doses) == 1
    commit(world, batch)
    assert Dose.objects.get().given_on == D(2021, 5, 1)


def test_a_file_without_the_needed_columns_is_refused_with_their_names(world, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("姓名,身份证号\n张三,1\n", encoding="utf-8")
    from fangxian.core.tabular import TableReadError

    with pytest.raises(TableReadError, match="接种日期"):
        check(world, path)


def test_the_command_checks_then_imports_a_file(world, tmp_path):
    import json

    from django.core.management import call_command

    path = write_csv(tmp_path / "接种.csv", ROWS[:2])
    out = io.StringIO()
    call_command("vaccination", "import", str(path), "--unit", "410108", "--json", stdout=out)
    assert json.loads(out.getvalue())["doses"] == 2 and not Dose.objects.exists()
    out = io.StringIO()
    call_command("vaccination", "import", str(path), "--unit", "410108", "--commit", stdout=out)
    assert "已导入 2 剂次" in out.getvalue()
    assert Dose.objects.filter(person=world["alice"]).count() == 2


def test_a_wrong_number_is_masked_in_the_problems_and_a_number_held_under_another_document_type_is_matched(
    world, tmp_path
):
    from fangxian.people.models import Person

    Person.objects.filter(pk=world["alice"].pk).update(doc_type="household_register")
    wrong = ALICE_DOC[:-1] + ("0" if ALICE_DOC[-1] != "0" else "1")  # the check character wrong
    rows = [
        ["新城甲", ALICE_DOC, "2021-05-01", "第1剂", "", "北京生物", "", ""],
        ["错号", wrong, "2021-05-01", "第1剂", "", "北京生物", "", ""],
    ]
    _batch, plan = check(world, write_csv(tmp_path / "接种.csv", rows))
    assert [dose.key[1] for dose in plan.doses] == [ALICE_DOC] and not plan.new_persons  # alice, not a new person
    shown = " ".join(f"{error.value} {error.message}" for error in plan.errors)
    assert wrong not in shown and "4101************" in shown  # masked like every listed number


def test_the_same_dose_twice_in_a_file_with_two_dates_holds_back_both(world, tmp_path):
    rows = [
        ["新城甲", ALICE_DOC, "2021-05-01", "第1剂", "", "北京生物", "", ""],
        ["新城甲", ALICE_DOC, "2021-05-04", "第1剂", "", "北京生物", "", ""],
    ]
    _batch, plan = check(world, write_csv(tmp_path / "接种.csv", rows))
    assert plan.doses == [] and {conflict.row for conflict in plan.conflicts} == {2, 3}
