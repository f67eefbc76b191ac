"""Reading spreadsheets as rows of text: .xlsx/.xls/.ods through calamine, .csv in UTF-8 (with or without BOM) or GBK.

Cells come back as the text a person sees. Numbers that Excel stored as floats are rendered without a spurious
".0"; a float too large to be exact (an ID number Excel turned into 4.10108E+17) is rendered in exponent form so
that the validators can report it instead of silently accepting a rounded number.
"""

import csv
import datetime
import hashlib
import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook, PasswordError

_HEADER_REMARK = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")  # 身份证号（必填）
_HEADER_NOISE = re.compile(r"[\s*＊:：]")


@dataclass
class RowError:
    """One problem in an imported file, as the user will look for it: spreadsheet row, column, value, message."""

    row: int
    column: str
    value: str
    message: str


def normal_header(text) -> str:
    return _HEADER_NOISE.sub("", _HEADER_REMARK.sub("", cell_text(text)))


def match_headers(row: list, wordings: Mapping[str, Iterable[str]]) -> dict[str, int]:
    """field -> column index, for the header cells that read as one of the field's wordings (first wins)."""
    index = {normal_header(wording): name for name, names in wordings.items() for wording in names}
    columns: dict[str, int] = {}
    for position, text in enumerate(row):
        name = index.get(normal_header(text))
        if name and name not in columns:
            columns[name] = position
    return columns


def find_header(
    rows: list[list[str]], wordings: Mapping[str, list[str]], required: Iterable[str], *, missing_header: str
) -> tuple[int, dict[str, int]]:
    """The header row among the first 20 (a title or a note may stand above it) and field -> column index; a
    file without one is refused with `missing_header`, a required column absent is named by its first wording."""
    required = list(required)
    header_at = next((i for i, row in enumerate(rows[:20]) if len(match_headers(row, wordings)) >= len(required)), None)
    if header_at is None:
        raise TableReadError(missing_header)
    columns = match_headers(rows[header_at], wordings)
    missing = [wordings[name][0] for name in required if name not in columns]
    if missing:
        raise TableReadError("缺少必需的列：" + "、".join(missing))
    return header_at, columns


SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")
_EXACT_FLOAT_LIMIT = 2**53


class TableReadError(ValueError):
    pass


def cell_text(value) -> str:
    if type(value) is str:
        # NUL is no character anyone typed, and PostgreSQL refuses it in text: it goes at the boundary.
        return value.strip() if "\x00" not in value else value.replace("\x00", "").strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < _EXACT_FLOAT_LIMIT:
            return str(int(value))
        if value.is_integer():
            return f"{value:.5E}"
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != datetime.time() else value.date().isoformat()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def decode_text(data: bytes) -> str:
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise TableReadError("文件编码无法识别，请另存为 UTF-8 或 GBK 编码的 CSV")


_ENCRYPTED = "文件设置了打开密码（已加密），无法读取：请在 Excel 中取消密码后另存，再上传"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # compound file: .xls, or an encrypted .xlsx
# A workbook is a zip. Sheets compress well, but not this well: a real 1,000,000-row sheet unpacks to well under
# 1 GiB, and deflate cannot pack better than about 1:1000 — which is what a zip bomb does.
MAX_UNPACKED_BYTES = 2 << 30
MAX_RATIO = 200
_RATIO_FLOOR = 50 << 20  # small parts (styles, a few cells) may compress as they like


def refuse_unsafe_workbook(path: Path) -> None:
    """Refuse, from the zip directory alone and before anything is unpacked, a workbook that would unpack to more
    than MAX_UNPACKED_BYTES or holds a large part compressed beyond MAX_RATIO; name an encrypted one as such."""
    with open(path, "rb") as handle:
        magic = handle.read(len(_OLE_MAGIC))
    if magic == _OLE_MAGIC:
        if path.suffix.lower() in {".xlsx", ".xlsm"}:
            raise TableReadError(_ENCRYPTED)  # Office keeps an encrypted .xlsx inside a compound file
        return
    if not zipfile.is_zipfile(path):
        return  # calamine names what is wrong with it
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, OSError) as error:
        raise TableReadError(f"无法读取表格文件：{error}") from error
    unpacked = sum(part.file_size for part in parts)
    bomb = any(
        part.file_size > _RATIO_FLOOR and part.file_size > MAX_RATIO * max(part.compress_size, 1) for part in parts
    )
    if unpacked > MAX_UNPACKED_BYTES or bomb:
        raise TableReadError(
            f"文件解压后达 {unpacked / (1 << 20):,.0f} MB，远超正常表格（疑似压缩炸弹），已拒绝读取。"
            "如确为大表，请拆分或另存为 CSV 后上传"
        )


def read_rows(path: Path | str, *, sheet: int = 0) -> list[list[str]]:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = decode_text(path.read_bytes())
        return [[cell_text(cell) for cell in row] for row in csv.reader(io.StringIO(text))]
    if suffix in SPREADSHEET_SUFFIXES:
        refuse_unsafe_workbook(path)
        try:
            workbook = CalamineWorkbook.from_path(str(path))
            rows = workbook.get_sheet_by_index(sheet).to_python(skip_empty_area=False)
        except PasswordError as error:
            raise TableReadError(_ENCRYPTED) from error
        except Exception as error:  # calamine raises its own error types for corrupt or mislabelled files
            raise TableReadError(f"无法读取表格文件：{error}") from error
        return [[cell_text(cell) for cell in row] for row in rows]
    raise TableReadError(f"不支持的文件类型 {suffix or '(无扩展名)'}，请上传 .xlsx、.xls、.ods 或 .csv")


@contextmanager
def spool_upload(upload):
    """An uploaded file as a path on disk with its own suffix (calamine reads paths), removed afterwards."""
    suffix = Path(upload.name).suffix.lower()
    with tempfile.NamedTemporaryFile(suffix=suffix) as handle:
        for chunk in upload.chunks():
            handle.write(chunk)
        handle.flush()
        yield Path(handle.name)


def read_uploaded_rows(upload, *, sheet: int = 0) -> list[list[str]]:
    with spool_upload(upload) as path:
        return read_rows(path, sheet=sheet)


def fingerprint(path: Path | str) -> str:
    """The file's SHA-256: how an import knows a file it has seen before."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def keep_copy(path: Path, digest: str, folder: Path) -> Path:
    """A copy of an uploaded file kept under its fingerprint for an import's second phase (once per content)."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{digest}{path.suffix.lower()}"
    if not target.exists():
        shutil.copyfile(path, target)
    return target
