import json
import re

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.generic import TemplateView

from fangxian.core.audit import record_access
from fangxian.core.capabilities import Capability
from fangxian.core.choices import AccessKind, Action, UnitLevel
from fangxian.core.exporting import ExportMixin, keep_problems
from fangxian.core.masking import mask_document, mask_document_text, normalise_number
from fangxian.core.models import ChangeRecord, Unit, district_path_of
from fangxian.core.scoping import holds, user_can
from fangxian.core.tabular import TableReadError, spool_upload
from fangxian.core.views import (
    ActionView,
    CapabilityRequiredMixin,
    ObjectActionView,
    ObjectOperationView,
    ScopedDetailView,
    ScopedListView,
    ServiceFormView,
    access_unit,
    error_text,
    form_errors_message,
    object_or_404,
    valid_form,
)
from fangxian.people.models import Person
from fangxian.people.tables import person_columns
from fangxian.testing import files, services
from fangxian.testing import members as member_checks
from fangxian.testing.choices import POOL_SIZE, RecallStatus, SamplingMode, TubeStatus
from fangxian.testing.filtersets import TubeFilterSet
from fangxian.testing.forms import (
    CampaignForm,
    KeyGroupForm,
    KeyGroupMembersForm,
    LookupForm,
    PointForm,
    ResultFileForm,
    ShipForm,
    TubeForm,
    ZoneForm,
)
from fangxian.testing.models import Campaign, KeyGroup, KeyGroupMember, Recall, SamplingPoint, Tube
from fangxian.testing.tables import overdue_columns, recall_columns, result_problem_columns, tube_columns

# One person a line: the document number as scanned (letters and digits, full-width too), then the name.
_MEMBER_LINE = re.compile(r"^\s*([0-9A-Za-z０-９Ａ-Ｚａ-ｚ]+)[\s,，、\t]*(.*?)\s*$")


class CampaignListView(ScopedListView):
    model = Campaign
    template_name = "testing/campaign_list.html"


class CampaignCreateView(CapabilityRequiredMixin, ServiceFormView):
    """组织全员核酸: the district office names the round, its time and its units."""

    required_capability = Capability.CAMPAIGNS_MANAGE
    template_name = "testing/campaign_form.html"
    form_class = CampaignForm

    def perform(self, data):
        zones = list(data["zones"])
        district = Unit.objects.get(path=district_path_of(zones[0].path))
        return services.create_campaign(
            actor=self.request.user,
            district=district,
            name=data["name"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            zones=[(unit, data["mode"], None) for unit in zones],
            exclude_under_2=data["exclude_under_2"],
            exclude_isolated=data["exclude_isolated"],
            exclude_key_groups=data["exclude_key_groups"],
        )

    def succeeded(self, campaign):
        return HttpResponseRedirect(reverse("testing:campaign", kwargs={"uuid": campaign.uuid}))


class CampaignDetailView(ScopedDetailView):
    """A round's progress: sampled over target per zone, per point and by hour, with the not-sampled lists."""

    model = Campaign
    write_capability = Capability.POINTS_MANAGE
    slug_field = slug_url_kwarg = "uuid"
    template_name = "testing/campaign_detail.html"
    context_object_name = "campaign"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        campaign, user = self.object, self.request.user
        zones = campaign.zones.filter(unit__in=Unit.objects.restrict(user))
        context["zones"] = services.campaign_progress(campaign, zones=zones)
        context["points"] = services.progress_by_point(campaign, SamplingPoint.objects.restrict(user))
        hours = services.progress_by_hour(campaign, Tube.objects.restrict(user))
        context["hourly"] = json.dumps(
            {
                "hours": [timezone.localtime(hour).strftime("%m-%d %H:00") for hour, _ in hours],
                "people": [n for _, n in hours],
            },
            ensure_ascii=False,
        )
        context["by_zone"] = json.dumps(
            {
                "units": [zone.unit.name for zone in context["zones"]],
                "sampled": [zone.sampled for zone in context["zones"]],
                "remaining": [max(zone.target - zone.sampled, 0) for zone in context["zones"]],
            },
            ensure_ascii=False,
        )
        context["sampled"] = sum(zone.sampled for zone in context["zones"])
        context["target"] = sum(zone.target for zone in context["zones"])
        context.setdefault("point_form", PointForm(user=user))
        context["may_edit_zones"] = user_can(user, Capability.CAMPAIGNS_MANAGE, campaign.district)
        context["modes"] = SamplingMode.choices
        return context

    def post(self, request, uuid):
        """A sampling point in one of the round's units, or a zone's mode and head count."""
        self.object = campaign = self.get_object()
        form = PointForm(request.POST, user=request.user)
        if form.is_valid():
            try:
                with transaction.atomic():
                    point = services.create_point(actor=request.user, campaign=campaign, **form.cleaned_data)
                messages.success(request, _("已设采样点：%(name)s") % {"name": point.name})
                return HttpResponseRedirect(reverse("testing:campaign", kwargs={"uuid": campaign.uuid}))
            except (ValidationError, PermissionDenied) as error:
                form.add_error(None, error_text(error))
        return self.render_to_response(self.get_context_data(point_form=form), status=400)


class CampaignZoneView(ObjectActionView):
    """A zone's sampling mode and head count, set by the district office on the round's page."""

    model = Campaign
    action = Action.CHANGE
    lookup_field = lookup_url_kwarg = "uuid"

    def perform(self, request, campaign):
        data = valid_form(ZoneForm(request.POST), _("请检查采样方式与应检人数"))
        zone = object_or_404(campaign.zones.select_related("unit", "campaign__district"), pk=data["zone"])
        services.update_zone(actor=request.user, zone=zone, mode=data["mode"], head_count=data["head_count"])
        return _("已调整：%(name)s") % {"name": zone.unit.name}

    def done_url(self, campaign):
        return reverse("testing:campaign", kwargs={"uuid": campaign.uuid})


class NotSampledView(ExportMixin, ScopedListView):
    """应检尽检: the registered people of one zone not sampled in this round, to chase (masked)."""

    model = Person
    audited_model = "people.person"
    template_name = "testing/not_sampled.html"
    export_key, export_title, export_model = "not_sampled", "未采样人员", "people.person"
    follows_focus = False

    def campaign(self) -> Campaign:
        return object_or_404(Campaign.objects.restrict(self.user), uuid=self.kwargs["uuid"])

    def unit(self) -> Unit:
        return object_or_404(Unit.objects.restrict(self.user), code=self.kwargs["code"])

    def filter_queryset(self, queryset):
        unit = self.unit()
        people = queryset.filter(unit__path__startswith=unit.path).select_related("unit__parent")
        return services.not_sampled(self.campaign(), people).order_by("unit__code", "name")

    table_empty = _lazy("应检尽检：均已采样")
    table_testid = "not-sampled"

    def list_columns(self):
        return person_columns(full=False)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(campaign=self.campaign(), unit=self.unit())
        return context


class SamplingView(ScopedDetailView):
    """The sampling table of one point: scan a tube, scan its people, save; close, box and ship."""

    model = SamplingPoint
    action = Capability.TUBES_REGISTER  # the page is the sampling work itself, with the people in open tubes
    slug_field = slug_url_kwarg = "uuid"
    template_name = "testing/sampling.html"
    context_object_name = "point"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        tubes = Tube.objects.filter(point=self.object, sampled_on=timezone.localdate())
        context["open_tubes"] = tubes.filter(status=TubeStatus.OPEN).order_by("-sampled_at")[:30]
        context["closed"] = tubes.filter(status=TubeStatus.CLOSED).count()
        context["shipped"] = tubes.filter(status=TubeStatus.SHIPPED).count()
        context["people_today"] = sum(tubes.values_list("member_count", flat=True))
        zone = services.zone_of(self.object)
        context.setdefault("form", TubeForm(initial={"mode": zone.mode} if zone else None))
        context["ship_form"] = ShipForm()
        return context

    def post(self, request, uuid):
        """Register one tube and its people (closing and shipping are SamplingActionView's)."""
        self.object = point = object_or_404(
            SamplingPoint.objects.restrict(request.user, Capability.TUBES_REGISTER), uuid=uuid
        )
        try:
            with transaction.atomic():
                return self.register(request, point)
        except (ValidationError, PermissionDenied) as error:
            messages.error(request, error_text(error))
        return HttpResponseRedirect(reverse("testing:sampling", kwargs={"uuid": point.uuid}))

    def register(self, request, point):
        form = TubeForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        code, mode = form.cleaned_data["code"].strip(), form.cleaned_data["mode"]
        rows = []
        for line in form.cleaned_data["members"].splitlines():
            match = _MEMBER_LINE.match(line)
            if match and match.group(1):
                rows.append({"tube_code": code, "doc_number": match.group(1), "name": match.group(2)})
        outcome = services.register_tubes(
            actor=request.user,
            point=point,
            tubes=[services.NewTube(code, POOL_SIZE[mode], mode=mode)],
            members=member_checks.frame(rows),
            close=request.POST.get("close") == "1",
        )
        if outcome.problems:
            # A tube with a problem is left out whole: nothing of it was written.
            for problem in outcome.problems:
                messages.error(request, f"{problem.tube_code}：{problem.message}")
            return self.render_to_response(self.get_context_data(form=form), status=400)
        people = outcome.members or outcome.added_members
        messages.success(request, _("%(code)s 已登记 %(count)s 人") % {"code": code, "count": people})
        return HttpResponseRedirect(reverse("testing:sampling", kwargs={"uuid": point.uuid}))


class SamplingActionView(ObjectOperationView):
    """At a sampling point: close one open tube, or box every closed tube and ship them."""

    model = SamplingPoint
    action = Capability.TUBES_REGISTER
    lookup_field = lookup_url_kwarg = "uuid"
    operations = frozenset({"close", "ship"})

    def op_close(self, request, point):
        tube = object_or_404(Tube.objects.filter(point=point), code=request.POST.get("code", ""))
        services.close_tube(actor=request.user, tube=tube)
        return _("已封管：%(code)s") % {"code": tube.code}

    def op_ship(self, request, point):
        box = valid_form(ShipForm(request.POST), _("请填写转运箱号"))["box"]
        count = services.ship(actor=request.user, tubes=Tube.objects.filter(point=point), box=box)
        return _("%(count)s 管已装箱送检") % {"count": count}

    def done_url(self, point):
        return reverse("testing:sampling", kwargs={"uuid": point.uuid})


class PointListView(ScopedListView):
    model = SamplingPoint
    template_name = "testing/point_list.html"

    def filter_queryset(self, queryset):
        return queryset.filter(is_active=True).select_related("unit", "campaign")


def problem_pages(request, summary) -> dict:
    """The first problems of a result file for the page; all of them in a file to download."""
    problems = summary.problems
    if not problems:
        return {}
    job = keep_problems(
        actor=request.user,
        title=_("检测结果上传问题（%(count)s 条）") % {"count": summary.problem_count},
        columns=result_problem_columns(),
        rows=problems,
    )
    limit = settings.PAGE_ERROR_LIMIT
    return {
        "shown_problems": problems[:limit],
        "more_problems": max(0, summary.problem_count - limit),
        "not_in_file": summary.problems_not_kept,
        "problem_file": job,
    }


class ResultUploadView(CapabilityRequiredMixin, TemplateView):
    required_capability = Capability.RESULTS_REPORT

    """A lab's result file: every readable row is kept; bad rows come back with their row number."""

    template_name = "testing/results.html"

    HISTORY = 10  # the uploader's own latest result files, with what each did

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # The lab is the one this user last reported for: a lab uploads many files a day under one name.
        history = list(
            ChangeRecord.objects.filter(actor=self.request.user, reason=services.RESULTS_REASON).order_by("-at")[
                : self.HISTORY
            ]
        )
        last_lab = history[0].object_repr.removesuffix(" 检测结果") if history else ""
        context.setdefault("form", ResultFileForm(initial={"lab": last_lab}))
        context["history"] = history
        return context

    def post(self, request):
        form = ResultFileForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        try:
            with spool_upload(form.cleaned_data["file"]) as path:
                rows, unreadable, unreadable_more = files.read_result_file(path)
        except TableReadError as error:
            form.add_error("file", str(error))
            return self.render_to_response(self.get_context_data(form=form), status=400)
        strict = form.cleaned_data["all_or_nothing"]
        if unreadable and strict:
            summary = services.Ingest(problems=unreadable, problems_not_kept=unreadable_more)
        else:
            with transaction.atomic():
                summary = services.ingest_results(
                    actor=request.user, lab=form.cleaned_data["lab"], rows=rows, valid_only=not strict
                )
            summary.prepend_problems(unreadable, unreadable_more)
        refused_whole = bool(summary.problem_count and strict)
        status = 400 if refused_whole else 200
        lab = form.cleaned_data["lab"]
        context = self.get_context_data(
            form=ResultFileForm(initial={"lab": lab, "all_or_nothing": strict}),
            summary=summary,
            refused_whole=refused_whole,
            **problem_pages(request, summary),
        )
        return self.render_to_response(context, status=status)


class TubeListView(ExportMixin, ScopedListView):
    """采样管: each tube's way from the sampling table to its result (采样 → 封管 → 送检 → 出结果, with times)."""

    model = Tube
    template_name = "testing/tube_list.html"
    filterset_class = TubeFilterSet
    export_key, export_title, export_model = "tubes", "采样管", "testing.tube"

    def filter_queryset(self, queryset):
        # Newest registered first, by id: the primary key walked backwards finds a page among 10⁶ tubes of a
        # day at once, where ordering by sampling time sorts them all (≈0.14 s at 3·10⁵ tubes).
        return super().filter_queryset(queryset).select_related("point").order_by("-id")

    table_empty = _lazy("这一天没有采样管")
    table_testid = "tubes"

    def list_columns(self):
        return tube_columns()


class RecallListView(ExportMixin, ScopedListView):
    """混管阳性: the people held by positive or invalid pools, with where to find them; refreshed every 30 s."""

    model = Recall
    audited_model = "testing.recall"
    template_name = "testing/recall_list.html"
    export_key, export_title, export_model = "recalls", "混管阳性人员", "testing.recall"

    def filter_queryset(self, queryset):
        status = self.params.get("status", RecallStatus.HELD)
        if status in RecallStatus.values:
            queryset = queryset.filter(status=status)
        return queryset.select_related("unit__parent", "tube__point", "person").order_by(
            "-raised_at", "unit__code", "name"
        )

    table_empty = _lazy("没有人员")
    table_testid = "recalls"

    def list_columns(self):
        # A name opens the person's file for a reader who may see that person (a recall is listed where the
        # person was sampled, which need not be where they live).
        openable: frozenset[int] = frozenset()
        rows = getattr(self, "object_list", None)  # none for the export, whose cells are plain text
        if rows is not None and holds(self.user, Action.VIEW, model=Person):
            people = rows.exclude(person__isnull=True).values("person_id")
            openable = frozenset(Person.objects.restrict(self.user).filter(pk__in=people).values_list("pk", flat=True))
        return recall_columns(openable=openable)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["statuses"] = RecallStatus.choices
        context["status"] = self.params.get("status", RecallStatus.HELD)
        return context


class KeyGroupOverdueView(ExportMixin, ScopedListView):
    """重点人群: members not sampled within their group's interval, per unit."""

    model = KeyGroupMember
    write_capability = Capability.KEY_GROUPS_MANAGE
    audited_model = "testing.keygroupmember"
    template_name = "testing/key_groups.html"
    paginate_by = None
    export_key, export_title, export_model = "key_group_overdue", "重点人群逾期未检", "testing.keygroupmember"

    def export_rows(self):
        return services.key_group_overdue(memberships=self.export_scope(self.get_queryset()))

    def export_columns(self):
        return overdue_columns()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["overdue"] = services.key_group_overdue(memberships=self.get_queryset())
        context["members"] = self.get_queryset().count()
        context["groups"] = KeyGroup.objects.restrict(self.user)
        context.setdefault("members_form", KeyGroupMembersForm(user=self.user))
        context.setdefault("group_form", KeyGroupForm())
        return context

    def post(self, request):
        self.object_list = self.get_queryset()
        form = KeyGroupMembersForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(members_form=form), status=400)
        data = form.cleaned_data
        try:
            with transaction.atomic():
                added, unknown = services.add_key_group_members(
                    actor=request.user,
                    group=data["group"],
                    unit=data["unit"],
                    doc_numbers=data["doc_numbers"].split(),
                    persons=Person.objects.restrict(request.user),
                )
        except PermissionDenied as error:
            form.add_error(None, str(error))
            return self.render_to_response(self.get_context_data(members_form=form), status=400)
        messages.success(request, _("已加入 %(count)s 人") % {"count": added})
        if unknown:
            messages.error(
                request,
                _("未在您的辖区人员中找到：%(numbers)s") % {"numbers": "、".join(mask_document(n) for n in unknown)},
            )
        return HttpResponseRedirect(reverse("testing:key_groups"))


class KeyGroupCreateView(CapabilityRequiredMixin, ActionView):
    """A new key group of the district (medical staff, couriers …) with its testing interval."""

    required_capability = Capability.KEY_GROUPS_MANAGE

    def perform(self, request):
        data = valid_form(KeyGroupForm(request.POST), form_errors_message)
        district = next(
            iter(Unit.objects.restrict(request.user, Capability.KEY_GROUPS_MANAGE).filter(level=UnitLevel.DISTRICT)),
            None,
        )
        if district is None:
            raise PermissionDenied(_("只有区/县指挥部可以设重点人群"))
        group, created = services.create_key_group(
            actor=request.user,
            district=district,
            name=data["name"],
            interval_days=data["interval_days"],
            sector=data.get("sector", ""),
        )
        return _("已设重点人群：%(name)s") % {"name": group.name} if created else _("该重点人群已存在")

    def done_url(self):
        return reverse("testing:key_groups")


class LookupView(CapabilityRequiredMixin, TemplateView):
    required_capability = Capability.NEGATIVE_LOOKUP

    """48 小时核酸查询: yes or no, and the times; every question is logged. Asked by POST, so that ID numbers
    stay out of URLs, browser histories and server logs; the answer comes with an empty box for the next
    person."""

    template_name = "testing/lookup.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.setdefault("form", LookupForm(initial={"hours": 48}))
        return context

    def post(self, request):
        form = LookupForm(request.POST)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form), status=400)
        number, hours = form.cleaned_data["doc_number"], form.cleaned_data["hours"]
        answer = services.latest_negative(doc_number=number, hours=hours)
        record_access(
            actor=request.user,
            kind=AccessKind.SEARCH,
            unit=access_unit(request.user) or request.user.unit,
            model="testing.sample",
            # Whom it was about, masked like everywhere it is shown: the trail names the person asked after.
            detail={"lookup": "latest_negative", "hours": hours, "doc_number": mask_document_text(number)},
        )
        context = self.get_context_data(
            form=LookupForm(initial={"hours": hours}),
            answer=answer,
            hours=hours,
            # The answer says whom it answered for, by the number's last four (what a door checks against the
            # card in hand): a queue mixes people up. Nothing here is more than what was typed.
            asked=normalise_number(number)[-4:],
        )
        return self.render_to_response(context)
