from fangxian.core.choices import ROLE_ACTIONS, Action


def shell(request):
    """What the navigation needs: the user's roles and which menus they may open."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    grants = list(user.grants.select_related("unit"))
    actions = set().union(*(ROLE_ACTIONS.get(grant.role, frozenset()) for grant in grants)) if grants else set()
    if user.is_superuser:
        actions = {choice.value for choice in Action}
    from fangxian.core.choices import UnitLevel
    from fangxian.core.models import Unit
    from fangxian.core.notify import for_user as notifications_for
    from fangxian.core.views import focus_unit

    pickable = Unit.objects.restrict(user, Action.VIEW).filter(level__in=[UnitLevel.DISTRICT, UnitLevel.TOWNSHIP])
    return {
        "focus_unit": focus_unit(request),
        "pickable_units": pickable[:60],
        "my_grants": grants,
        "my_actions": actions,
        "can_manage_users": Action.MANAGE_USERS in actions,
        "unread_notifications": notifications_for(user).count(),
    }
