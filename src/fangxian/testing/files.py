"""A lab's result file (csv, xlsx, xls, ods) read into result rows. A CSV is decoded line by line: a file put
together from two systems may carry UTF-8 and GBK lines at once, and one line no encoding reads is a bad row,
not a refused file."""

import csv
import io
from pathlib import Path

import polars as pl
from django.conf import settings

from fangxian.core.tabular import SPREADSHEET_SUFFIXES, TEXT_ENCODINGS, TableReadError, match_headers, read_rows
from fangxian.testing.services import RESULT_COLUMNS, ResultProblem

RESULT_HEADERS = {
    "tube_code": ["管码", "采样管编码", "样本编号", "条码", "tube_code", "code"],
    "result": ["结果", "检测结果", "result"],
    "ct_orf": ["ORF1ab", "ORF1ab Ct", "Ct ORF1ab", "ORF", "ct_orf"],
    "ct_n": ["N", "N Ct", "Ct N", "N 基因", "ct_n"],
}


def _decoded_lines(data: bytes) -> tuple[list[str | None], int]:
    lines: list[str | None] = []
    undecodable = 0
    for raw in data.splitlines():
        for encoding in TEXT_ENCODINGS:
            try:
                lines.append(raw.decode(encoding).replace("\x00", ""))
                break
            except UnicodeDecodeError:
                continue
        else:
            lines.append(None)
            undecodable += 1
    return lines, undecodable


def read_result_file(path: Path) -> tuple[pl.DataFrame, list[ResultProblem], int]:
    """Rows as ingest_results takes them (row numbers as in the file, the header being row 1) and the rows
    that could not be read at all: the first settings.PROBLEM_ROWS_KEPT of them, and how many more."""
    problems: list[ResultProblem] = []
    not_kept = 0
    if path.suffix.lower() == ".csv":
        lines, _ = _decoded_lines(path.read_bytes())
        rows: list[list[str] | None] = []
        for line in lines:
            rows.append(None if line is None else next(csv.reader(io.StringIO(line)), []))
    elif path.suffix.lower() in SPREADSHEET_SUFFIXES:
        rows = list(read_rows(path))
    else:
        raise TableReadError(f"不支持的文件类型 {path.suffix or '(无扩展名)'}，请上传 .xlsx、.xls、.ods 或 .csv")
    if not rows or rows[0] is None:
        raise TableReadError("文件为空或首行无法读取：首行应为表头（管码、结果…）")
    columns = match_headers(rows[0], RESULT_HEADERS)
    missing = [name for name in ("tube_code", "result") if name not in columns]
    if missing:
        raise TableReadError("表头缺少列：" + "、".join(RESULT_HEADERS[name][0] for name in missing))
    data: dict[str, list] = {name: [] for name in RESULT_COLUMNS}
    data["row"] = []
    for number, row in enumerate(rows[1:], start=2):
        if row is None:
            if len(problems) < settings.PROBLEM_ROWS_KEPT:
                problems.append(ResultProblem(number, "", "该行编码无法识别（既不是 UTF-8 也不是 GBK）"))
            else:
                not_kept += 1
            continue
        if not any(cell.strip() for cell in row):
            continue
        for name in RESULT_COLUMNS:
            position = columns.get(name)
            data[name].append(row[position] if position is not None and position < len(row) else None)
        data["row"].append(number)
    frame = pl.DataFrame(data, schema={**RESULT_COLUMNS, "row": pl.Int64})
    return frame, problems, not_kept
