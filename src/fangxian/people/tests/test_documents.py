import datetime

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric as stdnum_ric

from fangxian.core.masking import mask_document, mask_numbers_in_text, mask_phone
from fangxian.people.choices import DocumentType, Sex
from fangxian.people.documents import (
    DocumentError,
    check_char,
    clean_text,
    parse_document,
    parse_resident_id,
    upgrade_15_to_18,
)

TODAY = datetime.date(2026, 11, 25)

# Published examples from python-stdnum's documentation of stdnum.cn.ric (an outside implementation).
STDNUM_VALID = ["360426199101010071"]
STDNUM_INVALID_CHECK = ["360426199101010072"]


@pytest.mark.parametrize("number", STDNUM_VALID)
def test_published_valid_number_is_accepted(number):
    document = parse_resident_id(number, today=TODAY)
    assert document.number == number
    assert document.birth_date == stdnum_ric.get_birth_date(number)


@pytest.mark.parametrize("number", STDNUM_INVALID_CHECK)
def test_published_number_with_wrong_check_char_is_rejected(number):
    with pytest.raises(DocumentError, match="校验位"):
        parse_resident_id(number, today=TODAY)


def test_check_char_of_the_standard_worked_example():
    # GB 11643-1999 appendix example: 11010519491231002X.
    assert check_char("11010519491231002") == "X"
    assert parse_resident_id("11010519491231002X", today=TODAY).sex == Sex.FEMALE


birth_dates = st.dates(min_value=datetime.date(1900, 1, 1), max_value=TODAY)
areas = st.from_regex(r"\A[1-8][0-9]{5}\Z")
sequences = st.integers(min_value=0, max_value=999)


@st.composite
def resident_ids(draw):
    first17 = f"{draw(areas)}{draw(birth_dates):%Y%m%d}{draw(sequences):03d}"
    return first17 + check_char(first17)


@given(resident_ids())
def test_valid_number_agrees_with_stdnum_and_derives_birth_and_sex(number):
    # stdnum's is_valid also rejects address codes missing from its table, which Fangxian must never do,
    # so the check character and birth date are compared part by part.
    document = parse_resident_id(number, today=TODAY)
    assert stdnum_ric.calc_check_digit(number) == number[17]
    assert document.birth_date == stdnum_ric.get_birth_date(number)
    assert document.sex == (Sex.MALE if int(number[16]) % 2 else Sex.FEMALE)


@given(resident_ids(), st.sampled_from(["  {}  ", "'{}", "{}\t", "{} "]))
def test_valid_number_survives_normalisation(number, shape):
    spaced = number[:6] + " " + number[6:14] + " " + number[14:]
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    lowercase = number.lower()
    for variant in (shape.format(number), spaced, full_width, lowercase):
        assert parse_resident_id(variant, today=TODAY).number == number


@given(resident_ids(), st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_one_changed_digit_fails(number, position, delta):
    changed_digit = str((int(number[position]) + delta) % 10)
    tampered = number[:position] + changed_digit + number[position + 1 :]
    with pytest.raises(DocumentError):
        parse_resident_id(tampered, today=TODAY)


@pytest.mark.parametrize(
    "rounded", ["4.10108E+17", "4.10108199003071E+17", "4.1010819900307e17", "４.１０１０８Ｅ＋１７"]
)
def test_number_rounded_by_excel_is_reported_not_fixed(rounded):
    with pytest.raises(DocumentError, match="科学计数法"):
        parse_resident_id(rounded, today=TODAY)


def test_fifteen_digit_number_is_upgraded_to_eighteen():
    eighteen = "11010519491231002X"
    fifteen = eighteen[:6] + eighteen[8:17]
    assert upgrade_15_to_18(fifteen) == eighteen
    assert parse_resident_id(fifteen, today=TODAY).number == eighteen


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "为空"),
        ("41010819900307", "18 位"),
        ("410108199013071230", "出生日期"),
        ("410108203001010010", "合理范围"),
        ("张三", "18 位"),
    ],
)
def test_bad_resident_ids_get_a_clear_chinese_message(raw, message):
    with pytest.raises(DocumentError, match=message):
        parse_resident_id(raw, today=TODAY)


def test_an_old_address_code_is_not_rejected():
    # 410122 (former 中牟县 code in some lists) style: any six digits are kept; codes that no longer exist stay valid.
    first17 = "99999919800101001"
    assert parse_resident_id(first17 + check_char(first17), today=TODAY).number.startswith("999999")


@pytest.mark.parametrize(
    ("doc_type", "raw", "expected"),
    [
        (DocumentType.PASSPORT, " e12345678 ", "E12345678"),
        (DocumentType.HK_MACAO_PERMIT, "h1234567８", "H12345678"),
        (DocumentType.TAIWAN_PERMIT, "12345678", "12345678"),
        (DocumentType.FOREIGN_PERMANENT_ID, "usa123456789012", "USA123456789012"),
        (DocumentType.MILITARY_OFFICER_ID, "政字第12345号", "政字第12345号"),
    ],
)
def test_other_documents_are_normalised(doc_type, raw, expected):
    assert parse_document(doc_type, raw).number == expected


@pytest.mark.parametrize(
    ("doc_type", "raw"),
    [(DocumentType.HK_MACAO_PERMIT, "X1234567"), (DocumentType.TAIWAN_PERMIT, "1234"), (DocumentType.PASSPORT, "E1")],
)
def test_other_documents_of_the_wrong_shape_fail(doc_type, raw):
    with pytest.raises(DocumentError):
        parse_document(doc_type, raw)


def test_household_register_uses_the_citizen_number_rules():
    document = parse_document(DocumentType.HOUSEHOLD_REGISTER, "11010519491231002x", today=TODAY)
    assert document.number == "11010519491231002X" and document.doc_type == DocumentType.HOUSEHOLD_REGISTER


def test_clean_text_strips_the_usual_spreadsheet_noise():
    assert clean_text("'４１０１ ０８-x") == "410108X"


def test_masks_keep_only_region_and_last_two():
    assert mask_document("11010519491231002X") == "1101************2X"
    assert mask_phone("13812345678") == "138****5678"


def test_long_numbers_in_free_text_are_masked():
    assert mask_numbers_in_text("查 11010519491231002X 和 张三") == "查 1101************2X 和 张三"


@pytest.mark.parametrize(
    ("phone", "valid"),
    [
        ("13812345678", True),
        ("138 1234 5678", True),
        ("+86 13812345678", True),
        ("0371-67891234", True),
        ("037167891234", True),
        ("010-12345678-801", True),
        ("6789123", False),  # seven digits: no area code
        ("1381234567", False),  # a digit short
        ("12812345678", False),  # no mobile starts 12
        ("138123456789", False),
    ],
)
@pytest.mark.parametrize("form", ["person", "team member"])
def test_a_phone_typed_in_is_a_mobile_or_a_landline_with_its_area_code(phone, valid, form):
    from fangxian.core.forms import TeamMemberForm
    from fangxian.people.forms import PersonForm

    field = {"person": PersonForm, "team member": TeamMemberForm}[form].base_fields["phone"]
    if valid:
        assert field.clean(phone) == phone
    else:
        with pytest.raises(ValidationError, match="区号"):
            field.clean(phone)
