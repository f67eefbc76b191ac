import io

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from python_calamine import CalamineWorkbook

from fangxian.core.models import User
from fangxian.people import services
from fangxian.people.choices import DocumentType, Sex
from fangxian.people.models import Person


def xlsx_rows(response):
    return CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()


def test_a_township_officer_cannot_see_other_township(world):
    visible = Person.objects.restrict(world["township_b"])
    assert list(visible) == [world["bob"]]


def test_the_district_sees_every_township(world):
    assert set(Person.objects.restrict(world["district"])) == {world["alice"], world["bob"]}


def test_site_staff_do_not_browse_the_township_registry(world, client_for):
    assert not Person.objects.restrict(world["site"]).exists()
    site_staff = client_for("site")
    listing = site_staff.get(reverse("people:list"))
    assert listing.status_code == 403 and "新城甲" not in listing.content.decode()
    response = site_staff.post(
        reverse("people:create"),
        {
            "name": "越权登记",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": world["alice"].doc_number[:-4] + "0000",
            "unit": world["xc_grid"].pk,
            "category": "registered",
        },
    )
    assert response.status_code == 403 and not Person.objects.filter(name="越权登记").exists()


def test_a_user_with_no_grant_sees_nothing(world):
    nobody = User.objects.create_user(username="nobody", password="x" * 12)
    assert not Person.objects.restrict(nobody).exists()


def test_the_list_masks_ids_and_phones(world, client_for):
    page = client_for("township_a").get(reverse("people:list")).content.decode()
    alice = world["alice"]
    assert alice.masked_doc_number in page and alice.doc_number not in page
    assert alice.masked_phone in page and alice.phone not in page


def test_the_list_filters_by_unit_category_and_text(world, client_for):
    client = client_for("district")
    assert "刘寨乙" not in client.get(reverse("people:list"), {"unit": "410108001"}).content.decode()
    assert "新城甲" in client.get(reverse("people:list"), {"q": world["alice"].doc_number.lower()}).content.decode()
    assert "新城甲" not in client.get(reverse("people:list"), {"category": "floating"}).content.decode()


def test_a_unit_outside_the_scope_is_not_a_valid_filter(world, client_for):
    page = client_for("township_b").get(reverse("people:list"), {"unit": "410108001"}).content.decode()
    assert "新城甲" not in page and "刘寨乙" not in page


def test_the_export_is_scoped_and_masked(world, client_for):
    rows = xlsx_rows(client_for("township_b").get(reverse("people:export")))
    assert rows[0][0] == "姓名"
    assert [row[0] for row in rows[1:]] == ["刘寨乙"]
    assert rows[1][2] == world["bob"].masked_doc_number


def test_a_full_export_needs_the_reveal_right(world, client_for):
    full = xlsx_rows(client_for("district").get(reverse("people:export"), {"full": "1"}))
    assert world["alice"].doc_number in {row[2] for row in full}
    inspector = User.objects.create_user(username="inspector", password="x" * 12, unit=world["huiji"])
    inspector.grants.create(role="inspector", unit=world["huiji"])
    client = client_for("district")
    client.force_login(inspector)
    assert len(xlsx_rows(client.get(reverse("people:export"), {"full": "1"}))) == 1


def test_a_formula_in_a_name_is_exported_as_text(world, client_for):
    services.update_person(actor=world["system"], person=world["bob"], changes={"name": "=HYPERLINK(1)"})
    rows = xlsx_rows(client_for("township_b").get(reverse("people:export")))
    assert rows[1][0] == "'=HYPERLINK(1)"


def test_registration_derives_sex_and_birth_date(world):
    alice = world["alice"]
    assert alice.birth_date.isoformat() == "1990-03-07" and alice.sex == Sex.MALE


def test_the_same_document_cannot_be_registered_twice_in_any_spelling(world):
    with pytest.raises(ValidationError, match="已登记"):
        services.register_person(
            actor=world["system"],
            unit=world["lz_grid"],
            name="重复",
            doc_type=DocumentType.RESIDENT_ID,
            doc_number=" " + world["alice"].doc_number.lower(),
        )


def test_find_by_document_matches_the_normalised_number(world):
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in world["bob"].doc_number)
    assert services.find_by_document(doc_type=DocumentType.RESIDENT_ID, doc_number=full_width) == world["bob"]


def test_a_bad_id_on_the_form_is_a_clear_error_and_nothing_is_saved(world, client_for):
    response = client_for("township_a").post(
        reverse("people:create"),
        {
            "name": "错号",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": "4.10108E+17",
            "unit": world["xc_grid"].pk,
            "category": "registered",
        },
    )
    assert response.status_code == 400 and "科学计数法" in response.content.decode()
    assert Person.objects.count() == 2


def test_a_person_cannot_be_moved_out_of_the_editors_scope(world, client_for):
    alice = world["alice"]
    response = client_for("township_a").post(
        reverse("people:edit", kwargs={"uuid": alice.uuid}),
        {
            "name": alice.name,
            "doc_type": alice.doc_type,
            "doc_number": alice.doc_number,
            "unit": world["lz_grid"].pk,
            "category": alice.category,
        },
    )
    assert response.status_code == 400
    alice.refresh_from_db()
    assert alice.unit == world["xc_grid"]


def test_the_detail_page_shows_history_and_masks_until_revealed(world, client_for):
    page = client_for("township_a").get(reverse("people:detail", kwargs={"uuid": world["alice"].uuid})).content.decode()
    assert world["alice"].doc_number not in page and "变更历史" in page and "新增" in page


def test_the_unit_picker_narrows_lists_and_cannot_widen_them(world, client_for):
    district = client_for("district")
    district.get(reverse("core:focus"), {"unit": "410108002"})
    page = district.get(reverse("people:list")).content.decode()
    assert "刘寨乙" in page and "新城甲" not in page
    district.get(reverse("core:focus"))
    assert "新城甲" in district.get(reverse("people:list")).content.decode()

    township_b = client_for("township_b")
    township_b.get(reverse("core:focus"), {"unit": "410108001"})
    assert township_b.session.get("focus_unit") is None
    assert "新城甲" not in township_b.get(reverse("people:list")).content.decode()


def test_the_unit_picker_refuses_an_outside_redirect(world, client_for):
    response = client_for("district").get(reverse("core:focus"), {"unit": "410108001", "next": "https://evil.example/"})
    assert response.url == reverse("home")


def test_a_person_with_leads_cannot_be_deleted(world, client_for):
    alice = world["alice"]
    response = client_for("district").post(reverse("people:delete", kwargs={"uuid": alice.uuid}), {"reason": "重复"})
    assert response.status_code == 302 and Person.objects.filter(pk=alice.pk).exists()
    with pytest.raises(ValidationError, match="不能删除"):
        services.delete_person(actor=world["district"], person=alice, reason="重复")


def test_the_person_form_shows_every_mistake_at_once(world, client_for):
    response = client_for("township_a").post(
        reverse("people:create"),
        {
            "name": "",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": world["alice"].doc_number[:-1] + ("0" if world["alice"].doc_number[-1] != "0" else "1"),
            "phone": "1234567",
            "unit": world["xc_grid"].pk,
            "category": "registered",
        },
    )
    errors = response.context["form"].errors
    assert response.status_code == 400 and {"name", "doc_number", "phone"} <= set(errors)
    assert "校验" in str(errors["doc_number"])


def test_a_number_search_by_a_role_that_may_not_reveal_is_refused_with_a_message_not_a_500(world, client_for):
    for path in ("/persons/", "/leads/", "/control/"):
        response = client_for("clerk").get(path, {"q": "4101"})
        assert response.status_code == 200, path
        assert "按完整证件号或电话检索需要" in response.content.decode(), path
    assert client_for("site").get("/control/", {"q": "1"}).status_code == 200
    api = client_for("clerk").get("/api/persons/", {"q": "4101"})
    assert api.status_code == 400 and "按完整证件号" in api.content.decode()
