import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from fangxian.core.audit import AuditError, audit_context, record_access, record_change
from fangxian.core.choices import AccessKind, ChangeKind
from fangxian.core.models import AccessRecord, ChangeRecord
from fangxian.people import services
from fangxian.people.choices import DocumentType
from fangxian.people.documents import check_char
from fangxian.people.models import Person

NEW_DOC = "41010820000101001" + check_char("41010820000101001")


def changes_of(person, kind=None):
    records = ChangeRecord.objects.filter(object_id=str(person.uuid))
    return records.filter(kind=kind) if kind else records


def accesses_of(person, kind):
    return AccessRecord.objects.filter(object_id=str(person.uuid), kind=kind)


# ---------------------------------------------------------------- writes


def test_a_write_with_no_actor_raises(world):
    with pytest.raises(AuditError):
        services.register_person(
            actor=None, unit=world["xc_grid"], name="无名", doc_type=DocumentType.RESIDENT_ID, doc_number=NEW_DOC
        )
    assert not Person.objects.filter(doc_number=NEW_DOC).exists()


def test_no_actor_on_an_access_raises(world):
    with pytest.raises(AuditError):
        record_access(actor=None, kind=AccessKind.DETAIL, unit=world["xc_grid"], instance=world["alice"])


def test_creating_a_person_from_the_page_leaves_a_change_record_with_the_request_id(world, client_for):
    response = client_for("township_a").post(
        reverse("people:create"),
        {
            "name": "页面登记",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": NEW_DOC,
            "unit": world["xc_grid"].pk,
            "category": "registered",
        },
    )
    assert response.status_code == 302
    person = Person.objects.get(doc_number=NEW_DOC)
    record = changes_of(person, ChangeKind.CREATE).get()
    assert record.actor == world["township_a"]
    assert record.request_id == response["X-Request-ID"]
    assert record.after["name"] == "页面登记"


def test_updating_from_the_page_records_before_and_after_of_changed_fields_only(world, client_for):
    alice = world["alice"]
    client_for("township_a").post(
        reverse("people:edit", kwargs={"uuid": alice.uuid}),
        {
            "name": alice.name,
            "doc_type": alice.doc_type,
            "doc_number": alice.doc_number,
            "phone": "13800000000",
            "address": alice.address,
            "unit": alice.unit_id,
            "category": alice.category,
            "reason": "电话变更",
        },
    )
    record = changes_of(alice, ChangeKind.UPDATE).get()
    assert record.before == {"phone": "13812345678"} and record.after == {"phone": "13800000000"}
    assert record.reason == "电话变更"


def test_deleting_from_the_page_keeps_the_before_state(world, client_for):
    bob = world["bob"]
    client_for("district").post(reverse("people:delete", kwargs={"uuid": bob.uuid}), {"reason": "重复登记"})
    record = changes_of(bob, ChangeKind.DELETE).get()
    assert record.before["doc_number"] == bob.doc_number and record.reason == "重复登记"
    assert not Person.objects.filter(pk=bob.pk).exists()


def test_creating_through_the_api_leaves_a_change_record(world, client_for):
    response = client_for("township_a").post(
        "/api/persons/",
        {
            "name": "接口登记",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": NEW_DOC,
            "unit": world["xc_grid"].code,
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert changes_of(Person.objects.get(doc_number=NEW_DOC), ChangeKind.CREATE).get().actor == world["township_a"]


def test_a_job_context_tags_the_records_it_writes(world):
    with audit_context(job_id="job-42"):
        person = services.register_person(
            actor=world["system"],
            unit=world["xc_grid"],
            name="任务登记",
            doc_type=DocumentType.RESIDENT_ID,
            doc_number=NEW_DOC,
        )
    assert changes_of(person).get().job_id == "job-42"


def test_the_demo_command_writes_change_records_as_the_service_account(db):
    call_command("demo", no_serve=True, persons=50)
    records = ChangeRecord.objects.filter(model="people.person", kind=ChangeKind.CREATE, reason="演示数据")
    assert records.count() == 50
    assert {record.actor.username for record in records} == {"system"}


# ---------------------------------------------------------------- reads


def test_opening_a_person_leaves_an_access_record(world, client_for):
    client_for("township_a").get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid}))
    assert accesses_of(world["alice"], AccessKind.DETAIL).get().actor == world["township_a"]


def test_revealing_a_number_leaves_an_access_record_and_shows_it(world, client_for):
    alice = world["alice"]
    response = client_for("grid").post(reverse("people:reveal", kwargs={"uuid": alice.uuid, "field": "doc_number"}))
    assert alice.doc_number in response.content.decode()
    record = accesses_of(alice, AccessKind.REVEAL).get()
    assert record.detail == {"field": "doc_number"} and record.actor == world["grid"]


def test_the_read_only_clerk_may_not_reveal(world, client_for):
    alice = world["alice"]
    response = client_for("clerk").post(reverse("people:reveal", kwargs={"uuid": alice.uuid, "field": "doc_number"}))
    assert response.status_code == 403
    assert alice.doc_number not in response.content.decode()
    assert not accesses_of(alice, AccessKind.REVEAL).exists()


def test_export_leaves_an_access_record_with_the_row_count(world, client_for):
    response = client_for("district").get(reverse("people:export"))
    assert response.status_code == 200
    record = AccessRecord.objects.get(kind=AccessKind.EXPORT)
    assert record.detail["rows"] == 2 and record.detail["full"] is False


def test_api_reads_leave_access_records(world, client_for):
    client = client_for("township_a")
    client.get(f"/api/persons/{world['alice'].uuid}/")
    client.get("/api/persons/")
    assert accesses_of(world["alice"], AccessKind.API_READ).exists()
    listing = AccessRecord.objects.get(kind=AccessKind.API_READ, object_id="")
    assert listing.detail["ids"] == [str(world["alice"].uuid)]


def test_search_leaves_an_access_record(world, client_for):
    client_for("township_a").get(reverse("people:list"), {"q": "新城"})
    detail = AccessRecord.objects.get(kind=AccessKind.SEARCH).detail
    assert detail == {"q": "新城", "filters": {"q": "新城"}, "page": 1, "rows": 1, "total": 1}


def test_every_page_of_a_personal_data_list_leaves_one_access_record(world, client_for):
    client = client_for("township_a")
    for name in ("people:list", "leads:list", "control:measures", "core:team_list", "core:change_list"):
        before = AccessRecord.objects.filter(kind=AccessKind.LIST).count()
        client.get(reverse(name), {"page": "1"})
        assert AccessRecord.objects.filter(kind=AccessKind.LIST).count() == before + 1, name
    listing = AccessRecord.objects.filter(kind=AccessKind.LIST, model="people.person").get()
    assert listing.detail == {"filters": {}, "page": 1, "rows": 1, "total": 1}


# ---------------------------------------------------------------- append-only at the database


@pytest.mark.parametrize("table", ["core_changerecord", "core_accessrecord"])
@pytest.mark.parametrize(
    "statement", ["UPDATE {table} SET reason = reason", "UPDATE {table} SET kind = kind", "DELETE FROM {table}"]
)
def test_the_database_refuses_to_change_audit_rows(world, client_for, table, statement):
    client_for("township_a").get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid}))
    if "reason" in statement and table == "core_accessrecord":
        statement = "UPDATE {table} SET detail = detail"
    before = ChangeRecord.objects.count(), AccessRecord.objects.count()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement.format(table=table))
    assert (ChangeRecord.objects.count(), AccessRecord.objects.count()) == before


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite has no TRUNCATE (DELETE is refused above)")
@pytest.mark.parametrize("table", ["core_changerecord", "core_accessrecord"])
def test_postgresql_refuses_to_truncate_audit_tables(world, client_for, table):
    client_for("township_a").get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid}))
    before = ChangeRecord.objects.count(), AccessRecord.objects.count()
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's own inserts are checked first
            cursor.execute(f"TRUNCATE {table} CASCADE")
    assert (ChangeRecord.objects.count(), AccessRecord.objects.count()) == before


def test_the_orm_cannot_delete_audit_rows_either(world):
    record = record_change(
        actor=world["system"],
        kind=ChangeKind.UPDATE,
        instance=world["alice"],
        unit=world["xc_grid"],
        before={"a": 1},
        after={"a": 2},
    )
    with pytest.raises(DatabaseError), transaction.atomic():
        ChangeRecord.objects.filter(pk=record.pk).delete()
    assert ChangeRecord.objects.filter(pk=record.pk).exists()


def test_the_audit_pages_filter_by_kind_and_operator(world, client_for):
    client_for("township_a").post(reverse("people:reveal", kwargs={"uuid": world["alice"].uuid, "field": "phone"}))
    client_for("township_a").get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid}))
    district = client_for("district")
    reveals = district.get(reverse("core:access_list"), {"kind": AccessKind.REVEAL, "actor": "township_a"})
    assert list(reveals.context["object_list"].values_list("kind", flat=True)) == [AccessKind.REVEAL]
    nobody = district.get(reverse("core:access_list"), {"actor": "township_b"})
    assert not nobody.context["object_list"]
    bad_date = district.get(reverse("core:change_list"), {"since": "not-a-date"})
    assert bad_date.status_code == 200 and "有效的日期" in bad_date.content.decode()


def test_the_change_log_shows_values_with_numbers_masked(world, client_for):
    alice = world["alice"]
    services.update_person(actor=world["district"], person=alice, changes={"phone": "13900001111", "note": "已核实"})
    page = client_for("district").get(reverse("core:change_list"), {"object": str(alice.uuid)}).content.decode()
    assert "139****1111" in page and "138****5678" in page and "已核实" in page
    assert "13900001111" not in page and alice.doc_number not in page


def test_a_number_typed_into_a_search_is_a_reveal_and_masked_in_the_access_log(world, client_for):
    alice = world["alice"]
    spaced = " ".join(alice.doc_number[i : i + 4] for i in range(0, 18, 4))  # as people copy it from a form
    assert world["alice"].name in client_for("township_a").get(reverse("people:list"), {"q": spaced}).content.decode()
    page = client_for("district").get(reverse("core:access_list"), {"kind": AccessKind.REVEAL}).content.decode()
    assert alice.masked_doc_number in page and alice.doc_number not in page and spaced not in page
