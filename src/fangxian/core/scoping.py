"""Row-level scope: a user sees the units of their grants and everything below them.

Every model that holds scoped data uses ScopedQuerySet and names the path to its unit in `scope_unit_field`.
`restrict(user, verb or capability)` is applied once, in the base views and the base API viewset (views.py, api.py).
"""

from functools import reduce
from operator import or_

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import Q

from fangxian.core.capabilities import MEMBER_ROLES, capabilities_of, domain_capabilities, label, required_for
from fangxian.core.choices import UnitLevel


def _is_superuser(user) -> bool:
    """Superusers, and the service account that commands and sweeps act as (it cannot log in: the operator at
    the console already has the whole database)."""
    return (
        user is not None
        and user.is_authenticated
        and user.is_active
        and (user.is_superuser or getattr(user, "is_service_account", False))
    )


def scope_paths(user, needed: frozenset[str] | str | None, *, roles: frozenset[str] | None = None) -> list[str]:
    """Unit paths of the grants whose role carries every capability in `needed`, de-duplicated (a path already
    covered by another is dropped). `roles`, when given, limits the grants that count to those roles."""
    if not needed or not user or not user.is_authenticated or not user.is_active:
        return []
    needed = frozenset({needed}) if isinstance(needed, str) else needed
    cache = user.__dict__.setdefault("_scope_paths_cache", {})
    key = (needed, roles)
    if key not in cache:
        paths = sorted(
            {
                path
                for grant in _grants(user)
                for path, held in [grant_reach(grant)]
                if needed <= held and (roles is None or grant.role in roles)
            }
        )
        covered: list[str] = []
        for path in paths:
            if not any(path.startswith(parent) for parent in covered):
                covered.append(path)
        cache[key] = covered
    return cache[key]


def grant_reach(grant) -> tuple[str, frozenset[str]]:
    """Where a grant reaches and what it carries there. A territorial unit: its subtree, the role's capabilities.
    A working group: the whole district, but only the part of the role that lies in the group's domain. A
    department: its own unit (rows addressed to it) — its sector's rows are added by restrict() on the models
    that name a sector (`scope_sector_field`)."""
    unit = grant.unit
    held = capabilities_of(grant.role)
    if unit.level == UnitLevel.WORKING_GROUP:
        return district_path_of(unit.path), held & domain_capabilities(unit.domain)
    return unit.path, held


def district_path_of(path: str) -> str:
    """ "/410108/410108001/" -> "/410108/": scope paths and unit paths start with their district."""
    return "/" + path.strip("/").split("/")[0] + "/"


def _sector_reach(user, needed: frozenset[str]) -> list[tuple[str, str]]:
    """(district path, sector) of the user's department grants that carry `needed`."""
    return sorted(
        {
            (district_path_of(grant.unit.path), grant.unit.sector)
            for grant in _grants(user)
            if grant.unit.level == UnitLevel.DEPARTMENT and grant.unit.sector and needed <= capabilities_of(grant.role)
        }
    )


def _grants(user) -> list:
    if "_grants_cache" not in user.__dict__:
        user.__dict__["_grants_cache"] = list(user.grants.select_related("unit").filter(unit__is_active=True))
    return user.__dict__["_grants_cache"]


def scope_unit_ids(user, needed: frozenset[str] | str | None, *, roles: frozenset[str] | None = None) -> list[int]:
    """Ids of every unit in the user's scope for `needed`, looked up once per user object (i.e. per request).

    The unit table is small (a county has a few thousand units), so the big tables are filtered by an indexed
    foreign key against a list, which both databases plan well; a LIKE subquery on the path made PostgreSQL
    misestimate and scan whole tables.
    """
    if not needed:
        return []
    needed = frozenset({needed}) if isinstance(needed, str) else needed
    cache = user.__dict__.setdefault("_scope_unit_ids_cache", {})
    key = (needed, roles)
    if key not in cache:
        unit_model = apps.get_model("core", "Unit")  # by the registry: core.models builds on this module
        paths = scope_paths(user, needed, roles=roles)
        in_scope = reduce(or_, (Q(path__startswith=path) for path in paths)) if paths else Q(pk__in=[])
        cache[key] = list(unit_model.objects.filter(in_scope).values_list("id", flat=True)) if paths else []
    return cache[key]


class ScopedQuerySet(models.QuerySet):
    """Models declare `scope_unit_field` (path to their unit, "" for Unit itself) and `capabilities`, the
    capability each verb needs (capabilities.py); a verb they do not name is refused to every role.
    Models seen by a member role (site staff) declare a classmethod `scope_member_q(user, needed)`: those
    grants see a row only when the user is named on it (their own site); `needed` is the capabilities asked
    for, so a row may be named for some work and not for the rest."""

    def restrict(self, user, wanted: str = "view"):
        """The rows `user` may `wanted` (a verb of the model, or a capability): unit scope AND capability."""
        if _is_superuser(user):
            return self
        needed = required_for(self.model, wanted)
        paths = scope_paths(user, needed)
        if not paths:
            return self.none()
        field = getattr(self.model, "scope_unit_field", None)
        if field is None:
            raise TypeError(f"{self.model.__name__} uses ScopedQuerySet but declares no scope_unit_field")
        if field == "":
            return self.filter(reduce(or_, (Q(path__startswith=path) for path in paths)))
        sector = self._sector_condition(user, needed, field)
        member_q = getattr(self.model, "scope_member_q", None)
        if member_q is None:
            condition = Q(**{f"{field}__in": scope_unit_ids(user, needed)})
            return self.filter(condition | sector if sector is not None else condition)
        # A member role (site staff) sees a row only where it is named on it (its own site): the membership is
        # its scope, whatever unit the row's person comes from (a site's residents come from everywhere).
        everyone = frozenset(role for role in _roles(user) if role not in MEMBER_ROLES)
        full = scope_unit_ids(user, needed, roles=everyone) if everyone else []
        condition = Q(**{f"{field}__in": full})
        if scope_paths(user, needed, roles=MEMBER_ROLES):
            condition |= Q(pk__in=self.model._default_manager.filter(member_q(user, needed)).values("pk"))
        return self.filter(condition | sector if sector is not None else condition)

    def _sector_condition(self, user, needed, field: str) -> Q | None:
        """A department's reach on a model that names a sector: the rows of its sector in its district."""
        sector_field = getattr(self.model, "scope_sector_field", None)
        if not sector_field:
            return None
        reach = _sector_reach(user, needed)
        if not reach:
            return None
        return reduce(
            or_,
            (Q(**{sector_field: sector, f"{field}__path__startswith": district}) for district, sector in reach),
        )


def _roles(user) -> set[str]:
    return {grant.role for grant in _grants(user)}


def within(queryset, unit):
    """Narrow an already restricted queryset to one unit and everything below it."""
    field = queryset.model.scope_unit_field
    lookup = "path__startswith" if field == "" else f"{field}__path__startswith"
    return queryset.filter(**{lookup: unit.path})


def user_can(user, wanted: str, unit, *, model=None) -> bool:
    """True when `unit` lies inside the user's scope for `wanted`: a capability, or a verb of `model`."""
    if _is_superuser(user):
        return True
    if model is None and "." not in wanted and wanted != "export":
        raise TypeError(f"user_can({wanted!r}) needs a capability or a model")
    needed = required_for(model, wanted)
    return unit is not None and any(unit.path.startswith(path) for path in scope_paths(user, needed))


def holds(user, wanted: str, *, model=None) -> bool:
    """True when some grant of the user carries `wanted` (anywhere): for menus and page sections."""
    return _is_superuser(user) or bool(scope_paths(user, required_for(model, wanted)))


def require(actor, capability: str, unit) -> None:
    """The one check a service makes before it acts: the actor's role carries `capability` over `unit`."""
    if not user_can(actor, capability, unit):
        where = getattr(unit, "name", "") or ""
        raise PermissionDenied(f"您的角色无权{label(capability)}" + (f"（{where}）" if where else ""))


def audit_labels() -> dict[str, str]:
    """Model label → the capability that sees its rows: a change or access record is as sensitive as the row it
    describes, so the audit logs show a record only to those who may see that kind of row."""
    if not _AUDIT_LABELS:
        for model in apps.get_models():
            view = (getattr(model, "capabilities", None) or {}).get("view")
            if view:
                _AUDIT_LABELS[model._meta.label_lower] = view
    return _AUDIT_LABELS


_AUDIT_LABELS: dict[str, str] = {}


class AuditQuerySet(ScopedQuerySet):
    """Change and access records: in the units where the user may read the audit trail, and only of the kinds
    of row the user may see there. A record of a model nobody declared is shown to nobody but a superuser."""

    def restrict(self, user, wanted: str = "view"):
        from fangxian.core.capabilities import Capability

        if _is_superuser(user):
            return self
        if wanted not in {"view", "export"}:
            return self.none()
        extra = {Capability.EXPORT} if wanted == "export" else set()
        by_capability: dict[str, list[str]] = {}
        for model_label, capability in audit_labels().items():
            by_capability.setdefault(capability, []).append(model_label)
        condition = Q(pk__in=[])
        for capability, labels in sorted(by_capability.items()):
            units = scope_unit_ids(user, frozenset({Capability.AUDIT_VIEW, capability, *extra}))
            if units:
                condition |= Q(unit_id__in=units, model__in=sorted(labels))
        return self.filter(condition)


class CreatorQuerySet(ScopedQuerySet):
    """Background jobs: in the units where the user may follow jobs, and always the user's own."""

    def restrict(self, user, wanted: str = "view"):
        if _is_superuser(user):
            return self
        if user is None or not user.is_authenticated or not user.is_active:
            return self.none()
        own = Q(created_by=user) if wanted == "view" else Q(pk__in=[])
        return self.filter(Q(pk__in=super().restrict(user, wanted).values("pk")) | own)


def require_row(actor, capability: str, instance) -> None:
    """The check for an act on one row: the row lies in what `actor` may `capability` (unit scope, and for a
    member role such as site staff, a row that names them)."""
    if not type(instance).objects.restrict(actor, capability).filter(pk=instance.pk).exists():
        raise PermissionDenied(f"您的角色无权{label(capability)}（{instance}）")


def can_row(user, wanted: str, instance) -> bool:
    """For page sections: whether require_row() would let `user` act on this row."""
    return type(instance).objects.restrict(user, wanted).filter(pk=instance.pk).exists()
