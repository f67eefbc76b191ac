from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from fangxian.core.api import CodeRelatedField, ScopedViewSet
from fangxian.core.audit import record_access
from fangxian.core.choices import AccessKind, Action
from fangxian.core.forms import scoped_units
from fangxian.core.models import Unit, access_unit
from fangxian.core.views import save_then_verify
from fangxian.people import services
from fangxian.people.filtersets import PersonFilterSet
from fangxian.people.models import Person


class PersonSerializer(serializers.ModelSerializer):
    """Reads are masked; the full number goes in on create and comes out only through /reveal/."""

    id = serializers.UUIDField(source="uuid", read_only=True)
    unit = CodeRelatedField(slug_field="code", queryset=Unit.objects.none())
    doc_number = serializers.CharField(write_only=True)
    doc_number_masked = serializers.CharField(source="masked_doc_number", read_only=True)
    phone = serializers.CharField(write_only=True, required=False, allow_blank=True)
    phone_masked = serializers.CharField(source="masked_phone", read_only=True)
    # The age band, not the birth date: beside the masked number a birth date gives most of the number away.
    age_band = serializers.CharField(read_only=True)

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "doc_type",
            "doc_number",
            "doc_number_masked",
            "sex",
            "age_band",
            "phone",
            "phone_masked",
            "address",
            "unit",
            "category",
            "note",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["sex", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["unit"].queryset = scoped_units(request.user, Action.CHANGE, for_model=Person)


class PersonViewSet(
    ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin
):
    model = Person
    serializer_class = PersonSerializer
    lookup_field = "uuid"
    filterset_class = PersonFilterSet

    def scope_action(self) -> str:
        # Revealing is a read: the object is found within view scope, then services.reveal checks REVEAL.
        return Action.VIEW if self.action == "reveal" else super().scope_action()

    def filter_scoped(self, queryset):
        return queryset.select_related("unit")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        unit = access_unit(request.user)
        if unit is not None:
            ids = [row["id"] for row in response.data.get("results", [])]
            record_access(
                actor=request.user,
                kind=AccessKind.API_READ,
                unit=unit,
                model="people.person",
                detail={"query": request.query_params.dict(), "ids": [str(i) for i in ids]},
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        record_access(actor=request.user, kind=AccessKind.API_READ, unit=person.unit, instance=person)
        return Response(self.get_serializer(person).data)

    def perform_create(self, serializer):
        data = serializer.validated_data
        with transaction.atomic():
            serializer.instance = services.register_person(actor=self.request.user, reason="接口登记", **data)
            save_then_verify(user=self.request.user, instance=serializer.instance, action=Action.CHANGE)

    def perform_update(self, serializer):
        with transaction.atomic():
            services.update_person(
                actor=self.request.user,
                person=serializer.instance,
                changes=dict(serializer.validated_data),
                reason="接口修改",
            )
            save_then_verify(user=self.request.user, instance=serializer.instance, action=Action.CHANGE)

    @extend_schema(
        request=None,
        responses=inline_serializer(
            "RevealedField", {"field": serializers.CharField(), "value": serializers.CharField()}
        ),
    )
    @action(detail=True, methods=["post"], url_path=r"reveal/(?P<field>doc_number|phone)")
    def reveal(self, request, uuid=None, field=None):
        """The full value of one masked field; every call is written to the access log."""
        person = self.get_object()
        return Response({"field": field, "value": services.reveal(actor=request.user, person=person, field=field)})
