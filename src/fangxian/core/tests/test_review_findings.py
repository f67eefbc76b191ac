"""Found in review: malformed ids in form bodies, files with full numbers, and unlogged searches."""

import pytest
from django.urls import reverse

from fangxian.core.choices import AccessKind
from fangxian.core.models import AccessRecord, User


@pytest.mark.parametrize(
    ("route", "kwargs", "data"),
    [
        ("leads:handover", lambda w: {}, lambda w: {"lead": ["not-a-uuid"], "to_unit": w["xc_grid"].pk}),
        ("core:user_action", lambda w: {"pk": w["grid"].pk, "operation": "revoke"}, lambda w: {"grant": "abc"}),
        ("core:team_action", lambda w: {"pk": w["xc_team"].pk, "operation": "remove"}, lambda w: {"member": "abc"}),
    ],
)
def test_a_malformed_id_in_a_form_body_is_a_404_not_a_500(route, kwargs, data, world, client_for):
    response = client_for("district").post(reverse(route, kwargs=kwargs(world)), data(world))
    assert response.status_code == 404


def inspector(world):
    account = User.objects.create_user(username="inspector", password="x" * 12, unit=world["huiji"])
    account.grants.create(role="inspector", unit=world["huiji"])
    return account


@pytest.mark.parametrize("route", ["leads:batch_errors", "leads:batch_feedback"])
def test_files_with_full_numbers_need_the_reveal_right(route, world, client_for):
    url = reverse(route, kwargs={"uuid": world["xc_batch"].uuid})
    assert client_for("district").get(url).status_code == 200
    assert client_for("clerk").get(url).status_code == 403  # no export right at all
    client = client_for("district")
    client.force_login(inspector(world))  # may export, may not reveal
    assert client.get(url).status_code == 403
    assert (
        "下载标注错误的文件"
        not in client.get(reverse("leads:batch", kwargs={"uuid": world["xc_batch"].uuid})).content.decode()
    )


def test_a_search_of_the_lead_list_leaves_an_access_record(world, client_for):
    client_for("township_a").get(reverse("leads:list"), {"q": "新城甲"})
    assert AccessRecord.objects.get(kind=AccessKind.SEARCH, model="leads.lead").detail["q"] == "新城甲"
