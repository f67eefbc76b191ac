from fangxian.core.capabilities import Capability
from fangxian.core.scoping import grant_reach


def shell(request):
    """What the navigation needs: the user's roles and which menus they may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    grants = list(user.grants.select_related("unit"))
    # What the grants carry where they reach (a working group: only its domain's part of the role).
    held = set().union(*(grant_reach(grant)[1] for grant in grants)) if grants else set()
    if user.is_superuser:
        held = set(Capability.values)
    from fangxian.core.choices import UnitLevel
    from fangxian.core.models import Unit
    from fangxian.core.notify import for_user as notifications_for
    from fangxian.core.views import focus_unit

    pickable = Unit.objects.restrict(user).filter(level__in=[UnitLevel.DISTRICT, UnitLevel.TOWNSHIP])
    return {
        "focus_unit": focus_unit(request),
        "pickable_units": pickable[:60],
        "my_grants": grants,
        # The menus show only what the user's roles may open (a link that answers 403 is a dead end).
        "my_caps": held,
        "can_manage_users": Capability.USERS_MANAGE in held,
        "unread_notifications": notifications_for(user).count(),
    }
