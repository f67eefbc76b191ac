"""Every upload has a size limit (pages and the API), refused before the body is read when it is plainly too
big; a file of many bad rows shows the first PAGE_ERROR_LIMIT on its page and all of them in a file."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fangxian.core.models import Job

MIB = 1024 * 1024


def csv_file(name: str, text: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def sheet_rows(content: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_a_body_over_the_limit_is_refused_before_it_is_read(world, client_for, settings):
    settings.MAX_UPLOAD_MB = 1
    big = "管码,结果\n" + "P0001,阴性\n" * (3 * MIB // 11)
    page = client_for("lab").post(reverse("testing:results"), {"lab": "区疾控", "file": csv_file("r.csv", big)})
    assert page.status_code == 413 and "超过 1 MB" in page.content.decode()
    api = client_for("lab").post(reverse("api-testing-results"), {"file": csv_file("r.csv", big)})
    assert api.status_code == 413 and api["Content-Type"] == "application/json" and "1 MB" in api.json()["detail"]


def test_a_file_over_the_limit_is_refused_by_its_form(world, client_for, settings):
    """Under the body's margin but over the file limit: the form says so, nothing is written."""
    from fangxian.leads.models import ImportBatch

    settings.MAX_UPLOAD_MB = 1
    batches = ImportBatch.objects.count()
    text = "姓名,证件号码\n" + "张三,410108199003071234\n" * (int(1.4 * MIB) // 30)
    data = {"district": world["huiji"].pk, "source": "city_push", "default_category": "other"}
    page = client_for("district").post(reverse("leads:upload"), {**data, "file": csv_file("名单.csv", text)})
    assert page.status_code in (200, 400) and "文件超过 1 MB" in page.content.decode()
    assert ImportBatch.objects.count() == batches
    api = client_for("lab").post(reverse("api-testing-results"), {"file": csv_file("r.csv", text)})
    assert api.status_code == 400 and "文件超过 1 MB" in str(api.json())
    units = client_for("district").post(
        reverse("core:unit_import"), {"district": world["huiji"].pk, "file": csv_file("村.csv", text)}
    )
    assert "文件超过 1 MB" in units.content.decode()


def test_a_result_file_of_many_bad_rows_shows_the_first_hundred_and_offers_them_all(world, client_for, settings):
    bad = 250
    text = "管码,结果\n" + "".join(f"X{n:05d},不清楚\n" for n in range(bad))  # not a result
    client = client_for("lab")
    page = client.post(reverse("testing:results"), {"lab": "区疾控", "file": csv_file("r.csv", text)})
    body = page.content.decode()
    table = body.split('data-testid="result-problems"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + settings.PAGE_ERROR_LIMIT  # the header and the first hundred
    assert "X00000" in table and "X00249" not in table and "另有 150 行" in body
    job = Job.objects.get(kind="problems", created_by=world["lab"])
    download = client.get(job.result_url)
    assert download.status_code == 200
    assert [row[1] for row in sheet_rows(download.content)[1:]] == [f"X{n:05d}" for n in range(bad)]
    assert client_for("district").get(job.result_url).status_code == 404  # only for who uploaded it


def test_a_unit_file_of_many_bad_rows_shows_the_first_hundred_and_offers_them_all(world, client_for, settings):
    bad = 130
    text = "代码,名称\n" + "".join(f"9{n:011d},坏单位{n}\n" for n in range(bad))
    client = client_for("district")
    page = client.post(reverse("core:unit_import"), {"district": world["huiji"].pk, "file": csv_file("村.csv", text)})
    body = page.content.decode()
    assert page.status_code == 400
    table = body.split('data-testid="import-errors"')[1].split("</table>")[0]
    assert table.count("<tr>") == 1 + settings.PAGE_ERROR_LIMIT and 'data-testid="more-errors"' in body
    job = Job.objects.get(kind="problems", created_by=world["district"])
    assert len(sheet_rows(client.get(job.result_url).content)) >= 1 + bad
