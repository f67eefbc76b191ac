import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from fangxian.core import services
from fangxian.core.choices import ChangeKind, Role
from fangxian.core.models import ChangeRecord, Grant, User


def test_a_township_officer_creates_a_grid_member_in_their_township(world, client_for):
    response = client_for("township_a").post(
        reverse("core:user_create"),
        {
            "username": "wanggrid",
            "display_name": "王网格",
            "unit": world["xc_community"].pk,
            "role": Role.GRID_MEMBER,
            "password": "long-enough-passphrase-1",
        },
    )
    assert response.status_code == 302
    account = User.objects.get(username="wanggrid")
    assert account.grants.get().role == Role.GRID_MEMBER
    assert ChangeRecord.objects.filter(object_id=str(account.pk), kind=ChangeKind.CREATE).exists()


def test_a_township_officer_cannot_create_users_in_another_township(world, client_for):
    response = client_for("township_a").post(
        reverse("core:user_create"),
        {
            "username": "intruder",
            "display_name": "越权",
            "unit": world["lz_community"].pk,
            "role": Role.GRID_MEMBER,
            "password": "long-enough-passphrase-1",
        },
    )
    assert response.status_code == 400 and not User.objects.filter(username="intruder").exists()


def test_a_township_officer_cannot_grant_district_command(world):
    with pytest.raises(PermissionDenied):
        services.grant_role(
            actor=world["township_a"], user=world["grid"], role=Role.DISTRICT_COMMAND, unit=world["huiji"]
        )


def test_a_role_must_sit_on_the_right_level(world):
    with pytest.raises(ValidationError, match="只能授予在"):
        services.grant_role(
            actor=world["district"], user=world["grid"], role=Role.TOWNSHIP_OFFICE, unit=world["xc_community"]
        )


def test_the_user_list_is_scoped(world, client_for):
    page = client_for("township_b").get(reverse("core:user_list")).content.decode()
    assert "township_b" in page and "township_a" not in page and "district" not in page


def test_grants_and_revocations_are_audited(world, client_for):
    district = client_for("district")
    url = reverse("core:user_action", kwargs={"pk": world["grid"].pk, "operation": "grant"})
    district.post(url, {"role": Role.CLERK, "unit": world["xincheng"].pk})
    grant = Grant.objects.get(user=world["grid"], role=Role.CLERK)
    district.post(
        reverse("core:user_action", kwargs={"pk": world["grid"].pk, "operation": "revoke"}), {"grant": grant.pk}
    )
    reasons = list(ChangeRecord.objects.filter(object_id=str(world["grid"].pk)).values_list("reason", flat=True))
    assert "授予角色" in reasons and "撤销角色" in reasons
    assert not Grant.objects.filter(pk=grant.pk).exists()


def test_a_deactivated_user_sees_nothing(world, client_for):
    services.set_user_active(actor=world["district"], user=world["township_a"], active=False)
    from fangxian.people.models import Person

    assert not Person.objects.restrict(User.objects.get(pk=world["township_a"].pk)).exists()


def test_the_clerk_cannot_open_user_administration(world, client_for):
    assert client_for("clerk").get(reverse("core:user_detail", kwargs={"pk": world["grid"].pk})).status_code == 403


def test_an_account_outside_the_hierarchy_is_refused_not_crashed(world):
    with pytest.raises(PermissionDenied, match="不属于任何单位"):
        services.reset_password(actor=world["district"], user=world["system"], new_password="another-long-passphrase")
