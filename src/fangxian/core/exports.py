"""xlsx exports: formula-safe cells, written in constant memory so a big scope does not exhaust the server."""

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import quote

import xlsxwriter
from django.http import HttpResponse
from django.utils import timezone

_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Column:
    """One column of a list, for its page table and its xlsx export alike (core.tables.Table renders the page).

    `value` is the plain text or number (the export's cell, and the page's unless `cell` gives markup: a
    link, a badge). `page`/`export` leave a column out of one of them (a checkbox, a code only the file
    needs); `css` is the page cell's class; `heading` marks the column a phone shows as a card's title."""

    title: str
    value: Callable[[object], object]
    width: int = 14
    cell: Callable[[object], object] | None = None
    page: bool = True
    export: bool = True
    css: str = ""
    heading: bool = False
    testid: str = ""  # the page cell's data-testid (browser tests find cells by it)


def safe_cell(value):
    """Text that a spreadsheet would run as a formula is written as plain text (CSV/formula injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_TRIGGERS):
        return "'" + value
    return value


def xlsx_bytes(*, title: str, columns: list[Column], rows: Iterable[object]) -> tuple[bytes, int]:
    content, counts = xlsx_sheets([(title, columns, rows)])
    return content, counts[0]


def xlsx_sheets(sheets: list[tuple[str, list[Column], Iterable[object]]]) -> tuple[bytes, list[int]]:
    """One workbook, a sheet per (title, columns, rows); returns it and each sheet's row count."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False})
    header = workbook.add_format({"bold": True, "bg_color": "#E8EEF7", "border": 1})
    counts = []
    for title, all_columns, rows in sheets:
        columns = [column for column in all_columns if column.export]
        sheet = workbook.add_worksheet(title[:31])
        for index, column in enumerate(columns):
            sheet.set_column(index, index, column.width)
            sheet.write_string(0, index, column.title, header)
        count = 0
        for count, row in enumerate(rows, start=1):
            for index, column in enumerate(columns):
                value = safe_cell(column.value(row))
                if isinstance(value, str):
                    sheet.write_string(count, index, value)
                else:
                    sheet.write(count, index, value)
        sheet.freeze_panes(1, 0)
        counts.append(count)
    workbook.close()
    return buffer.getvalue(), counts


def xlsx_response(*, filename: str, content: bytes) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(content, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(f'{filename}-{stamp}.xlsx')}"
    return response


def xlsx_annotated(
    *, title: str, rows: list[list], notes: dict[int, str], marks: set[tuple[int, int]], note_title: str
) -> bytes:
    """An uploaded file given back with its problems: row n of the file is row n of the sheet (the row numbers
    the page lists), an added last column says what is wrong on each row, and each bad cell is filled red."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, "in_memory": False, "strings_to_formulas": False})
    bad = workbook.add_format({"bg_color": "#F8C6C6", "font_color": "#8A1C1C"})
    note = workbook.add_format({"font_color": "#8A1C1C", "bold": True})
    sheet = workbook.add_worksheet(title[:31])
    width = max((len(row) for row in rows), default=0)
    sheet.set_column(width, width, 60)
    for index, row in enumerate(rows):
        number = index + 1  # the spreadsheet's own row number
        for column, value in enumerate(row):
            value = safe_cell(value)
            style = bad if (number, column) in marks else None
            if isinstance(value, str):
                sheet.write_string(index, column, value, style)
            else:
                sheet.write(index, column, value, style)
        if number in notes:
            sheet.write_string(index, width, notes[number], note)
        elif index == 0:  # rows go out in order (constant memory): the added column's title with the first
            sheet.write_string(index, width, note_title, note)
    sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()
