"""Capabilities as data: every scoped model names them, the audit logs know every kind of record, the docs agree."""

from django.apps import apps

from fangxian.core.capabilities import ROLE_CAPABILITIES, Capability
from fangxian.core.choices import Role
from fangxian.core.models import AccessRecord, ChangeRecord
from fangxian.core.scoping import ScopedQuerySet, audit_labels


def test_every_role_is_a_set_of_known_capabilities():
    assert set(ROLE_CAPABILITIES) == set(Role.values)
    for held in ROLE_CAPABILITIES.values():
        assert held <= set(Capability.values)


def test_every_scoped_model_names_the_capability_that_sees_it():
    for model in apps.get_models():
        if isinstance(model._default_manager.all(), ScopedQuerySet):
            assert (getattr(model, "capabilities", None) or {}).get("view"), model._meta.label


def test_a_model_without_a_verb_is_closed_to_every_role(world):
    from fangxian.people.models import Person

    for name in ("district", "township_a", "grid", "clerk"):
        assert not Person.objects.restrict(world[name], "approve").exists()


def test_every_kind_of_record_in_the_audit_logs_has_a_capability(world, client_for):
    client_for("township_a").get(f"/persons/{world['alice'].uuid}/")
    labels = set(ChangeRecord.objects.values_list("model", flat=True)) | set(
        AccessRecord.objects.values_list("model", flat=True)
    )
    unknown = labels - set(audit_labels())
    assert not unknown, f"records no role could ever read in the logs: {sorted(unknown)}"


def test_docs_permissions_md_is_what_the_code_says():
    from django.conf import settings

    from fangxian.core.management.commands.permissions import render

    written = (settings.PROJECT_DIR / "docs" / "permissions.md").read_text(encoding="utf-8")
    assert written == render(), "run `fangxian permissions --write` and commit docs/permissions.md"


def test_the_user_admin_shows_what_each_granted_role_may_do(world, client_for):
    page = client_for("district").get(f"/users/{world['lab'].pk}/").content.decode()
    assert "上报检测结果" in page.split('data-testid="role-capabilities"')[1].split("</div>")[0]
