"""The daily briefing as the office sends it: a .docx laid out like a government briefing (GB/T 9704 page, 小标宋
title, 黑体 section heads, 仿宋 body, numbered sections with tables), and an .xlsx with the detailed tables."""

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor

from fangxian.core.exports import Column, xlsx_sheets

# The fonts a Chinese office uses; a machine without them substitutes its own CJK fonts (Noto CJK on Debian).
TITLE_FONT = "方正小标宋简体"
HEADING_FONT = "黑体"
BODY_FONT = "仿宋_GB2312"
LATIN_FONT = "Times New Roman"
NUMERALS = "一二三四五六七八九十"

TOWNSHIP_COLUMNS = [
    ("name", "镇（街道）"),
    ("persons", "登记人员"),
    ("leads_received_today", "当日接收"),
    ("leads_verified_today", "当日办结"),
    ("leads_open", "在办"),
    ("leads_overdue", "超时未核查"),
]
REPORT_COLUMNS = [("form", "报表"), ("on_time", "按时"), ("late", "迟报"), ("missing", "未报"), ("due", "待报")]


RED = RGBColor(0xC0, 0x00, 0x00)  # 红头: the title and the rule under the issuing office


def _font(run, name: str, size: float, *, bold: bool = False, colour: RGBColor | None = None) -> None:
    run.font.name = LATIN_FONT if name == BODY_FONT else name
    run.font.size = Pt(size)
    run.font.bold = bold
    if colour is not None:
        run.font.color.rgb = colour
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)


def _paragraph(
    document,
    text: str,
    *,
    font: str = BODY_FONT,
    size: float = 16,
    bold: bool = False,
    align=WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent: bool = True,
    colour: RGBColor | None = None,
):
    paragraph = document.add_paragraph()
    paragraph.alignment = align
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = Pt(28)  # 固定值 28 磅: 22 lines to the page, as official documents are set
    layout.space_before = layout.space_after = Pt(0)
    if indent:
        layout.first_line_indent = Pt(size * 2)  # two characters
    _font(paragraph.add_run(text), font, size, bold=bold, colour=colour)
    return paragraph


def _red_rule(paragraph) -> None:
    """A red line under the paragraph, across the text block (the rule under a 红头 heading)."""
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in {"w:val": "single", "w:sz": "18", "w:space": "6", "w:color": "C00000"}.items():
        bottom.set(qn(key), value)
    borders.append(bottom)
    paragraph._p.get_or_add_pPr().append(borders)


def _table(document, columns: list[tuple[str, str]], rows: list[dict]) -> None:
    table = document.add_table(rows=1, cols=len(columns))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, (_, label) in zip(table.rows[0].cells, columns, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(label), HEADING_FONT, 12)
    for row in rows:
        cells = table.add_row().cells
        for cell, (key, _) in zip(cells, columns, strict=True):
            value = row.get(key, "")
            cell.paragraphs[0].alignment = (
                WD_ALIGN_PARAGRAPH.RIGHT if isinstance(value, int) else WD_ALIGN_PARAGRAPH.LEFT
            )
            _font(cell.paragraphs[0].add_run(f"{value:,}" if isinstance(value, int) else str(value)), BODY_FONT, 12)


def build_docx(briefing) -> bytes:
    figures, texts = briefing.figures, briefing.texts
    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin, section.bottom_margin = Cm(3.7), Cm(3.5)
    section.left_margin, section.right_margin = Cm(2.8), Cm(2.6)

    title = _paragraph(
        document,
        f"{briefing.district.name}疫情防控日报",
        font=TITLE_FONT,
        size=26,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        colour=RED,
    )
    title.paragraph_format.line_spacing = Pt(44)
    _paragraph(document, f"第{briefing.number}期", size=16, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    day = briefing.day
    office = _paragraph(
        document,
        f"{briefing.district.name}疫情防控指挥部办公室　　　　{day.year}年{day.month}月{day.day}日",
        size=14,
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
    )
    _red_rule(office)
    _paragraph(document, "", indent=False)

    sections = [
        ("总体情况", [texts.get("overall", "")], None),
        ("重点人员排查管控", [figures.get("leads_text", "")], (TOWNSHIP_COLUMNS, figures.get("children", []))),
        ("集中隔离与居家管控", [figures.get("control_text", "")], None),
        ("核酸检测", [figures.get("testing_text", "")], None),
        *([("病例与流调", [figures["cases_text"]], None)] if figures.get("cases_text") else []),
        *([("场所码扫码", [figures["venues_text"]], None)] if figures.get("venues_text") else []),
        *([("疫苗接种", [figures["vaccination_text"]], None)] if figures.get("vaccination_text") else []),
        ("日报报送情况", [figures.get("reports_text", "")], (REPORT_COLUMNS, figures.get("reports", []))),
        ("发现的问题", [texts.get("problems", "")], None),
        ("下一步工作", [texts.get("next_steps", "")], None),
    ]
    for index, (heading, paragraphs, table) in enumerate(sections):
        _paragraph(document, f"{NUMERALS[index]}、{heading}", font=HEADING_FONT, size=16)
        for text in paragraphs:
            for line in str(text).splitlines() or [""]:
                if line.strip():
                    _paragraph(document, line.strip())
        if table is not None and table[1]:
            _table(document, *table)
            _paragraph(document, "", indent=False)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def build_xlsx(briefing) -> bytes:
    """The detailed tables: figures per township, report filings per form, units that did not file."""
    figures = briefing.figures

    def columns(spec):
        return [Column(label, lambda row, key=key: row.get(key, "")) for key, label in spec]

    missing = [
        {"form": form["form"], "unit": name, "standing": standing}
        for form in figures.get("reports", [])
        for standing, names in (("未报", form.get("missing_units", [])), ("迟报", form.get("late_units", [])))
        for name in names
    ]
    content, _counts = xlsx_sheets(
        [
            ("重点人员排查管控", columns(TOWNSHIP_COLUMNS), figures.get("children", [])),
            ("日报报送情况", columns(REPORT_COLUMNS), figures.get("reports", [])),
            ("未按时报送单位", columns([("form", "报表"), ("unit", "单位"), ("standing", "情况")]), missing),
        ]
    )
    return content
