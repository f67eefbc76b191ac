"""Real spreadsheet files for the tests, written by the ordinary writers of each format."""

import csv
import zipfile
from pathlib import Path

import xlsxwriter
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table, TableCell, TableRow
from odf.text import P


def write_xlsx(path: Path, rows: list[list], *, merge_title: bool = True) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("推送名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is None:
                continue
            sheet.write(r, c, value)
    if merge_title and rows and len(rows[0]) == 1:
        sheet.merge_range(0, 0, 0, 7, rows[0][0])
    workbook.close()
    return path


def write_xls(path: Path, rows: list[list]) -> Path:
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("Sheet1")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            if value is not None:
                sheet.write(r, c, value)
    workbook.save(str(path))
    return path


def write_ods(path: Path, rows: list[list]) -> Path:
    document = OpenDocumentSpreadsheet()
    table = Table(name="Sheet1")
    for row in rows:
        table_row = TableRow()
        for value in row:
            cell = TableCell(valuetype="string")
            cell.addElement(P(text="" if value is None else str(value)))
            table_row.addElement(cell)
        table.addElement(table_row)
    document.spreadsheet.addElement(table)
    document.save(str(path))
    return path


def write_csv(path: Path, rows: list[list], *, encoding: str = "utf-8") -> Path:
    with open(path, "w", encoding=encoding, newline="") as handle:
        csv.writer(handle).writerows([["" if v is None else v for v in row] for row in rows])
    return path


def write_encrypted_xlsx(path: Path, rows: list[list], password: str = "推送密码") -> Path:
    """A workbook with an opening password, encrypted as Excel does (the package inside a compound file)."""
    from msoffcrypto.format.ooxml import OOXMLFile

    plain = write_xlsx(path.with_name(f"plain-{path.name}"), rows)
    with open(plain, "rb") as source, open(path, "wb") as target:
        OOXMLFile(source).encrypt(password, target)
    return path


def write_zip_bomb(path: Path, unpacked_mb: int = 300) -> Path:
    """An .xlsx-shaped zip whose sheet unpacks ~1000 times larger than it is stored."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            block = b" " * (1 << 20)
            for _ in range(unpacked_mb):
                sheet.write(block)
    return path
