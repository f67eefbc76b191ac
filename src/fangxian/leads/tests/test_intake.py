import datetime

import pytest

from fangxian.leads import intake
from fangxian.leads.choices import LeadCategory
from fangxian.people.choices import DocumentType

from .conftest import PUSH_HEADER, resident_id

TODAY = datetime.date(2022, 11, 10)


def plan_of(rows, default=LeadCategory.OTHER):
    columns = intake.detect_columns(rows)
    assert columns is not None
    return intake.validate(rows, columns, default_category=default, today=TODAY)


def test_the_header_is_found_below_a_title_and_mapped_by_its_wording():
    rows = [["某市疫情防控指挥部推送"], [], PUSH_HEADER, ["1", "张三", resident_id("41010819900101001")]]
    columns = intake.detect_columns(rows)
    assert columns.header_row == 2
    assert columns.columns == {
        "name": 1,
        "doc_number": 2,
        "phone": 3,
        "address": 4,
        "category": 5,
        "risk_area": 6,
        "left_at": 7,
    }


@pytest.mark.parametrize(
    "header",
    [["姓名", "身份证号"], ["姓 名", "证件号码"], ["人员姓名", "身份证号码*"], ["姓名", "公民身份号码（必填）"]],
)
def test_header_wordings_seen_on_real_lists(header):
    assert intake.detect_columns([header]).columns == {"name": 0, "doc_number": 1}


def test_no_recognisable_header_gives_none():
    assert intake.detect_columns([["a", "b"], ["1", "2"]]) is None


def test_valid_rows_are_normalised_and_categorised(pushed_rows, world):
    plan = plan_of(pushed_rows)
    assert not plan.errors
    assert [row.row for row in plan.rows] == [3, 4, 5]
    assert [row.category for row in plan.rows] == [
        LeadCategory.CLOSE_CONTACT,
        LeadCategory.SECONDARY_CONTACT,
        LeadCategory.MEDIUM_RISK_AREA,
    ]
    assert plan.rows[2].left_at == datetime.datetime(2022, 11, 8, 10, 0)
    assert plan.rows[0].pushed["推送原因"] == "密接"
    assert plan.summary() == {"rows": 3, "valid": 3, "invalid": 0, "duplicates_in_file": 0}


def test_every_problem_is_reported_with_row_column_value_and_a_chinese_message():
    good = resident_id("41010819900101001")
    rows = [
        PUSH_HEADER,
        ["1", "甲", good[:-1] + ("0" if good[-1] != "0" else "1"), "", "", "", "", ""],
        ["2", "乙", "4.10108E+17", "", "", "", "", ""],
        ["3", "<b>丙</b>", resident_id("41010819900101003"), "", "", "", "", ""],
        ["4", '=HYPERLINK("x")', resident_id("41010819900101005"), "", "", "", "", ""],
        ["5", "丁", "", "", "", "", "", ""],
        ["6", "戊", resident_id("41010819900101007"), "12345", "", "", "", ""],
        ["7", "己", resident_id("41010819900101009"), "", "", "", "", "昨天"],
        ["8", "", resident_id("41010819900101011"), "", "", "", "", ""],
    ]
    plan = plan_of(rows)
    found = {(e.row, e.column): e.message for e in plan.errors}
    assert "校验位" in found[(2, "公民身份号码")]
    assert "科学计数法" in found[(3, "公民身份号码")]
    assert "非法字符" in found[(4, "姓名")]
    assert "非法字符" in found[(5, "姓名")]
    assert "为空" in found[(6, "公民身份号码")]
    assert "联系电话" in found[(7, "联系电话")]
    assert "时间格式" in found[(8, "离开风险地区时间")]
    assert "姓名为空" in found[(9, "姓名")]
    assert plan.rows == [] and plan.invalid_rows == 8


def test_a_person_twice_in_the_file_is_a_duplicate_not_an_error():
    number = resident_id("41010819900101001")
    rows = [
        ["姓名", "身份证号"],
        ["张三", number],
        ["张三", " " + number.lower()],
        ["李四", resident_id("41010819900101013")],
    ]
    plan = plan_of(rows)
    assert plan.duplicates == [(3, 2)] and len(plan.rows) == 2 and not plan.errors


def test_other_documents_need_a_type_column():
    rows = [["姓名", "证件类型", "证件号码"], ["John Smith", "护照", "e12345678"], ["陈七", "港澳通行证", "H12345678"]]
    plan = plan_of(rows)
    assert [(r.document.doc_type, r.document.number) for r in plan.rows] == [
        (DocumentType.PASSPORT, "E12345678"),
        (DocumentType.HK_MACAO_PERMIT, "H12345678"),
    ]
    no_type = plan_of([["姓名", "证件号码"], ["John Smith", "E12345678"]])
    assert "证件类型" in no_type.errors[0].message


def test_a_header_with_no_data_is_an_error():
    plan = plan_of([["姓名", "身份证号"], ["制表人：李四", ""]])
    assert plan.errors[0].message == "表头下没有数据行"


def test_the_default_category_applies_when_the_reason_is_unknown():
    plan = plan_of(
        [["姓名", "身份证号", "人员类别"], ["张三", resident_id("41010819900101001"), "其他推送"]], LeadCategory.INBOUND
    )
    assert plan.rows[0].category == LeadCategory.INBOUND


def test_a_mobile_number_with_country_code_is_kept_as_eleven_digits():
    plan = plan_of([["姓名", "身份证号", "手机号"], ["张三", resident_id("41010819900101001"), "+86 138-1234-5678"]])
    assert plan.rows[0].phone == "13812345678"


def test_full_width_digits_are_normalised_in_ids_and_phones():
    full = "".join(chr(ord(c) + 0xFEE0) for c in resident_id("41010819900101001"))
    plan = plan_of([["姓名", "身份证号", "手机号"], ["张三", full, "１３８１２３４５６７８"]])
    assert plan.rows[0].document.number == resident_id("41010819900101001")
    assert plan.rows[0].phone == "13812345678"
