import datetime
import io
import shutil
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from docx import Document
from python_calamine import CalamineWorkbook

from fangxian.reports import briefings
from fangxian.reports.models import Briefing

SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"


def evening() -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time(19, 0)))


def docx_text(path: str) -> str:
    document = Document(path)
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    return "\n".join([paragraph.text for paragraph in document.paragraphs] + cells)


def test_a_draft_is_written_from_the_figures_and_issued_as_docx_and_xlsx(world):
    briefing = briefings.draft_briefing(actor=world["district"], district=world["huiji"], now=evening())
    assert briefing.number == 1 and "登记在册人员" in briefing.texts["overall"]
    assert "在办 1 条" in briefing.texts["overall"]  # the world's one open lead
    assert "社区日报" in briefing.figures["reports_text"]
    briefings.edit_briefing(
        actor=world["district"],
        briefing=briefing,
        texts={**briefing.texts, "next_steps": "一是加强值班值守。"},
    )
    issued = briefings.issue_briefing(actor=world["district"], briefing=briefing)
    text = docx_text(issued.docx_path)
    for expected in [
        "惠济区疫情防控日报",
        "第1期",
        "一、总体情况",
        "二、重点人员排查管控",
        "五、病例与流调",
        "六、场所码扫码",
        "七、疫苗接种",
        "应接种 2 人，至少接种 1 剂 0 人",
        "八、日报报送情况",
        "十、下一步工作",
        "一是加强值班值守。",
        "新城街道",
        "超时未核查",
    ]:
        assert expected in text, expected
    sheets = CalamineWorkbook.from_path(issued.xlsx_path).sheet_names
    assert sheets == ["重点人员排查管控", "日报报送情况", "未按时报送单位"]
    with pytest.raises(ValidationError, match="已印发"):
        briefings.edit_briefing(actor=world["district"], briefing=issued, texts=issued.texts)
    with pytest.raises(ValidationError, match="已印发"):
        briefings.draft_briefing(actor=world["district"], district=world["huiji"], now=evening())


def test_the_evening_run_drafts_each_districts_briefing_once(world):
    Briefing.objects.all().delete()  # the world's own draft
    morning = evening().replace(hour=9)
    assert briefings.draft_due_briefings(actor=world["system"], now=morning) == 0
    assert briefings.draft_due_briefings(actor=world["system"], now=evening()) == 1
    assert briefings.draft_due_briefings(actor=world["system"], now=evening()) == 0
    assert Briefing.objects.get().day == timezone.localdate()


def test_the_briefing_renders_in_libreoffice_as_a_chinese_page(world, tmp_path):
    """Word is not here; LibreOffice renders the .docx to PDF, poppler to PNG, and the page is looked at."""
    soffice, pdftoppm = shutil.which("soffice"), shutil.which("pdftoppm")
    if not soffice or not pdftoppm:
        pytest.fail("LibreOffice Writer and poppler are missing: run ./scripts/ensure-system-packages (make test does)")
    briefing = briefings.draft_briefing(actor=world["district"], district=world["huiji"], now=evening())
    issued = briefings.issue_briefing(actor=world["district"], briefing=briefing)
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation=file://{tmp_path}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(tmp_path),
            issued.docx_path,
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pdf = tmp_path / f"{issued.uuid}.pdf"
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "CJK" in fonts or "Noto" in fonts, fonts  # Chinese text set in a CJK font, not boxes
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [pdftoppm, "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(SCREENSHOTS / "briefing")],
        check=True,
        timeout=60,
    )
    page = next(SCREENSHOTS.glob("briefing*.png"))
    assert page.stat().st_size > 10_000
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "惠济区疫情防控日报" in text and "一、总体情况" in text


def test_the_office_drafts_edits_issues_and_downloads_the_briefing_from_its_pages(world, client_for):
    client = client_for("district")
    assert client_for("township_b").post("/reports/briefings/draft/", {"district": "410108"}).status_code == 403
    response = client.post("/reports/briefings/draft/", {"district": "410108"})
    briefing = Briefing.objects.get(district=world["huiji"], day=timezone.localdate())
    assert response.status_code == 302 and response["Location"] == f"/reports/briefings/{briefing.uuid}/"
    texts = {**briefing.texts, "problems": "一是个别社区排查不细。"}
    client.post(f"/reports/briefings/{briefing.uuid}/edit/", texts)
    client.post(f"/reports/briefings/{briefing.uuid}/issue/")
    briefing.refresh_from_db()
    assert briefing.status == "issued" and briefing.texts["problems"] == "一是个别社区排查不细。"
    download = client.get(f"/reports/briefings/{briefing.uuid}/file.docx")
    assert download["Content-Type"].startswith("application/vnd.openxmlformats-officedocument.wordprocessing")
    assert Document(io.BytesIO(download.content)).paragraphs[0].text == "惠济区疫情防控日报"
    page = client.get(f"/reports/briefings/{briefing.uuid}/").content.decode()
    assert "一是个别社区排查不细。" in page and 'data-testid="issue-briefing"' not in page
    assert client_for("township_a").get(f"/reports/briefings/{briefing.uuid}/").status_code == 404
