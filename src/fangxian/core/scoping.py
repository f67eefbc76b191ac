"""Row-level scope: a user sees the units of their grants and everything below them.

Every model that holds scoped data uses ScopedQuerySet and names the path to its unit in `scope_unit_field`.
`restrict(user, action)` is applied once, in the base views and the base API viewset (views.py, api.py).
"""

from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

from fangxian.core.choices import ROLE_ACTIONS


def scope_paths(user, action: str, roles: frozenset[str] | None = None) -> list[str]:
    """Unit paths where `user` may perform `action`, de-duplicated (a path already covered by another is dropped).

    `roles`, when given, limits the grants that count to those roles (a model may be closed to some roles).
    """
    if not user or not user.is_authenticated or not user.is_active:
        return []
    cache = user.__dict__.setdefault("_scope_paths_cache", {})
    key = (action, roles)
    if key not in cache:
        paths = sorted(
            {
                grant.unit.path
                for grant in user.grants.select_related("unit").filter(unit__is_active=True)
                if action in ROLE_ACTIONS.get(grant.role, ()) and (roles is None or grant.role in roles)
            }
        )
        covered: list[str] = []
        for path in paths:
            if not any(path.startswith(parent) for parent in covered):
                covered.append(path)
        cache[key] = covered
    return cache[key]


def scope_unit_ids(user, action: str, roles: frozenset[str] | None = None) -> list[int]:
    """Ids of every unit in the user's scope for `action`, looked up once per user object (i.e. per request).

    The unit table is small (a county has a few thousand units), so the big tables are filtered by an indexed
    foreign key against a list, which both databases plan well; a LIKE subquery on the path made PostgreSQL
    misestimate and scan whole tables.
    """
    cache = user.__dict__.setdefault("_scope_unit_ids_cache", {})
    key = (action, roles)
    if key not in cache:
        from fangxian.core.models import Unit

        paths = scope_paths(user, action, roles)
        in_scope = reduce(or_, (Q(path__startswith=path) for path in paths)) if paths else Q(pk__in=[])
        cache[key] = list(Unit.objects.filter(in_scope).values_list("id", flat=True))
    return cache[key]


class ScopedQuerySet(models.QuerySet):
    """Models declare `scope_unit_field` (path to their unit, "" for Unit itself) and may declare `scope_roles`,
    the roles whose grants open them (None: every role), and `scope_member_roles` with a classmethod `scope_member_q(user)`:
    roles that see a row only when the user is named on it (site staff: their own site)."""

    def restrict(self, user, action: str = "view"):
        if user is not None and user.is_authenticated and user.is_superuser and user.is_active:
            return self
        roles = getattr(self.model, "scope_roles", None)
        paths = scope_paths(user, action, roles)
        if not paths:
            return self.none()
        field = getattr(self.model, "scope_unit_field", None)
        if field is None:
            raise TypeError(f"{self.model.__name__} uses ScopedQuerySet but declares no scope_unit_field")
        if field == "":
            return self.filter(reduce(or_, (Q(path__startswith=path) for path in paths)))
        member_roles = getattr(self.model, "scope_member_roles", None)
        if not member_roles:
            return self.filter(**{f"{field}__in": scope_unit_ids(user, action, roles)})
        # Some roles (site staff) see a row only where they are named on it (their own site), inside their units.
        every_role = frozenset(ROLE_ACTIONS)
        full = (roles or every_role) - member_roles
        named = (roles or every_role) & member_roles
        member_q = getattr(self.model, "scope_member_q")  # noqa: B009  (declared with scope_member_roles)
        mine = self.model._default_manager.filter(member_q(user)).values("pk")
        return self.filter(
            Q(**{f"{field}__in": scope_unit_ids(user, action, frozenset(full))})
            | Q(**{f"{field}__in": scope_unit_ids(user, action, frozenset(named))}, pk__in=mine)
        )


def within(queryset, unit):
    """Narrow an already restricted queryset to one unit and everything below it."""
    field = queryset.model.scope_unit_field
    lookup = "path__startswith" if field == "" else f"{field}__path__startswith"
    return queryset.filter(**{lookup: unit.path})


def user_can(user, action: str, unit, *, model=None) -> bool:
    """True when `unit` lies inside the user's scope for `action` (on `model`, if it limits its roles)."""
    if user is not None and user.is_authenticated and user.is_superuser and user.is_active:
        return True
    roles = getattr(model, "scope_roles", None)
    return any(unit.path.startswith(path) for path in scope_paths(user, action, roles))
