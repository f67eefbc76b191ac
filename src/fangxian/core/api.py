"""The base API viewset (where the API applies scope) and the units endpoint."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import mixins, serializers, viewsets
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.views import exception_handler as drf_exception_handler

from fangxian.core.choices import Action
from fangxian.core.models import Unit

_METHOD_ACTIONS = {"GET": Action.VIEW, "HEAD": Action.VIEW, "OPTIONS": Action.VIEW, "DELETE": Action.DELETE}


class ScopedViewSet(viewsets.GenericViewSet):
    """Every API route over scoped data derives from this: the queryset is restricted before anything else sees it,
    and a role that may not do the method's verb on the model anywhere is refused first (HoldsCapability)."""

    model = None

    def scope_action(self) -> str:
        return _METHOD_ACTIONS.get(self.request.method, Action.CHANGE)

    def get_queryset(self):
        return self.filter_scoped(self.model.objects.restrict(self.request.user, self.scope_action()))

    def filter_scoped(self, queryset):
        return queryset


def exception_handler(exc, context):
    """Service-layer errors become 400/403 with their Chinese messages instead of a 500."""
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = PermissionDenied(str(exc) or "无权执行该操作")
    return drf_exception_handler(exc, context)


class CodeRelatedField(serializers.SlugRelatedField):
    """A related object by code; a code with a NUL character is invalid (the database cannot even look it up)."""

    def to_internal_value(self, data):
        if isinstance(data, str) and "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class UnitSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Unit
        fields = ["code", "name", "level", "parent", "path", "is_active"]


class UnitViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    model = Unit
    serializer_class = UnitSerializer
    lookup_field = "code"
    filterset_fields = ["level", "parent__code"]

    def filter_scoped(self, queryset):
        return queryset.select_related("parent")
