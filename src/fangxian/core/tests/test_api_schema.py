"""Property-based calls against every operation of the OpenAPI schema: whatever the input, never a 500.

Generated path parameters would almost never name a real record, so object routes are pointed at records the
caller may see; the bodies and queries stay generated.
"""

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from fangxian.wsgi import application

schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def keep_test_connection():
    """Calls go straight to the WSGI app, whose request signals would close the test's open transaction
    (Django's test client disconnects the same handlers)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_api_input_causes_a_server_error(case, world, keep_test_connection):
    real = {"uuid": str(world["alice"].uuid), "code": world["xc_community"].code}
    for name in list(case.path_parameters or {}):
        if name in real:
            case.path_parameters[name] = real[name]
        elif name == "field":
            case.path_parameters[name] = "phone"
    token = Token.objects.get_or_create(user=world["township_a"])[0]
    case.call_and_validate(headers={"Authorization": f"Token {token.key}"}, checks=[not_a_server_error])


def test_a_nul_character_in_a_search_is_not_a_server_error(world, client_for):
    """Found by the test above on PostgreSQL: jsonb refuses \\u0000 in the access record of the search."""
    client = client_for("township_a")
    assert client.get("/api/persons/", {"q": "张\x00三"}).status_code in {200, 400}
    assert client.get("/persons/", {"q": "张\x00三"}).status_code == 400


def test_a_nul_character_anywhere_in_a_request_is_a_400(world, client_for):
    client = client_for("township_a")
    uuid = world["alice"].uuid
    assert (
        client.patch(f"/api/persons/{uuid}/", {"unit": "4101\x00"}, content_type="application/json").status_code == 400
    )
    assert client.get("/units/410108%00/").status_code == 400
    assert client.get("/api/units/410108%00/").status_code == 400
    assert client.get("/persons/", {"unit": "4101\x00"}).status_code == 400
