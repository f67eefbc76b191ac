"""The venue-code poster (场所码张贴): an A4 PDF with the QR code, the venue's name, category, unit and code, to
print and put up at the door. Drawn as vector squares (no image library), with the CJK font subset embedded."""

from pathlib import Path

import qrcode
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from fpdf import FPDF

from fangxian.venues.choices import VenueStatus
from fangxian.venues.models import Venue

PAGE_WIDTH = 210  # mm, A4
QR_SIZE = 130


def poster_pdf(venue: Venue, *, issuer: str) -> bytes:
    if venue.status == VenueStatus.CLOSED:
        raise ValidationError("场所已关闭，不再打印场所码")
    font = Path(settings.CJK_FONT)
    if not font.is_file():
        raise ValidationError(
            f"服务器缺少中文字体（{font}），无法生成海报：请安装 fonts-noto-cjk 或设置 FANGXIAN_CJK_FONT"
        )
    pdf = FPDF(format="A4", unit="mm")
    pdf.set_auto_page_break(False)
    pdf.set_title(f"{venue.name} 场所码")
    pdf.add_page()
    pdf.add_font("cjk", "", str(font), collection_font_number=settings.CJK_FONT_INDEX)
    pdf.set_fill_color(204, 31, 36)
    pdf.rect(0, 0, PAGE_WIDTH, 38, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font("cjk", size=34)
    pdf.set_xy(0, 10)
    pdf.cell(PAGE_WIDTH, 18, "场所码", align="C")
    pdf.set_text_color(20, 20, 20)
    pdf.set_font("cjk", size=24)
    pdf.set_xy(15, 46)
    pdf.multi_cell(PAGE_WIDTH - 30, 11, venue.name, align="C")
    _qr(pdf, settings.VENUE_QR_PREFIX + venue.code, top=pdf.get_y() + 6)
    pdf.set_font("cjk", size=20)
    pdf.set_xy(0, pdf.get_y() + 4)
    pdf.cell(PAGE_WIDTH, 10, venue.code, align="C")
    pdf.set_font("cjk", size=13)
    pdf.set_xy(15, pdf.get_y() + 12)
    rule = "进入请扫码登记 · 出示健康码" + (" · 查验 48 小时核酸阴性证明" if venue.category.requires_negative else "")
    for line in (f"{venue.category.name} · {venue.unit.label}", venue.address, rule, "佩戴口罩 · 保持一米距离"):
        pdf.set_x(15)
        pdf.multi_cell(PAGE_WIDTH - 30, 8, line, align="C")
    pdf.set_font("cjk", size=10)
    pdf.set_text_color(110, 110, 110)
    pdf.set_xy(15, 280)
    issued = timezone.localtime(venue.code_issued_at).strftime("%Y-%m-%d")
    pdf.cell(PAGE_WIDTH - 30, 6, f"{issuer} · 场所码生成于 {issued} · 重新生成后本码作废", align="C")
    return bytes(pdf.output())


def _qr(pdf: FPDF, text: str, *, top: float) -> None:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
    code.add_data(text)
    code.make(fit=True)
    matrix = code.get_matrix()
    cell = QR_SIZE / len(matrix)
    left = (PAGE_WIDTH - QR_SIZE) / 2
    pdf.set_fill_color(0, 0, 0)
    for row, line in enumerate(matrix):
        column = 0
        while column < len(line):
            if not line[column]:
                column += 1
                continue
            run = column
            while run < len(line) and line[run]:
                run += 1
            # One rectangle per run of dark modules: a few hundred shapes instead of thousands.
            pdf.rect(left + column * cell, top + row * cell, (run - column) * cell, cell, style="F")
            column = run
    pdf.set_y(top + QR_SIZE)
