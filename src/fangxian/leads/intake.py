"""Reading a pushed list: find the header, map its columns, validate every row, find duplicates in the file.

Nothing here touches the database; services.py matches persons and writes. Row numbers are the spreadsheet's
own (1-based), so an officer can find the row in the file they were sent.
"""

import datetime
import re
from dataclasses import dataclass, field

from fangxian.core.tabular import RowError, cell_text, match_headers
from fangxian.leads.choices import CATEGORY_WORDS
from fangxian.people.choices import DocumentType
from fangxian.people.documents import Document, DocumentError, clean_text, parse_document

# The wordings seen on real lists for each field. Headers are compared without spaces, line breaks and marks.
FIELD_HEADERS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "人员姓名", "名字"),
    "doc_number": (
        "身份证号",
        "身份证号码",
        "证件号码",
        "证件号",
        "公民身份号码",
        "身份证件号码",
        "有效证件号码",
        "证件编号",
    ),
    "doc_type": ("证件类型", "证件种类"),
    "phone": ("手机号", "手机号码", "联系电话", "电话", "联系方式", "电话号码"),
    "address": ("现住址", "现居住地址", "现住地址", "居住地址", "住址", "现居住地", "详细地址", "落地地址"),
    "category": ("推送原因", "人员类别", "人员类型", "类别", "风险类型", "管控类别"),
    "risk_area": ("风险地区", "涉及风险区", "风险区域", "途经风险地区", "来源地"),
    "left_at": ("离开风险地区时间", "离开风险区时间", "离开时间", "末次离开时间", "最后接触时间", "末次接触时间"),
    "note": ("备注", "其他情况"),
}
FIELD_LABELS = {
    "name": "姓名",
    "doc_number": "证件号码",
    "doc_type": "证件类型",
    "phone": "联系电话",
    "address": "现住址",
    "category": "人员类别",
    "risk_area": "风险地区",
    "left_at": "离开风险地区时间",
    "note": "备注",
}
REQUIRED_FIELDS = ("name", "doc_number")
HEADER_SEARCH_ROWS = 30
MAX_ROWS = 1_000_000

_FOOTER = re.compile(r"^(制表|填表|填报|审核|联系人|负责人|合计|总计|注|说明)")
_PHONE = re.compile(r"^(1\d{10}|0\d{9,11}|\d{7,8})$", re.ASCII)
_FORMULA_START = ("=", "+", "@")
_DATE_FORMATS = (
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%Y%m%d",
)
_DOC_TYPE_WORDS = [
    ("身份证", DocumentType.RESIDENT_ID),
    ("护照", DocumentType.PASSPORT),
    ("港澳", DocumentType.HK_MACAO_PERMIT),
    ("台湾", DocumentType.TAIWAN_PERMIT),
    ("台胞", DocumentType.TAIWAN_PERMIT),
    ("永久居留", DocumentType.FOREIGN_PERMANENT_ID),
    ("户口", DocumentType.HOUSEHOLD_REGISTER),
    ("军官", DocumentType.MILITARY_OFFICER_ID),
]
_ID_SHAPE = re.compile(r"^(\d{15}|\d{17}[\dX])$", re.ASCII)


@dataclass(frozen=True)
class ColumnMap:
    header_row: int  # 0-based index into the rows
    columns: dict[str, int]  # field -> 0-based column index
    headers: list[str]  # the file's own header texts

    def label(self, field_name: str) -> str:
        index = self.columns.get(field_name)
        return self.headers[index] if index is not None and index < len(self.headers) else FIELD_LABELS[field_name]

    def as_json(self) -> dict:
        return {"header_row": self.header_row, "columns": self.columns, "headers": self.headers}


@dataclass
class IntakeRow:
    row: int
    name: str
    document: Document
    phone: str
    address: str
    category: str
    risk_area: str
    left_at: datetime.datetime | None
    pushed: dict[str, str]


@dataclass
class IntakePlan:
    columns: ColumnMap | None
    rows: list[IntakeRow] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    duplicates: list[tuple[int, int]] = field(default_factory=list)  # (row, row of the first occurrence)
    data_rows: int = 0

    @property
    def invalid_rows(self) -> int:
        return len({error.row for error in self.errors if error.row})

    def summary(self) -> dict:
        return {
            "rows": self.data_rows,
            "valid": len(self.rows),
            "invalid": self.invalid_rows,
            "duplicates_in_file": len(self.duplicates),
        }


def map_header_row(row: list) -> dict[str, int]:
    return match_headers(row, FIELD_HEADERS)


def detect_columns(rows: list[list[str]]) -> ColumnMap | None:
    """The first row, among the first few, that names both the person and the document; None if there is none."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = map_header_row(row)
        if all(name in columns for name in REQUIRED_FIELDS):
            return ColumnMap(index, columns, [cell_text(cell) for cell in row])
    return None


def columns_from_json(data: dict) -> ColumnMap:
    return ColumnMap(int(data["header_row"]), {k: int(v) for k, v in data["columns"].items()}, list(data["headers"]))


def category_of(text: str, default: str) -> str:
    for word, category in CATEGORY_WORDS:
        if word in text:
            return category
    return default


def document_type_of(text: str) -> str | None:
    for word, doc_type in _DOC_TYPE_WORDS:
        if word in text:
            return doc_type
    return None


def parse_when(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromisoformat(text.strip())  # the usual case, and much the fastest
    except ValueError:
        pass
    text = text.strip().replace("年", "-").replace("月", "-").replace("日", "").replace("T", " ")
    for pattern in _DATE_FORMATS:
        try:
            return datetime.datetime.strptime(text, pattern)
        except ValueError:
            continue
    raise ValueError(text)


def validate(rows: list[list[str]], columns: ColumnMap, *, default_category: str, today: datetime.date) -> IntakePlan:
    """Validate every data row below the header; collect all errors instead of stopping at the first."""
    plan = IntakePlan(columns=columns)
    if len(rows) - columns.header_row - 1 > MAX_ROWS:
        plan.errors.append(RowError(0, "", "", f"文件超过 {MAX_ROWS:,} 行，请拆分后分批导入"))
        return plan
    first_row_of: dict[tuple[str, str], int] = {}
    col = columns.columns
    at = {name: col.get(name) for name in FIELD_LABELS}
    pushed_columns = [(i, header) for i, header in enumerate(columns.headers) if header]
    errors = plan.errors

    def cell(cells: list, name: str) -> str:
        index = at[name]
        return cell_text(cells[index]) if index is not None and index < len(cells) else ""

    def error(row: int, field_name: str, value: str, message: str) -> None:
        errors.append(RowError(row, columns.label(field_name), value, message))

    for offset, cells in enumerate(rows[columns.header_row + 1 :], start=columns.header_row + 2):
        name, raw_number = cell(cells, "name"), cell(cells, "doc_number")
        if not name and not raw_number:
            continue  # blank line, or a footer written in another column
        if not raw_number and _FOOTER.match(name):
            continue
        plan.data_rows += 1
        errors_before = len(errors)

        if not name:
            error(offset, "name", name, "姓名为空")
        elif name.startswith(_FORMULA_START) or "<" in name or ">" in name:
            error(offset, "name", name, "姓名含有公式或网页标记等非法字符")
        elif len(name) > 50:
            error(offset, "name", name, "姓名超过 50 个字符")

        document = None
        doc_type_text = cell(cells, "doc_type") if at["doc_type"] is not None else ""
        doc_type = document_type_of(doc_type_text) if doc_type_text else None
        if doc_type_text and doc_type is None:
            error(offset, "doc_type", doc_type_text, "无法识别的证件类型")
        elif not raw_number:
            error(offset, "doc_number", raw_number, "证件号码为空")
        else:
            if doc_type is None:
                cleaned = raw_number if _ID_SHAPE.match(raw_number) else clean_text(raw_number)
                looks_like_id = _ID_SHAPE.match(cleaned) or "E+" in cleaned.upper() or cleaned.isdigit()
                doc_type = DocumentType.RESIDENT_ID if looks_like_id else None
            if doc_type is None:
                error(offset, "doc_number", raw_number, "无法判断证件类型：非身份证号码时请增加“证件类型”列")
            else:
                try:
                    document = parse_document(doc_type, raw_number, today=today)
                except DocumentError as problem:
                    error(offset, "doc_number", raw_number, str(problem))

        raw_phone = cell(cells, "phone") if at["phone"] is not None else ""
        phone = ""
        if raw_phone:
            phone = raw_phone if _PHONE.match(raw_phone) else clean_text(raw_phone).lstrip("+")
            if len(phone) == 13 and phone.startswith("861"):
                phone = phone[2:]  # +86 country code before a mobile number
            if not _PHONE.match(phone):
                error(offset, "phone", raw_phone, "联系电话格式不正确（应为 11 位手机号或固定电话）")

        left_at = None
        raw_left = cell(cells, "left_at") if at["left_at"] is not None else ""
        if raw_left:
            try:
                left_at = parse_when(raw_left)
            except ValueError:
                error(offset, "left_at", raw_left, "时间格式无法识别（例：2022-11-10 08:30）")

        if len(errors) > errors_before or document is None:
            continue
        key = (document.doc_type, document.number)
        if key in first_row_of:
            plan.duplicates.append((offset, first_row_of[key]))
            continue
        first_row_of[key] = offset
        width = len(cells)
        pushed = {}
        for i, header in pushed_columns:
            if i < width:
                text = cell_text(cells[i])
                if text:
                    pushed[header] = text
        plan.rows.append(
            IntakeRow(
                row=offset,
                name=name,
                document=document,
                phone=phone,
                address=cell(cells, "address")[:200],
                category=category_of(cell(cells, "category"), default_category),
                risk_area=cell(cells, "risk_area")[:200],
                left_at=left_at,
                pushed=pushed,
            )
        )
    if plan.data_rows == 0:
        plan.errors.append(RowError(columns.header_row + 1, "", "", "表头下没有数据行"))
    return plan
