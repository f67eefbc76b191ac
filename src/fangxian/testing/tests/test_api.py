import json

from django.core.files.uploadedfile import SimpleUploadedFile

from fangxian.core.models import AccessRecord
from fangxian.testing.models import Recall, ResultSubmission, Sample, Tube
from fangxian.testing.tests.conftest import citizen_id


def post_json(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def tube(code, numbers, pool_size=10):
    members = [{"doc_number": citizen_id(n), "name": f"受检{n}"} for n in numbers]
    return {"code": code, "pool_size": pool_size, "members": members}


def test_a_sampling_app_registers_tubes_and_sending_them_again_changes_nothing(world, point, client_for):
    client = client_for("township_a")
    body = {"point": str(point.uuid), "tubes": [tube("A0001", range(10)), tube("A0002", range(10, 21))]}
    first = post_json(client, "/api/testing/tubes/", body).json()
    assert (first["created"], first["members"]) == (1, 10)
    assert first["problems"] == [{"tube_code": "A0002", "message": "超过混采上限：11 人，上限 10 人"}]
    again = post_json(client, "/api/testing/tubes/", body).json()
    assert (again["created"], again["unchanged"]) == (0, 1) and Sample.objects.count() == 10
    outsider = post_json(client_for("township_b"), "/api/testing/tubes/", body)
    assert outsider.status_code == 404


def test_a_lab_sends_results_as_json_and_a_positive_pool_is_on_the_recall_list(world, point, client_for, register):
    register({"A0001": list(range(10)), "A0002": [10]})
    response = post_json(
        client_for("lab"),
        "/api/testing/results/",
        {"lab": "金域", "results": [{"tube_code": "A0001", "result": "阳性", "ct_orf": "31.2"}]},
    ).json()
    assert response["recalled_people"] == 10 and response["accepted"] == 1
    assert client_for("lab").get("/api/testing/recalls/").status_code == 403  # a lab sees tubes, not people
    listed = client_for("township_a").get("/api/testing/recalls/?status=held").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert len(rows) == 10 and all("*" in row["doc_number_masked"] for row in rows)
    assert citizen_id(1) not in json.dumps(listed, ensure_ascii=False)
    assert client_for("township_b").get("/api/testing/recalls/").json() in (
        [],
        {"count": 0, "next": None, "previous": None, "results": []},
    )


def test_a_result_file_with_mixed_encodings_and_a_broken_line_keeps_every_readable_row(
    world, point, client_for, register
):
    register({"A0001": [1], "A0002": [2], "A0003": [3]})
    lines = [
        "管码,检测结果,ORF1ab,N".encode(),
        "A0001,阴性,,".encode(),
        "A0002,阴性,,".encode("gbk"),
        b"A0003,\xff\xfe\xfa,,",
    ]
    upload = SimpleUploadedFile("结果.csv", b"\r\n".join(lines), content_type="text/csv")
    response = client_for("lab").post("/api/testing/results/", {"file": upload, "lab": "金域"})
    body = response.json()
    assert response.status_code == 200 and body["accepted"] == 2
    assert [problem["row"] for problem in body["problems"]] == [4]
    assert set(Tube.objects.filter(result="negative").values_list("code", flat=True)) == {"A0001", "A0002"}
    assert ResultSubmission.objects.count() == 2


def test_a_result_file_without_a_result_column_is_refused_whole(world, client_for):
    upload = SimpleUploadedFile("结果.csv", "管码,备注\nA0001,x\n".encode(), content_type="text/csv")
    response = client_for("lab").post("/api/testing/results/", {"file": upload})
    assert response.status_code == 400 and "结果" in response.json()["file"][0]
    assert not ResultSubmission.objects.exists()


def test_the_48_hour_lookup_answers_yes_or_no_and_is_logged(world, client_for, register, results):
    register({"A0001": [1]})
    results([{"tube_code": "A0001", "result": "阴性"}])
    client = client_for("township_b")  # a venue elsewhere in the district asks about a visitor
    answer = client.get(f"/api/testing/latest-negative/?doc_number={citizen_id(1)}").json()
    assert answer["negative_within"] is True and answer["sampled_at"]
    assert client.get(f"/api/testing/latest-negative/?doc_number={citizen_id(2)}").json()["negative_within"] is False
    assert AccessRecord.objects.filter(actor=world["township_b"], model="testing.sample").count() == 2
    assert not Recall.objects.exists()


def test_only_labs_and_the_district_report_results_a_township_a_grid_team_or_a_clerk_is_refused(
    world, client_for, register
):
    """A township office reporting a pool positive would hold people of other townships and open leads there."""
    register({"A0001": [1]})
    body = {"results": [{"tube_code": "A0001", "result": "阳性"}]}
    for name in ("township_a", "grid", "clerk", "site"):
        assert post_json(client_for(name), "/api/testing/results/", body).status_code == 403
    upload = SimpleUploadedFile("结果.csv", "管码,检测结果\nA0001,阳性\n".encode())
    assert client_for("grid").post("/testing/results/", {"lab": "x", "file": upload}).status_code == 403
    assert not ResultSubmission.objects.exists() and Tube.objects.get(code="A0001").result == ""
