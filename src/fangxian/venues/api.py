"""The venues API: gateways and 数字哨兵 devices send scans; offices read venues, registers and co-visits as
their pages show them (the same scope, the same masking)."""

import datetime

from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from fangxian.core.api import ScopedViewSet
from fangxian.core.capabilities import Capability
from fangxian.core.masking import mask_document, mask_phone
from fangxian.core.models import Unit
from fangxian.venues import services
from fangxian.venues.choices import ScanSource
from fangxian.venues.models import Venue
from fangxian.venues.services import scans as scan_service


class ScanRowSerializer(serializers.Serializer):
    """One scan, as documented; rows are checked as columns by the service (a bad row is answered, not fatal)."""

    venue_code = serializers.CharField(max_length=64)
    scanned_at = serializers.DateTimeField()
    doc_type = serializers.CharField(required=False, allow_blank=True)
    doc_number = serializers.CharField(max_length=40)
    name = serializers.CharField(required=False, allow_blank=True)
    phone = serializers.CharField(required=False, allow_blank=True)
    area = serializers.CharField(required=False, allow_blank=True)
    proxy_doc_number = serializers.CharField(required=False, allow_blank=True)
    code_colour = serializers.CharField(required=False, help_text="green / yellow / red / unknown（或 绿码/黄码/红码）")
    vaccinated = serializers.CharField(required=False, help_text="yes / no / unknown")
    negative = serializers.CharField(required=False, help_text="48 小时核酸阴性：yes / no / unknown")
    device = serializers.CharField(required=False, allow_blank=True)


class ScanBatchSerializer(serializers.Serializer):
    source = serializers.ChoiceField(choices=[ScanSource.APP, ScanSource.GATEWAY], default=ScanSource.GATEWAY)
    scans = ScanRowSerializer(many=True, min_length=1, max_length=scan_service.MAX_BATCH)


class ScanProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="在本批中的序号，从 1 起")
    message = serializers.CharField()


class ScanOutcomeSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    written = serializers.IntegerField()
    unchanged = serializers.IntegerField(help_text="已写入过（重发）的条数")
    unregistered = serializers.IntegerField(help_text="场所码尚未登记：已保存，登记后自动关联")
    problems = ScanProblemSerializer(many=True)


_TEXT_FIELDS = set(ScanRowSerializer().fields) - {"scanned_at"}


class ScanBatchView(APIView):
    """POST up to 10,000 scans. Bad rows come back with their reason and the rest is written; sending a batch
    again changes nothing (a scan is one person at one code at one second)."""

    required_capability = Capability.SCANS_INGEST

    @extend_schema(request=ScanBatchSerializer, responses={200: ScanOutcomeSerializer})
    def post(self, request):
        data = request.data if isinstance(request.data, dict) else {}
        rows = data.get("scans")
        source = data.get("source") or ScanSource.GATEWAY
        if source not in (ScanSource.APP, ScanSource.GATEWAY):
            raise ValidationError({"source": "来源应为 app 或 gateway"})
        if not isinstance(rows, list) or not rows:
            raise ValidationError({"scans": "请提供扫码记录列表（scans）"})
        if len(rows) > scan_service.MAX_BATCH:
            raise ValidationError(
                {"scans": f"一批最多 {scan_service.MAX_BATCH:,} 条，本批 {len(rows):,} 条，请分批发送"}
            )
        if not all(isinstance(row, dict) for row in rows):
            raise ValidationError({"scans": "每条扫码记录应为一个对象"})
        # Plain text for every field: a number or a nested object where text belongs is refused by the checks.
        clean = [
            {
                key: (value if isinstance(value, str) else None if value is None else str(value))
                for key, value in row.items()
                if key in _TEXT_FIELDS or key == "scanned_at"
            }
            for row in rows
        ]
        if any("\x00" in value for row in clean for value in row.values() if value):
            raise ValidationError({"scans": "扫码记录含有非法字符（NUL）"})
        with transaction.atomic():
            outcome = services.ingest_scans(actor=request.user, scans=scan_service.frame(clean), source=source)
        return Response(ScanOutcomeSerializer(outcome).data)


class VenueSerializer(serializers.ModelSerializer):
    category = serializers.CharField(source="category.name")
    regulator = serializers.CharField(source="category.regulator")
    unit = serializers.CharField(source="unit.code")
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Venue
        fields = [
            "uuid",
            "name",
            "category",
            "regulator",
            "unit",
            "address",
            "contact",
            "phone",
            "status",
            "code",
            "external_code",
            "areas",
        ]

    def get_phone(self, venue) -> str:
        return mask_phone(venue.phone)


class VenueViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The venues in the caller's scope (a venue's staff: their own)."""

    model = Venue
    serializer_class = VenueSerializer
    lookup_field = "uuid"
    filterset_fields = ["status", "category__code"]

    def filter_scoped(self, queryset):
        return queryset.select_related("category", "unit")


def _day(value: str | None) -> datetime.date:
    if not value:
        return timezone.localdate()
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({"day": "日期格式应为 2026-12-06"}) from None


class RegisterView(APIView):
    """GET a day's register (异常扫码、未接种、无 48 小时核酸) of the venues in the caller's scope, per venue, with
    the visitors listed masked. ?day=YYYY-MM-DD&unit=CODE"""

    required_capability = Capability.VENUE_SCANS_VIEW

    def get(self, request):
        day = _day(request.query_params.get("day"))
        unit = None
        if code := request.query_params.get("unit"):
            unit = Unit.objects.restrict(request.user).filter(code=code).first()
            if unit is None:
                raise NotFound("未找到该单位（或不在您的管辖范围内）")
        register = services.day_register(user=request.user, day=day, unit=unit)
        return Response(
            {
                "day": day.isoformat(),
                "venues": [
                    {
                        "venue": row.venue.name,
                        "uuid": str(row.venue.uuid),
                        "unit": row.venue.unit_code,
                        "regulator": row.venue.regulator,
                        "scans": row.scans,
                        "abnormal": row.abnormal,
                        "unvaccinated": row.unvaccinated,
                        "without_negative": row.without_negative,
                    }
                    for row in register.rows
                ],
                "visitors": [
                    {
                        "venue": visitor.venue.name,
                        "scanned_at": visitor.scanned_at.isoformat(),
                        "name": visitor.name,
                        "doc_number": mask_document(visitor.doc_number),
                        "code_colour": visitor.code_colour,
                        "vaccinated": visitor.vaccinated,
                        "negative": visitor.negative,
                    }
                    for visitor in register.visitors
                ],
            }
        )


class CoVisitSerializer(serializers.Serializer):
    cases = serializers.ListField(child=serializers.CharField(max_length=40), min_length=1, max_length=1000)
    since = serializers.DateTimeField(required=False)
    until = serializers.DateTimeField(required=False)


class CoVisitView(APIView):
    """POST case documents and a window: their co-visitors, ranked by minutes of overlap (documents masked; the
    tracing team's export carries them whole)."""

    required_capability = Capability.COVISIT_TRACE

    @extend_schema(request=CoVisitSerializer)
    def post(self, request):
        query = CoVisitSerializer(data=request.data)
        query.is_valid(raise_exception=True)
        tracing, problems = services.trace_for(user=request.user, **query.validated_data)
        return Response(
            {
                "problems": problems,
                "cases_without_scans": [mask_document(doc) for doc in tracing.cases_without_scans],
                "stays": len(tracing.stays),
                "covisitors": [
                    {
                        "doc_number": mask_document(person.doc_number),
                        "name": person.name,
                        "overlap_minutes": person.overlap_minutes,
                        "close_contact": person.close_contact,
                        "encounters": [
                            {
                                "venue": item.place.name,
                                "area": item.area,
                                "from": item.start.isoformat(),
                                "to": item.end.isoformat(),
                                "overlap_minutes": item.overlap_minutes,
                            }
                            for item in person.encounters
                        ],
                    }
                    for person in tracing.covisitors
                ],
            }
        )
