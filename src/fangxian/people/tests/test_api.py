from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from fangxian.people.choices import DocumentType
from fangxian.people.documents import check_char


def token_client(user):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_token_carries_its_users_scope(world):
    client = token_client(world["township_b"])
    names = [row["name"] for row in client.get("/api/persons/").json()["results"]]
    assert names == ["刘寨乙"]
    assert client.get(f"/api/persons/{world['alice'].uuid}/").status_code == 404


def test_api_reads_are_masked(world):
    row = token_client(world["district"]).get(f"/api/persons/{world['alice'].uuid}/").json()
    assert "doc_number" not in row and row["doc_number_masked"] == world["alice"].masked_doc_number
    assert world["alice"].phone not in str(row)


def test_reveal_through_the_api(world):
    client = token_client(world["township_a"])
    response = client.post(f"/api/persons/{world['alice'].uuid}/reveal/doc_number/")
    assert response.json() == {"field": "doc_number", "value": world["alice"].doc_number}
    assert token_client(world["clerk"]).post(f"/api/persons/{world['alice'].uuid}/reveal/phone/").status_code == 403


def test_creating_outside_the_scope_is_refused(world):
    first17 = "41010819700101001"
    response = token_client(world["township_a"]).post(
        "/api/persons/",
        {
            "name": "越界",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": first17 + check_char(first17),
            "unit": world["lz_grid"].code,
        },
        format="json",
    )
    assert response.status_code == 400 and "unit" in response.json()


def test_a_bad_id_through_the_api_is_a_400_with_a_chinese_message(world):
    response = token_client(world["township_a"]).post(
        "/api/persons/",
        {
            "name": "错号",
            "doc_type": DocumentType.RESIDENT_ID,
            "doc_number": "4.10108E+17",
            "unit": world["xc_grid"].code,
        },
        format="json",
    )
    assert response.status_code == 400 and "科学计数法" in str(response.json())


def test_units_endpoint_is_scoped(world):
    codes = {
        row["code"] for row in token_client(world["township_a"]).get("/api/units/?page_size=100").json()["results"]
    }
    assert "410108001" in codes and "410108002" not in codes and "410108" not in codes


def test_the_openapi_schema_is_served(world, client):
    response = client.get("/api/schema/")
    assert response.status_code == 200 and b"/api/persons/" in response.content
