"""Identity documents: normalisation and validation.

A number typed by a person or read from a spreadsheet is normalised (full-width characters, spaces, a leading
apostrophe, lowercase x) and then validated for its type. What cannot be recovered is reported, never "fixed":
an ID that Excel has turned into 4.10108E+17 has lost its last digits for good.
"""

import datetime
import operator
import re
import unicodedata
from dataclasses import dataclass

from fangxian.people.choices import DocumentType, Sex

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CODE_OFFSET = ord("0") * sum(_WEIGHTS)
_CHECK_CHARS = "10X98765432"
_SCIENTIFIC = re.compile(r"^[+-]?\d+(\.\d*)?E[+-]?\d+$", re.IGNORECASE)
_SEPARATORS = re.compile(r"[\s\-_.·]")
_EARLIEST_BIRTH = datetime.date(1890, 1, 1)


class DocumentError(ValueError):
    """A document number that cannot be accepted; the message is for the person who typed it."""


@dataclass(frozen=True)
class Document:
    doc_type: str
    number: str
    birth_date: datetime.date | None = None
    sex: str = Sex.UNKNOWN


def clean_text(raw) -> str:
    """The characters a person meant: NFKC folds full-width digits and letters, separators and quotes go."""
    text = unicodedata.normalize("NFKC", "" if raw is None else str(raw)).strip()
    text = text.lstrip("'‘’`")
    return _SEPARATORS.sub("", text).upper()


def check_char(first17: str) -> str:
    """GB 11643 check character: ISO 7064 MOD 11-2 over the first 17 digits."""
    # Over the ASCII codes: each digit's code is the digit + 48, so the weighted sum is off by 48 × Σweights.
    total = sum(map(operator.mul, first17.encode("ascii"), _WEIGHTS)) - _CODE_OFFSET
    return _CHECK_CHARS[total % 11]


def _birth_date(text: str, *, today: datetime.date) -> datetime.date:
    try:
        born = datetime.date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise DocumentError(f"出生日期 {text} 不是有效日期") from None
    if born < _EARLIEST_BIRTH or born > today:
        raise DocumentError(f"出生日期 {born.isoformat()} 不在合理范围内")
    return born


def upgrade_15_to_18(number15: str) -> str:
    """The first-generation 15-digit number, in its 18-digit form (century 19 inserted, check char added)."""
    first17 = number15[:6] + "19" + number15[6:]
    return first17 + check_char(first17)


_CLEAN_18 = re.compile(r"^\d{17}[\dX]$", re.ASCII)


def parse_resident_id(raw, *, today: datetime.date | None = None) -> Document:
    today = today or datetime.date.today()
    # Most numbers arrive clean; only the others pay for Unicode normalisation.
    text = raw if type(raw) is str and _CLEAN_18.match(raw) else clean_text(raw)
    if not text:
        raise DocumentError("证件号码为空")
    if _SCIENTIFIC.match(text):
        raise DocumentError(
            "证件号码已被 Excel 转成科学计数法，末几位已丢失无法恢复，请将该列设为文本后重新获取原始号码"
        )
    if len(text) == 15 and text.isdigit():
        number = upgrade_15_to_18(text)
    elif len(text) == 18 and text[:17].isdigit() and (text[17].isdigit() or text[17] == "X"):
        number = text
    else:
        raise DocumentError(f"居民身份证号应为 18 位（或旧版 15 位）数字，当前为 {len(text)} 位")
    born = _birth_date(number[6:14], today=today)
    expected = check_char(number[:17])
    if len(text) == 18 and number[17] != expected:
        # Neither the number nor the right check character: the message reaches masked-only users too.
        raise DocumentError("身份证号校验位错误，请核对是否抄错")
    sex = Sex.MALE if int(number[16]) % 2 else Sex.FEMALE
    return Document(DocumentType.RESIDENT_ID, number, born, sex)


# Other documents have no check digit: their shapes are checked so that obvious slips (a name in the number
# column, a truncated number) are caught.
_PATTERNS: dict[str, tuple[re.Pattern[str], str]] = {
    DocumentType.PASSPORT: (re.compile(r"^[A-Z0-9]{5,17}$"), "护照号码应为 5–17 位字母或数字"),
    DocumentType.HK_MACAO_PERMIT: (
        re.compile(r"^[HM]\d{8}(\d{2})?$"),
        "港澳居民来往内地通行证号码应为 H 或 M 开头加 8 位（或 10 位）数字",
    ),
    DocumentType.TAIWAN_PERMIT: (re.compile(r"^\d{8}(\d{2})?$"), "台湾居民来往大陆通行证号码应为 8 位（或 10 位）数字"),
    DocumentType.FOREIGN_PERMANENT_ID: (
        re.compile(r"^([A-Z]{3}\d{12}|9\d{16}[\dX])$"),
        "外国人永久居留身份证号码应为 3 位字母加 12 位数字（旧版）或 9 开头的 18 位（2023 版）",
    ),
    DocumentType.MILITARY_OFFICER_ID: (
        re.compile(r"^[\u4e00-\u9fffA-Z0-9]{4,20}$"),
        "军官证号应为 4–20 位汉字、字母或数字",
    ),
}


def parse_document(doc_type: str, raw, *, today: datetime.date | None = None) -> Document:
    """Normalise and validate a number of any supported type."""
    if doc_type in {DocumentType.RESIDENT_ID, DocumentType.HOUSEHOLD_REGISTER}:
        # The household register lists the holder's citizen ID number: the same rules apply.
        document = parse_resident_id(raw, today=today)
        return Document(doc_type, document.number, document.birth_date, document.sex)
    if doc_type not in _PATTERNS:
        raise DocumentError(f"不支持的证件类型：{doc_type}")
    text = clean_text(raw)
    if not text:
        raise DocumentError("证件号码为空")
    if _SCIENTIFIC.match(text):
        raise DocumentError(f"证件号码 {raw} 已被 Excel 转成科学计数法，无法恢复，请重新获取原始号码")
    pattern, message = _PATTERNS[doc_type]
    if not pattern.match(text):
        raise DocumentError(f"{message}：{text}")
    return Document(doc_type, text)
