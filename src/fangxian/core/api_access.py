"""Who may call the API: the default authentication and permission classes (settings.REST_FRAMEWORK).

Kept apart from api.py, which imports DRF's views: these are loaded while DRF reads its settings.
"""

from rest_framework import authentication, exceptions, permissions

from fangxian.core.scoping import holds


class HoldsCapability(permissions.BasePermission):
    """The API's default permission, after IsAuthenticated: a scoped viewset needs its verb on its model, any
    other route names the `required_capability` it is for. A route that names none is refused."""

    message = "您的角色不能使用此接口"

    def has_permission(self, request, view):
        if hasattr(view, "scope_action"):  # a ScopedViewSet
            return holds(request.user, view.scope_action(), model=view.model)
        capability = getattr(view, "required_capability", "")
        if capability:
            return holds(request.user, capability)
        return type(view).__name__ == "APIRootView"  # the router's index of links


class UserTokenAuthentication(authentication.TokenAuthentication):
    """Tokens of people only: the service account that commands run as cannot be driven over the network."""

    def authenticate_credentials(self, key):
        user, token = super().authenticate_credentials(key)
        if getattr(user, "is_service_account", False):
            raise exceptions.AuthenticationFailed("系统账号不能通过接口登录")
        return user, token
