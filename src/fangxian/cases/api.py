"""The cases API: cases with their itinerary and contacts as the pages show them (the same scope, numbers
masked), contacts added and pushed as the page does, and the command figures."""

import datetime

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from fangxian.cases import services
from fangxian.cases.choices import ContactClass, Relation
from fangxian.cases.models import Case, Contact, ItineraryEntry
from fangxian.core.api import ScopedViewSet
from fangxian.core.audit import record_access
from fangxian.core.choices import AccessKind
from fangxian.core.masking import mask_document, mask_phone
from fangxian.core.models import access_unit


class EntrySerializer(serializers.ModelSerializer):
    venue = serializers.SlugRelatedField(slug_field="uuid", read_only=True)

    class Meta:
        model = ItineraryEntry
        fields = [
            "uuid",
            "start",
            "end",
            "venue",
            "place",
            "address",
            "transport",
            "transport_detail",
            "companions",
            "source",
        ]


class ContactSerializer(serializers.ModelSerializer):
    doc_number = serializers.SerializerMethodField()
    phone = serializers.SerializerMethodField()
    lead = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    lead_status = serializers.CharField(source="lead.status", default="", read_only=True)

    class Meta:
        model = Contact
        fields = [
            "uuid",
            "name",
            "doc_type",
            "doc_number",
            "phone",
            "relation",
            "classification",
            "exposed_at",
            "home_region",
            "outbound_sent_at",
            "outbound_answered_at",
            "lead",
            "lead_status",
        ]

    def get_doc_number(self, contact) -> str:
        return mask_document(contact.doc_number)

    def get_phone(self, contact) -> str:
        return mask_phone(contact.phone)


class CaseSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="person.name", read_only=True)
    doc_number = serializers.SerializerMethodField()
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    source_case = serializers.SlugRelatedField(slug_field="number", read_only=True)

    class Meta:
        model = Case
        fields = [
            "uuid",
            "number",
            "name",
            "doc_number",
            "unit",
            "classification",
            "found_by",
            "found_in",
            "onset_date",
            "first_positive_at",
            "confirmed_at",
            "reported_at",
            "status",
            "core_done_at",
            "report_done_at",
            "closed_at",
            "source_case",
        ]

    def get_doc_number(self, case) -> str:
        return mask_document(case.person.doc_number)


class CaseDetailSerializer(CaseSerializer):
    itinerary = EntrySerializer(many=True, read_only=True)
    contacts = ContactSerializer(many=True, read_only=True)

    class Meta(CaseSerializer.Meta):
        fields = [*CaseSerializer.Meta.fields, "itinerary", "contacts"]


class NewContactSerializer(serializers.Serializer):
    doc_type = serializers.CharField(default="resident_id")
    doc_number = serializers.CharField(max_length=40)
    name = serializers.CharField(required=False, allow_blank=True, default="")
    phone = serializers.CharField(required=False, allow_blank=True, default="")
    address = serializers.CharField(required=False, allow_blank=True, default="")
    relation = serializers.ChoiceField(choices=Relation.choices)
    classification = serializers.ChoiceField(choices=ContactClass.choices)
    exposed_at = serializers.DateTimeField()
    home_region = serializers.CharField(required=False, allow_blank=True, default="")
    note = serializers.CharField(required=False, allow_blank=True, default="")


class PushedSerializer(serializers.Serializer):
    leads = serializers.IntegerField()
    linked = serializers.IntegerField()
    outbound = serializers.IntegerField()


class CaseViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Cases in the caller's scope; GET one for its itinerary and contacts (numbers masked). POST …/contacts/ adds
    a contact, POST …/push/ pushes the close and secondary contacts as leads (cases.investigate)."""

    model = Case
    lookup_field = "uuid"
    filterset_fields = ["status", "classification", "found_in"]

    def get_serializer_class(self):
        if self.action == "retrieve":
            return CaseDetailSerializer
        if self.action == "contacts":
            return NewContactSerializer
        return CaseSerializer

    def filter_scoped(self, queryset):
        return queryset.select_related("person", "unit", "source_case")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        unit = access_unit(request.user)
        if unit is not None:
            record_access(
                actor=request.user,
                kind=AccessKind.API_READ,
                unit=unit,
                model="cases.case",
                detail={"query": request.query_params.dict(), "rows": len(response.data.get("results", []))},
            )
        return response

    def retrieve(self, request, *args, **kwargs):
        case = self.get_object()
        record_access(actor=request.user, kind=AccessKind.API_READ, unit=case.unit, instance=case)
        return Response(CaseDetailSerializer(case).data)

    @extend_schema(request=NewContactSerializer, responses={201: ContactSerializer})
    @action(detail=True, methods=["post"])
    def contacts(self, request, uuid=None):
        case = self.get_object()
        serializer = NewContactSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            contact = services.add_contact(actor=request.user, case=case, **serializer.validated_data)
        return Response(ContactSerializer(contact).data, status=201)

    @extend_schema(request=None, responses={200: PushedSerializer})
    @action(detail=True, methods=["post"])
    def push(self, request, uuid=None):
        case = self.get_object()
        with transaction.atomic():
            pushed = services.push_contacts(actor=request.user, case=case)
        return Response({"leads": pushed.leads, "linked": pushed.linked, "outbound": pushed.outbound})

    @extend_schema(responses={200: dict})
    @action(detail=False, methods=["get"])
    def chains(self, request):
        """The chains of the cases in scope (?days=60): the graph (cases by number, contacts as counts or nodes),
        the clusters and the epidemic curve, as the chains page draws them."""
        from fangxian.cases import chains

        try:
            days = min(max(int(request.query_params.get("days", 60)), 1), 365)
        except ValueError:
            days = 60
        cases = self.get_queryset().filter(reported_at__gte=timezone.now() - datetime.timedelta(days=days))
        data = chains.chains(cases)
        unit = access_unit(request.user)
        if unit is not None:
            record_access(
                actor=request.user,
                kind=AccessKind.API_READ,
                unit=unit,
                model="cases.case",
                detail={"chains": len(data.cases), "days": days},
            )
        return Response(
            {
                "graph": chains.graph(data),
                "clusters": [
                    {"setting": cluster.setting, "cases": [case.number for case in cluster.cases]}
                    for cluster in data.clusters
                ],
                "curve": chains.curve(cases),
            }
        )
