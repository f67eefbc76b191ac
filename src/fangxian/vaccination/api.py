"""The vaccination API, scoped like the pages: doses (read, and recorded one by one or in a batch by a vaccination
site's system), a person's progress with the mobilisation contacts, the roster, coverage and the targets' day. Numbers
are masked; every read of people is logged."""

import datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from fangxian.core.api import CodeRelatedField, ScopedViewSet
from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import TERRITORIAL_LEVELS, AccessKind
from fangxian.core.masking import mask_document
from fangxian.core.models import Unit, access_unit, scope_root_units
from fangxian.core.scoping import holds, scope_unit_ids
from fangxian.people.models import Person
from fangxian.people.services import find_by_document
from fangxian.vaccination import bands as band_rules
from fangxian.vaccination.choices import Channel, DoseKind, DoseSource, Outcome, PopulationSource
from fangxian.vaccination.models import Attempt, Dose, Product, Target
from fangxian.vaccination.services import coverage, doses, roster, targets
from fangxian.vaccination.services.status import progress

MAX_DOSES = 1_000


class DoseSerializer(serializers.ModelSerializer):
    person = serializers.SlugRelatedField(slug_field="uuid", read_only=True)
    doc_number = serializers.SerializerMethodField()
    product = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Dose
        fields = ["uuid", "person", "doc_number", "kind", "product", "given_on", "batch_number", "site_name", "source"]

    def get_doc_number(self, dose) -> str:
        return mask_document(dose.person.doc_number)


class NewDoseSerializer(serializers.Serializer):
    doc_type = serializers.CharField(default="resident_id")
    doc_number = serializers.CharField(max_length=40)
    kind = serializers.ChoiceField(choices=DoseKind.choices)
    product = CodeRelatedField(slug_field="code", queryset=Product.objects.all())
    given_on = serializers.DateField()
    batch_number = serializers.CharField(required=False, allow_blank=True, default="", max_length=40)
    site_name = serializers.CharField(required=False, allow_blank=True, default="", max_length=100)
    confirm_ages = serializers.BooleanField(required=False, default=False)


class DoseBatchSerializer(serializers.Serializer):
    doses = NewDoseSerializer(many=True, allow_empty=False, max_length=MAX_DOSES)


class DoseViewSet(ScopedViewSet, mixins.ListModelMixin):
    """Doses of the people in the caller's scope (GET, ?person=uuid&given_on=date). POST a batch of doses
    ({"doses": [...]}, at most 1,000): each is checked as on the person's page; the answer names each one's outcome
    (recorded, already recorded, or refused with its reasons) and a refused dose does not stop the others."""

    model = Dose
    serializer_class = DoseSerializer

    def scope_action(self) -> str:
        return Capability.VACCINATION_VIEW

    def filter_scoped(self, queryset):
        queryset = queryset.select_related("person", "product").order_by("-given_on", "-id")
        person = self.request.query_params.get("person", "")
        if person:
            try:
                queryset = queryset.filter(person__uuid=person)
            except DjangoValidationError:
                raise ValidationError({"person": "不是有效的人员编号"}) from None
        day = self.request.query_params.get("given_on", "")
        if day:
            queryset = queryset.filter(given_on=_date(day, "given_on"))
        return queryset

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        _log_list(request, "vaccination.dose", response)
        return response

    @extend_schema(request=DoseBatchSerializer, responses={200: dict})
    def create(self, request, *args, **kwargs):
        if not holds(request.user, Capability.DOSES_RECORD):
            raise PermissionDenied("您的角色不能录入接种记录")
        batch = DoseBatchSerializer(data=request.data)
        batch.is_valid(raise_exception=True)
        outcomes = []
        for index, item in enumerate(batch.validated_data["doses"]):
            outcomes.append({"index": index, **_record(request.user, item)})
        answer = {"doses": outcomes, "recorded": sum(1 for o in outcomes if o["outcome"] == "recorded")}
        # Nothing taken (every dose refused) is a refused request; a batch with any dose taken or already held is not.
        return Response(answer, status=400 if all(o["outcome"] == "refused" for o in outcomes) else 200)


FIRST_DAY = datetime.date(2020, 7, 1)  # no COVID-19 dose, no coverage before


def _date(text: str, name: str) -> datetime.date:
    """A date of a query (2021-05-01), from the first doses to today; anything else a 400 naming the parameter."""
    try:
        day = parse_date(text) if len(text) == 10 else None
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= timezone.localdate():
        raise ValidationError({name: f"日期应为 {FIRST_DAY:%Y-%m-%d} 至今天之间，形如 2021-05-01"})
    return day


def _record(user, item: dict) -> dict:
    try:
        person = find_by_document(doc_type=item["doc_type"], doc_number=item["doc_number"])
    except DjangoValidationError as error:
        return {"outcome": "refused", "reasons": error.messages}
    if person is None or not Person.objects.restrict(user, Capability.DOSES_RECORD).filter(pk=person.pk).exists():
        return {"outcome": "refused", "reasons": ["您的辖区内没有登记该证件号码的人员"]}
    # The answer tells what the person already holds (the same dose, a conflicting one): a read of their record.
    record_access(actor=user, kind=AccessKind.API_READ, unit=person.unit, instance=person, detail={"doses_api": True})
    try:
        with transaction.atomic():
            dose = doses.record_dose(
                actor=user,
                person=person,
                kind=item["kind"],
                product=item["product"],
                given_on=item["given_on"],
                batch_number=item["batch_number"],
                site_name=item["site_name"],
                source=DoseSource.API,
                confirm_ages=item["confirm_ages"],
            )
    except DjangoValidationError as error:
        if any("已登记" in message for message in error.messages):
            return {"outcome": "unchanged"}
        return {"outcome": "refused", "reasons": error.messages}
    return {"outcome": "recorded", "uuid": str(dose.uuid)}


def _log_list(request, model: str, response) -> None:
    unit = access_unit(request.user)
    if unit is not None:
        record_access(
            actor=request.user,
            kind=AccessKind.API_READ,
            unit=unit,
            model=model,
            detail={"query": request.query_params.dict(), "rows": len(response.data.get("results", []))},
        )


class RosterSerializer(serializers.ModelSerializer):
    doc_number = serializers.SerializerMethodField()
    unit = serializers.SlugRelatedField(slug_field="code", read_only=True)
    progress = serializers.SerializerMethodField()
    next_kind = serializers.SerializerMethodField()
    next_due_on = serializers.SerializerMethodField()

    class Meta:
        model = Person
        fields = ["uuid", "name", "doc_number", "age_band", "unit", "address", "progress", "next_kind", "next_due_on"]

    def get_doc_number(self, person) -> str:
        return mask_document(person.doc_number)

    @staticmethod
    def _status(person):
        return getattr(person, "vaccination", None) if hasattr(person, "vaccination") else None

    def get_progress(self, person) -> str:
        return progress(self._status(person), timezone.localdate())

    def get_next_kind(self, person) -> str:
        status = self._status(person)
        return status.next_kind if status else ""

    def get_next_due_on(self, person) -> str | None:
        status = self._status(person)
        return status.next_due_on.isoformat() if status and status.next_due_on else None


class AttemptSerializer(serializers.ModelSerializer):
    class Meta:
        model = Attempt
        fields = ["uuid", "at", "channel", "outcome", "reason", "until"]


class NewAttemptSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)
    until = serializers.DateField(required=False, allow_null=True, default=None)


class PersonVaccinationSerializer(RosterSerializer):
    doses = serializers.SerializerMethodField()
    standing = serializers.SerializerMethodField()
    standing_reason = serializers.SerializerMethodField()
    review_on = serializers.SerializerMethodField()
    attempts = serializers.SerializerMethodField()

    class Meta(RosterSerializer.Meta):
        fields = [*RosterSerializer.Meta.fields, "standing", "standing_reason", "review_on", "doses", "attempts"]

    @staticmethod
    def _eligibility(person):
        return getattr(person, "eligibility", None) if hasattr(person, "eligibility") else None

    def get_standing(self, person) -> str:
        record = self._eligibility(person)
        return record.standing if record else "eligible"

    def get_standing_reason(self, person) -> str:
        record = self._eligibility(person)
        return record.reason if record else ""

    def get_review_on(self, person) -> str | None:
        record = self._eligibility(person)
        return record.review_on.isoformat() if record and record.review_on else None

    def get_doses(self, person) -> list[dict]:
        return [
            {
                "kind": dose.kind,
                "product": dose.product.code,
                "given_on": dose.given_on.isoformat(),
                "source": dose.source,
            }
            for dose in person.doses.select_related("product").order_by("given_on")
        ]

    def get_attempts(self, person) -> list[dict]:
        return AttemptSerializer(person.vaccination_attempts.all()[:30], many=True).data


class VaccinationPersonViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """GET the roster (who still needs a dose and is not excluded; ?unit=code&reason=not_started|due), GET one
    person for their progress, doses, standing and contacts, POST …/attempts/ to log a mobilisation contact."""

    model = Person
    lookup_field = "uuid"

    def scope_action(self) -> str:
        return Capability.VACCINATION_VIEW

    def get_serializer_class(self):
        if self.action == "retrieve":
            return PersonVaccinationSerializer
        if self.action == "attempts":
            return NewAttemptSerializer
        return RosterSerializer

    def filter_scoped(self, queryset):
        queryset = queryset.select_related("unit", "vaccination", "eligibility")
        if self.action != "list":
            return queryset
        code = self.request.query_params.get("unit", "")
        if code:
            unit = Unit.objects.restrict(self.request.user, Capability.VACCINATION_VIEW).filter(code=code[:20]).first()
            if unit is None:
                raise NotFound("未找到该单位（或不在您的管辖范围内）")
            queryset = queryset.filter(unit__path__startswith=unit.path)
        reason = self.request.query_params.get("reason", "")
        if reason and reason not in (roster.NOT_STARTED, roster.DUE):
            raise ValidationError({"reason": "reason 应为 not_started 或 due"})
        return roster.roster(queryset, day=timezone.localdate(), reason=reason).order_by(
            "unit__path", "birth_date", "id"
        )

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        _log_list(request, "people.person", response)
        return response

    def retrieve(self, request, *args, **kwargs):
        person = self.get_object()
        record_access(
            actor=request.user,
            kind=AccessKind.API_READ,
            unit=person.unit,
            instance=person,
            detail={"vaccination": True},
        )
        return Response(PersonVaccinationSerializer(person).data)

    @extend_schema(request=NewAttemptSerializer, responses={201: AttemptSerializer})
    @action(detail=True, methods=["post"])
    def attempts(self, request, uuid=None):
        person = self.get_object()
        serializer = NewAttemptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            attempt = roster.record_attempt(actor=request.user, person=person, **serializer.validated_data)
        return Response(AttemptSerializer(attempt).data, status=201)


class TargetSerializer(serializers.ModelSerializer):
    district = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Target
        fields = [
            "uuid",
            "district",
            "title",
            "bands",
            "milestone",
            "rate",
            "source",
            "starts_on",
            "due_on",
            "is_active",
        ]


class TargetViewSet(ScopedViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """The district's targets; GET one for its day (?day=date): each unit's share, done, yesterday's shortfall and
    progress, for the units in the caller's scope."""

    model = Target
    serializer_class = TargetSerializer
    lookup_field = "uuid"

    def filter_scoped(self, queryset):
        return queryset.select_related("district")

    def retrieve(self, request, *args, **kwargs):
        target = self.get_object()
        text = request.query_params.get("day", "")
        day = _date(text, "day") if text else timezone.localdate()
        lines = targets.board(
            target=target, day=day, unit_ids=scope_unit_ids(request.user, Capability.VACCINATION_VIEW)
        )
        return Response(
            {
                **TargetSerializer(target).data,
                "day": day.isoformat(),
                "units": [
                    {
                        "unit": line.unit.code,
                        "name": line.unit.name,
                        "quota": line.quota,
                        "done": line.done,
                        "shortfall_yesterday": line.shortfall_yesterday,
                        "reached": line.reached,
                        "population": line.population,
                        "population_from_registry": line.population_from_registry,
                    }
                    for line in lines
                ],
            }
        )


class CoverageView(APIView):
    """Coverage of a unit and the units below it, by age band, at a day: people counted, to be vaccinated, with at
    least one dose, the full series, a booster, due; and the population figure of each source. Figures only."""

    required_capability = Capability.VACCINATION_VIEW

    @extend_schema(
        parameters=[
            OpenApiParameter("unit", str, description="单位代码（默认为调用者的最高单位）"),
            OpenApiParameter("day", str, description="统计日期 YYYY-MM-DD（默认今天）"),
        ],
        responses={200: dict},
    )
    def get(self, request):
        if not holds(request.user, Capability.VACCINATION_VIEW):
            raise PermissionDenied("您的角色不能查看接种情况")
        scoped = Unit.objects.restrict(request.user, Capability.VACCINATION_VIEW).filter(level__in=TERRITORIAL_LEVELS)
        code = request.query_params.get("unit", "")
        if code:
            top = scoped.filter(code=code[:20]).first()
            if top is None:
                raise NotFound("未找到该单位（或不在您的管辖范围内）")
        else:
            roots = [
                unit
                for unit in scope_root_units(request.user, Capability.VACCINATION_VIEW)
                if unit.level in TERRITORIAL_LEVELS
            ]
            if not roots:
                raise PermissionDenied("您的角色不能查看接种情况")
            top = roots[0]
        text = request.query_params.get("day", "")
        day = _date(text, "day") if text else timezone.localdate()
        units = [top, *Unit.objects.filter(parent=top, is_active=True, level__in=TERRITORIAL_LEVELS).order_by("code")]
        rows = coverage.table(
            units=units, scope_unit_ids=scope_unit_ids(request.user, Capability.VACCINATION_VIEW), day=day
        )
        return Response(
            {
                "unit": top.code,
                "day": day.isoformat(),
                "bands": [{"key": band.key, "label": band.label} for band in band_rules.configured()],
                "rows": [
                    {
                        "unit": row.unit.code,
                        "name": row.unit.name,
                        "band": row.band or "all",
                        "people": row.counts.people,
                        "eligible": row.counts.eligible,
                        "started": row.counts.started,
                        "full": row.counts.full,
                        "boosted": row.counts.boosted,
                        "due": row.counts.due,
                        "populations": {source: row.populations.get(source) for source in PopulationSource.values},
                    }
                    for row in rows
                ],
            }
        )
