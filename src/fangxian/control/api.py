from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from fangxian.control import services
from fangxian.control.models import Measure
from fangxian.core.capabilities import Capability
from fangxian.core.choices import Action


class DoorEventSerializer(serializers.Serializer):
    device = serializers.CharField(max_length=64)
    at = serializers.DateTimeField(required=False)


class DoorEventView(APIView):
    """门磁 events from a door-sensor gateway: the device is looked up among the measures in the caller's scope."""

    required_capability = Capability.MEASURES_CHANGE

    @extend_schema(request=DoorEventSerializer, responses={202: None, 404: None})
    def post(self, request):
        event = DoorEventSerializer(data=request.data)
        event.is_valid(raise_exception=True)
        measures = Measure.objects.restrict(request.user, Action.CHANGE)
        measure = services.door_alert(
            actor=request.user,
            measures=measures,
            device=event.validated_data["device"],
            at=event.validated_data.get("at") or timezone.now(),
        )
        if measure is None:
            return Response({"detail": "未找到绑定该设备的管控人员"}, status=status.HTTP_404_NOT_FOUND)
        # A gateway needs to know the event was taken, not whom it concerns.
        return Response({"measure": str(measure.uuid)}, status=status.HTTP_202_ACCEPTED)
