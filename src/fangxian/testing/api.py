"""The testing API: sampling apps register tubes, labs send results (JSON or a file), venues and schools ask
for a person's 48-hour negative, offices read the recall list."""

import dataclasses

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from fangxian.core.api import ScopedViewSet
from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind
from fangxian.core.forms import upload_problem
from fangxian.core.masking import mask_document_text
from fangxian.core.scoping import holds
from fangxian.core.tabular import TableReadError, spool_upload
from fangxian.testing import files, services
from fangxian.testing import members as member_checks
from fangxian.testing.choices import POOL_SIZE, SamplingMode
from fangxian.testing.models import Recall, SamplingPoint

MAX_TUBES_PER_REQUEST = 5_000
MAX_RESULTS_PER_REQUEST = 200_000


class MemberSerializer(serializers.Serializer):
    doc_type = serializers.CharField(max_length=32, required=False, allow_blank=True)
    doc_number = serializers.CharField(max_length=40)
    name = serializers.CharField(max_length=50, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)


class TubeSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40)
    pool_size = serializers.IntegerField(min_value=1, max_value=max(POOL_SIZE.values()) * 2)
    mode = serializers.ChoiceField(choices=SamplingMode.choices, required=False)
    sampled_at = serializers.DateTimeField(required=False)
    members = MemberSerializer(many=True)


class TubeBatchSerializer(serializers.Serializer):
    point = serializers.UUIDField()
    close = serializers.BooleanField(default=True)
    tubes = TubeSerializer(many=True, allow_empty=False, max_length=MAX_TUBES_PER_REQUEST)


class ProblemSerializer(serializers.Serializer):
    tube_code = serializers.CharField()
    message = serializers.CharField()


class RegistrationSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    members = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    added_members = serializers.IntegerField()
    problems = ProblemSerializer(many=True)


class TubeBatchView(APIView):
    """POST a batch of tubes with their members. Idempotent on the tube code: sending a batch again changes
    nothing; bad tubes come back with their reason, the others are registered."""

    required_capability = Capability.TUBES_REGISTER

    @extend_schema(request=TubeBatchSerializer, responses={200: RegistrationSerializer})
    def post(self, request):
        batch = TubeBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        data = batch.validated_data
        point = (
            SamplingPoint.objects.restrict(request.user, Capability.TUBES_REGISTER).filter(uuid=data["point"]).first()
        )
        if point is None:
            raise NotFound("未找到该采样点（或不在您的管辖范围内）")
        tubes, rows = [], []
        for tube in data["tubes"]:
            tubes.append(services.NewTube(tube["code"], tube["pool_size"], tube.get("sampled_at"), tube.get("mode")))
            rows.extend({"tube_code": tube["code"].strip(), **member} for member in tube["members"])
        with transaction.atomic():
            outcome = services.register_tubes(
                actor=request.user, point=point, tubes=tubes, members=member_checks.frame(rows), close=data["close"]
            )
        body = dataclasses.asdict(outcome)
        for problem in body["problems"]:
            problem.pop("doc_number", None)  # the app knows whom it sent; the answer repeats no ID number
        return Response(body)


class ResultRowSerializer(serializers.Serializer):
    tube_code = serializers.CharField(max_length=40)
    result = serializers.CharField(max_length=20)
    ct_orf = serializers.CharField(max_length=10, required=False, allow_blank=True, allow_null=True)
    ct_n = serializers.CharField(max_length=10, required=False, allow_blank=True, allow_null=True)


class ResultBatchSerializer(serializers.Serializer):
    lab = serializers.CharField(max_length=100, required=False, allow_blank=True)
    all_or_nothing = serializers.BooleanField(default=False)
    results = ResultRowSerializer(many=True, required=False, max_length=MAX_RESULTS_PER_REQUEST)
    file = serializers.FileField(required=False)

    def validate_file(self, upload):
        if problem := upload_problem(upload):
            raise serializers.ValidationError(problem)
        return upload


class ResultProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    tube_code = serializers.CharField()
    message = serializers.CharField()


class IngestSerializer(serializers.Serializer):
    accepted = serializers.IntegerField()
    repeated = serializers.IntegerField()
    conflicts = serializers.IntegerField()
    unknown = serializers.IntegerField()
    recalled_tubes = serializers.IntegerField()
    recalled_people = serializers.IntegerField()
    released = serializers.IntegerField()
    retest_positive = serializers.IntegerField()
    problems = ResultProblemSerializer(many=True, help_text="前 FANGXIAN_PROBLEM_ROWS_KEPT 个问题行")
    problems_not_kept = serializers.IntegerField(help_text="超出上限、只计数的问题行")
    problem_count = serializers.IntegerField()


class ResultBatchView(APIView):
    """POST a lab's results: JSON rows, or a csv/xlsx file of any size (multipart, field `file`). The first
    final result of a tube stands; repeats and conflicts are kept, never written over it."""

    required_capability = Capability.RESULTS_REPORT

    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @extend_schema(request=ResultBatchSerializer, responses={200: IngestSerializer})
    def post(self, request):
        batch = ResultBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        data = batch.validated_data
        unreadable: list[services.ResultProblem] = []
        unreadable_more = 0
        if data.get("file") is not None:
            try:
                with spool_upload(data["file"]) as path:
                    rows, unreadable, unreadable_more = files.read_result_file(path)
            except TableReadError as error:
                raise ValidationError({"file": [str(error)]}) from None
        elif data.get("results"):
            rows = services.result_frame([dict(row) for row in data["results"]])
        else:
            raise ValidationError({"results": ["请提供 results 或上传结果文件 file"]})
        if unreadable and data["all_or_nothing"]:
            summary = services.Ingest(problems=unreadable, problems_not_kept=unreadable_more)
        else:
            with transaction.atomic():
                summary = services.ingest_results(
                    actor=request.user, lab=data.get("lab", ""), rows=rows, valid_only=not data["all_or_nothing"]
                )
            summary.prepend_problems(unreadable, unreadable_more)
        return Response({**dataclasses.asdict(summary), "problem_count": summary.problem_count})


class LatestNegativeQuery(serializers.Serializer):
    doc_number = serializers.CharField(max_length=40)
    doc_type = serializers.CharField(max_length=32, required=False, allow_blank=True)
    hours = serializers.IntegerField(min_value=1, max_value=24 * 7, default=48)


class LatestNegativeSerializer(serializers.Serializer):
    negative_within = serializers.BooleanField()
    sampled_at = serializers.DateTimeField(allow_null=True)
    result_at = serializers.DateTimeField(allow_null=True)
    pending_since = serializers.DateTimeField(allow_null=True)


class LatestNegativeView(APIView):
    """ "48 小时核酸": has this person a negative sampled within the last `hours`? Answered for anyone tested in
    the district (venues and schools check visitors from everywhere): the answer names no one and says nothing
    but the times; every question is logged."""

    required_capability = Capability.NEGATIVE_LOOKUP

    @extend_schema(parameters=[LatestNegativeQuery], responses={200: LatestNegativeSerializer})
    def get(self, request):
        query = LatestNegativeQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        if not holds(request.user, Capability.NEGATIVE_LOOKUP):
            return Response({"detail": "无权查询核酸结果"}, status=status.HTTP_403_FORBIDDEN)
        answer = services.latest_negative(**query.validated_data)
        record_access(
            actor=request.user,
            kind=AccessKind.API_READ,
            unit=request.user.unit,
            model="testing.sample",
            detail={
                "lookup": "latest_negative",
                "hours": query.validated_data["hours"],
                "doc_number": mask_document_text(query.validated_data["doc_number"]),
            },
        )
        return Response(LatestNegativeSerializer(answer).data)


class RecallSerializer(serializers.ModelSerializer):
    id = serializers.UUIDField(source="uuid", read_only=True)
    tube = serializers.CharField(source="tube.code")
    unit = serializers.CharField(source="unit.code")
    unit_name = serializers.CharField(source="unit.name")
    doc_number_masked = serializers.CharField(source="masked_doc_number")
    address = serializers.CharField(source="person.address", default="")

    class Meta:
        model = Recall
        fields = ["id", "name", "doc_number_masked", "tube", "unit", "unit_name", "address", "status", "raised_at"]


class RecallViewSet(ScopedViewSet, mixins.ListModelMixin):
    """The people held by positive pools in the caller's units (numbers masked)."""

    model = Recall
    serializer_class = RecallSerializer
    filterset_fields = ["status"]

    def filter_scoped(self, queryset):
        return queryset.select_related("tube", "unit", "person")
