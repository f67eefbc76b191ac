"""Scan files exported by the provincial health-code platform (csv in UTF-8 or GBK, xlsx, xls): the header row
found by its wordings, the rows ingested in batches of 10,000, each problem named by its row in the file."""

from dataclasses import dataclass, field
from pathlib import Path

from django.db import transaction

from fangxian.core.models import User
from fangxian.core.tabular import find_header, read_rows
from fangxian.venues.choices import ScanSource
from fangxian.venues.services import scans as scan_service

HEADERS = {
    "venue_code": ["场所码", "场所编码", "场所码编号", "场所ID", "venue_code"],
    "doc_type": ["证件类型", "doc_type"],
    "doc_number": ["证件号码", "身份证号", "身份证号码", "证件号", "doc_number"],
    "name": ["姓名", "name"],
    "phone": ["手机号", "手机号码", "联系电话", "phone"],
    "scanned_at": ["扫码时间", "扫描时间", "时间", "scanned_at"],
    "code_colour": ["健康码", "健康码状态", "健康码颜色", "码色", "code_colour"],
    "vaccinated": ["是否接种", "疫苗接种", "接种情况", "vaccinated"],
    "negative": ["48小时核酸", "48小时核酸阴性", "核酸结果", "negative"],
    "proxy_doc_number": ["代扫人证件号", "代扫人证件号码", "proxy_doc_number"],
    "area": ["分区", "区域", "楼层", "area"],
    "device": ["设备号", "设备编号", "device"],
}
REQUIRED = ("venue_code", "doc_number", "scanned_at")
BATCH = scan_service.MAX_BATCH


@dataclass
class FileOutcome:
    rows: int = 0
    written: int = 0
    unchanged: int = 0
    unregistered: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # (the spreadsheet's row number, message)


def import_scan_file(*, actor: User, path: Path, progress=None) -> FileOutcome:
    """Every valid row written (each batch in its own transaction: a killed import leaves whole batches, and a
    re-run writes only what is missing); problems named by their row in the file."""
    rows = read_rows(path)
    header_at, columns = find_header(
        rows,
        HEADERS,
        REQUIRED,
        missing_header="未找到表头：需要“场所码”“证件号码”“扫码时间”三列（可另有姓名、健康码、是否接种等）",
    )
    body = rows[header_at + 1 :]
    outcome = FileOutcome()
    for start in range(0, len(body), BATCH):
        chunk, lines = [], []
        for offset, row in enumerate(body[start : start + BATCH]):
            values = {name: (row[index] if index < len(row) else "") for name, index in columns.items()}
            if any(values.values()):  # blank lines (the end of a sheet) are no scans
                chunk.append(values)
                lines.append(header_at + 2 + start + offset)  # the spreadsheet's own row number
        if not chunk:
            continue
        with transaction.atomic():
            result = scan_service.ingest_scans(
                actor=actor, scans=scan_service.frame(chunk), source=ScanSource.FILE, limit=None
            )
        outcome.rows += result.received
        outcome.written += result.written
        outcome.unchanged += result.unchanged
        outcome.unregistered += result.unregistered
        outcome.problems.extend((lines[problem.row - 1], problem.message) for problem in result.problems)
        if progress:
            progress(min(start + BATCH, len(body)), len(body))
    return outcome
